package aws

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

func TestPlatformValidate(t *testing.T) {
	valid := func(edit func(*Platform)) *Platform {
		p := &Platform{OperatorCIDR: operatorCIDR}
		if edit != nil {
			edit(p)
		}
		return p
	}
	cases := []struct {
		name   string
		p      *Platform
		key    string // "" when the settings are valid
		expect string
	}{
		{"minimal", valid(nil), "", ""},
		{"all set", valid(func(p *Platform) {
			p.AMI, p.InstanceType, p.SubnetID, p.VpcID = "ami-0123456789abcdef0", "t3.micro", "subnet-0123456789abcdef0", "vpc-0123abcd"
		}), "", ""},
		{"8-digit ami", valid(func(p *Platform) { p.AMI = "ami-0123abcd" }), "", ""},
		{"a network, not a host", valid(func(p *Platform) { p.OperatorCIDR = "198.51.100.0/24" }), "", ""},
		{"anywhere when allowed", valid(func(p *Platform) { p.OperatorCIDR, p.AllowSSHFromAnywhere = "0.0.0.0/0", true }), "", ""},
		{"operator cidr missing", valid(func(p *Platform) { p.OperatorCIDR = "" }), "operatorCidr", "required"},
		{"operator cidr bare address", valid(func(p *Platform) { p.OperatorCIDR = "198.51.100.7" }), "operatorCidr", "a.b.c.d/n"},
		{"operator cidr ipv6", valid(func(p *Platform) { p.OperatorCIDR = "2001:db8::/64" }), "operatorCidr", "a.b.c.d/n"},
		{"operator cidr host bits", valid(func(p *Platform) { p.OperatorCIDR = "198.51.100.7/24" }), "operatorCidr", "198.51.100.0/24"},
		{"operator cidr anywhere", valid(func(p *Platform) { p.OperatorCIDR = "0.0.0.0/0" }), "operatorCidr", "whole internet"},
		{"operator cidr half of ipv4", valid(func(p *Platform) { p.OperatorCIDR = "0.0.0.0/1" }), "operatorCidr", "2147483648 addresses: expected a /16 or narrower"},
		{"operator cidr a /8", valid(func(p *Platform) { p.OperatorCIDR = "10.0.0.0/8" }), "operatorCidr", "/16 or narrower"},
		{"operator cidr a /15", valid(func(p *Platform) { p.OperatorCIDR = "198.18.0.0/15" }), "operatorCidr", "131072 addresses"},
		{"operator cidr a /16", valid(func(p *Platform) { p.OperatorCIDR = "198.51.0.0/16" }), "", ""},
		{"operator cidr wide when allowed", valid(func(p *Platform) { p.OperatorCIDR, p.AllowSSHFromAnywhere = "0.0.0.0/1", true }), "", ""},
		{"ami too short", valid(func(p *Platform) { p.AMI = "ami-123" }), "ami", "8 or 17 hex digits"},
		{"ami upper case", valid(func(p *Platform) { p.AMI = "ami-0123ABCD" }), "ami", "8 or 17 hex digits"},
		{"ami name", valid(func(p *Platform) { p.AMI = "ubuntu-jammy" }), "ami", "8 or 17 hex digits"},
		{"instance type no size", valid(func(p *Platform) { p.InstanceType = "micro" }), "instanceType", "family.size"},
		{"instance type upper case", valid(func(p *Platform) { p.InstanceType = "T2.micro" }), "instanceType", "family.size"},
		{"subnet wrong form", valid(func(p *Platform) { p.SubnetID, p.VpcID = "sub-1", "vpc-0123abcd" }), "subnetId", "hex digits"},
		{"vpc wrong form", valid(func(p *Platform) { p.SubnetID, p.VpcID = "subnet-0123abcd", "vpc-xyz" }), "vpcId", "hex digits"},
		{"subnet without vpc", valid(func(p *Platform) { p.SubnetID = "subnet-0123abcd" }), "subnetId", "both or neither"},
		{"vpc without subnet", valid(func(p *Platform) { p.VpcID = "vpc-0123abcd" }), "vpcId", "both or neither"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if tc.key == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), tc.key+": "), "the error names the key: %v", err)
			assert.Contains(t, err.Error(), tc.expect)
		})
	}
}

