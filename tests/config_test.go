package tests

import (
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/stack"
	"github.com/mysql-client-server/mysql-client-server/tests/harness"
)

// A local subnet that overlaps a route this machine already has is refused
// before anything is created. The route is made for the test.
func TestLocalSubnetOverlappingARouteIsRejected(t *testing.T) {
	requireRoot(t)
	for _, args := range [][]string{
		{"link", "add", "mcsovl0", "type", "veth", "peer", "name", "mcsovl1"},
		{"addr", "add", "10.213.207.1/24", "dev", "mcsovl0"},
		{"link", "set", "mcsovl0", "up"},
	} {
		out, err := exec.Command("ip", args...).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", "mcsovl0").Run() })

	cfg, err := stack.EngineConfig("../Pulumi.yaml", map[string]string{"platform": "local", "localSubnet": "10.213.207.0/24"})
	require.NoError(t, err)
	b, _ := json.Marshal(cfg)
	t.Setenv("PULUMI_CONFIG", string(b))
	m := harness.New()
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := stack.Build(ctx)
		return err
	}, pulumi.WithMocks("mysql-client-server", stackName, m))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "mysql-client-server:localSubnet")
	assert.Contains(t, err.Error(), "overlaps the route 10.213.207.0/24 on mcsovl0")
	assert.Contains(t, err.Error(), "expected a subnet this machine does not use")
	assert.Empty(t, m.Records(), "nothing ran")
}
