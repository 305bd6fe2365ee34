package mysql

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/shell"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// Addresses of the test replica.
const (
	replicaPublic  = "203.0.113.12"
	replicaPrivate = "10.0.0.12"
)

// replicaRun is what runReplica resolved.
type replicaRun struct {
	address, accountName, status, seed, replicaCA mocktest.Awaited
	replica                                       *Replica
}

// runReplica creates a primary host "srv" with a Server "db", a replica host
// "rep", a local command "ingress" (the primary's ingress) and a Replica
// "r" of db on rep with server_id 2; edit adjusts the primary's and the
// replica's args.
func runReplica(t *testing.T, editPrimary func(*ServerArgs), edit func(*ReplicaArgs)) (*mocktest.Mocks, replicaRun, error) {
	t.Helper()
	return runReplicaOn(t, newMocks(t), editPrimary, edit)
}

// runReplicaOn is runReplica under the given mocks.
func runReplicaOn(t *testing.T, m *mocktest.Mocks, editPrimary func(*ServerArgs), edit func(*ReplicaArgs)) (*mocktest.Mocks, replicaRun, error) {
	t.Helper()
	m.On(mocktest.LocalCommand, "ingress", mocktest.StandIn) // the primary's ingress, made below
	var out replicaRun
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		srv, err := newTestHost(ctx, "srv", host.RoleServer, serverPublic, serverPrivate)
		if err != nil {
			return err
		}
		rep, err := newTestHost(ctx, "rep", host.RoleReplica, replicaPublic, replicaPrivate)
		if err != nil {
			return err
		}
		sargs := &ServerArgs{Host: srv}
		if editPrimary != nil {
			editPrimary(sargs)
		}
		db, err := NewServer(ctx, "db", sargs)
		if err != nil {
			return err
		}
		ingress, err := local.NewCommand(ctx, "ingress", &local.CommandArgs{Create: pulumi.String("true")})
		if err != nil {
			return err
		}
		args := &ReplicaArgs{
			Host: rep, Source: db, ServerID: 2,
			Password: pulumi.ToSecret(pulumi.String(testPassword)).(pulumi.StringOutput),
			After:    []pulumi.Resource{ingress},
		}
		if edit != nil {
			edit(args)
		}
		r, err := NewReplica(ctx, "r", args)
		if err != nil {
			return err
		}
		out.replica = r
		for _, f := range []struct {
			dst *mocktest.Awaited
			o   pulumi.Output
		}{{&out.address, r.Address}, {&out.accountName, r.AccountName}, {&out.status, r.Status}, {&out.seed, r.Seed},
			{&out.replicaCA, r.Server.CACert}} {
			if *f.dst, err = mocktest.Await(ctx, f.o); err != nil {
				return err
			}
		}
		return nil
	})
	return m, out, err
}

