package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onClient runs a shell command on a client host as root.
func onClient(t *testing.T, out map[string]any, client, cmd string) (string, string, error) {
	t.Helper()
	return sshRun(t, out["clientPublicAddresses"].(map[string]string)[client], out["privateKey"].(string), cmd, "")
}

// onServer runs a shell command on the server host as root.
func onServer(t *testing.T, out map[string]any, cmd string) (string, string, error) {
	t.Helper()
	return sshRun(t, out["serverPublicAddress"].(string), out["privateKey"].(string), cmd, "")
}

// argvWatcher scans every process's argv on this machine (which is every
// host's: the hosts share the process table) for the needles, until stopped.
type argvWatcher struct {
	scans, hits atomic.Int64
	found       sync.Map
	stop        context.CancelFunc
	done        chan struct{}
}

func watchArgv(needles ...string) *argvWatcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &argvWatcher{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for ctx.Err() == nil {
			procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
			for _, p := range procs {
				b, err := os.ReadFile(p)
				if err != nil || len(b) == 0 {
					continue
				}
				for _, n := range needles {
					if strings.Contains(string(b), n) {
						w.hits.Add(1)
						w.found.Store(p, strings.ReplaceAll(string(b), "\x00", " "))
					}
				}
			}
			w.scans.Add(1)
		}
	}()
	return w
}

func (w *argvWatcher) Stop() { w.stop(); <-w.done }

