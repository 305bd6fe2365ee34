package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/backup"
)

// onServer runs a shell snippet on the stack's server, as root, through
// make ssh, with the backup scripts' directory in $B. It returns the
// output and the snippet's exit code.
func (e *realEngine) onServer(snippet string) (string, int) {
	e.t.Helper()
	return e.onHost("mysql_server", snippet)
}

// onHost is onServer on the named host.
func (e *realEngine) onHost(name, snippet string) (string, int) {
	e.t.Helper()
	out, err := e.make("B=$(ls -d "+backup.ScriptsDir+"/*/ | head -n1)\n"+snippet+"\necho \"rc=$?\"\n", "-s", "ssh", "HOST="+name)
	require.NoError(e.t, err, "make ssh: %s", out)
	m := regexp.MustCompile(`rc=([0-9]+)\s*$`).FindStringSubmatch(out)
	require.NotNil(e.t, m, "the snippet's exit code: %s", out)
	var rc int
	fmt.Sscan(m[1], &rc)
	return strings.TrimSuffix(out, m[0]), rc
}

// backupProof reads the backups' proof from the store, on the server.
func (e *realEngine) backupProof() backup.Proof {
	e.t.Helper()
	out, rc := e.onServer(`bash "$B/backup-proof.sh" 2>&1`)
	require.Equal(e.t, 0, rc, out)
	line := out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:]
	p, err := backup.ParseProof(strings.TrimSpace(line))
	require.NoError(e.t, err)
	return p
}

// TestRealEngineBackups deploys a stack with backups on and a short
// schedule, and proves: the first backup is taken at up and restore-verified
// (proofs.backups); the scheduler takes two more with no up in between; the
// rows committed before a backup are in it; a corrupted object fails its
// restore check, named; and a backup while the store is unreachable fails
// loudly, counts for nothing, and the next one succeeds.
func TestRealEngineBackups(t *testing.T) {
	const subnet = "10.213.222.0/24"
	e := newRealEngine(t, subnet, "engine-Backup-password-1")
	e.setConfig("backups", "on")
	e.setConfig("backupSchedule", "20s")
	e.setConfig("backupRetention", "1h")

	res, err := e.up()
	require.NoError(t, err, "cold pulumi up with backups")
	proofs := res.Outputs["proofs"].Value.(map[string]any)
	require.Contains(t, proofs, "backups")
	first := proofs["backups"].(map[string]any)
	assert.Equal(t, true, first["verified"], "the first backup is restore-verified: %v", first)
	assert.NotEmpty(t, first["gtidPosition"])
	assert.Equal(t, testEngine(t), first["engine"])
	assert.Greater(t, first["sizeBytes"].(float64), 0.0)
	assert.Empty(t, first["diagnosis"])

	// Rows committed now are in the next scheduled backups, with their
	// checksum; two backups come with no pulumi up in between.
	_, err = e.make("CREATE TABLE app.orders (id INT PRIMARY KEY, item VARCHAR(20));\n"+
		"INSERT INTO app.orders VALUES (1, 'tea'), (2, 'milk'), (3, 'bread');\n", "-s", "client")
	require.NoError(t, err)
	start := e.backupProof().Count
	var p backup.Proof
	for deadline := time.Now().Add(backupWait); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		if p = e.backupProof(); p.Count >= start+2 && p.Verified {
			break
		}
	}
	require.GreaterOrEqual(t, p.Count, start+2, "the scheduler took two backups without an up: %+v", p)
	assert.True(t, p.Verified, "the newest scheduled backup restores: %+v", p)
	out, rc := e.onServer(`bash -c 'source "$0/lib.sh"; store_env; store cat "vault:full/` + p.Name + `/manifest.txt"' "$B"`)
	require.Equal(t, 0, rc, out)
	assert.Regexp(t, `(?m)^checksum: app\.orders [0-9]+$`, out, "the manifest has the table's checksum")

	t.Run("a corrupted object fails the restore check, named", func(t *testing.T) {
		objects, err := filepath.Glob(filepath.Join(e.local.stateDir, "backups", "*", "data", "backups", "mysql_server", "key-*", "full", p.Name, "data.tar.zst*"))
		require.NoError(t, err)
		require.Len(t, objects, 1, "the data object in the store's directory")
		info, err := os.Stat(objects[0])
		require.NoError(t, err)
		require.NoError(t, os.Truncate(objects[0], info.Size()/2))
		out, rc := e.onServer(`bash "$B/backup-verify.sh" ` + p.Name + ` 2>&1`)
		assert.Equal(t, 1, rc, out)
		assert.Contains(t, out, "verified: no")
		assert.Contains(t, out, "corrupt object full/"+p.Name+"/data.tar.zst", "the diagnosis names the object")
	})

	t.Run("the store unreachable: the scheduled backup fails loudly, counts for nothing, and the next one is good", func(t *testing.T) {
		netns := e.local.platform.StoreNetns()
		unblock := func() {
			_ = exec.Command("ip", "netns", "exec", netns, "nft", "delete", "table", "inet", "mcs_test_block").Run()
		}
		defer unblock()
		// The run lock, held while the store is cut off, orders the
		// scheduler's runs around it: the run in progress ends before the
		// block, and the first one after it starts with the store blocked.
		release := e.holdRunLock()
		before := e.lastAttempt()
		block := exec.Command("ip", "netns", "exec", netns, "nft", "-f", "-")
		block.Stdin = strings.NewReader("table inet mcs_test_block {\n chain input {\n  type filter hook input priority -10; policy accept;\n  tcp dport 7070 drop\n }\n}\n")
		require.NoError(t, block.Run())
		release()
		failed := e.nextAttempt(before)
		assert.Contains(t, failed, "result: failed", "a scheduled backup failed while the store was unreachable")
		assert.Contains(t, failed, "upload of full/", "loudly, naming the step: %s", failed)
		assert.Contains(t, failed, "does not answer", "and the cause: %s", failed)
		name := regexp.MustCompile(`(?m)^id: (\S+)$`).FindStringSubmatch(failed)
		require.NotNil(t, name, failed)
		release = e.holdRunLock() // the store is back before the next run
		unblock()
		settled := e.lastAttempt()
		assert.NotContains(t, e.backupIDs(), name[1], "nothing of the failed backup counts")
		assert.Contains(t, e.backupProof().LastError, "upload of full/", "the proof reports the failed attempt")
		release()
		next := e.nextAttempt(settled)
		assert.Contains(t, next, "result: complete", "the next schedule took a backup")
		e.holdRunLock()() // its restore check and prune end
		p := e.backupProof()
		assert.Greater(t, p.Name, name[1], "the next schedule took a backup: %+v", p)
		assert.True(t, p.Verified, "and it restores: %+v", p)
		assert.Empty(t, p.LastError, "a good backup clears the failed attempt")
	})
}

