package clientserver

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/shell"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// replicaPassword is the clients' password in the replica tests: given, so
// that the only generated password is the replication one.
const replicaPassword = "clients-password-0123"

// generatedPassword is what mocktest's password generators print.
const generatedPassword = "mock-generated-password-0123456789"

// runTwoReplicas is a ClientServer with two clients and two replicas on the
// fake platform: mysql_server is 10.9.0.10, c1 and c2 .11 and .12,
// mysql_replica_1 and mysql_replica_2 .13 and .14 (198.51.100.x publicly).
func runTwoReplicas(t *testing.T) (*fakePlatform, *mocktest.Mocks, *ClientServer, map[string]mocktest.Awaited) {
	t.Helper()
	f := &fakePlatform{}
	m, cs, out := run(t, &Args{Platform: f, Clients: []string{"c1", "c2"}, Replicas: 2,
		Password: pulumi.ToSecret(pulumi.String(replicaPassword)).(pulumi.StringOutput)})
	return f, m, cs, out
}

// replicaHost is each replica's addresses on the fake platform.
var replicaHost = map[string]struct{ public, private string }{
	"mysql_replica_1": {"198.51.100.13", "10.9.0.13"},
	"mysql_replica_2": {"198.51.100.14", "10.9.0.14"},
}

const primaryPublic, primaryPrivate = "198.51.100.10", "10.9.0.10"

func remoteCmd(t *testing.T, m *mocktest.Mocks, name string) mocktest.Resource {
	t.Helper()
	r, ok := m.Named("command:remote:Command", name)
	require.True(t, ok, "remote command %s", name)
	return r
}

// connHost is the host a remote command connects to.
func connHost(t *testing.T, r mocktest.Resource) string {
	t.Helper()
	v, _ := mocktest.Plain(r.Inputs["connection"])
	require.True(t, v.IsObject(), "%s has a connection", r.Name)
	h, _ := mocktest.Str(v.ObjectValue(), "host")
	return h
}

// dependsOn says whether r was registered with a dependency on the resource
// of that type and name.
func dependsOn(r mocktest.Resource, token, name string) bool {
	for _, d := range r.Dependencies {
		if strings.HasSuffix(d, "::"+token+"::"+name) || strings.HasSuffix(d, "$"+token+"::"+name) {
			return true
		}
	}
	return false
}

// secretStdin returns a command's stdin, requiring it to be a secret.
func secretStdin(t *testing.T, r mocktest.Resource) string {
	t.Helper()
	v, ok := r.Inputs["stdin"]
	require.True(t, ok, "%s has a stdin", r.Name)
	assert.True(t, v.IsSecret(), "%s: stdin is a secret", r.Name)
	return str(t, r, "stdin")
}

// replicationAccount is the command of the replication account with
// server_id id: found by what it runs, on the primary.
func replicationAccount(t *testing.T, m *mocktest.Mocks, id string) mocktest.Resource {
	t.Helper()
	var found []mocktest.Resource
	for _, r := range m.OfType("command:remote:Command") {
		if c, _ := mocktest.Str(r.Inputs, "create"); withScript(c, "user-apply.sh") && strings.Contains(c, "MCS_USER='mcs_repl_"+id+"'") {
			found = append(found, r)
		}
	}
	require.Len(t, found, 1, "one account mcs_repl_%s", id)
	return found[0]
}

// stagingOn is the one command that stages the scripts on the host with the
// given public address: found by what it runs, not by its name.
func stagingOn(t *testing.T, m *mocktest.Mocks, public string) mocktest.Resource {
	t.Helper()
	var found []mocktest.Resource
	for _, r := range m.OfType("command:remote:Command") {
		if c, _ := mocktest.Str(r.Inputs, "create"); strings.HasSuffix(c, " 'mysql-client-server/stage-scripts'") && connHost(t, r) == public {
			found = append(found, r)
		}
	}
	require.Len(t, found, 1, "one staging command for the host at %s", public)
	return found[0]
}