func TestReplicaFollowsThePrimaryOverTLS(t *testing.T) {
	m := newMocks(t)
	// What replica-seed.sh and replica-start.sh print for this primary: the
	// Replica's Seed and Status.
	m.On(mocktest.LocalCommand, "r-seed", mocktest.Prints("seeded from "+serverPublic))
	m.On(mocktest.RemoteCommand, "r-replication", mocktest.Prints(
		`{"source":"`+serverPrivate+`:3306","tlsVersion":"TLSv1.3","gtidPosition":"0-1-7","serverVersion":"10.11.19-MariaDB-log"}`))
	_, out, err := runReplicaOn(t, m, nil, nil)
	require.NoError(t, err)

	comp, ok := m.Named(ReplicaType, "r")
	require.True(t, ok)
	assert.False(t, comp.Custom)
	require.NotNil(t, out.replica.Server)
	require.NotNil(t, out.replica.Account)
	require.NotNil(t, out.replica.Replication)

	// The replica's server: read-only, server_id 2, its certificate signed
	// by the primary's CA.
	server, ok := m.Named(ServerType, "r-server")
	require.True(t, ok)
	assert.Contains(t, server.Parent, ReplicaType+"::r", "the replica's server is the Replica's")
	install, ok := m.Named("command:remote:Command", "r-server-install")
	require.True(t, ok)
	create := str(t, install, "create")
	assert.Equal(t, replicaPublic, connectionOf(t, install).host, "installed on the replica")
	assert.Contains(t, create, "MCS_SERVER_ID='2'")
	assert.Contains(t, create, "MCS_READ_ONLY='yes'")
	assert.Contains(t, create, "MCS_REQUIRE_TLS='ON'")
	assert.Contains(t, create, "MCS_BIND_ADDRESS='"+replicaPrivate+"'")
	assert.Contains(t, create, "MCS_CERT_ADDRESS='"+replicaPrivate+"'")
	assert.Contains(t, create, "MCS_TLS_CA="+shell.Quote(strings.TrimSpace(m.CACert)+"\n"), "the primary's CA")
	sign, ok := m.Named("command:remote:Command", "r-server-tls-sign")
	require.True(t, ok)
	assert.Contains(t, create, "MCS_TLS_CERT="+shell.Quote(sign.State["stdout"].StringValue()), "the certificate the primary signed")
	assert.Equal(t, serverPublic, connectionOf(t, sign).host, "signed on the primary")
	req, ok := m.Named("command:remote:Command", "r-server-tls-request")
	require.True(t, ok)
	assert.Equal(t, replicaPublic, connectionOf(t, req).host, "the key and its request are made on the replica")
	assert.Contains(t, str(t, sign, "create"), "MCS_CSR="+shell.Quote(req.State["stdout"].StringValue()))
	assert.Contains(t, str(t, sign, "create"), shell.Quote(scriptPath("tls-sign.sh")))
	assert.Contains(t, str(t, req, "create"), shell.Quote(scriptPath("tls-request.sh")))
	_, renews := m.Named("command:remote:Command", "r-server-tls-renew")
	assert.False(t, renews, "renewed with the primary's, not on its own")
	assert.Equal(t, strings.TrimSpace(m.CACert)+"\n", out.replicaCA.Value, "clients verify the replica with the stack's one CA")

	// The replication account, on the primary.
	acct := out.replica.Account
	require.NotNil(t, acct.Command)
	var acctCmd mocktest.Resource
	for _, r := range m.OfType("command:remote:Command") {
		if strings.Contains(str(t, r, "create"), shell.Quote(scriptPath("user-apply.sh"))) {
			acctCmd = r
		}
	}
	require.NotEmpty(t, acctCmd.Name, "an account is made")
	assert.Equal(t, serverPublic, connectionOf(t, acctCmd).host, "the account is on the primary")
	acreate := str(t, acctCmd, "create")
	assert.Contains(t, acreate, "MCS_USER='mcs_repl_2'")
	assert.Contains(t, acreate, "MCS_USER_HOST='"+replicaPrivate+"'")
	assert.Contains(t, acreate, "MCS_PRIVILEGES='replication'")
	assert.Contains(t, acreate, "MCS_REQUIRE_TLS='ON'")
	assert.NotContains(t, acreate, testPassword)
	assert.Contains(t, str(t, acctCmd, "delete"), shell.Quote(scriptPath("user-delete.sh")))
	assert.True(t, acctCmd.Inputs["stdin"].IsSecret())
	assert.Equal(t, testPassword, str(t, acctCmd, "stdin"))
	assert.Contains(t, acctCmd.Parent, UserType)
	users := m.OfType(UserType)
	require.Len(t, users, 1)
	assert.Contains(t, users[0].Parent, ReplicaType+"::r", "the account is the Replica's")

	// The seed, on the operator's machine.
	seed, ok := m.Named("command:local:Command", "r-seed")
	require.True(t, ok)
	assert.Equal(t, raw("replica-seed.sh"), str(t, seed, "create"))
	assert.True(t, seed.Inputs["stdin"].IsSecret(), "the SSH key goes on stdin as a secret")
	assert.Equal(t, "TEST PRIVATE KEY", str(t, seed, "stdin"), "the hosts' one key, once")
	env, ok := mocktest.Object(seed.Inputs, "environment")
	require.True(t, ok)
	get := func(k string) string { s, _ := mocktest.Str(env, k); return s }
	assert.Equal(t, "ubuntu "+serverPublic+" 2222", get("MCS_PRIMARY_SSH"))
	assert.Equal(t, "ubuntu "+replicaPublic+" 2222", get("MCS_REPLICA_SSH"))
	assert.Equal(t, testHostKey, get("MCS_PRIMARY_HOST_KEY"), "the primary's host key is pinned")
	assert.Equal(t, testHostKey, get("MCS_REPLICA_HOST_KEY"))
	assert.Contains(t, get("MCS_DUMP_COMMAND"), shell.Quote(scriptPath("seed-dump.sh")))
	assert.Contains(t, get("MCS_CHECK_COMMAND"), "MCS_SEED_MODE='check'")
	assert.Contains(t, get("MCS_LOAD_COMMAND"), "MCS_SEED_MODE='load'")
	for _, k := range []string{"MCS_CHECK_COMMAND", "MCS_LOAD_COMMAND"} {
		assert.Contains(t, get(k), shell.Quote(scriptPath("seed-load.sh")), k)
	}
	// Each host's scripts are staged by the first component that runs a
	// command on it: the primary's by db, the replica's by r's server.
	primaryStage, replicaStage := stagingOn(t, m, serverPublic), stagingOn(t, m, replicaPublic)
	assert.Equal(t, "db-scripts", primaryStage.Name)
	assert.Equal(t, "r-server-scripts", replicaStage.Name)
	for _, dep := range []string{primaryStage.Name, replicaStage.Name, "db-install", "r-server-install"} {
		assert.True(t, dependsOn(seed, "command:remote:Command", dep), "the seed runs after %s: %v", dep, seed.Dependencies)
	}

	// Replication, started on the replica.
	start, ok := m.Named("command:remote:Command", "r-replication")
	require.True(t, ok)
	assert.Equal(t, replicaPublic, connectionOf(t, start).host)
	screate := str(t, start, "create")
	assert.Contains(t, screate, shell.Quote(scriptPath("replica-start.sh")))
	assert.Contains(t, screate, "MCS_SOURCE='"+serverPrivate+"'")
	assert.Contains(t, screate, "MCS_PORT='3306'")
	assert.Contains(t, screate, "MCS_REPL_USER='mcs_repl_2'")
	assert.Contains(t, screate, "MCS_REQUIRE_TLS='ON'")
	assert.NotContains(t, screate, testPassword)
	assert.True(t, start.Inputs["stdin"].IsSecret())
	assert.Equal(t, testPassword, str(t, start, "stdin"))
	for _, dep := range []struct{ token, name string }{
		{"command:local:Command", "r-seed"},
		{"command:local:Command", "ingress"},
		{"command:remote:Command", acctCmd.Name},
		{"command:remote:Command", "r-server-install"},
	} {
		assert.True(t, dependsOn(start, dep.token, dep.name), "replication starts after %s: %v", dep.name, start.Dependencies)
	}
	reRunsCreate(t, start, "a change re-runs the start and check")

	assert.Equal(t, replicaPrivate, out.address.Value)
	assert.Equal(t, "mcs_repl_2", out.accountName.Value)
	assert.Equal(t, "seeded from "+serverPublic, out.seed.Value, "the seed's output")
	assert.Equal(t, ReplicaStatus{
		Source: serverPrivate + ":3306", TLSVersion: "TLSv1.3", GTIDPosition: "0-1-7", ServerVersion: "10.11.19-MariaDB-log",
	}, out.status.Value, "the status replica-start.sh printed, typed")
}

