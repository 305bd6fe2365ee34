package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/local"
	"github.com/mysql-client-server/mysql-client-server/tests/harness"
)

// hostFault is the file a host's scripts read for the step that is to fail
// (lib.sh's MCS_FAULT_FILE): /etc/mysql on the host is its etc-mysql dir.
const hostFault = "etc-mysql/mysql-client-server-fault"

// faultOnHosts returns a hook for harness.WithBeforeRun that gives every
// host of e, as soon as its directory exists, a fault file listing steps:
// each fails once on that host, after it has changed the host.
func faultOnHosts(t *testing.T, e *localEnv, steps []string) func(typ, name string) {
	var mu sync.Mutex
	seeded := map[string]bool{}
	return func(string, string) {
		mu.Lock()
		defer mu.Unlock()
		dirs, _ := filepath.Glob(filepath.Join(e.stateDir, "*", "*", "etc-mysql"))
		for _, d := range dirs {
			if seeded[d] {
				continue
			}
			seeded[d] = true
			f := filepath.Join(filepath.Dir(d), hostFault)
			if err := os.WriteFile(f, []byte(strings.Join(steps, "\n")+"\n"), 0o600); err != nil {
				t.Errorf("writing %s: %v", f, err)
			}
		}
	}
}

// failedWith tells whether a command the mocks ran failed saying msg (an up
// reports one of its failures; steps that do not depend on each other run on).
func failedWith(m *harness.Mocks, msg string) bool {
	for _, r := range m.Records() {
		if r.Err != nil && strings.Contains(r.Stderr+r.Err.Error(), msg) {
			return true
		}
	}
	return false
}