// withScript says whether a command line runs the named staged script.
func withScript(cmd, name string) bool { return strings.Contains(cmd, "/"+name+"'") }

func TestReplicaHostsComeAfterTheServerAndClients(t *testing.T) {
	f, _, cs, _ := runTwoReplicas(t)
	assert.Equal(t, []host.Spec{
		{Name: "mysql_server", Role: host.RoleServer, Engine: host.EngineMySQL},
		{Name: "c1", Role: host.RoleClient, Engine: host.EngineMySQL},
		{Name: "c2", Role: host.RoleClient, Engine: host.EngineMySQL},
		{Name: "mysql_replica_1", Role: host.RoleReplica, Engine: host.EngineMySQL},
		{Name: "mysql_replica_2", Role: host.RoleReplica, Engine: host.EngineMySQL},
	}, f.specs, "the replicas are asked for last, with role replica")
	require.Len(t, cs.Hosts, 5)
	assert.Equal(t, "mysql_replica_1", cs.Hosts[3].Name)
	assert.Equal(t, host.RoleReplica, cs.Hosts[4].Role)
	require.Len(t, cs.Replicas, 2)
	for n, r := range cs.Replicas {
		require.NotNil(t, r, n)
		assert.NotSame(t, cs.Server, r.Server, "%s has a server of its own", n)
	}
	assert.Len(t, cs.Users, 2, "the clients' accounts only: the replication accounts are the replicas'")
}

func TestReplicaServersHaveDistinctIDsAndOnlyReplicasAreReadOnly(t *testing.T) {
	_, m, _, _ := runTwoReplicas(t)
	for install, want := range map[string]struct {
		id, readOnly, on string
	}{
		"cs-server-install":                         {"1", "no", primaryPublic},
		"mysql_replica_1-cs-replica-server-install": {"2", "yes", replicaHost["mysql_replica_1"].public},
		"mysql_replica_2-cs-replica-server-install": {"3", "yes", replicaHost["mysql_replica_2"].public},
	} {
		r := remoteCmd(t, m, install)
		create := str(t, r, "create")
		assert.Contains(t, create, "MCS_SERVER_ID='"+want.id+"'", install)
		assert.Contains(t, create, "MCS_READ_ONLY='"+want.readOnly+"'", install)
		assert.Contains(t, create, "MCS_REQUIRE_TLS='ON'", "%s requires TLS", install)
		assert.True(t, withScript(create, "server-install.sh"), install)
		assert.Equal(t, want.on, connHost(t, r), "%s runs on its own host", install)
	}
	var installs int
	for _, r := range m.OfType("command:remote:Command") {
		if strings.HasSuffix(r.Name, "-install") && withScript(str(t, r, "create"), "server-install.sh") {
			installs++
		}
	}
	assert.Equal(t, 3, installs, "one server install per server: the primary and two replicas")
	assert.Len(t, m.OfType(mysql.ReplicaType), 2)
	assert.Len(t, m.OfType(mysql.ServerType), 3)
}

