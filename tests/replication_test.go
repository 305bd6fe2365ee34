package tests

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onReplica runs a shell command on a replica host as root.
func onReplica(t *testing.T, out map[string]any, replica, cmd string) (string, string, error) {
	t.Helper()
	return sshRun(t, out["replicaPrivateAddresses"].(map[string]string)[replica], out["privateKey"].(string), cmd, "")
}

// sqlOn runs SQL as root over the socket on a database host (the server or a
// replica) and returns its trimmed output.
func sqlOn(t *testing.T, out map[string]any, name, sql string) string {
	t.Helper()
	addr := out["serverPublicAddress"].(string)
	if name != "mysql_server" {
		addr = out["replicaPrivateAddresses"].(map[string]string)[name]
	}
	got, stderr, err := sshRun(t, addr, out["privateKey"].(string), "mysql -N --raw", sql)
	require.NoError(t, err, "%s: %s", name, stderr)
	return strings.TrimSpace(got)
}

// waitRows waits until table holds want rows on the named replica, within
// bound, and returns how long that took.
func waitRows(t *testing.T, out map[string]any, name, table string, want int, bound time.Duration) time.Duration {
	t.Helper()
	return waitCount(t, out, name, table, bound, func(n int) bool { return n == want }, fmt.Sprint(want))
}

