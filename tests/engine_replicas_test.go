package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plainOutputs turns the stack's outputs into the plain map the local
// tests' helpers (sqlOn, onReplica, onClient) read.
func plainOutputs(out auto.OutputMap) map[string]any {
	strs := func(k string) map[string]string {
		m := map[string]string{}
		if v, ok := out[k].Value.(map[string]any); ok {
			for name, a := range v {
				m[name] = a.(string)
			}
		}
		return m
	}
	return map[string]any{
		"serverPublicAddress":     out["serverPublicAddress"].Value,
		"serverPrivateAddress":    out["serverPrivateAddress"].Value,
		"clientPublicAddresses":   strs("clientPublicAddresses"),
		"replicaPrivateAddresses": strs("replicaPrivateAddresses"),
		"privateKey":              out["privateKey"].Value,
		"hostKeys":                strs("hostKeys"),
	}
}

// TestRealEngineReplicas deploys two clients and two replicas with the real
// Pulumi CLI and engine, from a stack whose config is what a user sets, and
// works the replicas as a user would: reads through them, make verify, a
// failure in each layer and its diagnosis, scaling down and up again, and
// the teardown.
func TestRealEngineReplicas(t *testing.T) {
	const subnet = "10.213.213.0/24"
	e := newRealEngine(t, subnet, "engine-Replica-password-1")
	e.base["replicas"] = auto.ConfigValue{Value: "2"}
	e.restoreConfig("replicas")
	e.setConfig("clients[0]", "mysql_client", "--path")
	e.setConfig("clients[1]", "mysql_client2", "--path")
	const (
		primary  = "10.213.213.10"
		replica1 = "10.213.213.254"
		replica2 = "10.213.213.253"
	)

	res, err := e.up()
	require.NoError(t, err, "cold pulumi up with two clients and two replicas")
	out := res.Outputs
	created := (*res.Summary.ResourceChanges)["create"]
	t.Logf("cold up: %d resources created", created)
	assert.Len(t, out, 26, "the 22 outputs, replicaPrivateAddresses, replicaMysqlCommands, readerEndpoints and backupPassphrase")
	assert.Equal(t, []any{replica1 + ":3306", replica2 + ":3306"}, out["readerEndpoints"].Value, "the replicas' endpoints, by number")
	assert.Equal(t, map[string]any{"mysql_replica_1": replica1, "mysql_replica_2": replica2}, out["replicaPrivateAddresses"].Value)
	assert.Equal(t, map[string]any{
		"mysql_client":  "mysql -h " + replica1 + " -P 3306 -u 'app' -p 'app'",
		"mysql_client2": "mysql -h " + replica2 + " -P 3306 -u 'app' -p 'app'",
	}, out["replicaMysqlCommands"].Value, "the clients take the replicas in turn")
	proofs := out["proofs"].Value.(map[string]any)
	for name, addr := range map[string]string{"mysql_replica_1": replica1, "mysql_replica_2": replica2} {
		p := proofs[name].(map[string]any)
		assert.Equal(t, primary+":3306", p["source"], name)
		assert.Regexp(t, `^TLSv1\.[23]$`, p["tlsVersion"], name)
		assert.Regexp(t, facts(t).gtidPosition, p["gtidPosition"], name)
		assert.Equal(t, addr, p["address"], name)
		assert.Equal(t, true, p["readOnly"], name)
		assert.Regexp(t, `^[0-9]+$`, fmt.Sprint(p["lagMs"]), name)
		assert.Equal(t, "closed (timeout)", p["operatorCheck"], "%s's 3306 is closed to the operator", name)
		t.Logf("%s: %v", name, p)
	}
	plain := plainOutputs(out)

	t.Run("a client reads from its replica, and make ssh reaches a replica", func(t *testing.T) {
		got, err := e.make("mysql -h "+replica2+" -N -e 'SELECT @@server_id, CURRENT_USER()'\n", "-s", "ssh", "HOST=mysql_client2")
		require.NoError(t, err)
		assert.Contains(t, got, "3\tapp@10.213.213.12", "replica 2 (server_id 3), as the client's own account")
		got, err = e.make("hostname\n", "-s", "ssh", "HOST=mysql_replica_1")
		require.NoError(t, err, "make ssh to a replica, its host key pinned")
		assert.Contains(t, got, "mysql-replica-1")
	})

	t.Run("an unchanged up changes nothing", func(t *testing.T) {
		e.requireNoChanges(t, created)
	})

	t.Run("make verify re-runs the replicas' checks and proof", func(t *testing.T) {
		got, err := e.make("", "verify")
		require.NoError(t, err)
		assert.Contains(t, got, `"source": "`+primary+`:3306"`)
		// 2 client proofs, the operator's 3 checks (the primary and each
		// replica), 2 seed checks, 2 replication checks and the replicas'
		// proof.
		assert.Equal(t, map[string]int{"replace": 10, "same": created - 10}, e.lastChanges(t))
	})

	t.Run("a failure names its layer", func(t *testing.T) {
		verifyFails := func(t *testing.T, layer string) {
			t.Helper()
			_, err := e.make("", "verify")
			require.Error(t, err, "make verify must fail")
			assert.Contains(t, err.Error(), "diagnosis: "+layer, "the diagnosis names the layer")
		}
		t.Run("network", func(t *testing.T) {
			cut := exec.Command("ip", "netns", "exec", e.local.platform.ReplicaNetns(1), "nft", "-f", "-")
			cut.Stdin = strings.NewReader("table inet mcs_test_cut {\n chain out { type filter hook output priority -10; ip daddr " +
				primary + " tcp dport 3306 drop; }\n}\n")
			b, err := cut.CombinedOutput()
			require.NoError(t, err, "%s", b)
			defer func() {
				_ = exec.Command("ip", "netns", "exec", e.local.platform.ReplicaNetns(1), "nft", "delete", "table", "inet", "mcs_test_cut").Run()
			}()
			verifyFails(t, "network")
		})
		t.Run("replication account", func(t *testing.T) {
			sqlOn(t, plain, "mysql_server", "ALTER USER 'mcs_repl_2'@'"+replica1+"' ACCOUNT LOCK;")
			defer sqlOn(t, plain, "mysql_server", "ALTER USER 'mcs_repl_2'@'"+replica1+"' ACCOUNT UNLOCK;")
			verifyFails(t, "replication account")
		})
		t.Run("TLS", func(t *testing.T) {
			// The replica trusts another CA than the one that signed the primary.
			const ca = "/etc/mysql/mysql-client-server-tls/ca.pem"
			_, stderr, err := onReplica(t, plain, "mysql_replica_1", "cp "+ca+" "+ca+".orig && "+
				"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=other "+
				"-keyout /tmp/other-key.pem -out "+ca+" 2>/dev/null")
			require.NoError(t, err, stderr)
			defer func() {
				_, stderr, err := onReplica(t, plain, "mysql_replica_1", "mv "+ca+".orig "+ca)
				require.NoError(t, err, stderr)
			}()
			verifyFails(t, "TLS")
		})
		t.Run("GTID position, then the re-seed docs/replicas.md gives", func(t *testing.T) {
			// A position the primary's binary log never had.
			sqlOn(t, plain, "mysql_replica_1", facts(t).badPosition)
			verifyFails(t, "GTID position")
			// docs/replicas.md: make it forget its source, and make verify
			// seeds it again from the primary's dump.
			sqlOn(t, plain, "mysql_replica_1", facts(t).forget)
			got, err := e.make("", "verify")
			require.NoError(t, err, "make verify re-seeds the replica")
			assert.Contains(t, got, "seeding the replica "+replica1)
			assert.Equal(t, sqlOn(t, plain, "mysql_server", facts(t).primaryPosition),
				sqlOn(t, plain, "mysql_replica_1", facts(t).replicaPosition), "it follows the primary again")
		})
		_, err := e.make("", "verify")
		require.NoError(t, err, "with each fault undone, make verify passes again")
	})

	t.Run("scaling to one replica removes the other, its account and its firewall entry", func(t *testing.T) {
		e.base["replicas"] = auto.ConfigValue{Value: "1"}
		e.restoreConfig("replicas")
		res, err := e.up()
		require.NoError(t, err)
		t.Logf("2 -> 1 replica: %v", *res.Summary.ResourceChanges)
		assert.Equal(t, map[string]any{"mysql_replica_1": replica1}, res.Outputs["replicaPrivateAddresses"].Value)
		for name := range e.resources() {
			assert.NotContains(t, name, "mysql_replica_2", "nothing of the removed replica is left in the state")
		}
		assert.Error(t, exec.Command("ip", "netns", "exec", e.local.platform.ReplicaNetns(2), "true").Run(), "its netns is gone")
		assert.Equal(t, "mcs_repl_2\t"+replica1, sqlOn(t, plain, "mysql_server",
			"SELECT user, host FROM mysql.user WHERE user LIKE 'mcs\\_repl\\_%';"), "its account is gone from the primary")
		set, err := exec.Command("ip", "netns", "exec", e.local.platform.Netns(0), "nft", "list", "set", "inet",
			"mysql_client_server", "mysql_clients").CombinedOutput()
		require.NoError(t, err, "%s", set)
		assert.NotContains(t, string(set), replica2, "its address is gone from the primary's firewall")
		assert.Contains(t, string(set), replica1)
		assert.Equal(t, map[string]any{
			"mysql_client":  "mysql -h " + replica1 + " -P 3306 -u 'app' -p 'app'",
			"mysql_client2": "mysql -h " + replica1 + " -P 3306 -u 'app' -p 'app'",
		}, res.Outputs["replicaMysqlCommands"].Value)
	})

	t.Run("scaling up again seeds the new replica with the primary's data", func(t *testing.T) {
		_, err := e.make("CREATE TABLE later (id INT PRIMARY KEY); INSERT INTO later SELECT seq FROM "+tenThousand+" WHERE seq <= 500;\n", "-s", "client")
		require.NoError(t, err)
		e.base["replicas"] = auto.ConfigValue{Value: "2"}
		e.restoreConfig("replicas")
		res, err := e.up()
		require.NoError(t, err)
		p := res.Outputs["proofs"].Value.(map[string]any)["mysql_replica_2"].(map[string]any)
		assert.Regexp(t, `^TLSv1\.[23]$`, p["tlsVersion"])
		assert.Equal(t, "500", sqlOn(t, plain, "mysql_replica_2", "SELECT COUNT(*) FROM app.later;"))
	})

	t.Run("the replication password is in plain text nowhere but the replica's channel", func(t *testing.T) {
		got, stderr, err := onReplica(t, plain, "mysql_replica_1", facts(t).channelPassword)
		require.NoError(t, err, stderr)
		password := strings.TrimSpace(got)
		require.GreaterOrEqual(t, len(password), 12, "the generated replication password")
		export := e.export()
		e.outMux.Lock()
		printed := e.out.String()
		e.outMux.Unlock()
		// Compared, never printed.
		assert.False(t, strings.Contains(export, password), "the replication password in pulumi stack export")
		assert.False(t, strings.Contains(printed, password), "the replication password in the engine's or make's output")
	})

	t.Run("destroy leaves nothing", func(t *testing.T) {
		got, err := e.make("", "down")
		require.NoError(t, err)
		assert.Contains(t, got, fmt.Sprintf("%d deleted", created))
		assert.Empty(t, e.local.leftovers(), "no namespace, bridge, process or directory")
		_, err = os.Stat(filepath.Join(e.local.stateDir))
		assert.True(t, os.IsNotExist(err), "the state dir is gone: %v", err)
		tables, _ := exec.Command("nft", "list", "tables").Output()
		assert.NotContains(t, string(tables), "mysql_client_server")
	})
}