// TestReplicaCertificatesAreSignedByThePrimary: the key stays on the
// replica (its request), the primary's CA signs it on the primary, the
// install gets the signed certificate, and the renewal is the primary's.
func TestReplicaCertificatesAreSignedByThePrimary(t *testing.T) {
	_, m, _, out := runTwoReplicas(t)
	for name, h := range replicaHost {
		prefix := name + "-cs-replica-server"
		req := remoteCmd(t, m, prefix+"-tls-request")
		assert.Equal(t, h.public, connHost(t, req), "%s: the request (and key) is made on the replica", name)
		assert.True(t, withScript(str(t, req, "create"), "tls-request.sh"))
		assert.Contains(t, str(t, req, "create"), "MCS_CERT_ADDRESS='"+h.private+"'", "the certificate names the replica's address")

		sign := remoteCmd(t, m, prefix+"-tls-sign")
		assert.Equal(t, primaryPublic, connHost(t, sign), "%s: the primary's CA signs, on the primary", name)
		create := str(t, sign, "create")
		assert.True(t, withScript(create, "tls-sign.sh"))
		assert.Contains(t, create, "MCS_CSR="+shell.Quote(req.State["stdout"].StringValue()), "the replica's request is signed")
		assert.Contains(t, create, "MCS_CERT_ADDRESS='"+h.private+"'")
		assert.True(t, dependsOn(sign, "command:remote:Command", "cs-server-install"), "signed once the primary's CA exists")
		triggers := sign.Inputs["triggers"].ArrayValue()
		require.Len(t, triggers, 1)
		renew := remoteCmd(t, m, "cs-server-tls-renew").Inputs["triggers"].ArrayValue()
		require.Len(t, renew, 1)
		assert.Equal(t, renew[0], triggers[0], "%s is signed again when the primary's renewal period turns", name)

		install := remoteCmd(t, m, prefix+"-install")
		create = str(t, install, "create")
		cert := sign.State["stdout"].StringValue()
		require.Contains(t, cert, "BEGIN CERTIFICATE")
		assert.Contains(t, create, "MCS_TLS_CERT="+shell.Quote(cert), "%s installs the certificate the primary signed", name)
		assert.Contains(t, create, "MCS_TLS_CA="+shell.Quote(out["caCert"].Value.(string)), "%s is given the stack's CA", name)

		_, renews := m.Named("command:remote:Command", prefix+"-tls-renew")
		assert.False(t, renews, "%s has no renewal of its own", name)
	}
	_, ok := m.Named("command:remote:Command", "cs-server-tls-renew")
	assert.True(t, ok, "the primary renews its certificate")
	_, ok = m.Named("command:remote:Command", "cs-server-tls-sign")
	assert.False(t, ok, "the primary's certificate is its own CA's")
}

func TestReplicationAccountsLiveOnThePrimaryOnePerReplica(t *testing.T) {
	_, m, _, _ := runTwoReplicas(t)
	var generated string
	gens := 0
	for _, r := range m.OfType("command:local:Command") {
		if strings.Contains(r.Name, "replication-password") {
			gens++
			assert.Equal(t, "cs-replication-password", r.Name)
			assert.Equal(t, resource.NewStringProperty("none"), r.Inputs["logging"], "the generated password is not logged")
			assert.Contains(t, r.Parent, Type)
			out := r.State["stdout"]
			require.True(t, out.IsSecret(), "the generated password is a secret output")
			generated = out.SecretValue().Element.StringValue()
		}
	}
	require.Equal(t, 1, gens, "one replication password for all the replicas")
	require.NotEmpty(t, generated)

	users := map[string]bool{}
	for name, h := range replicaHost {
		id := map[string]string{"mysql_replica_1": "2", "mysql_replica_2": "3"}[name]
		acct := replicationAccount(t, m, id)
		assert.Contains(t, acct.Name, name+"-cs-replica-", "the account is the replica's")
		assert.Equal(t, primaryPublic, connHost(t, acct), "%s's account is made on the primary", name)
		create, del := str(t, acct, "create"), str(t, acct, "delete")
		assert.True(t, withScript(create, "user-apply.sh"))
		assert.Contains(t, create, "MCS_PRIVILEGES='replication'", "REPLICATION SLAVE only")
		assert.Contains(t, create, "MCS_USER='mcs_repl_"+id+"'", "named after the replica's server_id")
		assert.Contains(t, create, "MCS_USER_HOST='"+h.private+"'", "at the replica's address only")
		assert.Contains(t, create, "MCS_REQUIRE_TLS='ON'")
		assert.True(t, withScript(del, "user-delete.sh"), "delete drops the account")
		assert.Contains(t, del, "MCS_USER='mcs_repl_"+id+"'")
		assert.Contains(t, del, "MCS_USER_HOST='"+h.private+"'")
		assert.True(t, dependsOn(acct, "command:remote:Command", "cs-server-install"), "made after the primary is installed")

		stdin := secretStdin(t, acct)
		assert.True(t, stdin == generated, "%s's account has the generated replication password", name)
		assert.False(t, stdin == replicaPassword, "%s's account does not have the clients' password", name)
		for what, line := range map[string]string{"create": create, "delete": del} {
			assert.False(t, strings.Contains(line, stdin), "%s: the password is not in the %s command line", name, what)
		}
		users[id] = true
	}
	assert.Len(t, users, 2)
	var replication int
	for _, u := range m.OfType("command:remote:Command") {
		if strings.Contains(str(t, u, "create"), "MCS_PRIVILEGES='replication'") {
			replication++
		}
	}
	assert.Equal(t, 2, replication, "no other replication account")
}

