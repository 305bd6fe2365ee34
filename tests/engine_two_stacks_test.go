package tests

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/local"
	"github.com/mysql-client-server/mysql-client-server/components/stack"
)

// twoStacks is the stack of the two-ClientServers test.
const twoStacks = "twostacks"

// twoStacksPassword is each ClientServer's account password.
const twoStacksPassword = "two-stacks-Pw-0123"

// twoStackSubnets are the subnets of the test's ClientServers, by name.
var twoStackSubnets = map[string]string{"orders": "10.213.218.0/24", "billing": "10.213.219.0/24"}

// twoStacksProgram is an importer's program: one ClientServer per name in
// *names, each on a local platform of its own, with the library's default
// host names in both. Each one's outputs are exported as "<name>:<output>".
func twoStacksProgram(names *[]string, stateDir string, engine host.Engine) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		for _, name := range *names {
			cs, err := clientserver.New(ctx, name, &clientserver.Args{
				Platform: &local.Platform{
					Name: stack.Project + "/" + twoStacks + "/" + name, Subnet: twoStackSubnets[name], StateDir: stateDir,
				},
				Password:  pulumi.ToSecret(pulumi.String(twoStacksPassword)).(pulumi.StringOutput),
				Engine:    engine,
				NoBackups: true, // not what this test is about

			})
			if err != nil {
				return err
			}
			for k, v := range cs.Outputs() {
				ctx.Export(name+":"+k, v)
			}
		}
		return nil
	}
}

// outputsOf is one ClientServer's outputs out of the stack's.
func outputsOf(out auto.OutputMap, name string) auto.OutputMap {
	m := auto.OutputMap{}
	for k, v := range out {
		if rest, ok := strings.CutPrefix(k, name+":"); ok {
			m[rest] = v
		}
	}
	return m
}

// TestRealEngineTwoClientServersInOneProgram deploys an "orders" and a
// "billing" ClientServer in one program with the real engine: each has its
// own hosts, subnet, account and proofs, and neither's clients reach the
// other's server. Then billing is removed from the program: its hosts go,
// and orders keeps working with nothing of it changed.
func TestRealEngineTwoClientServersInOneProgram(t *testing.T) {
	stateDir := "/var/lib/mysql-client-server-test/" + t.Name()
	envs := map[string]*localEnv{}
	for name, subnet := range twoStackSubnets {
		envs[name] = &localEnv{t: t, stateDir: stateDir, platform: &local.Platform{
			Name: stack.Project + "/" + twoStacks + "/" + name, Subnet: subnet, StateDir: stateDir,
		}}
	}
	names := []string{"orders", "billing"}
	s := inlineStack(t, twoStacks, twoStacksProgram(&names, stateDir, host.Engine(testEngine(t))), stateDir,
		envs["orders"], envs["billing"])
	ctx := context.Background()
	up := func() auto.UpResult {
		t.Helper()
		uctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		res, err := s.Up(uctx, optup.ProgressStreams(testWriter(t)))
		require.NoError(t, err)
		return res
	}
	res := up()
	for _, name := range names {
		proveOneOfTwo(t, res.Outputs, name, envs[name])
	}
	orders, billing := plainOutputs(outputsOf(res.Outputs, "orders")), plainOutputs(outputsOf(res.Outputs, "billing"))
	// Each one's firewall admits its own clients only.
	bClient := billing["clientPublicAddresses"].(map[string]string)["mysql_client"]
	_, stderr, err := sshRun(t, bClient, billing["privateKey"].(string),
		"mysql --connect-timeout=3 -h "+orders["serverPrivateAddress"].(string)+" -u app -e 'SELECT 1'", "")
	require.Error(t, err, "billing's client must not reach orders' server")
	assert.Contains(t, stderr, "connect to", "refused at the network, not by a login")
	_, err = mysqlOnClient(t, orders, "mysql_client", "app", twoStacksPassword, "CREATE TABLE app.kept (id INT PRIMARY KEY); INSERT INTO app.kept VALUES (7)")
	require.NoError(t, err)

	// billing leaves the program: its hosts go, orders is left as it was.
	before := urnsOf(t, s, "orders")
	require.NotEmpty(t, before)
	names = []string{"orders"}
	res = up()
	changes := *res.Summary.ResourceChanges
	for op := range changes {
		assert.Contains(t, []string{"same", "delete"}, op, "nothing of orders changes: %v", changes)
	}
	assert.NotZero(t, changes["delete"], "billing's resources are deleted")
	assert.Empty(t, ownLeftovers(envs["billing"]), "nothing of billing is left on the machine")
	assert.NotEmpty(t, ownLeftovers(envs["orders"]), "orders' hosts are still there")
	assert.ElementsMatch(t, before, urnsOf(t, s, "orders"))
	got, err := mysqlOnClient(t, orders, "mysql_client", "app", twoStacksPassword, "SELECT id FROM app.kept")
	require.NoError(t, err, "orders keeps working")
	assert.Equal(t, "7", strings.TrimSpace(got))
}

// proveOneOfTwo checks one ClientServer's outputs: its client proved a login
// over TLS, from its own subnet, and its hosts are its own.
func proveOneOfTwo(t *testing.T, all auto.OutputMap, name string, e *localEnv) {
	t.Helper()
	out := outputsOf(all, name)
	require.NotEmpty(t, out, "%s's outputs", name)
	subnet := strings.TrimSuffix(twoStackSubnets[name], "0/24")
	assert.True(t, strings.HasPrefix(out["serverPrivateAddress"].Value.(string), subnet), "%s's server is on its subnet", name)
	proof := out["proofs"].Value.(map[string]any)["mysql_client"].(map[string]any)
	assert.Equal(t, "app@"+subnet+"11", proof["currentUser"], "%s's account is its client's", name)
	assert.NotEmpty(t, proof["tlsVersion"], "%s's login is over TLS", name)
	plain := plainOutputs(out)
	got, err := mysqlOnClient(t, plain, "mysql_client", "app", twoStacksPassword, "SELECT CURRENT_USER()")
	require.NoError(t, err, "%s's client logs in", name)
	assert.Equal(t, "app@"+subnet+"11", strings.TrimSpace(got))
	assert.NotEmpty(t, ownLeftovers(e), "%s's hosts are on the machine", name)
}

// ownLeftovers is what of one ClientServer's local platform is on the
// machine, where two share a state directory: what is named after the
// platform's id (netns, links, bridge, host directories and their sshd).
func ownLeftovers(e *localEnv) []string {
	id := strings.TrimPrefix(e.platform.Bridge(), "mcs-")
	var own []string
	for _, l := range e.leftovers() {
		if strings.Contains(l, id) {
			own = append(own, l)
		}
	}
	return own
}

// urnsOf lists the URNs of the stack's resources whose name says they are
// the named ClientServer's.
func urnsOf(t *testing.T, s auto.Stack, name string) []string {
	t.Helper()
	var urns []string
	for n, r := range stateOf(t, s) {
		if n == name || strings.HasPrefix(n, name+"-") || strings.Contains(n, "-"+name+"-") {
			urns = append(urns, r.URN)
		}
	}
	return urns
}