func TestPlatformMakesOneInstancePerSpecAndOpensMySQLOnTheServerGroup(t *testing.T) {
	m := mocktest.New(t)
	p := &Platform{OperatorCIDR: operatorCIDR, AMI: givenAMI, InstanceType: "t3.small"}
	require.NoError(t, p.Validate())
	var serverPrivate, clientPrivate mocktest.Awaited
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		parent, err := newParent(ctx, "cs") // a ClientServer "cs"
		if err != nil {
			return err
		}
		keys := testKeys()
		hosts, err := p.NewHosts(ctx, parent, keys, []host.Spec{
			{Name: "mysql_server", Role: host.RoleServer}, {Name: "mysql_client", Role: host.RoleClient},
		})
		if err != nil {
			return err
		}
		if len(hosts) != 2 {
			return fmt.Errorf("got %d hosts, expected 2", len(hosts))
		}
		assert.Equal(t, "mysql_server", hosts[0].Name, "the host keeps its name; its resources are named after the parent")
		assert.Equal(t, host.RoleClient, hosts[1].Role)
		if _, err := p.NewIngress(ctx, parent, hosts[0], hosts[1:], 3306, false); err != nil {
			return err
		}
		if serverPrivate, err = mocktest.Await(ctx, hosts[0].PrivateAddress); err != nil {
			return err
		}
		clientPrivate, err = mocktest.Await(ctx, hosts[1].PrivateAddress)
		return err
	})
	require.NoError(t, err)

	kp, ok := m.Named("aws:ec2/keyPair:KeyPair", "cs-client-server")
	require.True(t, ok, "the stack's key is registered with EC2, under the parent's name")
	pub, _ := mocktest.Str(kp.Inputs, "publicKey")
	assert.Equal(t, testPublicKey, pub)
	comp, ok := m.Named(KeyPairType, "cs-client-server")
	require.True(t, ok)
	assert.Equal(t, []mocktest.Alias{{Name: "mysql-client-server"}}, comp.Aliases, "the key pair adopts the one an earlier version made")
	prefix, _ := mocktest.Str(kp.Inputs, "keyNamePrefix")
	assert.Equal(t, "mysql-client-server-", prefix, "and keeps its EC2 name's prefix, which EC2 cannot change in place")

	assert.Empty(t, amiLookups(m), "the configured AMI is used, no lookup")
	insts := m.OfType("aws:ec2/instance:Instance")
	require.Len(t, insts, 2)
	for _, vm := range insts {
		ami, _ := mocktest.Str(vm.Inputs, "ami")
		assert.Equal(t, givenAMI, ami)
		itype, _ := mocktest.Str(vm.Inputs, "instanceType")
		assert.Equal(t, "t3.small", itype)
		key, _ := mocktest.Str(vm.Inputs, "keyName")
		assert.Equal(t, "cs-client-server-key", key, "instances use the registered key pair")
	}
	for name, old := range map[string]string{"cs-mysql_server": "mysql_server", "cs-mysql_client": "mysql_client"} {
		inst, ok := m.Named(InstanceType, name)
		require.True(t, ok, "the host's instance is named after the parent: %s", name)
		assert.Equal(t, []mocktest.Alias{{Name: old}}, inst.Aliases, "%s adopts %s", name, old)
	}
	assert.NotEqual(t, serverPrivate.Value, clientPrivate.Value)

	var mysqlRules []mocktest.Resource
	for _, r := range m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		if r.Inputs["fromPort"].NumberValue() == 3306 {
			mysqlRules = append(mysqlRules, r)
		}
	}
	require.Len(t, mysqlRules, 1, "one MySQL rule for the one client")
	cidr, _ := mocktest.Str(mysqlRules[0].Inputs, "cidrIpv4")
	assert.Equal(t, clientPrivate.Value.(string)+"/32", cidr)
	group, _ := mocktest.Str(mysqlRules[0].Inputs, "securityGroupId")
	assert.Equal(t, "sg-cs-mysql_server-sg", group, "opened on the server's group, not the client's")
}

func TestPlatformIngressRejectsAForeignServer(t *testing.T) {
	m := mocktest.New(t)
	p := &Platform{OperatorCIDR: operatorCIDR}
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		foreign := &host.Host{Name: "elsewhere", PrivateAddress: pulumi.String("10.0.0.1").ToStringOutput()}
		_, err := p.NewIngress(ctx, nil, foreign, []*host.Host{foreign}, 3306, false)
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not made by this platform")
	assert.Empty(t, m.Resources())
}

// TestPlatformReplicaIngressIsOnTheReplicasOwnGroup: a replica's MySQL
// rules go on its own security group, under names of its own, from the
// given clients only; the replica instance is not protected (its data is
// the primary's, seeded again on a new one). Under a parent named "mysql"
// (the stack's ClientServer) every name is the one an earlier version gave;
// under another, each is named after the parent and adopts the old one.
func TestPlatformReplicaIngressIsOnTheReplicasOwnGroup(t *testing.T) {
	for _, parentName := range []string{"mysql", "cs"} {
		t.Run(parentName, func(t *testing.T) {
			testReplicaIngressUnder(t, parentName)
		})
	}
}