func TestReplicationStartsOnEachReplicaFromThePrimary(t *testing.T) {
	_, m, _, _ := runTwoReplicas(t)
	gen, ok := m.Named("command:local:Command", "cs-replication-password")
	require.True(t, ok)
	generated := gen.State["stdout"].SecretValue().Element.StringValue() // a secret output
	for name, h := range replicaHost {
		id := map[string]string{"mysql_replica_1": "2", "mysql_replica_2": "3"}[name]
		start := remoteCmd(t, m, name+"-cs-replica-replication")
		assert.Equal(t, h.public, connHost(t, start), "%s: replication is started on the replica", name)
		create := str(t, start, "create")
		assert.True(t, withScript(create, "replica-start.sh"))
		assert.Contains(t, create, "MCS_SOURCE='"+primaryPrivate+"'", "the primary's private address")
		assert.Contains(t, create, "MCS_PORT='3306'")
		assert.Contains(t, create, "MCS_REPL_USER='mcs_repl_"+id+"'", "as its own account")
		assert.Contains(t, create, "MCS_REQUIRE_TLS='ON'")
		stdin := secretStdin(t, start)
		assert.True(t, stdin == generated, "%s: the replication password on stdin, the account's", name)
		assert.False(t, strings.Contains(create, stdin), "%s: the password is not in the command line", name)
		acct := replicationAccount(t, m, id)
		assert.True(t, secretStdin(t, acct) == stdin, "%s: the account and the channel share one password", name)
		for _, dep := range []struct{ token, name string }{
			{"command:remote:Command", acct.Name},
			{"command:remote:Command", name + "-cs-replica-server-install"},
			{"command:local:Command", name + "-cs-replica-seed"},
			{"command:local:Command", "fake-cs-ingress"},
		} {
			assert.True(t, dependsOn(start, dep.token, dep.name), "%s starts after %s: %v", name, dep.name, start.Dependencies)
		}
	}
}

