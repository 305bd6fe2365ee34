package mysql

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runLib runs snippet after scripts/lib.sh, with fake apt-get and dpkg-query
// first on PATH: dpkg-query reports the packages in installed as installed,
// and apt-get records its arguments, and whether the dpkg lock was free when
// it ran, in the returned calls.
func runLib(t *testing.T, installed, snippet string, env ...string) (stderr, calls string, err error) {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	fakes := map[string]string{
		"dpkg-query": `for p in $MCS_FAKE_INSTALLED; do [ "$p" = "${!#}" ] && printf 'install ok installed' && exit 0; done; exit 1`,
		// MCS_FAKE_UPDATE_FAILS: how many updates fail with MCS_FAKE_UPDATE_ERR.
		"apt-get": `state=free; fuser -s /var/lib/dpkg/lock-frontend 2>/dev/null && state=held
echo "$* (lock $state)" >>"$MCS_FAKE_LOG"
if [ "${*: -1}" = update ] && [ "$(grep -c ' update (lock' "$MCS_FAKE_LOG")" -le "${MCS_FAKE_UPDATE_FAILS:-0}" ]; then
	echo "$MCS_FAKE_UPDATE_ERR" >&2
	exit 100
fi`,
	}
	for name, body := range fakes {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/bash\n"+body+"\n"), 0o755))
	}
	lib, err := scripts.ReadFile("scripts/lib.sh")
	require.NoError(t, err)
	cmd := exec.Command("/bin/bash", "-c", string(lib)+"\n"+snippet)
	cmd.Env = append(append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "MCS_FAKE_INSTALLED="+installed,
		"MCS_FAKE_LOG="+log), env...)
	var errb strings.Builder
	cmd.Stderr = &errb
	err = cmd.Run()
	b, _ := os.ReadFile(log)
	return errb.String(), string(b), err
}