// waitCount polls the row count of table on a replica until ok holds, within
// bound, and returns how long that took.
func waitCount(t *testing.T, out map[string]any, name, table string, bound time.Duration, ok func(int) bool, want string) time.Duration {
	t.Helper()
	start := time.Now()
	last := ""
	for time.Since(start) < bound {
		addr := out["replicaPrivateAddresses"].(map[string]string)[name]
		got, _, err := sshRun(t, addr, out["privateKey"].(string), "mysql -N -e 'SELECT COUNT(*) FROM "+table+"'", "")
		last = strings.TrimSpace(got)
		var n int
		if _, scanErr := fmt.Sscan(last, &n); err == nil && scanErr == nil && ok(n) {
			return time.Since(start)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: %s has %q rows after %s, expected %s", name, table, last, bound, want)
	return 0
}

// checksum is the table's CHECKSUM TABLE value on a host.
func checksum(t *testing.T, out map[string]any, name, table string) string {
	t.Helper()
	return sqlOn(t, out, name, "CHECKSUM TABLE "+table+";")
}

// writeRows inserts rows from..to into app.<table> from a client, one
// session (and one commit) per row, as the client's account.
func writeRows(t *testing.T, out map[string]any, client, table string, from, to int) {
	t.Helper()
	cmd := fmt.Sprintf(`set -e; for i in $(seq %d %d); do mysql -e "INSERT INTO %s (id) VALUES ($i)"; done`, from, to, table)
	_, stderr, err := onClient(t, out, client, cmd)
	require.NoError(t, err, "the client writes rows %d-%d: %s", from, to, stderr)
}

// TestLocalReplicas deploys two replicas and two clients on local hosts and
// proves what the replicas promise: the primary's data, GTID replication
// over TLS verified against the stack's CA, one REPLICATION SLAVE account per
// replica, read-only replicas the clients read from with their own account,
// 3306 on a replica open to the clients only; then the faults: a replica's
// mysqld killed, a replica cut off the network, the primary restarted, and a
// replica added to a primary holding 10,000 rows.
func TestLocalReplicas(t *testing.T) {
	// allPrivileges: ALL ON *.*, which on MariaDB holds READ_ONLY ADMIN, the
	// privilege that writes through read_only: the replicas must still
	// refuse the clients' writes.
	e := newLocalEnv(t, "10.213.212.0/24", []string{"mysql_client", "mysql_client2"}, testPassword,
		"replicas", "2", "allPrivileges", "true")
	m := e.mocks()
	t.Cleanup(func() { e.teardown(m) })
	out := e.run(m, nil)
	primary := out["serverPrivateAddress"].(string)
	replicas := out["replicaPrivateAddresses"].(map[string]string)
	clients := out["clientPrivateAddresses"].(map[string]string)
	require.Equal(t, map[string]string{"mysql_replica_1": "10.213.212.254", "mysql_replica_2": "10.213.212.253"}, replicas)

	t.Run("each replica's proof: its source, TLS, position and lag", func(t *testing.T) {
		proofs := out["proofs"].(map[string]any)
		for name, addr := range replicas {
			p := proofs[name].(map[string]any)
			assert.Equal(t, primary+":3306", p["source"], name)
			assert.Regexp(t, `^TLSv1\.[23]$`, p["tlsVersion"], name)
			assert.Regexp(t, facts(t).gtidPosition, p["gtidPosition"], "%s follows the primary's (server_id 1) GTIDs", name)
			assert.Equal(t, addr, p["address"], name)
			assert.Equal(t, true, p["readOnly"], name)
			assert.Regexp(t, `^[0-9]+$`, fmt.Sprint(p["lagMs"]), "%s: milliseconds", name)
			assert.Equal(t, "mysql_client", p["readBy"], name)
			assert.Equal(t, "closed (timeout)", p["operatorCheck"], "%s's 3306 is closed to the operator", name)
			t.Logf("%s: %v", name, p)
		}
	})

	t.Run("replication is by GTID, over TLS that verifies the primary", func(t *testing.T) {
		for name := range replicas {
			got, stderr, err := onReplica(t, out, name, onHost("replica_status"))
			require.NoError(t, err, stderr)
			for _, want := range facts(t).replicaStatus {
				assert.Contains(t, got, strings.ReplaceAll(want, "%s", primary), name)
			}
			assert.Equal(t, facts(t).readOnlyGTIDWant, sqlOn(t, out, name, facts(t).readOnlyGTID), "%s is read-only, GTID strict", name)
		}
		ids := map[string]bool{sqlOn(t, out, "mysql_server", "SELECT @@server_id;"): true}
		for name := range replicas {
			ids[sqlOn(t, out, name, "SELECT @@server_id;")] = true
		}
		assert.Len(t, ids, 3, "unique server_ids")
		assert.Equal(t, "1\tROW", sqlOn(t, out, "mysql_server", "SELECT @@log_bin, @@binlog_format;"), "the primary keeps a binary log")
	})

	t.Run("one replication account per replica, REQUIRE SSL, REPLICATION SLAVE only", func(t *testing.T) {
		got := sqlOn(t, out, "mysql_server", "SELECT user, host FROM mysql.user WHERE user LIKE 'mcs\\_repl\\_%' ORDER BY user;")
		assert.Equal(t, "mcs_repl_2\t"+replicas["mysql_replica_1"]+"\nmcs_repl_3\t"+replicas["mysql_replica_2"], got)
		for user, name := range map[string]string{"mcs_repl_2": "mysql_replica_1", "mcs_repl_3": "mysql_replica_2"} {
			account := fmt.Sprintf("'%s'@'%s';", user, replicas[name])
			grants := sqlOn(t, out, "mysql_server", "SHOW GRANTS FOR "+account)
			assert.Regexp(t, "^GRANT REPLICATION SLAVE ON \\*\\.\\* TO `"+user+"`@`"+regexp.QuoteMeta(replicas[name])+"`", grants)
			assert.NotContains(t, grants, "\n", "one grant only")
			assert.Regexp(t, "REQUIRE SSL( |$)", sqlOn(t, out, "mysql_server", facts(t).requireSSLIn+account))
		}
	})

	t.Run("clients read from the replicas with their own account, verifying each replica's identity", func(t *testing.T) {
		_, err := mysqlOnClient(t, out, "mysql_client", "app", testPassword,
			"CREATE TABLE app.replica_reads (id INT PRIMARY KEY); INSERT INTO app.replica_reads VALUES (7)")
		require.NoError(t, err)
		for client, addr := range clients {
			for name, raddr := range replicas {
				waitRows(t, out, name, "app.replica_reads", 1, 30*time.Second)
				// ~/.my.cnf verifies the server certificate (ssl-verify-server-cert);
				// -h points it at the replica, whose certificate names raddr.
				got, stderr, err := onClient(t, out, client, fmt.Sprintf(
					`mysql -h %s -N -e "SELECT CURRENT_USER(), @@server_id, id FROM replica_reads; SHOW STATUS LIKE 'Ssl_version'"`, raddr))
				require.NoError(t, err, "%s reads from %s: %s", client, name, stderr)
				assert.Regexp(t, `^app@`+regexp.QuoteMeta(addr)+`\t[23]\t7\nSsl_version\tTLSv1\.[23]\n$`, got, "%s on %s", client, name)
				_, stderr, err = onClient(t, out, client, fmt.Sprintf(`mysql -h %s -e "INSERT INTO replica_reads VALUES (8)"`, raddr))
				require.Error(t, err, "%s writes on %s", client, name)
				assert.Contains(t, stderr, "read-only", "the replica refuses the write as read-only")
			}
		}
		// The certificate names the replica's address and chains to the CA.
		for name, raddr := range replicas {
			got, stderr, err := onClient(t, out, "mysql_client", fmt.Sprintf(
				`openssl s_client -starttls mysql -connect %s:3306 -CAfile ~/.mysql-client-server-ca.pem -verify_ip %s -verify_return_error </dev/null 2>&1 | grep -E '^Verify return code'`, raddr, raddr))
			require.NoError(t, err, stderr)
			assert.Contains(t, got, "Verify return code: 0 (ok)", name)
		}
	})

	t.Run("a replica's 3306 is open to the clients only; the primary's to the clients and replicas", func(t *testing.T) {
		for k, name := range []string{"mysql_replica_1", "mysql_replica_2"} {
			raddr := replicas[name]
			assert.NoError(t, tcpFromNetns(e.platform.Netns(1), raddr, 3306), "client -> %s", name)
			assert.NoError(t, tcpFromNetns(e.platform.Netns(2), raddr, 3306), "client2 -> %s", name)
			assert.EqualError(t, tcpFromNetns(e.platform.Netns(0), raddr, 3306), "timeout", "primary -> %s", name)
			other := e.platform.ReplicaNetns(2 - k)
			assert.EqualError(t, tcpFromNetns(other, raddr, 3306), "timeout", "the other replica -> %s", name)
			assert.NoError(t, tcpFromNetns(e.platform.ReplicaNetns(k+1), primary, 3306), "%s -> primary", name)
		}
	})

	t.Run("a new replication password reaches the channel", func(t *testing.T) {
		// As a rotation through mysql.ReplicaArgs.Password would: the account
		// on the primary changes, then replica-start.sh runs with the new one.
		start := func(password string) string {
			cmd := fmt.Sprintf(`env MCS_SOURCE=%s MCS_PORT=3306 MCS_REPL_USER=mcs_repl_2 bash "$(ls -d /etc/mysql/mysql-client-server-scripts/*/ | head -n 1)replica-start.sh"`, primary)
			stdout, stderr, err := sshRun(t, replicas["mysql_replica_1"], out["privateKey"].(string), cmd, password)
			require.NoError(t, err, stderr)
			assert.Contains(t, stdout, `"source":"`+primary+`:3306"`)
			return stderr
		}
		masterInfo := func() string {
			got, _, err := onReplica(t, out, "mysql_replica_1", facts(t).channelPassword)
			require.NoError(t, err)
			return strings.TrimSpace(got)
		}
		old := masterInfo()
		require.GreaterOrEqual(t, len(old), 12)
		assert.NotContains(t, start(old), "replicating from", "the same password: the channel is left alone")
		const rotated = "rotated-Replication-pw-1"
		setPassword := func(p string) {
			sqlOn(t, out, "mysql_server", fmt.Sprintf("ALTER USER 'mcs_repl_2'@'%s' IDENTIFIED BY '%s';", replicas["mysql_replica_1"], p))
		}
		setPassword(rotated)
		defer func() {
			setPassword(old)
			start(old)
		}()
		assert.Contains(t, start(rotated), "replicating from", "a new password: the channel is changed")
		assert.True(t, masterInfo() == rotated, "the channel has the new password")
	})

	// The fault tests write into one table from the first client.
	_, err := mysqlOnClient(t, out, "mysql_client", "app", testPassword, "CREATE TABLE app.faults (id INT PRIMARY KEY)")
	require.NoError(t, err)
	rows := 0

	t.Run("a replica's mysqld killed with SIGKILL restarts, catches up and misses no committed row", func(t *testing.T) {
		pid := func() string {
			got, _, err := onReplica(t, out, "mysql_replica_1", `mysqladmin ping >/dev/null 2>&1 && cat "$(mysql -N -e 'SELECT @@pid_file')"`)
			if err != nil {
				return ""
			}
			return strings.TrimSpace(got)
		}
		before := pid()
		require.NotEmpty(t, before)
		done := make(chan struct{})
		from := rows + 1
		rows += 600
		go func() {
			defer close(done)
			writeRows(t, out, "mysql_client", "app.faults", from, rows)
		}()
		// The writes are under way, and go on while the replica is down.
		waitCount(t, out, "mysql_replica_2", "app.faults", 30*time.Second, func(n int) bool { return n >= 20 }, "20 or more")
		require.NoError(t, exec.Command("kill", "-KILL", before).Run(), "SIGKILL the replica's mysqld")
		<-done
		took := waitRows(t, out, "mysql_replica_1", "app.faults", rows, 90*time.Second)
		assert.Equal(t, fmt.Sprint(rows), sqlOn(t, out, "mysql_replica_2", "SELECT COUNT(*) FROM app.faults;"),
			"the other replica is untouched")
		assert.NotEqual(t, before, pid(), "a new mysqld")
		assert.Equal(t, checksum(t, out, "mysql_server", "app.faults"), checksum(t, out, "mysql_replica_1", "app.faults"), "the same rows")
		t.Logf("caught up %s after the writes ended", took.Round(time.Millisecond))
	})

	t.Run("a replica cut off the network catches up when it comes back", func(t *testing.T) {
		netns := e.platform.ReplicaNetns(1)
		cut := fmt.Sprintf(`table inet mcs_test_cut {
  chain in { type filter hook input priority -10; ip saddr %[1]s tcp sport 3306 drop; }
  chain out { type filter hook output priority -10; ip daddr %[1]s tcp dport 3306 drop; }
}`, primary)
		nft := func(stdin string) {
			cmd := exec.Command("ip", "netns", "exec", netns, "nft", "-f", "-")
			cmd.Stdin = strings.NewReader(stdin)
			b, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", b)
		}
		nft(cut)
		restored := false
		defer func() {
			if !restored {
				nft("delete table inet mcs_test_cut")
			}
		}()
		rows += 200
		writeRows(t, out, "mysql_client", "app.faults", rows-199, rows)
		waitRows(t, out, "mysql_replica_2", "app.faults", rows, 30*time.Second)
		behind := sqlOn(t, out, "mysql_replica_1", "SELECT COUNT(*) FROM app.faults;")
		assert.NotEqual(t, fmt.Sprint(rows), behind, "the cut replica has not got the rows written while it was cut off")
		nft("delete table inet mcs_test_cut")
		restored = true
		took := waitRows(t, out, "mysql_replica_1", "app.faults", rows, 60*time.Second)
		assert.Equal(t, checksum(t, out, "mysql_server", "app.faults"), checksum(t, out, "mysql_replica_1", "app.faults"))
		t.Logf("had %s of %d rows while cut off; caught up %s after the network came back", behind, rows, took.Round(time.Millisecond))
	})

	t.Run("the replicas reconnect by themselves after the primary restarts", func(t *testing.T) {
		_, stderr, err := onServer(t, out, onHost("server_ctl restart"))
		require.NoError(t, err, stderr)
		rows += 10
		writeRows(t, out, "mysql_client", "app.faults", rows-9, rows)
		for _, name := range []string{"mysql_replica_1", "mysql_replica_2"} {
			took := waitRows(t, out, name, "app.faults", rows, 60*time.Second)
			t.Logf("%s has the rows written after the restart %s later", name, took.Round(time.Millisecond))
			got, _, err := onReplica(t, out, name, onHost("replica_status | grep -E '^ *("+facts(t).running[0]+"|"+facts(t).running[1]+"):'"))
			require.NoError(t, err)
			assert.Equal(t, 2, strings.Count(got, ": Yes"), "%s: %s", name, got)
		}
	})

	t.Run("a replica added to a primary that holds 10,000 rows gets all of them", func(t *testing.T) {
		_, err := mysqlOnClient(t, out, "mysql_client", "app", testPassword,
			"USE app; CREATE TABLE big (id INT PRIMARY KEY, v CHAR(32)); INSERT INTO big SELECT seq, LEFT(SHA2(seq, 256), 32) FROM "+tenThousand)
		require.NoError(t, err)
		e.config["replicas"] = "3"
		start := time.Now()
		out3 := e.run(m, nil)
		t.Logf("adding the third replica took %s", time.Since(start).Round(time.Millisecond))
		out = out3
		require.Contains(t, out["replicaPrivateAddresses"], "mysql_replica_3")
		assert.Equal(t, "10000", sqlOn(t, out, "mysql_replica_3", "SELECT COUNT(*) FROM app.big;"))
		assert.Equal(t, checksum(t, out, "mysql_server", "app.big"), checksum(t, out, "mysql_replica_3", "app.big"))
		assert.Equal(t, fmt.Sprint(rows), sqlOn(t, out, "mysql_replica_3", "SELECT COUNT(*) FROM app.faults;"))
		p := out["proofs"].(map[string]any)["mysql_replica_3"].(map[string]any)
		assert.Regexp(t, `^TLSv1\.[23]$`, p["tlsVersion"])
		got, _, err := onReplica(t, out, "mysql_replica_3", onHost("replica_status"))
		require.NoError(t, err)
		assert.Contains(t, got, facts(t).running[1]+": Yes")
		// And it follows: a row written now reaches it.
		rows++
		writeRows(t, out, "mysql_client", "app.faults", rows, rows)
		waitRows(t, out, "mysql_replica_3", "app.faults", rows, 30*time.Second)
	})
}