// TestReplicaSeedRunsOnTheOperatorBetweenTheTwoHosts: the seed is a local
// command that pipes the primary's dump into the replica over SSH, with
// the SSH key on stdin and both hosts' scripts staged first.
func TestReplicaSeedRunsOnTheOperatorBetweenTheTwoHosts(t *testing.T) {
	_, m, _, out := runTwoReplicas(t)
	for name, h := range replicaHost {
		seed, ok := m.Named("command:local:Command", name+"-cs-replica-seed")
		require.True(t, ok, "%s is seeded from the operator's machine", name)
		_, remote := m.Named("command:remote:Command", name+"-cs-replica-seed")
		assert.False(t, remote)
		assert.Contains(t, str(t, seed, "create"), "replica-seed.sh", "the seed script itself")

		stdin := secretStdin(t, seed)
		key := out["privateKey"].Value.(string)
		assert.True(t, strings.TrimSpace(stdin) == strings.TrimSpace(key), "%s: the hosts' one SSH key on stdin", name)

		envObj, ok := mocktest.Object(seed.Inputs, "environment")
		require.True(t, ok, "%s has an environment", name)
		env := map[string]string{}
		for k := range envObj {
			env[string(k)], _ = mocktest.Str(envObj, string(k))
		}
		assert.False(t, strings.Contains(fmt.Sprint(env), strings.TrimSpace(key)), "%s: no key in the environment", name)
		assert.Equal(t, "tester "+primaryPublic+" 22", env["MCS_PRIMARY_SSH"])
		assert.Equal(t, "tester "+h.public+" 22", env["MCS_REPLICA_SSH"])
		assert.True(t, withScript(env["MCS_DUMP_COMMAND"], "seed-dump.sh"), "MCS_DUMP_COMMAND: %s", env["MCS_DUMP_COMMAND"])
		for k, mode := range map[string]string{"MCS_CHECK_COMMAND": "check", "MCS_LOAD_COMMAND": "load"} {
			assert.True(t, withScript(env[k], "seed-load.sh"), "%s: %s", k, env[k])
			assert.Contains(t, env[k], "MCS_SEED_MODE='"+mode+"'", k)
		}
		// Each host's scripts are staged by the first component that runs a
		// command on it: the primary's by the server, the replica's by its
		// own server.
		primaryStage, replicaStage := stagingOn(t, m, primaryPublic), stagingOn(t, m, h.public)
		assert.Equal(t, "cs-server-scripts", primaryStage.Name)
		assert.Equal(t, name+"-cs-replica-server-scripts", replicaStage.Name)
		for _, dep := range []string{primaryStage.Name, replicaStage.Name, "cs-server-install",
			name + "-cs-replica-server-install"} {
			assert.True(t, dependsOn(seed, "command:remote:Command", dep), "%s's seed runs after %s: %v", name, dep, seed.Dependencies)
		}
	}
}

func TestReplicaIngressAdmitsTheClientsOnly(t *testing.T) {
	f, m, _, _ := runTwoReplicas(t)
	got := map[string][]string{}
	for _, c := range f.ingress {
		assert.Equal(t, 3306, c.port)
		_, twice := got[c.server]
		assert.False(t, twice, "one ingress for %s", c.server)
		clients := append([]string(nil), c.clients...)
		sort.Strings(clients)
		got[c.server] = clients
	}
	assert.Equal(t, map[string][]string{
		"mysql_server":    {"c1", "c2", "mysql_replica_1", "mysql_replica_2"},
		"mysql_replica_1": {"c1", "c2"},
		"mysql_replica_2": {"c1", "c2"},
	}, got, "the primary admits the clients and the replicas; each replica the clients")
	for _, n := range []string{"fake-cs-ingress", "fake-mysql_replica_1-cs-ingress", "fake-mysql_replica_2-cs-ingress"} {
		_, ok := m.Named("command:local:Command", n)
		assert.True(t, ok, "ingress %s", n)
	}
	proof, ok := m.Named("command:remote:Command", "cs-replication-proof-proof")
	require.True(t, ok)
	for _, n := range []string{"fake-mysql_replica_1-cs-ingress", "fake-mysql_replica_2-cs-ingress"} {
		assert.True(t, dependsOn(proof, "command:local:Command", n), "the proof reads through %s", n)
	}
	// The operator probes each replica's port, as it probes the primary's,
	// once the replica's ingress is in place.
	for _, n := range []string{"mysql_replica_1", "mysql_replica_2"} {
		probe, ok := m.Named("command:local:Command", n+"-cs-closed-to-operator-probe")
		require.True(t, ok, "the operator's probe of %s", n)
		env, ok := mocktest.Object(probe.Inputs, "environment")
		require.True(t, ok)
		addr, _ := mocktest.Str(env, "MCS_ADDRESS")
		assert.Equal(t, replicaHost[n].public, addr, "%s's SSH (public) address", n)
		assert.True(t, dependsOn(probe, "command:local:Command", "fake-"+n+"-cs-ingress"), "after %s's ingress", n)
	}
}

