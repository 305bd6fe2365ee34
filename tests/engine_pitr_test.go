package tests

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sql runs statements as the client's account, through make client, and
// returns the batch output without its header line: the value of a
// one-value query.
func (e *realEngine) sql(statements string) string {
	e.t.Helper()
	out, err := e.make(statements+"\n", "-s", "client")
	require.NoError(e.t, err, "make client: %s", out)
	out = strings.TrimSpace(out)
	if _, values, ok := strings.Cut(out, "\n"); ok {
		return values
	}
	return ""
}

// gtidNow is the server's executed GTID set, as this engine names it.
func (e *realEngine) gtidNow() string {
	e.t.Helper()
	if testEngine(e.t) == "mariadb" {
		return e.sql("SELECT @@GLOBAL.gtid_binlog_pos")
	}
	return strings.ReplaceAll(e.sql("SELECT @@GLOBAL.gtid_executed"), "\\n", "")
}

// seq is the highest sequence number of a one-source GTID set.
func seq(t *testing.T, gtid string) int {
	m := regexp.MustCompile(`([0-9]+)$`).FindStringSubmatch(strings.TrimSpace(gtid))
	require.NotNil(t, m, "a GTID set: %q", gtid)
	n, _ := strconv.Atoi(m[1])
	return n
}

// restore runs make restore as a user would, with STOP=yes, and returns
// its output. It restores onto the restore host, which it adds for the run
// and removes again.
func (e *realEngine) restore(at string) string {
	e.t.Helper()
	out, err := e.make("", "-s", "restore", "AT="+at, "STOP=yes")
	require.NoError(e.t, err, "make restore AT=%s: %s", at, out)
	assert.Regexp(e.t, `(?m)^host: mysql-restore$`, out, "restored on the restore host, not on the server")
	assert.NotContains(e.t, e.outputs()["sshCommands"].Value, "mysql_restore", "STOP=yes removes the restore host the run added")
	return out
}