// TestReplicaRunReRunsTheSeedCheckAndTheReplicationCheck: Run is the
// trigger of both (make verify).
func TestReplicaRunReRunsTheSeedCheckAndTheReplicationCheck(t *testing.T) {
	m, _, err := runReplica(t, nil, func(a *ReplicaArgs) { a.Run = pulumi.String("2026-01-01T00:00:00Z") })
	require.NoError(t, err)
	for _, r := range []struct{ token, name string }{{"command:local:Command", "r-seed"}, {"command:remote:Command", "r-replication"}} {
		cmd, ok := m.Named(r.token, r.name)
		require.True(t, ok, r.name)
		triggers := cmd.Inputs["triggers"].ArrayValue()
		require.Len(t, triggers, 1, r.name)
		assert.Equal(t, "2026-01-01T00:00:00Z", triggers[0].StringValue(), r.name)
	}
}

func TestReplicaSeedGetsBothKeysWhenTheHostsHaveTwo(t *testing.T) {
	m := newMocks(t)
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		db, err := newTestServer(ctx)
		if err != nil {
			return err
		}
		rep, err := newTestHost(ctx, "rep", host.RoleReplica, replicaPublic, replicaPrivate)
		if err != nil {
			return err
		}
		rep.PrivateKey = pulumi.ToSecret(pulumi.String("REPLICA PRIVATE KEY")).(pulumi.StringOutput)
		_, err = NewReplica(ctx, "r", &ReplicaArgs{Host: rep, Source: db, ServerID: 5, Password: pulumi.String(testPassword)})
		return err
	})
	require.NoError(t, err)
	seed, ok := m.Named("command:local:Command", "r-seed")
	require.True(t, ok)
	assert.Equal(t, "TEST PRIVATE KEY\nREPLICA PRIVATE KEY", str(t, seed, "stdin"), "the primary's key, then the replica's")
	assert.True(t, seed.Inputs["stdin"].IsSecret())
	install, _ := m.Named("command:remote:Command", "r-server-install")
	assert.Contains(t, str(t, install, "create"), "MCS_SERVER_ID='5'")
	start, _ := m.Named("command:remote:Command", "r-replication")
	assert.Contains(t, str(t, start, "create"), "MCS_REPL_USER='mcs_repl_5'")
	assert.True(t, start.Inputs["stdin"].IsSecret(), "a plain password is still sent as a secret")
}