// backupIDs lists the store's complete backups, on the server.
func (e *realEngine) backupIDs() []string {
	e.t.Helper()
	out, rc := e.onServer(`bash -c 'source "$0/lib.sh"; store_env; backup_ids' "$B"`)
	require.Equal(e.t, 0, rc, out)
	return strings.Fields(out)
}

// backupWait bounds each wait on the scheduler: a guard against a hang, not
// a measure of speed (make bench times the backups). A round is the
// schedule plus one backup and its restore check, a minute or two on a
// loaded machine.
const backupWait = 10 * time.Minute

// lastAttempt reads the server's record of its last backup attempt.
func (e *realEngine) lastAttempt() string {
	e.t.Helper()
	out, rc := e.onServer(`cat /etc/mysql/mysql-client-server-backup/last-attempt`)
	require.Equal(e.t, 0, rc, out)
	return out
}

// nextAttempt waits until the scheduler records an attempt other than
// before, and returns it.
func (e *realEngine) nextAttempt(before string) string {
	e.t.Helper()
	for deadline := time.Now().Add(backupWait); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		if a := e.lastAttempt(); a != before {
			return a
		}
	}
	log, _ := e.onServer(`tail -n 20 /etc/mysql/mysql-client-server-backup/backup.log`)
	require.Fail(e.t, "no new backup attempt", "after %s:\n%s\nthe backup log:\n%s", backupWait, before, log)
	return ""
}

// holdRunLock takes the server's backup run lock, through the server's
// directory on this machine: it waits for the backup in progress to end
// (its restore check and prune included) and holds off the next one until
// the returned release is called.
func (e *realEngine) holdRunLock() (release func()) {
	e.t.Helper()
	locks, err := filepath.Glob(filepath.Join(e.local.stateDir, "*", "mysql_server", "etc-mysql", "mysql-client-server-backup", "run.lock"))
	require.NoError(e.t, err)
	require.Len(e.t, locks, 1, "the server's backup run lock")
	f, err := os.OpenFile(locks[0], os.O_RDWR, 0)
	require.NoError(e.t, err)
	take := func() error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) }
	deadline := time.Now().Add(backupWait)
	for err = take(); err != nil && time.Now().Before(deadline); err = take() {
		time.Sleep(time.Second) // the run in progress, bounded by the deadline
	}
	if err != nil {
		f.Close()
		require.NoError(e.t, err, "the backup in progress did not end within %s", backupWait)
	}
	return func() { f.Close() }
}
