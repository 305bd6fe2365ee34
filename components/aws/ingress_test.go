package aws

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

func runIngress(t *testing.T, args *MySQLIngressArgs) (*mocktest.Mocks, mocktest.Awaited, error) {
	t.Helper()
	m := mocktest.New(t)
	var sources mocktest.Awaited
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		in, err := NewMySQLIngress(ctx, "ing", args)
		if err != nil {
			return err
		}
		sources, err = mocktest.Await(ctx, in.Sources)
		return err
	})
	return m, sources, err
}

func clientAddresses() map[string]pulumi.StringInput {
	return map[string]pulumi.StringInput{
		"app1": pulumi.String("172.31.0.5"),
		"app2": pulumi.String("172.31.0.6").ToStringOutput(), // as an instance's privateIp would be
	}
}

func TestMySQLIngressOneRulePerClientOnTheGivenGroup(t *testing.T) {
	for _, tc := range []struct {
		name string
		port int
		want float64
	}{
		{"default port", 0, 3306},
		{"custom port", 3307, 3307},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, sources, err := runIngress(t, &MySQLIngressArgs{
				SecurityGroupID: pulumi.String("sg-server"),
				ClientAddresses: clientAddresses(),
				Port:            tc.port,
			})
			require.NoError(t, err)
			for _, r := range m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
				assert.True(t, r.DeleteBeforeReplace, "%s: EC2 refuses a duplicate rule", r.Name)
			}
			_, ok := m.Named(MySQLIngressType, "ing")
			require.True(t, ok)

			rules := m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
			require.Len(t, rules, 2, "one rule per client")
			got := map[string]string{}
			for _, r := range rules {
				cidr, _ := mocktest.Str(r.Inputs, "cidrIpv4")
				got[r.Name] = cidr
				group, _ := mocktest.Str(r.Inputs, "securityGroupId")
				assert.Equal(t, "sg-server", group, "%s is on the server's group", r.Name)
				assert.Equal(t, tc.want, r.Inputs["fromPort"].NumberValue(), r.Name)
				assert.Equal(t, tc.want, r.Inputs["toPort"].NumberValue(), r.Name)
				proto, _ := mocktest.Str(r.Inputs, "ipProtocol")
				assert.Equal(t, "tcp", proto)
				assert.Contains(t, r.Parent, MySQLIngressType, "%s is parented to the component", r.Name)
			}
			assert.Equal(t, map[string]string{"ing-app1": "172.31.0.5/32", "ing-app2": "172.31.0.6/32"}, got,
				"each client's /32 and nothing else")
			assert.Equal(t, map[string]string{"app1": "172.31.0.5/32", "app2": "172.31.0.6/32"}, sources.Value)
		})
	}
}

func TestMySQLIngressInvalidArgsFailNamingTheField(t *testing.T) {
	cases := []struct {
		name  string
		args  *MySQLIngressArgs
		field string
	}{
		{"nil args", nil, "MySQLIngressArgs.SecurityGroupID"},
		{"no group", &MySQLIngressArgs{ClientAddresses: clientAddresses()}, "MySQLIngressArgs.SecurityGroupID"},
		{"no clients", &MySQLIngressArgs{SecurityGroupID: pulumi.String("sg-server")}, "MySQLIngressArgs.ClientAddresses"},
		{"empty clients", &MySQLIngressArgs{SecurityGroupID: pulumi.String("sg-server"), ClientAddresses: map[string]pulumi.StringInput{}}, "MySQLIngressArgs.ClientAddresses"},
		{"port too big", &MySQLIngressArgs{SecurityGroupID: pulumi.String("sg-server"), ClientAddresses: clientAddresses(), Port: 65536}, "MySQLIngressArgs.Port"},
		{"port negative", &MySQLIngressArgs{SecurityGroupID: pulumi.String("sg-server"), ClientAddresses: clientAddresses(), Port: -1}, "MySQLIngressArgs.Port"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := runIngress(t, tc.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.field+":")
			assert.Empty(t, m.Resources(), "nothing is registered")
		})
	}
}