func TestReplicaOfAPlaintextPrimaryFailsTheDeployment(t *testing.T) {
	_, _, err := runReplica(t, func(a *ServerArgs) { a.AllowPlaintext = true }, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ReplicaArgs.Source: does not require TLS")
}

func TestReplicaInvalidArgsFailNamingTheField(t *testing.T) {
	primaryHost := &host.Host{Name: "srv"}
	replicaHost := &host.Host{Name: "rep"}
	valid := func() *ReplicaArgs {
		return &ReplicaArgs{
			Host:     replicaHost,
			Source:   &Server{Host: primaryHost}, // never used: validation comes first
			ServerID: 2,
			Password: pulumi.String(testPassword),
		}
	}
	cases := []struct {
		name  string
		edit  func(*ReplicaArgs) *ReplicaArgs
		field string
	}{
		{"nil args", func(*ReplicaArgs) *ReplicaArgs { return nil }, "ReplicaArgs.Host: required"},
		{"no host", func(a *ReplicaArgs) *ReplicaArgs { a.Host = nil; return a }, "ReplicaArgs.Host: required"},
		{"no source", func(a *ReplicaArgs) *ReplicaArgs { a.Source = nil; return a }, "ReplicaArgs.Source: required"},
		{"the primary's host", func(a *ReplicaArgs) *ReplicaArgs { a.Host = primaryHost; return a }, "ReplicaArgs.Host: is the primary's host"},
		{"server id 1, the primary's", func(a *ReplicaArgs) *ReplicaArgs { a.ServerID = 1; return a }, "ReplicaArgs.ServerID: 1: expected 2-"},
		{"server id unset", func(a *ReplicaArgs) *ReplicaArgs { a.ServerID = 0; return a }, "ReplicaArgs.ServerID: 0"},
		{"server id negative", func(a *ReplicaArgs) *ReplicaArgs { a.ServerID = -2; return a }, "ReplicaArgs.ServerID: -2"},
		{"server id too big", func(a *ReplicaArgs) *ReplicaArgs { a.ServerID = MaxServerID + 1; return a }, "ReplicaArgs.ServerID"},
		{"no password", func(a *ReplicaArgs) *ReplicaArgs { a.Password = nil; return a }, "ReplicaArgs.Password: required"},
		{"short password", func(a *ReplicaArgs) *ReplicaArgs { a.Password = pulumi.String("short"); return a }, "ReplicaArgs.Password: is too short"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireArgError(t, tc.field, func(ctx *pulumi.Context) error {
				_, err := NewReplica(ctx, "r", tc.edit(valid()))
				return err
			})
		})
	}
}

