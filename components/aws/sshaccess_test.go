package aws

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// TestInstanceSSHAccessIsTheHostsFirstStep: the ssh-access step gets the
// instance's address and both host keys' public halves in its environment,
// the private keys on stdin only, as a secret; its record is a secret and is
// not logged; it runs after the SSH rule, before Ready, and is replaced with
// the instance.
func TestInstanceSSHAccessIsTheHostsFirstStep(t *testing.T) {
	// The instance's two host keys, each generated once on the operator's
	// machine, unlogged: the user data's, for the first contact, and the one
	// ssh-access installs.
	m := mocktest.New(t)
	firstKey, pinnedKey := mocktest.NewPrivateKey(t), mocktest.NewPrivateKey(t)
	for name, key := range map[string]string{"srv-host-key": firstKey, "srv-sshd-key": pinnedKey} {
		m.On(mocktest.LocalCommand, name, func(args pulumi.MockResourceArgs) (string, error) {
			assert.Equal(t, resource.NewStringProperty("none"), args.Inputs["logging"], "%s is not logged", name)
			assert.Contains(t, args.RegisterRPC.GetIgnoreChanges(), "create", "%s is generated once", name)
			return key, nil
		})
	}
	m, hv, _ := runInstanceOn(t, m, instanceArgs())
	access, ok := m.Named("command:local:Command", "srv-ssh-access")
	require.True(t, ok, "the instance has an ssh-access step")
	vm, ok := m.Named("aws:ec2/instance:Instance", "srv")
	require.True(t, ok)
	assert.True(t, strings.HasSuffix(access.Parent, InstanceType+"::srv"), "a child of the Instance, so Ready waits for it")
	for _, dep := range []string{"aws:ec2/instance:Instance::srv", "vpc/securityGroupIngressRule:SecurityGroupIngressRule::srv-ssh"} {
		assert.True(t, hasDependency(access, dep), "after %s: %v", dep, access.Dependencies)
	}

	create, _ := mocktest.Str(access.Inputs, "create")
	assert.Equal(t, script(sshAccessScript), create)
	env, ok := mocktest.Object(access.Inputs, "environment")
	require.True(t, ok)
	assert.False(t, access.Inputs["environment"].IsSecret(), "nothing secret in the environment")
	got := map[string]string{}
	for k, v := range env {
		require.False(t, v.IsSecret(), "%s is no secret", k)
		got[string(k)] = v.StringValue()
	}
	assert.Equal(t, map[string]string{
		"MCS_SSH_ADDRESS":    vm.State["publicIp"].StringValue(),
		"MCS_SSH_PORT":       "22",
		"MCS_SSH_USER":       DefaultUser,
		"MCS_FIRST_HOST_KEY": publicOf(t, firstKey),
		"MCS_HOST_KEY":       publicOf(t, pinnedKey),
		"MCS_HOST_SCRIPT":    script(sshAccessHostScript),
	}, got)
	assert.Len(t, sshAccessEnv, len(got), "the script's environment, as sshAccessEnv lists it")
	for _, k := range sshAccessEnv {
		assert.Contains(t, got, k)
	}

	require.True(t, access.Inputs["stdin"].IsSecret(), "the private keys go on stdin, as a secret")
	stdin, _ := mocktest.Str(access.Inputs, "stdin")
	assert.Equal(t, "PRIVATE KEY\n"+strings.TrimSpace(pinnedKey)+"\n", stdin,
		"the stack's current key, then the host key to install")
	assert.Equal(t, resource.NewStringProperty("stderr"), access.Inputs["logging"], "stdout, the record, is not logged")
	assert.Contains(t, access.AdditionalSecretOutputs, "stdout")
	assert.True(t, access.State["stdout"].IsSecret(), "the record holds the authorized private key: a secret")
	assert.True(t, access.Inputs["addPreviousOutputInEnv"].BoolValue(), "an update gets the previous record")
	triggers := access.Inputs["triggers"].ArrayValue()
	require.Len(t, triggers, 1)
	assert.Equal(t, "i-00000000000000001", triggers[0].StringValue(), "replaced with the instance: a new one is a first contact")
	assert.Contains(t, access.ReplaceOnChanges, "triggers[*]")

	assert.Equal(t, publicOf(t, pinnedKey), hv.hostKey.Value, "every connection pins the key ssh-access installs")
	assert.False(t, hv.hostKey.Secret, "make ssh reads it from hostKeys")
}

// TestInstanceUserDataHoldsOnlyTheFirstHostKey: the key every connection
// pins is never in the user data (readable from IMDS and through
// ec2:DescribeInstanceAttribute).
func TestInstanceUserDataHoldsOnlyTheFirstHostKey(t *testing.T) {
	m, hv, _ := runInstance(t, instanceArgs())
	vm, ok := m.Named("aws:ec2/instance:Instance", "srv")
	require.True(t, ok)
	data, _ := mocktest.Str(vm.Inputs, "userData")
	assert.NotContains(t, data, hv.hostKey.Value.(string), "not the pinned key's public half")
	for _, line := range keyLines(m.SSHDPrivateKey) {
		assert.NotContains(t, data, line, "no line of the pinned key's private half")
	}
	assert.Contains(t, data, publicOf(t, m.HostPrivateKey))
}

func hasDependency(r mocktest.Resource, suffix string) bool {
	for _, d := range r.Dependencies {
		if strings.HasSuffix(d, suffix) {
			return true
		}
	}
	return false
}

// keyLines are the lines of an OpenSSH private key that are its own: not
// the armour, nor the first, which every unencrypted ed25519 key shares.
func keyLines(private string) []string {
	lines := strings.Split(strings.TrimSpace(private), "\n")
	if len(lines) < 4 {
		return lines
	}
	return lines[2 : len(lines)-1]
}