func TestReplicationProofReadsEveryReplicaFromTheFirstClient(t *testing.T) {
	_, m, _, out := runTwoReplicas(t)
	proof, ok := m.Named("command:remote:Command", "cs-replication-proof-proof")
	require.True(t, ok, "one replication proof")
	assert.Len(t, m.OfType(mysql.ReplicationProofType), 1)
	assert.Equal(t, "198.51.100.11", connHost(t, proof), "run on the first client")
	create := str(t, proof, "create")
	assert.True(t, withScript(create, "replication-proof.sh"))
	assert.Contains(t, create, "MCS_REPLICAS='mysql_replica_1=10.9.0.13 mysql_replica_2=10.9.0.14'")
	for _, dep := range []string{"mysql_replica_1-cs-replica-replication", "mysql_replica_2-cs-replica-replication",
		"c1-cs-user-account", "c1-cs-login-my-cnf"} {
		assert.True(t, dependsOn(proof, "command:remote:Command", dep), "the proof runs after %s", dep)
	}

	proofs := out["proofs"].Value.(map[string]interface{})
	assert.Contains(t, proofs, "c1")
	assert.Contains(t, proofs, "c2")
	for i, name := range []string{"mysql_replica_1", "mysql_replica_2"} {
		require.Contains(t, proofs, name)
		p, ok := proofs[name].(map[string]interface{})
		require.True(t, ok, "%s's proof is a map: %#v", name, proofs[name])
		for _, k := range []string{"source", "tlsVersion", "gtidPosition", "lagMs", "readOnly", "readBy", "address", "serverVersion",
			"operatorCheck"} {
			assert.Contains(t, p, k, "%s's proof has %s", name, k)
		}
		assert.Equal(t, "172.31.0.1:3306", p["source"], "the channel's source, as replica-start.sh reported it")
		assert.Equal(t, "TLSv1.3", p["tlsVersion"])
		assert.Equal(t, "0-1-42", p["gtidPosition"])
		assert.EqualValues(t, 2+i, p["lagMs"], "%s's lag as the proof measured it", name)
		assert.Equal(t, true, p["readOnly"])
		assert.Equal(t, "c1", p["readBy"], "read by the first client")
		assert.Equal(t, replicaHost[name].private, p["address"])
	}
}