func TestLocalSecureByDefault(t *testing.T) {
	e := newLocalEnv(t, "10.213.203.0/24", []string{"mysql_client"}, testPassword)
	m := e.mocks()
	t.Cleanup(func() { e.teardown(m) })

	// Watch argv on the hosts for the whole run, the account SQL included.
	keyMarker := "BEGIN OPENSSH PRIVATE KEY"
	watcher := watchArgv(testPassword, keyMarker)
	out := e.run(m, nil)
	watcher.Stop()
	server := out["serverPrivateAddress"].(string)
	client := out["clientPrivateAddresses"].(map[string]string)["mysql_client"]

	t.Run("the proof is exported", func(t *testing.T) {
		proof := out["proofs"].(map[string]any)["mysql_client"].(map[string]any)
		t.Logf("proof: %v; operator: %v", proof, out["operatorCheck"])
		assert.Regexp(t, `^TLSv1\.[23]$`, proof["tlsVersion"])
		assert.NotEmpty(t, proof["cipher"])
		assert.Equal(t, "app@"+client, proof["currentUser"])
		assert.Contains(t, proof["serverVersion"], facts(t).versionMark)
		if testEngine(t) == "mysql" {
			assert.Regexp(t, `^9\.`, proof["serverVersion"], "Debian unstable's MySQL 9")
		}
		assert.Regexp(t, `^[0-9]+$`, fmt.Sprint(proof["roundTripMs"]), "round-trip milliseconds")
		assert.Equal(t, "closed (timeout)", out["operatorCheck"], "the operator cannot reach 3306")
		assert.Contains(t, out["caCert"], "BEGIN CERTIFICATE")
	})
	t.Run("the server certificate is renewed in place, without a restart", func(t *testing.T) {
		// What the renewal command runs at the start of a new period: the
		// install, with a period that starts after the current certificate
		// was issued.
		var install string
		for _, r := range m.Records() {
			if r.Name == "mysql-server-install" {
				install = r.Create
			}
			if r.Name == "mysql-server-tls-renew" {
				assert.Contains(t, r.Create, "MCS_RENEW_ISSUED_BEFORE=", "the renewal passes the period's start")
			}
		}
		require.NotEmpty(t, install)
		served := func() string { // the serial the server presents, seen from the client
			t.Helper()
			got, stderr, err := onClient(t, out, "mysql_client",
				"openssl s_client -starttls mysql -connect "+server+":3306 </dev/null 2>/dev/null | openssl x509 -noout -serial")
			require.NoError(t, err, stderr)
			return strings.TrimSpace(got)
		}
		pid := func() string {
			t.Helper()
			got, _, err := onServer(t, out, "cat /run/mysqld/mysqld.pid")
			require.NoError(t, err)
			return strings.TrimSpace(got)
		}
		serialBefore, pidBefore := served(), pid()
		require.Regexp(t, `^serial=`, serialBefore)
		expiryBefore, err := time.Parse(time.RFC3339, fmt.Sprint(out["certificateExpiry"]))
		require.NoError(t, err, "the certificateExpiry output")
		assert.WithinDuration(t, time.Now().Add(825*24*time.Hour), expiryBefore, 24*time.Hour)
		got, stderr, err := onServer(t, out, "export MCS_RENEW_ISSUED_BEFORE=$(( $(date +%s) + 1 )); "+install)
		require.NoError(t, err, stderr)
		assert.Contains(t, stderr, "renewing the server certificate")
		assert.Contains(t, stderr, "reloaded the server's TLS certificate")
		expires := regexp.MustCompile(`(?m)^certificate-expires: (\S+)$`).FindStringSubmatch(got)
		require.Len(t, expires, 2, got)
		expiryAfter, err := time.Parse(time.RFC3339, expires[1])
		require.NoError(t, err)
		assert.False(t, expiryAfter.Before(expiryBefore), "the new certificate expires no earlier")
		assert.NotEqual(t, serialBefore, served(), "the server presents the new certificate")
		assert.Equal(t, pidBefore, pid(), "no restart: the TLS context was reloaded")
		_, err = mysqlOnClient(t, out, "mysql_client", "app", testPassword, "SELECT 1")
		assert.NoError(t, err, "clients still verify and log in")
	})
	t.Run("a plain mysql on the client connects with no flags, over TLS", func(t *testing.T) {
		got, stderr, err := onClient(t, out, "mysql_client",
			`stat -c %a ~/.my.cnf; mysql -N -e "SELECT CURRENT_USER(), DATABASE(); SHOW SESSION STATUS LIKE 'Ssl_version'"`)
		require.NoError(t, err, stderr)
		lines := strings.Split(strings.TrimSpace(got), "\n")
		require.Len(t, lines, 3, got)
		assert.Equal(t, "600", lines[0], "~/.my.cnf is mode 0600")
		assert.Equal(t, "app@"+client+"\tapp", lines[1])
		assert.Regexp(t, `^Ssl_version\tTLSv1\.[23]$`, lines[2])
	})
	t.Run("a plaintext connection is refused", func(t *testing.T) {
		// Its own option file, so ~/.my.cnf's TLS settings do not apply; the
		// password comes on stdin.
		cmd := `f=$(mktemp); { printf '[client]\nuser=app\nhost=` + server + `\n` + facts(t).plaintext + `\npassword="'; cat; printf '"\n'; } >"$f"
mysql --defaults-file="$f" -N -e 'SHOW SESSION STATUS LIKE "Ssl_version"'; rc=$?; rm -f "$f"; exit $rc`
		got, stderr, err := sshRun(t, out["clientPublicAddresses"].(map[string]string)["mysql_client"], out["privateKey"].(string), cmd, testPassword)
		require.Error(t, err, "a plaintext login must fail: %s", got)
		assert.Regexp(t, `ERROR (1045|3159)`, stderr)
	})
	t.Run("a client that trusts a different CA is refused", func(t *testing.T) {
		_, stderr, err := onClient(t, out, "mysql_client", `d=$(mktemp -d) && trap 'rm -rf "$d"' EXIT &&
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=other -keyout "$d/k" -out "$d/ca.pem" 2>/dev/null &&
mysql --ssl-ca="$d/ca.pem" -N -e 'SELECT 1'`)
		require.Error(t, err)
		assert.Contains(t, stderr, "ERROR 2026")
	})
	t.Run("an address that is not in the certificate fails identity verification", func(t *testing.T) {
		_, stderr, err := onClient(t, out, "mysql_client",
			"grep -q db-alias /etc/hosts || echo '"+server+" db-alias' >>/etc/hosts; mysql -h db-alias -N -e 'SELECT 1'")
		require.Error(t, err, "db-alias reaches the same server, but the certificate names only "+server)
		assert.Contains(t, stderr, "ERROR 2026")
		_, stderr, err = onClient(t, out, "mysql_client", "mysql -h "+server+" -N -e 'SELECT 1'")
		assert.NoError(t, err, "control: the certificate's own address works: %s", stderr)
	})
	t.Run("no anonymous user, no remote root, no test database, local_infile off", func(t *testing.T) {
		got, stderr, err := onServer(t, out, `mysql -N -e "SELECT COUNT(*) FROM mysql.user WHERE user = '' OR (user = 'root' AND host NOT IN ('localhost','127.0.0.1','::1')); SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'test'; SELECT @@local_infile, @@require_secure_transport"`)
		require.NoError(t, err, stderr)
		assert.Equal(t, []string{"0", "0", "0", "1"}, strings.Fields(got))
	})
	t.Run("the least-privilege user cannot read mysql.user or create users", func(t *testing.T) {
		_, stderr, err := onClient(t, out, "mysql_client", "mysql -N -e 'SELECT COUNT(*) FROM mysql.user'")
		require.Error(t, err)
		assert.Contains(t, stderr, "ERROR 1142")
		_, stderr, err = onClient(t, out, "mysql_client", `mysql -N -e "CREATE USER 'intruder'@'%' IDENTIFIED BY 'x-long-password'"`)
		require.Error(t, err)
		assert.Contains(t, stderr, "ERROR 1227")
		got, _, err := onClient(t, out, "mysql_client", "mysql -N -e 'SHOW GRANTS'")
		require.NoError(t, err)
		assert.NotContains(t, got, "GRANT ALL PRIVILEGES ON *.*", "no global privileges (only USAGE)")
		assert.NotContains(t, got, "WITH GRANT OPTION")
	})

	t.Run("diagnosis", func(t *testing.T) {
		var verify string
		for _, r := range m.Records() {
			if r.Name == "mysql_client-mysql-verify-proof" {
				verify = r.Create
			}
		}
		require.NotEmpty(t, verify, "the proof command ran")
		rows := []struct{ name, provoke, restore, want string }{
			{"timeout", "ip netns exec " + e.platform.Netns(0) + " nft delete element inet mysql_client_server mysql_clients { " + client + " }",
				"ip netns exec " + e.platform.Netns(0) + " nft add element inet mysql_client_server mysql_clients { " + client + " }",
				"diagnosis: ingress or firewall (timeout)"},
			{"refused", "server: " + onHost("server_ctl stop"), "server: " + onHost("server_ctl start"),
				"diagnosis: bind-address, or the service is down (refused)"},
			{"1130", `server: mysql -e "RENAME USER 'app'@'` + client + `' TO 'app'@'10.9.9.9'"`,
				`server: mysql -e "RENAME USER 'app'@'10.9.9.9' TO 'app'@'` + client + `'"`,
				"diagnosis: the user's host"},
			{"1045", "client: cp ~/.my.cnf ~/.my.cnf.keep && sed -i 's/^password = .*/password = \"wrong-password-123\"/' ~/.my.cnf",
				"client: mv ~/.my.cnf.keep ~/.my.cnf", "diagnosis: password or auth plugin"},
			{"TLS", "client: cp ~/.mysql-client-server-ca.pem ~/.ca.keep && openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=other -keyout /dev/null -out ~/.mysql-client-server-ca.pem 2>/dev/null",
				"client: mv ~/.ca.keep ~/.mysql-client-server-ca.pem", "diagnosis: TLS: CA, certificate or identity"},
		}
		do := func(t *testing.T, cmd string) {
			t.Helper()
			var stderr string
			var err error
			switch {
			case strings.HasPrefix(cmd, "server: "):
				_, stderr, err = onServer(t, out, strings.TrimPrefix(cmd, "server: "))
			case strings.HasPrefix(cmd, "client: "):
				_, stderr, err = onClient(t, out, "mysql_client", strings.TrimPrefix(cmd, "client: "))
			default:
				var b []byte
				b, err = execCommand("bash", "-c", cmd)
				stderr = string(b)
			}
			require.NoError(t, err, "%s: %s", cmd, stderr)
		}
		for _, row := range rows {
			t.Run(row.name, func(t *testing.T) {
				do(t, row.provoke)
				restored := false
				t.Cleanup(func() {
					if !restored {
						do(t, row.restore)
					}
				})
				start := time.Now()
				_, stderr, err := onClient(t, out, "mysql_client", verify)
				require.Error(t, err, "the proof fails")
				t.Logf("%s after %s:\n%s", row.name, time.Since(start).Round(time.Millisecond), stderr)
				assert.Contains(t, stderr, row.want)
				assert.Contains(t, stderr, "mysql said: ")
				do(t, row.restore)
				restored = true
				_, stderr, err = onClient(t, out, "mysql_client", verify)
				require.NoError(t, err, "the proof passes again once restored: %s", stderr)
			})
		}
	})

	t.Run("secret hygiene", func(t *testing.T) {
		key := out["privateKey"].(string)
		keyBody := strings.Split(strings.TrimSpace(key), "\n")[1] // a line of the key's base64
		secrets := map[string]string{"password": testPassword, "private key": keyBody}
		// Outputs: only the outputs marked secret may hold them.
		for name, v := range out {
			if e.secretOutputs[name] {
				continue
			}
			for what, s := range secrets {
				assert.NotContains(t, toString(v), s, "the %s appears in the plaintext output %s", what, name)
			}
		}
		assert.True(t, e.secretOutputs["password"] && e.secretOutputs["privateKey"], "password and privateKey are secret outputs")
		// Command output and command lines: no command prints them or takes
		// them as an argument. The key generator's stdout is the key itself,
		// kept as a secret output with logging off (checked in the wiring tests).
		for _, r := range m.Records() {
			for what, s := range secrets {
				if r.Name == "mysql-ssh-generate" && what == "private key" {
					continue
				}
				assert.NotContains(t, r.Stdout+r.Stderr, s, "%s: the %s is in the command's output", r.Name, what)
				assert.NotContains(t, r.Create+r.Delete, s, "%s: the %s is in the command line", r.Name, what)
			}
		}
		// argv on the hosts, watched for the whole run.
		t.Logf("argv watch: %d scans of every process, %d hits", watcher.scans.Load(), watcher.hits.Load())
		assert.Greater(t, watcher.scans.Load(), int64(10), "the watcher really scanned during the run")
		watcher.found.Range(func(p, argv any) bool {
			t.Errorf("a secret was in %s: %v", p, argv)
			return true
		})
		// Logs: the harness log (what pulumi would show), sshd and MariaDB logs.
		for what, s := range secrets {
			assert.NotContains(t, e.log.String(), s, "the %s is in the deployment log", what)
		}
		logs, _ := filepath.Glob(filepath.Join(e.stateDir, "*", "*", "*.log"))
		more, _ := filepath.Glob(filepath.Join(e.stateDir, "*", "*", "log-mysql", "*"))
		logs = append(logs, more...)
		require.NotEmpty(t, logs, "there are host logs to check")
		for _, f := range logs {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			for what, s := range secrets {
				assert.NotContains(t, string(b), s, "the %s is in %s", what, f)
			}
		}
	})
}