// TestRealEngineBackupPointInTime proves the restores a user runs with make
// restore: a backup taken while a client commits continuously holds exactly
// the commits up to its recorded GTID; the binary logs reach the store
// within the recovery-point bound with no command; and a table dropped by
// mistake at time T comes back, with every row, from a restore to just
// before T (by time and by GTID), and not from one to after T.
func TestRealEngineBackupPointInTime(t *testing.T) {
	e := newRealEngine(t, "10.213.223.0/24", "engine-Pitr-password-1")
	e.setConfig("backups", "on")
	e.setConfig("backupSchedule", "1h")
	e.setConfig("backupRecoveryPoint", "20s")
	// The backups outlive make down, for the new stack made from them.
	e.setConfig("backupKeepOnDestroy", "true")
	_, err := e.up()
	require.NoError(t, err, "cold pulumi up with backups")

	t.Run("a backup under continuous commits holds exactly those up to its GTID", func(t *testing.T) {
		e.sql("CREATE TABLE app.w (id INT PRIMARY KEY)")
		before := seq(t, e.gtidNow())
		// One row per commit, from the client, until stopped.
		_, err := e.make("setsid -f bash -c 'for i in $(seq 1 1000000); do mysql -e \"INSERT INTO app.w VALUES ($i)\" || exit; done' </dev/null >/dev/null 2>&1\n",
			"-s", "ssh", "HOST=mysql_client")
		require.NoError(t, err)
		defer func() { _, _ = e.make("pkill -f 'INSERT INTO app.w' || true\n", "-s", "ssh", "HOST=mysql_client") }()
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if n, _ := strconv.Atoi(e.sql("SELECT COUNT(*) FROM app.w")); n >= 50 {
				break
			}
		}
		out, rc := e.onServer(`bash "$B/backup-run.sh" 2>&1`)
		require.Equal(t, 0, rc, out)
		name := regexp.MustCompile(`(?m)^([0-9]{8}T[0-9]{6}Z)$`).FindStringSubmatch(out)
		require.NotNil(t, name, out)
		after, _ := strconv.Atoi(e.sql("SELECT COUNT(*) FROM app.w"))
		got := e.restore(name[1])
		gtid := regexp.MustCompile(`(?m)^gtid: (.+)$`).FindStringSubmatch(got)
		require.NotNil(t, gtid, got)
		want := seq(t, gtid[1]) - before
		assert.Contains(t, got, "every table's checksum matches its manifest")
		assert.Regexp(t, `(?m)^rows: app\.w `+strconv.Itoa(want)+`$`, got, "one row per commit up to the backup's GTID")
		assert.Greater(t, want, 0)
		assert.Greater(t, after, want, "the writer went on committing after the copy")
	})
	_, _ = e.make("pkill -f 'INSERT INTO app.w' || true\n", "-s", "ssh", "HOST=mysql_client")
	t.Run("the restore host reads the backups and can write none", e.restoreHostReadsOnly)

	// A ledger written after the full backup: only the binary logs hold it.
	e.sql("CREATE TABLE app.ledger (id INT PRIMARY KEY, amount INT); " +
		"INSERT INTO app.ledger SELECT seq, seq * 10 FROM (SELECT 1 seq UNION SELECT 2 UNION SELECT 3 UNION SELECT 4 UNION SELECT 5) s")
	beforeDrop := e.gtidNow()
	// T: every ledger commit is before it, the drop at or after it.
	at := e.nextSecond()
	e.sql("DROP TABLE app.ledger; CREATE TABLE app.later (id INT PRIMARY KEY); INSERT INTO app.later VALUES (1)")

	t.Run("the binary logs reach the store within the recovery-point bound", func(t *testing.T) {
		dropped := seq(t, e.gtidNow())
		start := time.Now()
		assert.True(t, e.awaitArchived("DROP TABLE", 40*time.Second),
			"the drop (GTID %d) is in the store within 40 s (the bound, 20 s, plus a round)", dropped)
		t.Logf("the drop reached the store after %s", time.Since(start).Round(time.Second))
	})

	got := e.restore("time=" + at)
	assert.Regexp(t, `(?m)^rows: app\.ledger 5$`, got, "to just before T: the table is back with every row")
	assert.NotContains(t, got, "app.later", "and nothing after T")
	got = e.restore("gtid=" + beforeDrop)
	assert.Regexp(t, `(?m)^rows: app\.ledger 5$`, got, "to the GTID before the drop: the same")
	got = e.restore("time=" + time.Now().UTC().Add(2*time.Second).Format(time.RFC3339))
	assert.NotContains(t, got, "app.ledger", "to after T: the table stays dropped")
	assert.Regexp(t, `(?m)^rows: app\.later 1$`, got, "with what came after")

	t.Run("the server lost: a new stack from its backups, to within the recovery point", func(t *testing.T) {
		e.sql("INSERT INTO app.later VALUES (2), (3); CREATE TABLE app.final (id INT PRIMARY KEY)")
		rows := e.sql("SELECT COUNT(*) FROM app.w")
		require.True(t, e.awaitArchived("app.final", 40*time.Second), "the last commits reached the store")
		out, err := e.make("", "down")
		require.NoError(t, err, out)
		assert.Contains(t, out, "kept the backups' passphrase in the stack's config")
		assert.Empty(t, e.resources(), "make down destroyed the stack")
		e.setConfig("backupKeepOnDestroy", "false") // the cleanup takes the store's data
		e.setConfig("restoreFrom", "time=now")
		e.setConfig("replicas", "1") // seeded from the restored data
		res, err := e.up()
		require.NoError(t, err, "a new stack from the backups")
		assert.Equal(t, rows, e.sql("SELECT COUNT(*) FROM app.w"), "every row of the writer's table")
		assert.Equal(t, "3", e.sql("SELECT COUNT(*) FROM app.later"), "up to the last commit archived")
		assert.Equal(t, "0", e.sql("SELECT COUNT(*) FROM app.final"), "the last table is there, empty")
		assert.Equal(t, "0", e.sql("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'app' AND table_name = 'ledger'"),
			"the table dropped by mistake stays dropped")
		backups := res.Outputs["proofs"].Value.(map[string]any)["backups"].(map[string]any)
		assert.Equal(t, true, backups["verified"], "the new server's first backup restores: %v", backups)
		assert.Equal(t, "3", e.awaitReplica("SELECT COUNT(*) FROM app.later", "3"), "the replica has the restored data")
		// The restore never runs again: the next up changes nothing.
		e.requireNoChanges(t, (*res.Summary.ResourceChanges)["create"])
	})

	t.Run("an in-place restore of the server: writes stop, the old data stays until checked, the replicas are seeded again", func(t *testing.T) {
		at := e.nextSecond()
		e.sql("INSERT INTO app.later VALUES (4), (5)")
		// A restore that fails once the restored data is in place puts the
		// old data back, writable, and the replicas still come back.
		_, rc := e.onServer(`echo backup-restore-server:started >>/etc/mysql/mysql-client-server-fault`)
		require.Equal(t, 0, rc)
		out, err := e.make("", "-s", "restore-in-place", "AT=time="+at)
		require.Error(t, err, "the injected fault fails the restore: %s", out)
		assert.Contains(t, out, "putting the server's old data back")
		assert.Equal(t, "5", e.sql("SELECT COUNT(*) FROM app.later"), "the old data, whole")
		assert.Equal(t, "0", e.sql("SELECT @@GLOBAL.read_only"), "and writable")
		assert.Equal(t, "5", e.awaitReplica("SELECT COUNT(*) FROM app.later", "5"), "the replica is back, seeded from it")

		out, err = e.make("", "-s", "restore-in-place", "AT=time="+at)
		require.NoError(t, err, "make restore-in-place: %s", out)
		assert.Contains(t, out, "removing the 1 replica(s) first")
		assert.Regexp(t, `(?m)^rows: app\.later 3$`, out)
		assert.Equal(t, "3", e.sql("SELECT COUNT(*) FROM app.later"), "back to before the two rows")
		e.sql("INSERT INTO app.later VALUES (6)")
		assert.Equal(t, "4", e.sql("SELECT COUNT(*) FROM app.later"), "and writable again")
		left, rc := e.onServer(`ls -a /var/lib/mysql /etc/mysql/*/ | grep -c -e before-restore -e restoring.cnf`)
		assert.Equal(t, 1, rc, "the old data and the read-only drop-in are gone: %s", left)
		assert.Equal(t, "4", e.awaitReplica("SELECT COUNT(*) FROM app.later", "4"), "the replica, seeded again, follows the restored server")
	})
}