func testReplicaIngressUnder(t *testing.T, parentName string) {
	m := mocktest.New(t)
	p := &Platform{OperatorCIDR: operatorCIDR, AMI: givenAMI}
	require.NoError(t, p.Validate())
	var clientPrivate, replicaPrivate mocktest.Awaited
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		parent, err := newParent(ctx, parentName)
		if err != nil {
			return err
		}
		keys := testKeys()
		hosts, err := p.NewHosts(ctx, parent, keys, []host.Spec{
			{Name: "mysql_server", Role: host.RoleServer}, {Name: "mysql_client", Role: host.RoleClient},
			{Name: "mysql_replica_1", Role: host.RoleReplica},
		})
		if err != nil {
			return err
		}
		server, client, replica := hosts[0], hosts[1], hosts[2]
		assert.Equal(t, host.RoleReplica, replica.Role)
		if _, err := p.NewIngress(ctx, parent, server, []*host.Host{client, replica}, 3306, false); err != nil {
			return err
		}
		if _, err := p.NewIngress(ctx, parent, replica, []*host.Host{client}, 3306, false); err != nil {
			return err
		}
		if clientPrivate, err = mocktest.Await(ctx, client.PrivateAddress); err != nil {
			return err
		}
		replicaPrivate, err = mocktest.Await(ctx, replica.PrivateAddress)
		return err
	})
	require.NoError(t, err)

	// hostName is a host's resource name: its own when it starts with the
	// parent's ("mysql_server" under "mysql"), else prefixed.
	hostName := func(h string) string {
		if strings.HasPrefix(h, parentName+"_") {
			return h
		}
		return parentName + "-" + h
	}
	// aliases are what a resource an earlier version named old adopts.
	aliases := func(name, old string) []mocktest.Alias {
		if name == old {
			return nil
		}
		return []mocktest.Alias{{Name: old}}
	}
	primaryIngress, replicaIngress := parentName+"-ingress", "mysql_replica_1-"+parentName+"-ingress"
	in, ok := m.Named(MySQLIngressType, primaryIngress)
	require.True(t, ok, "the primary's ingress is named after the parent")
	assert.Equal(t, aliases(primaryIngress, "mysql-ingress"), in.Aliases, "and keeps the name an earlier version gave it")
	in, ok = m.Named(MySQLIngressType, replicaIngress)
	require.True(t, ok, "the replica's ingress is named after it")
	assert.Equal(t, aliases(replicaIngress, "mysql_replica_1-mysql-ingress"), in.Aliases)
	_, ok = m.Named("aws:ec2/securityGroup:SecurityGroup", hostName("mysql_replica_1")+"-sg")
	require.True(t, ok, "the replica has its own security group")

	byGroup := map[string]map[string]string{} // group -> rule name -> CIDR
	for _, r := range m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		if r.Inputs["fromPort"].NumberValue() != 3306 {
			continue
		}
		group, _ := mocktest.Str(r.Inputs, "securityGroupId")
		cidr, _ := mocktest.Str(r.Inputs, "cidrIpv4")
		if byGroup[group] == nil {
			byGroup[group] = map[string]string{}
		}
		byGroup[group][r.Name] = cidr
		if strings.HasPrefix(r.Name, replicaIngress) {
			assert.Contains(t, r.Parent, MySQLIngressType+"::"+replicaIngress)
		}
	}
	assert.Equal(t, map[string]map[string]string{
		"sg-" + hostName("mysql_server") + "-sg": {
			primaryIngress + "-mysql_client":    clientPrivate.Value.(string) + "/32",
			primaryIngress + "-mysql_replica_1": replicaPrivate.Value.(string) + "/32",
		},
		"sg-" + hostName("mysql_replica_1") + "-sg": {
			replicaIngress + "-mysql_client": clientPrivate.Value.(string) + "/32",
		},
	}, byGroup, "the primary admits the client and the replica; the replica, on its own group, the client only")

	protected := map[string]bool{}
	for _, vm := range m.OfType("aws:ec2/instance:Instance") {
		protected[vm.Name] = vm.Protect
	}
	assert.Equal(t, map[string]bool{hostName("mysql_server"): true, hostName("mysql_client"): false, hostName("mysql_replica_1"): false},
		protected, "only the primary is protected")
}

// parentComponent stands for the component that composes the platform's
// resources (a ClientServer), whose name theirs derive from.
type parentComponent struct{ pulumi.ResourceState }

func newParent(ctx *pulumi.Context, name string) (pulumi.Resource, error) {
	p := &parentComponent{}
	return p, ctx.RegisterComponentResource("test:index:Parent", name, p)
}

// testKeys is the stack's key pair as the platform receives it, in these
// tests.
func testKeys() host.KeyMaterial {
	return host.KeyMaterial{
		PublicKey:  pulumi.String(testPublicKey).ToStringOutput(),
		PrivateKey: pulumi.ToSecret(pulumi.String("PRIVATE KEY")).(pulumi.StringOutput),
	}
}
