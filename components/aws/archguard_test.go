package aws

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// TestInstanceIsGuardedAgainstAnArchitectureChange: the instance depends on
// its arch guard, which gets the type, its architecture and the given AMI.
func TestInstanceIsGuardedAgainstAnArchitectureChange(t *testing.T) {
	for _, tc := range []struct {
		name, itype, ami, arch string
	}{
		{"default type, looked-up image", "", "", "x86_64"},
		{"graviton, given image", "t4g.micro", givenAMI, "arm64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := instanceArgs()
			if tc.itype != "" {
				args.InstanceType = pulumi.String(tc.itype)
			}
			if tc.ami != "" {
				args.AMI = pulumi.String(tc.ami)
			}
			m, _, _ := runInstance(t, args)
			guard, ok := m.Named("command:local:Command", "srv-arch-guard")
			require.True(t, ok, "the instance has an arch guard")
			assert.True(t, strings.HasSuffix(guard.Parent, InstanceType+"::srv"))
			create, _ := mocktest.Str(guard.Inputs, "create")
			assert.Equal(t, script(archGuardScript), create)
			env, ok := mocktest.Object(guard.Inputs, "environment")
			require.True(t, ok)
			want := map[string]string{"MCS_INSTANCE": "mysql_server", "MCS_INSTANCE_TYPE": DefaultInstanceType, "MCS_ARCH": tc.arch, "MCS_AMI": tc.ami}
			if tc.itype != "" {
				want["MCS_INSTANCE_TYPE"] = tc.itype
			}
			got := map[string]string{}
			for k := range env {
				got[string(k)], _ = mocktest.Str(env, string(k))
			}
			assert.Equal(t, want, got)
			assert.True(t, guard.Inputs["addPreviousOutputInEnv"].BoolValue(), "an update sees the previous record")
			vm, ok := m.Named("aws:ec2/instance:Instance", "srv")
			require.True(t, ok)
			assert.Contains(t, vm.Dependencies, "urn:pulumi:test::mysql-client-server::"+InstanceType+"$command:local:Command::srv-arch-guard",
				"the guard runs before the instance is created or changed")
		})
	}
}

// guardRun runs arch-guard.sh as pulumi-command does, with previous as
// PULUMI_COMMAND_STDOUT (none when "").
func guardRun(t *testing.T, itype, ami, previous string) (record, stderr string, err error) {
	t.Helper()
	cmd := exec.Command("/bin/bash", "-c", script(archGuardScript))
	cmd.Env = append(os.Environ(), "MCS_INSTANCE=mysql_server", "MCS_INSTANCE_TYPE="+itype, "MCS_ARCH="+Architecture(itype), "MCS_AMI="+ami)
	if previous != "" {
		cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDOUT="+previous)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return strings.TrimSuffix(out.String(), "\n"), errOut.String(), err
}

// TestArchGuardRefusesAnArchitectureChangeThatKeepsTheImage runs the guard's
// script for real, through a create and the updates that follow.
func TestArchGuardRefusesAnArchitectureChangeThatKeepsTheImage(t *testing.T) {
	x86, stderr, err := guardRun(t, "t3.micro", "", "")
	require.NoError(t, err, "a create accepts: %s", stderr)
	assert.Equal(t, "instanceType=t3.micro arch=x86_64 ami=", x86)

	_, stderr, err = guardRun(t, "t4g.micro", "", x86)
	require.Error(t, err, "x86_64 to arm64 on the looked-up x86 image")
	for _, want := range []string{"instanceType: t3.micro -> t4g.micro", "from x86_64 to arm64", "Nothing was changed",
		"an instanceType of the x86_64", "ami set to an image of arm64", "allowServerDelete"} {
		assert.Contains(t, stderr, want)
	}

	given, _, err := guardRun(t, "t3.micro", givenAMI, x86)
	require.NoError(t, err, "an explicit ami, same architecture")
	_, stderr, err = guardRun(t, "t4g.micro", givenAMI, given)
	require.Error(t, err, "the same explicit ami stays: refused")
	assert.Contains(t, stderr, "its image ("+givenAMI+") stays")

	arm, stderr, err := guardRun(t, "t4g.micro", "ami-0fedcba9876543210", given)
	require.NoError(t, err, "a new ami of the new architecture replaces the instance: allowed")
	assert.Contains(t, stderr, "replaced with that image")
	assert.Equal(t, "instanceType=t4g.micro arch=arm64 ami=ami-0fedcba9876543210", arm)

	_, stderr, err = guardRun(t, "m7g.large", "ami-0fedcba9876543210", arm)
	require.NoError(t, err, "within one architecture")
	assert.Contains(t, stderr, "EC2 stops mysql_server, changes its type and starts it again", "the log says the host is down meanwhile")
	assert.Contains(t, stderr, "it is down meanwhile")

	_, stderr, err = guardRun(t, "t4g.micro", "", "")
	require.NoError(t, err, "an instance made before the guard: its first run has no record and accepts (%s)", stderr)

	_, stderr, err = guardRun(t, "t3.micro", "", "something else")
	require.Error(t, err)
	assert.Contains(t, stderr, "not an arch-guard record")
}