func TestLocalTutorialPreset(t *testing.T) {
	e := newLocalEnv(t, "10.213.204.0/24", []string{"mysql_client"}, testPassword, "preset", "tutorial")
	m := e.mocks()
	t.Cleanup(func() { e.teardown(m) })
	_, outsiderAddr, withOutsider := e.outsider()
	out := e.run(m, withOutsider)

	assert.Equal(t, "donald", out["userName"])
	assert.Equal(t, "donald@%", out["accounts"].(map[string]string)["mysql_client"])
	got, stderr, err := onServer(t, out, `mysql -N -e "SHOW GRANTS FOR 'donald'@'%'; SELECT @@bind_address, @@require_secure_transport"`)
	require.NoError(t, err, stderr)
	if testEngine(t) == "mariadb" {
		assert.Contains(t, got, "GRANT ALL PRIVILEGES ON *.* TO `donald`@`%`")
	} else {
		// MySQL 8 and later show ALL as the privileges it stands for.
		assert.Regexp(t, "GRANT SELECT, INSERT, .*CREATE USER, .* ON \\*\\.\\* TO `donald`@`%` WITH GRANT OPTION", got)
		assert.Contains(t, got, "SYSTEM_USER", "the dynamic privileges too")
	}
	assert.Contains(t, got, "WITH GRANT OPTION")
	assert.Contains(t, got, "0.0.0.0\t0")

	// The user logs in from the third host too, in plaintext, as in the seed.
	// MySQL 9 has no mysql_native_password: caching_sha2_password's first
	// login without TLS fetches the server's RSA key.
	plaintext := "--skip-ssl"
	if testEngine(t) == "mysql" {
		plaintext = "--ssl-mode=DISABLED --get-server-public-key"
		got, stderr, err := onServer(t, out, `mysql -N -e "SELECT plugin FROM mysql.user WHERE user = 'donald'"`)
		require.NoError(t, err, stderr)
		assert.Equal(t, "caching_sha2_password", strings.TrimSpace(got), "MySQL 9.7 has no mysql_native_password")
	}
	cmd := `f=$(mktemp); printf '[client]\npassword="` + testPassword + `"\n' >"$f"; mysql --defaults-extra-file="$f" ` + plaintext + ` -h ` +
		out["serverPrivateAddress"].(string) + ` -u donald -N -e 'SELECT CURRENT_USER()'; rc=$?; rm -f "$f"; exit $rc`
	got, stderr, err = sshRun(t, outsiderAddr, out["privateKey"].(string), cmd, "")
	require.NoError(t, err, "donald logs in from a host that is not a client: %s", stderr)
	assert.Equal(t, "donald@%", strings.TrimSpace(got))
	assert.Equal(t, "skipped: the tutorial preset opens the MySQL port", out["operatorCheck"])
}

// execCommand runs a command on the operator.
func execCommand(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}

// toString renders an output value, maps and lists included, for searching.
func toString(v any) string { return fmt.Sprint(v) }