// holdDpkgLock makes another process hold the machine's dpkg frontend lock
// for d, as an apt run elsewhere would, and returns once it holds it.
func holdDpkgLock(t *testing.T, d time.Duration) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("holding /var/lib/dpkg/lock-frontend needs root")
	}
	holder := exec.Command("bash", "-c", "exec 9>>/var/lib/dpkg/lock-frontend; sleep "+
		strings.TrimSuffix(d.String(), "s"))
	require.NoError(t, holder.Start())
	t.Cleanup(func() { _ = holder.Process.Kill(); _ = holder.Wait() })
	for i := 0; exec.Command("fuser", "-s", "/var/lib/dpkg/lock-frontend").Run() != nil; i++ {
		require.Less(t, i, 250, "the holder never took the lock")
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAptInstallSkipsTheLockWhenNothingIsMissing(t *testing.T) {
	holdDpkgLock(t, 30*time.Second)
	stderr, calls, err := runLib(t, "mariadb-client openssl", "apt_install mariadb-client openssl")
	require.NoError(t, err, stderr)
	assert.Empty(t, calls, "apt-get did not run")
	assert.NotContains(t, stderr, "waiting", "nothing to install: no wait for a lock another apt holds")
}

func TestAptInstallWaitsForTheDpkgLockThenInstallsWhatIsMissing(t *testing.T) {
	holdDpkgLock(t, 3*time.Second)
	stderr, calls, err := runLib(t, "openssl", "apt_install mariadb-client openssl")
	require.NoError(t, err, stderr)
	assert.Contains(t, stderr, "waiting for the dpkg/apt lock")
	assert.Equal(t, "-q -o DPkg::Lock::Timeout=600 update (lock free)\n"+
		"-q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends mariadb-client (lock free)\n", calls,
		"apt-get ran once the lock was free, for the missing package only")
}

// closedCheck runs scripts/closed-check.sh as the operator does, with PATH
// holding only the named tools (linked from this machine), against
// 127.0.0.1:port.
func closedCheck(t *testing.T, port int, tools ...string) (stdout, stderr string, err error) {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range tools {
		p, err := exec.LookPath(tool)
		require.NoError(t, err)
		require.NoError(t, os.Symlink(p, filepath.Join(dir, tool)))
	}
	cmd := exec.Command("/bin/bash", "-c", script("closed-check.sh"))
	cmd.Env = []string{"PATH=" + dir, "MCS_ADDRESS=127.0.0.1", "MCS_PORT=" + strconv.Itoa(port), "MCS_PROBE_TIMEOUT=2"}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// ports returns a loopback port nothing listens on, and one that a
// listener holds until the test ends.
func ports(t *testing.T) (closed, open int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed = l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	l, err = net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return closed, l.Addr().(*net.TCPAddr).Port
}

// The operator's probe needs bash, sleep, mktemp, cat and rm: no GNU timeout,
// which an operator's laptop may lack.
var operatorTools = []string{"bash", "sleep", "mktemp", "cat", "rm"}

func TestClosedCheckWithoutGNUTimeout(t *testing.T) {
	closed, open := ports(t)
	// A refusal is no proof: our firewalls drop, so a refusing host let the
	// packet through and only mysqld was not listening.
	out, stderr, err := closedCheck(t, closed, operatorTools...)
	require.Error(t, err, "a refused connection fails the check")
	assert.Empty(t, out)
	assert.Contains(t, stderr, "answered with a refusal: the packet reached the host")

	out, stderr, err = closedCheck(t, open, operatorTools...)
	require.Error(t, err, "an open port fails the check")
	assert.Empty(t, out)
	assert.Contains(t, stderr, "is reachable from the operator")
}

func TestClosedCheckFailsWhenTheProbeCannotRun(t *testing.T) {
	closed, _ := ports(t)
	out, stderr, err := closedCheck(t, closed, "bash", "sleep", "cat", "rm") // no mktemp
	require.Error(t, err, "a probe that could not run proves nothing")
	assert.Empty(t, out, "no closed (...) result")
	assert.Contains(t, stderr, "the probe itself failed")
}

// TestUserApplyErrorsHoldNoFormOfThePassword runs user-apply.sh against a
// fake mysql that fails the way MySQL does: a parse error quotes the
// statement from where it failed, cut at 80 characters, and another error
// echoes a whole statement. The password has ' and \, so the SQL carries it
// escaped.
func TestUserApplyErrorsHoldNoFormOfThePassword(t *testing.T) {
	const password = `it's\a "secret" pass-1234567`
	dir := t.TempDir()
	// Reads (the account as it is) find no account; the change fails.
	fake := `#!/bin/bash
sql=$(cat)
if ! grep -q 'CREATE USER' <<<"$sql"; then echo 0; exit 0; fi
stmt=$(printf '%s\n' "$sql" | grep 'CREATE USER')
rest=${stmt#*IDENTIFIED BY }
printf '%s\n' "ERROR 1064 (42000) at line 3: You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '${rest:0:80}' at line 1" >&2
printf '%s\n' "ERROR 1396 (HY000) at line 4: Operation failed: $stmt" >&2
exit 1
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mysql"), []byte(fake), 0o755))
	cmd := exec.Command("/bin/bash", "-c", script("user-apply.sh"))
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "MCS_USER=app", "MCS_USER_HOST=10.0.0.11",
		"MCS_DATABASE=app", "MCS_REQUIRE_TLS=ON", "MCS_PRIVILEGES=database", "MCS_GRANT_OPTION=no")
	cmd.Stdin = strings.NewReader(password)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.Error(t, cmd.Run(), "the fake mysql fails")
	got := stderr.String()
	t.Log(got)
	require.Contains(t, got, "ERROR 1064", "mysql's own message is shown")
	require.Contains(t, got, "could not create or update the account for app@10.0.0.11")
	escaped := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(password)
	for _, form := range []string{password, escaped} {
		for i := 0; i+6 <= len(form); i++ {
			assert.NotContains(t, got, form[i:i+6], "no 6 characters of the password (%q) in the error", form)
		}
	}
}

func TestAptUpdateRetriesWhileAptDailyHoldsTheListsLock(t *testing.T) {
	lockErr := "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)"
	stderr, calls, err := runLib(t, "", "apt_install mariadb-client",
		"MCS_FAKE_UPDATE_FAILS=2", "MCS_FAKE_UPDATE_ERR="+lockErr, "MCS_APT_RETRY_SECONDS=0.1")
	require.NoError(t, err, stderr)
	assert.Equal(t, 2, strings.Count(stderr, "the apt lists are locked by another apt"), stderr)
	assert.Equal(t, 3, strings.Count(calls, " update (lock"), "two refused updates, then one that ran")
	assert.Contains(t, calls, "install -y --no-install-recommends mariadb-client", "then the install")

	// Within a bound: a lock that stays is an error that says so.
	stderr, calls, err = runLib(t, "", "apt_install mariadb-client",
		"MCS_FAKE_UPDATE_FAILS=99", "MCS_FAKE_UPDATE_ERR="+lockErr, "MCS_APT_RETRY_SECONDS=0.1", "MCS_LOCK_TIMEOUT=3")
	require.Error(t, err)
	assert.Contains(t, stderr, "the apt lists lock is still held after 3s")
	assert.NotContains(t, calls, "install -y")

	// Any other failure stops at once, with apt's message.
	stderr, calls, err = runLib(t, "", "apt_install mariadb-client",
		"MCS_FAKE_UPDATE_FAILS=1", "MCS_FAKE_UPDATE_ERR=E: The repository is not signed.")
	require.Error(t, err)
	assert.Contains(t, stderr, "E: The repository is not signed.")
	assert.Contains(t, stderr, "apt-get update failed")
	assert.Equal(t, 1, strings.Count(calls, " update (lock"), "no retry")
}

// user-delete.sh never guesses: a server that is installed but does not
// answer fails the delete (the account may still exist); a host with no
// server at all has nothing to drop.
func TestUserDeleteFailsWhenTheServerDoesNotAnswer(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"mysqld":     `echo "/usr/sbin/mysqld  Ver 9.7.4-2 for Linux on x86_64 ((Debian))"`,
		"mysqladmin": `exit 1`, // ping: no answer
		"mysql":      `echo "mysql ran: $*" >&2; exit 0`,
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/bash\n"+body+"\n"), 0o755))
	}
	stderr, _, err := runLib(t, "", body("user-delete.sh"), "PATH="+dir+":/usr/bin:/bin", "MCS_USER=app", "MCS_USER_HOST=10.0.0.11")
	require.Error(t, err, "a server that does not answer fails the delete")
	assert.Contains(t, stderr, "the server does not answer on its socket, so the account app@10.0.0.11 may still exist")
	assert.NotContains(t, stderr, "mysql ran", "nothing is sent")

	empty := t.TempDir()
	stderr, _, err = runLib(t, "", body("user-delete.sh"), "PATH="+empty+":/usr/bin:/bin", "MCS_USER=app", "MCS_USER_HOST=10.0.0.11")
	require.NoError(t, err, stderr)
	assert.Contains(t, stderr, "no MySQL or MariaDB server is installed here")
}

// The seed check never takes a replica whose status it cannot read for an
// empty one: that would load the primary's dump over a live replica.
func TestSeedCheckFailsWhenTheStatusCannotBeRead(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"mysqld": `echo "/usr/sbin/mysqld  Ver 9.7.4-2 for Linux on x86_64 ((Debian))"`,
		"mysql":  `echo "ERROR 2002 (HY000): Can't connect to local MySQL server" >&2; exit 1`,
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/bash\n"+body+"\n"), 0o755))
	}
	stderr, _, err := runLib(t, "", body("seed-load.sh"), "PATH="+dir+":/usr/bin:/bin", "MCS_SEED_MODE=check")
	require.Error(t, err, "a status that cannot be read is not an empty replica")
	assert.Contains(t, stderr, "could not read the replication status")
}
