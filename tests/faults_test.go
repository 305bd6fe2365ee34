package tests

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
	"github.com/mysql-client-server/mysql-client-server/tests/harness"
)

// Hostile but valid: quotes, backslashes, $, spaces, %, ;, -- and non-ASCII.
const (
	hostileUser     = `d'o"n\ $%;--ü`
	hostilePassword = `p'a"s\s $w%;--rd ü #x`
	hostileDatabase = `app db;$%'"-ü`
)

func TestLocalHostileValuesWorkEndToEnd(t *testing.T) {
	e := newLocalEnv(t, "10.213.205.0/24", []string{"mysql_client"}, hostilePassword,
		"userName", hostileUser, "database", hostileDatabase)
	m := e.mocks()
	t.Cleanup(func() { e.teardown(m) })
	out := e.run(m, nil)
	client := out["clientPrivateAddresses"].(map[string]string)["mysql_client"]

	proof := out["proofs"].(map[string]any)["mysql_client"].(map[string]any)
	assert.Equal(t, hostileUser+"@"+client, proof["currentUser"], "the proof logged in as the hostile user")

	// A plain mysql reads the hostile user, password and database from ~/.my.cnf.
	got, stderr, err := onClient(t, out, "mysql_client", `mysql -N --raw -e "SELECT CURRENT_USER(), DATABASE()"`)
	require.NoError(t, err, stderr)
	assert.Equal(t, hostileUser+"@"+client+"\t"+hostileDatabase, strings.TrimSpace(got))

	// Typed by hand, with the password from a file and the user in argv.
	got, err = mysqlOnClient(t, out, "mysql_client", hostileUser, hostilePassword,
		"USE `"+hostileDatabase+"`; CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('ok'); SELECT v FROM t")
	require.NoError(t, err)
	assert.Equal(t, "ok", strings.TrimSpace(got), "the user writes and reads its own database")

	// The % in the database name is not a wildcard: no grant on other databases.
	literal := "'" + strings.ReplaceAll(strings.ReplaceAll(hostileUser, `\`, `\\`), `'`, `\'`) + "'"
	got, stderr, err = sshRun(t, out["serverPublicAddress"].(string), out["privateKey"].(string),
		"mysql -N --raw", "SELECT Db FROM mysql.db WHERE User = "+literal+";")
	require.NoError(t, err, stderr)
	assert.Equal(t, `app db;$\%'"-ü`, strings.TrimSpace(got), "the grant names exactly one database, wildcards escaped")
}

// restartHost re-runs a host's create script (it restarts a stopped sshd).
func restartHost(t *testing.T, m *harness.Mocks, name string) {
	t.Helper()
	for _, r := range m.Records() {
		if r.Name == name+"-namespaces" {
			cmd := exec.Command("/bin/bash", "-c", r.Create)
			cmd.Env = os.Environ()
			for k, v := range r.Environment {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			return
		}
	}
	t.Fatalf("no host %s", name)
}

// stopSSHD stops a host's sshd, as a host that is still booting would have.
func stopSSHD(t *testing.T, e *localEnv, name string) {
	t.Helper()
	pids, _ := filepath.Glob(filepath.Join(e.stateDir, "*", name, "ssh", "sshd.pid"))
	require.Len(t, pids, 1)
	b, err := os.ReadFile(pids[0])
	require.NoError(t, err)
	pid := strings.TrimSpace(string(b))
	require.NoError(t, exec.Command("kill", pid).Run())
	for i := 0; exec.Command("kill", "-0", pid).Run() == nil; i++ {
		require.Less(t, i, 100, "sshd %s did not exit", pid)
		time.Sleep(50 * time.Millisecond)
	}
}

// clientInstallOn is a program with one MySQLClient on an existing host: the
// smallest program whose commands need that host's sshd.
func clientInstallOn(out map[string]any, name string) func(*pulumi.Context) error {
	return func(ctx *pulumi.Context) error {
		ready, err := local.NewCommand(ctx, "ready", &local.CommandArgs{Create: pulumi.String("true")})
		if err != nil {
			return err
		}
		addr := out["clientPublicAddresses"].(map[string]string)[name]
		h := &host.Host{
			Name: name, Role: host.RoleClient,
			PublicAddress: pulumi.String(addr).ToStringOutput(), PrivateAddress: pulumi.String(addr).ToStringOutput(),
			SSHPort: pulumi.Int(22).ToIntOutput(), User: pulumi.String("root").ToStringOutput(),
			PrivateKey: pulumi.ToSecret(pulumi.String(out["privateKey"].(string))).(pulumi.StringOutput),
			HostKey:    pulumi.String("").ToStringOutput(), Ready: ready,
		}
		_, err = mysql.NewClient(ctx, "late", &mysql.ClientArgs{Host: h})
		return err
	}
}

func TestLocalFaults(t *testing.T) {
	// Several runs with fresh mocks stand for one stack here, so they share
	// one imported key, as a real stack keeps its generated key in state.
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(priv, "faults")
	require.NoError(t, err)
	e := newLocalEnv(t, "10.213.206.0/24", []string{"mysql_client"}, testPassword,
		"sshPrivateKey", string(pem.EncodeToMemory(block)))
	e.secrets = append(e.secrets, "sshPrivateKey")
	m := e.mocks()
	t.Cleanup(func() { e.teardown(m) })
	out := e.run(m, nil)

	t.Run("committed rows survive SIGKILL of mysqld", func(t *testing.T) {
		_, err := mysqlOnClient(t, out, "mysql_client", "app", testPassword,
			"CREATE TABLE app.durable (id INT PRIMARY KEY); INSERT INTO app.durable VALUES (1),(2),(3)")
		require.NoError(t, err)
		pid := func() string {
			got, _, err := onServer(t, out, "cat /run/mysqld/mysqld.pid")
			require.NoError(t, err)
			return strings.TrimSpace(got)
		}
		before := pid()
		require.NoError(t, exec.Command("kill", "-KILL", before).Run(), "SIGKILL mysqld")
		// mysqld_safe restarts it; wait for a new, answering server (bounded).
		deadline := time.Now().Add(60 * time.Second)
		for {
			got, _, err := onServer(t, out, "mysqladmin ping >/dev/null 2>&1 && cat /run/mysqld/mysqld.pid")
			if err == nil && strings.TrimSpace(got) != "" && strings.TrimSpace(got) != before {
				break
			}
			require.True(t, time.Now().Before(deadline), "mysqld did not come back within 60s")
			time.Sleep(200 * time.Millisecond)
		}
		got, err := mysqlOnClient(t, out, "mysql_client", "app", testPassword, "SELECT COUNT(*) FROM app.durable")
		require.NoError(t, err)
		assert.Equal(t, "3", strings.TrimSpace(got), "every committed row is still there")
	})

	t.Run("the server comes back when it starts before its address, as after a reboot", func(t *testing.T) {
		netns := e.platform.Netns(0)
		addr := out["serverPrivateAddress"].(string) + "/24"
		pids, _ := filepath.Glob(filepath.Join(e.stateDir, "*", "mysql_server", "ssh", "sshd.pid"))
		require.Len(t, pids, 1)
		b, err := os.ReadFile(pids[0])
		require.NoError(t, err)
		sshd := strings.TrimSpace(string(b))
		// Inside the server host (its mount, network and UTS namespaces).
		inHost := func(cmd string) {
			t.Helper()
			// -r: the sshd's root too (an image host's is the image).
			got, err := exec.Command("nsenter", "-t", sshd, "-m", "-n", "-u", "-r", "--", "/bin/bash", "-c", cmd).CombinedOutput()
			require.NoError(t, err, "%s: %s", cmd, got)
		}
		// MariaDB binds an address the host does not have yet by itself (seen
		// here: it listens once the address comes up); MySQL 8 needs
		// ip_nonlocal_bind, which the install sets in the host's namespace.
		sysctl, err := exec.Command("ip", "netns", "exec", netns, "cat", "/proc/sys/net/ipv4/ip_nonlocal_bind").Output()
		require.NoError(t, err)
		assert.Equal(t, "1", strings.TrimSpace(string(sysctl)), "net.ipv4.ip_nonlocal_bind in the server's namespace")
		inHost(onHost("server_ctl stop"))
		// The boot order of the fault: the service starts, then the address
		// comes up.
		require.NoError(t, exec.Command("ip", "-n", netns, "addr", "del", addr, "dev", "eth0").Run())
		restored := false
		defer func() {
			if !restored {
				_ = exec.Command("ip", "-n", netns, "addr", "add", addr, "dev", "eth0").Run()
			}
		}()
		inHost(onHost("server_ctl start || { tail -n 5 /var/log/mysql/error.log 2>/dev/null; exit 1; }"))
		require.NoError(t, exec.Command("ip", "-n", netns, "addr", "add", addr, "dev", "eth0").Run())
		restored = true
		got, err := mysqlOnClient(t, out, "mysql_client", "app", testPassword, "SELECT 1")
		require.NoError(t, err, "the client reaches the server on its address")
		assert.Equal(t, "1", strings.TrimSpace(got))
	})

	t.Run("commands retry until a late sshd listens", func(t *testing.T) {
		stopSSHD(t, e, "mysql_client")
		late := 3 * time.Second
		restarted := make(chan struct{})
		go func() {
			defer close(restarted)
			time.Sleep(late) // the fault: sshd comes up late
			restartHost(t, m, "mysql_client")
		}()
		start := time.Now()
		lm := harness.New(harness.WithLog(t.Logf))
		err := pulumi.RunErr(clientInstallOn(out, "mysql_client"), pulumi.WithMocks("mysql-client-server", stackName, lm))
		<-restarted
		require.NoError(t, err, "the install waits for sshd instead of failing at once")
		assert.GreaterOrEqual(t, time.Since(start), late, "it did wait")
		t.Logf("succeeded after %s", time.Since(start).Round(time.Millisecond))
	})

	t.Run("commands give a clear error when sshd never listens, and a re-run converges", func(t *testing.T) {
		stopSSHD(t, e, "mysql_client")
		start := time.Now()
		lm := harness.New(harness.WithLog(t.Logf))
		err := pulumi.RunErr(clientInstallOn(out, "mysql_client"), pulumi.WithMocks("mysql-client-server", stackName, lm))
		took := time.Since(start)
		require.Error(t, err, "the run is interrupted")
		t.Logf("failed after %s: %v", took.Round(time.Millisecond), err)
		assert.Contains(t, err.Error(), fmt.Sprintf("%d failed attempts", host.DialErrorLimit))
		assert.Less(t, took, 5*time.Minute, "bounded")

		// The stack run again, with the host back, converges to the verified state.
		restartHost(t, m, "mysql_client")
		again := e.run(e.mocks(), nil)
		proof := again["proofs"].(map[string]any)["mysql_client"].(map[string]any)
		assert.Regexp(t, `^TLSv1\.[23]$`, proof["tlsVersion"])
	})

	t.Run("a failed install puts the previous configuration back, and the next good up converges", func(t *testing.T) {
		// The install fails once it has changed the host: the drop-in
		// holds the new port and mysqld has restarted with it.
		_, stderr, err := onServer(t, out, "echo server-install:configured >/etc/mysql/mysql-client-server-fault")
		require.NoError(t, err, stderr)
		defer func() { _, _, _ = onServer(t, out, "rm -f /etc/mysql/mysql-client-server-fault") }()
		e.config["port"] = "3307"
		_, err = e.runErr(m, nil)
		require.Error(t, err, "the up fails")
		assert.Contains(t, err.Error(), "injected fault at server-install:configured")
		assert.Contains(t, err.Error(), "restoring the previous configuration")
		got, stderr, err := onServer(t, out, "cat /etc/mysql/*/zz-mysql-client-server.cnf | grep '^port'; if ls /etc/mysql/*/zz-mysql-client-server.cnf.previous >/dev/null 2>&1; then echo kept; else echo gone; fi; mysql -N -e 'SELECT @@port'")
		require.NoError(t, err, stderr)
		assert.Equal(t, "port = 3306\ngone\n3306\n", got, "the previous drop-in is back, and mysqld runs with it")

		// The user sets the old value back: Pulumi kept the failed update's
		// old inputs, so nothing runs, and the host already agrees.
		_, _, err = onServer(t, out, "rm -f /etc/mysql/mysql-client-server-fault")
		require.NoError(t, err)
		delete(e.config, "port")
		again := e.run(m, nil)
		got, err = mysqlOnClient(t, again, "mysql_client", "app", testPassword, "SELECT COUNT(*) FROM app.durable")
		require.NoError(t, err, "the client logs in on the old port")
		assert.Equal(t, "3", strings.TrimSpace(got), "no data lost")

		// And the new value, once nothing fails, applies.
		e.config["port"] = "3307"
		moved := e.run(m, nil)
		got, stderr, err = onServer(t, moved, "mysql -N -e 'SELECT @@port'")
		require.NoError(t, err, stderr)
		assert.Equal(t, "3307", strings.TrimSpace(got))
		delete(e.config, "port")
		out = e.run(m, nil)
	})

	t.Run("teardown completes when a host disappeared out of band", func(t *testing.T) {
		for _, r := range m.Records() {
			if r.Name == "mysql_client-namespaces" {
				cmd := exec.Command("/bin/bash", "-c", r.Delete)
				cmd.Env = os.Environ()
				for k, v := range r.Environment {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
				b, err := cmd.CombinedOutput()
				require.NoError(t, err, "%s", b)
			}
		}
		require.NoError(t, m.Teardown(), "teardown completes without the client host")
		assert.Empty(t, e.leftovers())
	})

}