func TestReplicaOutputs(t *testing.T) {
	_, _, cs, out := runTwoReplicas(t)
	assert.Len(t, cs.Outputs(), 25, "the outputs: the 20 before replicas, the two replica maps, the readers, the engine and the backup passphrase")
	assert.Equal(t, []string{"10.9.0.13:3306", "10.9.0.14:3306"}, out["readerEndpoints"].Value, "the replicas' endpoints, by number")
	replicas := out["ReplicaProofs"].Value.(map[string]ReplicaProof)
	assert.Equal(t, ReplicaProof{
		ReadBy: "c1", OperatorCheck: replicas["mysql_replica_1"].OperatorCheck,
		Source: "172.31.0.1:3306", TLSVersion: "TLSv1.3", GTIDPosition: "0-1-42", ServerVersion: "10.11.19-MariaDB-log",
		Address: "10.9.0.13", LagMs: 2, ReadOnly: true,
	}, replicas["mysql_replica_1"], "a replica's typed proof")
	assert.NotEmpty(t, replicas["mysql_replica_1"].OperatorCheck)
	clients := out["ClientProofs"].Value.(map[string]ClientProof)
	assert.Equal(t, []string{"c1", "c2"}, slices.Sorted(maps.Keys(clients)), "one typed proof per client, no replica among them")
	assert.Equal(t, "TLSv1.3", clients["c1"].TLSVersion)
	proofs := out["proofs"].Value.(map[string]interface{})
	assert.Equal(t, tagged(replicas["mysql_replica_1"]), proofs["mysql_replica_1"], "the exported proofs keep their shape")
	assert.Equal(t, tagged(clients["c1"]), proofs["c1"])
	for _, k := range []string{"replicaPrivateAddresses", "replicaMysqlCommands"} {
		require.Contains(t, out, k)
		assert.True(t, out[k].Known, k)
		assert.False(t, out[k].Secret, k)
	}
	assert.Equal(t, map[string]string{"mysql_replica_1": "10.9.0.13", "mysql_replica_2": "10.9.0.14"},
		out["replicaPrivateAddresses"].Value)
	assert.Equal(t, map[string]string{
		"c1": "mysql -h 10.9.0.13 -P 3306 -u 'app' -p 'app'",
		"c2": "mysql -h 10.9.0.14 -P 3306 -u 'app' -p 'app'",
	}, out["replicaMysqlCommands"].Value, "the clients take the replicas in turn")
	assert.Equal(t, map[string]string{
		"c1": "mysql -h 10.9.0.10 -P 3306 -u 'app' -p 'app'",
		"c2": "mysql -h 10.9.0.10 -P 3306 -u 'app' -p 'app'",
	}, out["mysqlCommands"].Value, "mysqlCommands still log in to the primary")
	ssh := out["sshCommands"].Value.(map[string]string)
	assert.Len(t, ssh, 5)
	assert.Equal(t, "ssh -i mysql-client-server.key -p 22 tester@198.51.100.13", ssh["mysql_replica_1"])
	assert.Equal(t, "ssh -i mysql-client-server.key -p 22 tester@198.51.100.14", ssh["mysql_replica_2"])
	keys := out["hostKeys"].Value.(map[string]string)
	assert.Len(t, keys, 5)
	assert.Contains(t, keys, "mysql_replica_1")
	assert.Contains(t, keys, "mysql_replica_2")
	assert.Equal(t, map[string]string{"c1": "app@10.9.0.11", "c2": "app@10.9.0.12"}, out["accounts"].Value,
		"the replication accounts are not the clients' accounts")
	assert.True(t, out["password"].Value == replicaPassword, "the password output is the clients' password")
}

// TestMoreClientsThanReplicasShareThemInTurn: client i reads from replica
// i mod n.
func TestMoreClientsThanReplicasShareThemInTurn(t *testing.T) {
	_, _, out := run(t, &Args{Platform: &fakePlatform{}, Clients: []string{"a", "b", "c"}, Replicas: 2})
	// a, b, c are .11-.13; the replicas .14 and .15.
	assert.Equal(t, map[string]string{
		"a": "mysql -h 10.9.0.14 -P 3306 -u 'app' -p 'app'",
		"b": "mysql -h 10.9.0.15 -P 3306 -u 'app' -p 'app'",
		"c": "mysql -h 10.9.0.14 -P 3306 -u 'app' -p 'app'",
	}, out["replicaMysqlCommands"].Value)
}

func TestNoReplicasByDefault(t *testing.T) {
	f := &fakePlatform{}
	m, cs, out := run(t, &Args{Platform: f, Clients: []string{"c1", "c2"}})
	for _, s := range f.specs {
		assert.NotEqual(t, host.RoleReplica, s.Role, "no replica host: %s", s.Name)
	}
	assert.Len(t, f.ingress, 1, "the primary's ingress only")
	for _, r := range m.Resources() {
		assert.NotContains(t, r.Name, "replica", "no replica resource: %s", r.Name)
		assert.NotContains(t, r.Name, "replication", "no replication resource: %s", r.Name)
	}
	assert.Empty(t, m.OfType(mysql.ReplicaType))
	assert.Empty(t, m.OfType(mysql.ReplicationProofType))
	_, ok := m.Named("command:local:Command", "cs-replication-password")
	assert.False(t, ok, "no replication password")
	assert.Empty(t, cs.Replicas)
	for _, k := range []string{"replicaPrivateAddresses", "replicaMysqlCommands"} {
		require.Contains(t, out, k)
		assert.True(t, out[k].Known, k)
		assert.Equal(t, map[string]string{}, out[k].Value, "%s is an empty map", k)
	}
	proofs := out["proofs"].Value.(map[string]interface{})
	assert.Len(t, proofs, 2, "the clients' proofs only")
}

