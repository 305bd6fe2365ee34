package aws

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// forceNew are the pulumi-aws inputs whose change replaces the resource.
var forceNew = mocktest.ReplaceOn{
	"aws:ec2/instance:Instance":           {"ami", "keyName", "subnetId", "availabilityZone"},
	"aws:ec2/keyPair:KeyPair":             {"publicKey", "keyName", "keyNamePrefix"},
	"aws:ec2/securityGroup:SecurityGroup": {"vpcId", "name", "namePrefix", "description"},
}

// keyPairName and keyPairURN are the EC2 key pair's of hosts made at the
// top level (no parent), as runHosts makes them.
const keyPairName, keyPairURN = "client-server", "aws:ec2/keyPair:KeyPair::" + keyPairName

// runHosts makes a server and a client with p under m, with the stack's
// key private.
func runHosts(t *testing.T, m *mocktest.Mocks, p *Platform, private string) {
	t.Helper()
	keys := host.KeyMaterial{
		PublicKey:  pulumi.String(publicOf(t, private)).ToStringOutput(),
		PrivateKey: pulumi.ToSecret(pulumi.String(private)).(pulumi.StringOutput),
	}
	require.NoError(t, mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		_, err := p.NewHosts(ctx, nil, keys, []host.Spec{{Name: "mysql_server", Role: host.RoleServer}, {Name: "mysql_client", Role: host.RoleClient}})
		return err
	}))
}

// byURN indexes a plan.
func byURN(plan []mocktest.Change) map[string]mocktest.Change {
	out := map[string]mocktest.Change{}
	for _, c := range plan {
		out[c.URN] = c
	}
	return out
}

// TestKeyRotationReplacesTheKeyPairOnly: a new stack key replaces the EC2
// key pair (a new one first: its name comes from the prefix) and no
// instance; each instance's ssh-access step runs again with the new key.
func TestKeyRotationReplacesTheKeyPairOnly(t *testing.T) {
	p := &Platform{OperatorCIDR: operatorCIDR}
	before := mocktest.New(t)
	runHosts(t, before, p, mocktest.NewPrivateKey(t))
	after := before.NextRun()
	runHosts(t, after, p, mocktest.NewPrivateKey(t))

	plan := mocktest.Plan(before.Resources(), after.Resources(), forceNew)
	var replaced []string
	for _, c := range plan {
		if c.Replace {
			replaced = append(replaced, c.URN)
		}
	}
	assert.Equal(t, []string{keyPairURN}, replaced, "the key pair only")
	changes := byURN(plan)
	kp := changes[keyPairURN]
	assert.Equal(t, []string{"publicKey"}, kp.Fields)
	assert.False(t, kp.DeleteFirst, "the new key pair is made first, under a new name")
	for _, name := range []string{"mysql_server", "mysql_client"} {
		_, touched := changes["aws:ec2/instance:Instance::"+name]
		assert.False(t, touched, "%s is neither replaced nor updated (stopped)", name)
		access, ok := changes["command:local:Command::"+name+"-ssh-access"]
		require.True(t, ok, "%s's ssh-access runs again", name)
		assert.False(t, access.Replace, "an update: it gets its previous record, with the old key")
		assert.Equal(t, []string{"stdin"}, access.Fields, "the new key, on stdin")
	}

	// The same rotation, had the instances not ignored keyName: the new
	// key pair's name (unknown until it is made) would replace them.
	var unignored []mocktest.Resource
	for _, r := range after.Resources() {
		if r.Type == "aws:ec2/instance:Instance" {
			r.IgnoreChanges = nil
		}
		unignored = append(unignored, r)
	}
	changes = byURN(mocktest.Plan(before.Resources(), unignored, forceNew))
	for _, name := range []string{"mysql_server", "mysql_client"} {
		vm := changes["aws:ec2/instance:Instance::"+name]
		assert.True(t, vm.Replace, "%s", name)
		assert.Equal(t, []string{"keyName"}, vm.Fields)
		assert.True(t, changes["command:local:Command::"+name+"-ssh-access"].Replace, "and its ssh-access with it")
	}
}

// TestANewAMIReplacesTheInstanceAndItsSSHAccess: setting another ami
// replaces the instances; their ssh-access steps are replaced with them (a
// new instance boots with the user-data host key: a first contact again).
func TestANewAMIReplacesTheInstanceAndItsSSHAccess(t *testing.T) {
	key := mocktest.NewPrivateKey(t)
	before := mocktest.New(t)
	runHosts(t, before, &Platform{OperatorCIDR: operatorCIDR, AMI: givenAMI}, key)
	after := before.NextRun()
	runHosts(t, after, &Platform{OperatorCIDR: operatorCIDR, AMI: "ami-0fedcba9876543210"}, key)

	changes := byURN(mocktest.Plan(before.Resources(), after.Resources(), forceNew))
	for _, name := range []string{"mysql_server", "mysql_client"} {
		vm := changes["aws:ec2/instance:Instance::"+name]
		assert.True(t, vm.Replace, "%s", name)
		assert.Contains(t, vm.Fields, "ami")
		access := changes["command:local:Command::"+name+"-ssh-access"]
		assert.True(t, access.Replace, "%s's ssh-access is replaced with it", name)
		assert.Contains(t, access.Fields, "triggers", "the new instance id")
	}
	_, ok := changes[keyPairURN]
	assert.False(t, ok, "the key pair stays")
	_, ok = after.Named("aws:ec2/keyPair:KeyPair", keyPairName)
	assert.True(t, ok, "the key pair is the one both runs make")
}

// TestNoPrivateKeyInAPlainInput: the stack's key and both host keys appear
// in no input that is not a secret.
func TestNoPrivateKeyInAPlainInput(t *testing.T) {
	m := mocktest.New(t)
	key := mocktest.NewPrivateKey(t)
	runHosts(t, m, &Platform{OperatorCIDR: operatorCIDR}, key)
	for _, r := range m.Resources() {
		for path, v := range mocktest.PlainStrings(r.Inputs) {
			for name, private := range map[string]string{"the stack's key": key, "the user-data host key": m.HostPrivateKey,
				"the pinned host key": m.SSHDPrivateKey} {
				for _, line := range keyLines(private) {
					require.NotContains(t, v, line, "%s of %s is in the plain input %s", name, r.URN, path)
				}
			}
		}
	}
}
