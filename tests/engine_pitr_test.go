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
// its output.
func (e *realEngine) restore(at string) string {
	e.t.Helper()
	out, err := e.make("", "-s", "restore", "AT="+at, "STOP=yes")
	require.NoError(e.t, err, "make restore AT=%s: %s", at, out)
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

	// A ledger written after the full backup: only the binary logs hold it.
	e.sql("CREATE TABLE app.ledger (id INT PRIMARY KEY, amount INT); " +
		"INSERT INTO app.ledger SELECT seq, seq * 10 FROM (SELECT 1 seq UNION SELECT 2 UNION SELECT 3 UNION SELECT 4 UNION SELECT 5) s")
	last := e.sql("SELECT UTC_TIMESTAMP()")
	beforeDrop := e.gtidNow()
	// T is the next second of the server's clock: every ledger commit is
	// before it, the drop at or after it.
	var at string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if now := e.sql("SELECT UTC_TIMESTAMP()"); now != last {
			at = strings.Replace(now, " ", "T", 1) + "Z"
			break
		}
	}
	require.NotEmpty(t, at, "the server's clock moved on")
	e.sql("DROP TABLE app.ledger; CREATE TABLE app.later (id INT PRIMARY KEY); INSERT INTO app.later VALUES (1)")

	t.Run("the binary logs reach the store within the recovery-point bound", func(t *testing.T) {
		dropped := seq(t, e.gtidNow())
		var archived bool
		start := time.Now()
		for time.Since(start) < 40*time.Second && !archived {
			out, rc := e.onServer(`bash -c 'source "$0/lib.sh"; store_env; d=$(mktemp -d); store copy "vault:binlog/$(cat "$MCS_BACKUP_DIR/stream")/" "$d/" && mysqlbinlog "$d"/* 2>/dev/null | grep -c "DROP TABLE" ; rm -rf "$d"' "$B"`)
			archived = rc == 0 && regexp.MustCompile(`(?m)^[1-9][0-9]*$`).MatchString(out)
			if !archived {
				time.Sleep(2 * time.Second)
			}
		}
		assert.True(t, archived, "the drop (GTID %d) is in the store within 40 s (the bound, 20 s, plus a round)", dropped)
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
}