func TestInvalidReplicasFailBeforeAnythingIsCreated(t *testing.T) {
	cases := []struct {
		name   string
		args   func(*fakePlatform) *Args
		expect []string
	}{
		{"negative", func(f *fakePlatform) *Args { return &Args{Platform: f, Replicas: -1} },
			[]string{`ClientServerArgs.Replicas: "-1"`, "from 0 to 16"}},
		{"more than 16", func(f *fakePlatform) *Args { return &Args{Platform: f, Replicas: MaxReplicas + 1} },
			[]string{`ClientServerArgs.Replicas: "17"`, "from 0 to 16"}},
		{"with the tutorial preset", func(f *fakePlatform) *Args {
			return &Args{Platform: f, Replicas: 1, Preset: PresetTutorial}
		}, []string{"ClientServerArgs.Replicas: 1", "tutorial"}},
		{"a client named like a replica", func(f *fakePlatform) *Args {
			return &Args{Platform: f, Clients: []string{"app", "mysql_replica_1"}}
		}, []string{"ClientServerArgs.Clients[1]", "mysql_replica_"}},
		{"a user named like a replication account", func(f *fakePlatform) *Args {
			return &Args{Platform: f, UserName: pulumi.String("mcs_repl_2"), Replicas: 1}
		}, []string{"ClientServerArgs.UserName", "mcs_repl_"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakePlatform{}
			m := mocktest.New(t)
			err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
				_, err := New(ctx, "cs", tc.args(f))
				return err
			})
			require.Error(t, err)
			for _, e := range tc.expect {
				assert.Contains(t, err.Error(), e)
			}
			assert.Empty(t, m.Resources(), "nothing is registered")
			assert.Empty(t, f.specs, "no host is asked for")
		})
	}
}

func TestMaxReplicasAreAccepted(t *testing.T) {
	f := &fakePlatform{}
	m, cs, _ := run(t, &Args{Platform: f, Replicas: MaxReplicas})
	assert.Len(t, cs.Replicas, MaxReplicas)
	assert.Equal(t, ReplicaName(MaxReplicas), f.specs[len(f.specs)-1].Name)
	last := remoteCmd(t, m, "mysql_replica_16-cs-replica-server-install")
	assert.Contains(t, str(t, last, "create"), "MCS_SERVER_ID='17'")
}

func TestValidateHostNamesRefusesReplicaNames(t *testing.T) {
	for _, c := range []string{"mysql_replica_1", "mysql_replica_x", ReplicaName(MaxReplicas)} {
		i, err := ValidateHostNames(DefaultServerName, []string{"app", c})
		require.Error(t, err, c)
		assert.Equal(t, 1, i)
		assert.Contains(t, err.Error(), "mysql_replica_", c)
	}
	_, err := ValidateHostNames(DefaultServerName, []string{"mysql_replica"})
	assert.NoError(t, err, "only the prefix with its underscore is the replicas'")
	// The server may not take a replica's name either: with Replicas 1 it
	// would be a second host named mysql_replica_1.
	i, err := ValidateHostNames("mysql_replica_1", []string{"app"})
	require.Error(t, err)
	assert.Equal(t, -1, i, "the server")
	_, err = New(nil, "cs", &Args{Platform: &fakePlatform{}, ServerName: "mysql_replica_1", Replicas: 1})
	require.Error(t, err, "refused before anything is created")
	assert.Contains(t, err.Error(), "ClientServerArgs.ServerName")
}