// TestLocalEveryStepFailsAndTheNextUpConverges makes each step of a first up
// fail in turn once it has changed its host, with one client and one
// replica: each failed up is followed by the next, until a good up
// converges and every proof passes. A failure of a step that makes hosts
// leaves nothing behind that no state knows: `make down` (the teardown)
// after it leaves no namespace, process, link or directory.
func TestLocalEveryStepFailsAndTheNextUpConverges(t *testing.T) {
	e := newLocalEnv(t, "10.213.209.0/24", []string{"mysql_client"}, testPassword, "replicas", "1")
	m := harness.New(harness.WithLog(t.Logf))
	t.Cleanup(func() { e.teardown(m) })

	// Steps on the operator's machine that make hosts: the failure removes
	// what it made, so a teardown of what the state knows leaves nothing.
	for _, fault := range []string{"host-create:network", "host-create:sshd", "ingress-apply:applied"} {
		t.Run(fault+" leaves nothing unknown", func(t *testing.T) {
			t.Setenv("MCS_FAULT", fault)
			_, err := e.runErr(m, nil)
			require.Error(t, err, "the up fails")
			assert.True(t, failedWith(m, "injected fault at "+fault), "%s failed: %v", fault, err)
			require.NoError(t, m.Teardown(), "make down after the failed up")
			assert.Empty(t, e.leftovers(), "nothing is left behind")
			m = harness.New(harness.WithLog(t.Logf))
		})
	}

	// Every step that changes a host fails once, on each host it runs on,
	// after its change; so does the seed, on the operator's machine, until
	// it has failed. Each up goes on from where the last one failed, and a
	// good up follows.
	steps := []string{"server-install:configured", "tls-request:made", "client-install:installed",
		"user-apply:applied", "client-login:written", "seed-load:loaded", "replica-start:started"}
	m = harness.New(harness.WithLog(t.Logf), harness.WithBeforeRun(faultOnHosts(t, e, steps)))
	t.Setenv("MCS_FAULT", "replica-seed:seeded")
	failed := 0
	for ; failed < 2*len(steps); failed++ {
		_, err := e.runErr(m, nil)
		if failedWith(m, "injected fault at replica-seed:seeded") {
			t.Setenv("MCS_FAULT", "")
		}
		if err == nil {
			break
		}
		t.Logf("up %d failed: %v", failed+1, firstLine(err.Error()))
	}
	for _, s := range append(steps, "replica-seed:seeded") {
		assert.True(t, failedWith(m, "injected fault at "+s), "%s failed once", s)
	}
	t.Logf("%d failed ups, then a good one", failed)

	out := e.run(m, nil)
	proveClientConnects(t, out, "mysql_client")
	proof := out["proofs"].(map[string]any)["mysql_replica_1"].(map[string]any)
	assert.Regexp(t, `^TLSv1\.[23]$`, proof["tlsVersion"], "the replica replicates over TLS")
	assert.Equal(t, true, proof["readOnly"])

	t.Run("a failed password rotation puts the account back, and the old value converges", func(t *testing.T) {
		_, err := mysqlOnClient(t, out, "mysql_client", "app", testPassword,
			"CREATE TABLE app.kept (id INT PRIMARY KEY); INSERT INTO app.kept VALUES (1),(2)")
		require.NoError(t, err)
		const rotated = "rotated-Fault-pw-7"
		e.config["password"] = rotated
		_, stderr, err := onServer(t, out, "echo user-apply:applied >/etc/mysql/mysql-client-server-fault")
		require.NoError(t, err, stderr)
		_, err = e.runErr(m, nil)
		require.Error(t, err, "the rotation fails once the account has changed")
		assert.True(t, failedWith(m, "injected fault at user-apply:applied"))
		assert.True(t, failedWith(m, "putting the account app@"), "the account is put back")
		assert.NotContains(t, err.Error(), rotated, "the password is in no error")

		// The user sets the old password back: the account already has it.
		e.config["password"] = testPassword
		again := e.run(m, nil)
		got, err := mysqlOnClient(t, again, "mysql_client", "app", testPassword, "SELECT COUNT(*) FROM app.kept")
		require.NoError(t, err, "the client logs in with the old password")
		assert.Equal(t, "2", strings.TrimSpace(got), "no data lost")
		_, err = mysqlOnClient(t, again, "mysql_client", "app", rotated, "SELECT 1")
		assert.Error(t, err, "the new password was never left on the account")
		got, stderr, err = onClient(t, again, "mysql_client", `mysql -N -e "SELECT COUNT(*) FROM app.kept"`)
		require.NoError(t, err, stderr)
		assert.Equal(t, "2", strings.TrimSpace(got), "~/.my.cnf agrees with the account")
		waitRows(t, again, "mysql_replica_1", "app.kept", 2, 30*time.Second)

		// And the rotation, once nothing fails, applies.
		e.config["password"] = rotated
		rotatedOut := e.run(m, nil)
		_, err = mysqlOnClient(t, rotatedOut, "mysql_client", "app", rotated, "SELECT 1")
		require.NoError(t, err, "the new password")
		e.config["password"] = testPassword
		out = e.run(m, nil)
	})

	t.Run("a new localSubnet is refused while the hosts run, before anything changes", func(t *testing.T) {
		before := e.leftovers()
		e.config["localSubnet"] = "10.213.214.0/24"
		_, err := e.runErr(m, nil)
		require.Error(t, err)
		for _, want := range []string{"mysql-client-server:localSubnet", "run on 10.213.209.0/24", "delete the server's data", "expected 10.213.209.0/24"} {
			assert.Contains(t, err.Error(), want)
		}
		moved := &local.Platform{Name: e.platform.Name, Subnet: "10.213.214.0/24", StateDir: e.stateDir}
		assert.Error(t, exec.Command("ip", "link", "show", moved.Bridge()).Run(), "no bridge on the new subnet")
		assert.Equal(t, before, e.leftovers(), "the hosts are as they were")
		e.config["localSubnet"] = "10.213.209.0/24"
		again := e.run(m, nil)
		proveClientConnects(t, again, "mysql_client")
	})
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