// nextSecond waits for the next second of the server's clock and returns
// it (RFC 3339, UTC): every commit before the call is before it.
func (e *realEngine) nextSecond() string {
	e.t.Helper()
	last := e.sql("SELECT UTC_TIMESTAMP()")
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if now := e.sql("SELECT UTC_TIMESTAMP()"); now != last {
			return strings.Replace(now, " ", "T", 1) + "Z"
		}
	}
	require.Fail(e.t, "the server's clock did not move on")
	return ""
}

// awaitReplica polls the first replica with query, for at most a minute,
// until it answers want (replication catches up); it returns the last
// answer.
func (e *realEngine) awaitReplica(query, want string) string {
	e.t.Helper()
	got := e.onReplica(query)
	for deadline := time.Now().Add(time.Minute); got != want && time.Now().Before(deadline); got = e.onReplica(query) {
		time.Sleep(time.Second) // replication's catch-up, bounded by the deadline
	}
	return got
}

// onReplica runs a query on the first replica, as root on its socket, and
// returns its one value.
func (e *realEngine) onReplica(query string) string {
	e.t.Helper()
	out, err := e.make("mysql -N -B -e '"+query+"'\n", "-s", "ssh", "HOST=mysql_replica_1")
	require.NoError(e.t, err, "make ssh HOST=mysql_replica_1: %s", out)
	return strings.TrimSpace(out)
}

// awaitArchived polls the store, on the server, until the archived binary
// logs of the server's stream hold marker (a statement's text), for at most
// limit; it tells whether they did.
func (e *realEngine) awaitArchived(marker string, limit time.Duration) bool {
	e.t.Helper()
	for start := time.Now(); time.Since(start) < limit; time.Sleep(2 * time.Second) {
		out, rc := e.onServer(`bash -c 'source "$0/lib.sh"; store_env; d=$(mktemp -d); store copy "vault:binlog/$(cat "$MCS_BACKUP_DIR/stream")/" "$d/" && mysqlbinlog "$d"/* 2>/dev/null | grep -c -F -- "$1"; rm -rf "$d"' "$B" '` + marker + `'`)
		if rc == 0 && regexp.MustCompile(`(?m)^[1-9][0-9]*$`).MatchString(out) {
			return true
		}
	}
	return false
}

// restoreHostReadsOnly: the restore host lists the backups through its
// read-only gateway, is refused a write, and does not reach the store's own
// port; the server does not reach the restore host's gateway. Removed, the
// host leaves no gateway running.
func (e *realEngine) restoreHostReadsOnly(t *testing.T) {
	e.setConfig("restoreHost", "true")
	removed := false
	t.Cleanup(func() { // the later restores add their own restore host
		if !removed {
			e.restoreConfig("restoreHost")
			_, _ = e.up()
		}
	})
	_, err := e.up()
	require.NoError(t, err, "pulumi up with restoreHost")
	server := e.outputs()["serverPrivateAddress"].Value.(string)
	subnet := server[:strings.LastIndex(server, ".")]
	out, rc := e.onHost("mysql_restore", `bash -c 'source "$0/lib.sh"; store_env; echo "backups: $(backup_ids | wc -l)"
		echo x >/tmp/intruder; if store --retries 1 copyto /tmp/intruder vault:intruder 2>/dev/null; then echo write: done; else echo write: refused; fi
		if timeout 3 bash -c "exec 3<>/dev/tcp/$1.9/7070" 2>/dev/null; then echo store: reached; else echo store: unreachable; fi' "$B" `+subnet)
	require.Equal(t, 0, rc, out)
	assert.Regexp(t, `(?m)^backups: [1-9][0-9]*$`, out, "it lists the backups")
	assert.Contains(t, out, "write: refused", "and may write none")
	assert.Contains(t, out, "store: unreachable", "the store's own port is the server's only")
	out, rc = e.onServer(`timeout 3 bash -c "exec 3<>/dev/tcp/` + subnet + `.8/7071" 2>/dev/null && echo reached || echo unreachable`)
	require.Equal(t, 0, rc, out)
	assert.Contains(t, out, "unreachable", "the restore host's gateway is on its own loopback")
	e.restoreConfig("restoreHost")
	_, err = e.up()
	removed = err == nil
	require.NoError(t, err, "pulumi up without restoreHost")
	assert.NotContains(t, e.outputs()["sshCommands"].Value, "mysql_restore", "the restore host is gone")
	left, _ := e.run("", "bash", "-c", "pgrep -f -c -- '[v]ersitygw --readonly' || true")
	assert.Equal(t, "0", strings.TrimSpace(left), "and its gateway with it")
}
