package stack

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/aws"
	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// Two ClientServers on AWS in one program, with the default host names:
// every URN is unique, and each has its own key pair, instances, security
// groups and accounts, named after it.
func TestAWSTwoClientServersInOneProgram(t *testing.T) {
	m := mocktest.New(t)
	names := []string{"orders", "billing"}
	outs := map[string]map[string]mocktest.Awaited{}
	require.NoError(t, mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		for _, name := range names {
			cs, err := clientserver.New(ctx, name, &clientserver.Args{
				Platform: &aws.Platform{OperatorCIDR: "203.0.113.7/32"},
				Replicas: 1,
			})
			if err != nil {
				return err
			}
			outs[name] = map[string]mocktest.Awaited{}
			for k, o := range cs.Outputs() {
				a, err := mocktest.Await(ctx, pulumi.ToOutput(o))
				if err != nil {
					return err
				}
				outs[name][k] = a
			}
		}
		return nil
	}), "no duplicate URN")
	urns := map[string]bool{}
	for _, r := range m.Resources() {
		assert.False(t, urns[r.URN], "one resource per URN: %s", r.URN)
		urns[r.URN] = true
	}
	for _, name := range names {
		own := func(token string) []string {
			var n []string
			for _, r := range m.OfType(token) {
				if strings.HasPrefix(r.Name, name+"-") {
					n = append(n, r.Name)
				}
			}
			return n
		}
		assert.Len(t, own("aws:ec2/keyPair:KeyPair"), 1, "%s has its key pair", name)
		assert.Len(t, own("aws:ec2/instance:Instance"), 3, "%s has its server, client and replica", name)
		assert.Len(t, own("aws:ec2/securityGroup:SecurityGroup"), 3, "%s's instances have groups of their own", name)
		_, ok := m.Named("command:remote:Command", "mysql_client-"+name+"-user-account")
		assert.True(t, ok, "%s's account for its client", name)
	}
	assert.NotEqual(t, outs["orders"]["serverPrivateAddress"].Value, outs["billing"]["serverPrivateAddress"].Value,
		"each has a server of its own")
}