func TestReplicaShortPasswordKnownLaterFailsTheDeployment(t *testing.T) {
	_, _, err := runReplica(t, nil, func(a *ReplicaArgs) {
		a.Password = pulumi.ToSecret(pulumi.String("short-pw")).(pulumi.StringOutput)
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ReplicaArgs.Password: is too short")
	assert.NotContains(t, err.Error(), "short-pw")
}

func TestReplicationUserNames(t *testing.T) {
	assert.Equal(t, "mcs_repl_2", ReplicationUser(2))
	assert.Equal(t, "mcs_repl_17", ReplicationUser(17))
	assert.True(t, strings.HasPrefix(ReplicationUser(3), ReplicationUserPrefix))
	assert.LessOrEqual(t, len(ReplicationUser(MaxServerID)), MaxUserNameLength, "the largest server_id still makes a valid name")
	for _, ok := range []string{"mcs_repl_2", "mcs_repl_999999999"} {
		assert.NoError(t, validateReplicationUserName(ok), ok)
	}
	for _, bad := range []string{"app", "mcs_repl_", "mcs_repl_x", "mcs_repl_2a", "mcs_repl_-2", "xmcs_repl_2"} {
		assert.Error(t, validateReplicationUserName(bad), bad)
	}
}

func TestReplicationProofInvalidArgsFailNamingTheField(t *testing.T) {
	client := &host.Host{Name: "c"}
	cases := []struct {
		name  string
		args  *ReplicationProofArgs
		field string
	}{
		{"nil args", nil, "ReplicationProofArgs.Client: required"},
		{"no client", &ReplicationProofArgs{Replicas: map[string]*Replica{"r": {}}}, "ReplicationProofArgs.Client: required"},
		{"no replicas", &ReplicationProofArgs{Client: client}, "ReplicationProofArgs.Replicas: required"},
		{"empty replicas", &ReplicationProofArgs{Client: client, Replicas: map[string]*Replica{}}, "ReplicationProofArgs.Replicas: required"},
		{"a nil replica", &ReplicationProofArgs{Client: client, Replicas: map[string]*Replica{"r": nil}}, `ReplicationProofArgs.Replicas["r"]: is nil`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMocks(t)
			err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
				_, err := NewReplicationProof(ctx, "p", tc.args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.field)
			assert.Empty(t, m.Resources(), "nothing is registered")
		})
	}
}

func TestParseReplicationProof(t *testing.T) {
	p, err := ParseReplicationProof(`{"r1":{"address":"10.0.0.12","lagMs":4,"readOnly":true}}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]ReplicaRead{"r1": {Address: "10.0.0.12", LagMs: 4, ReadOnly: true}}, p)
	_, err = ParseReplicationProof("error: not json")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not JSON")
}

// TestReplicationProofWritesOnThePrimaryAndReadsEachReplica: the proof runs
// on the client as its login user, names every replica with its address,
// and waits for each replica's replication.
func TestReplicationProofWritesOnThePrimaryAndReadsEachReplica(t *testing.T) {
	m := newMocks(t)
	var proofs mocktest.Awaited
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		db, err := newTestServer(ctx)
		if err != nil {
			return err
		}
		client, err := newTestHost(ctx, "cli", host.RoleClient, clientPublic, clientPrivate)
		if err != nil {
			return err
		}
		replicas := map[string]*Replica{}
		for i, n := range []string{"rb", "ra"} {
			h, err := newTestHost(ctx, n, host.RoleReplica, "203.0.113.2"+string(rune('0'+i)), "10.0.0.2"+string(rune('0'+i)))
			if err != nil {
				return err
			}
			if replicas[n], err = NewReplica(ctx, n+"-replica", &ReplicaArgs{Host: h, Source: db, ServerID: 2 + i,
				Password: pulumi.String(testPassword)}); err != nil {
				return err
			}
		}
		p, err := NewReplicationProof(ctx, "proof", &ReplicationProofArgs{Client: client, Replicas: replicas})
		if err != nil {
			return err
		}
		proofs, err = mocktest.Await(ctx, p.Proofs)
		return err
	})
	require.NoError(t, err)
	cmd, ok := m.Named("command:remote:Command", "proof-proof")
	require.True(t, ok)
	assert.Equal(t, clientPublic, connectionOf(t, cmd).host, "run on the client")
	create := str(t, cmd, "create")
	assert.Contains(t, create, shell.Quote(scriptPath("replication-proof.sh")))
	assert.False(t, strings.HasPrefix(create, "s=;"), "as the login user, with its ~/.my.cnf, not as root")
	assert.Contains(t, create, "MCS_REPLICAS='ra=10.0.0.21 rb=10.0.0.20'", "every replica, by name, sorted")
	for _, n := range []string{"ra-replica-replication", "rb-replica-replication"} {
		assert.True(t, dependsOn(cmd, "command:remote:Command", n), "after %s", n)
	}
	assert.Equal(t, map[string]ReplicaRead{
		"ra": {Address: "10.0.0.21", LagMs: 2, ReadOnly: true},
		"rb": {Address: "10.0.0.20", LagMs: 3, ReadOnly: true},
	}, proofs.Value)
}
