package mysql

import (
	"os"
	"os/exec"
	"path/filepath"
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
func runLib(t *testing.T, installed, snippet string) (stderr, calls string) {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	fakes := map[string]string{
		"dpkg-query": `for p in $MCS_FAKE_INSTALLED; do [ "$p" = "${!#}" ] && printf 'install ok installed' && exit 0; done; exit 1`,
		"apt-get": `state=free; fuser -s /var/lib/dpkg/lock-frontend 2>/dev/null && state=held
echo "$* (lock $state)" >>"$MCS_FAKE_LOG"`,
	}
	for name, body := range fakes {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/bash\n"+body+"\n"), 0o755))
	}
	lib, err := scripts.ReadFile("scripts/lib.sh")
	require.NoError(t, err)
	cmd := exec.Command("/bin/bash", "-c", string(lib)+"\n"+snippet)
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "MCS_FAKE_INSTALLED="+installed,
		"MCS_FAKE_LOG="+log)
	var errb strings.Builder
	cmd.Stderr = &errb
	require.NoError(t, cmd.Run(), "%s", errb.String())
	b, _ := os.ReadFile(log)
	return errb.String(), string(b)
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
	stderr, calls := runLib(t, "mariadb-client openssl", "apt_install mariadb-client openssl")
	assert.Empty(t, calls, "apt-get did not run")
	assert.NotContains(t, stderr, "waiting", "nothing to install: no wait for a lock another apt holds")
}

func TestAptInstallWaitsForTheDpkgLockThenInstallsWhatIsMissing(t *testing.T) {
	holdDpkgLock(t, 3*time.Second)
	stderr, calls := runLib(t, "openssl", "apt_install mariadb-client openssl")
	assert.Contains(t, stderr, "waiting for the dpkg/apt lock")
	assert.Equal(t, "-q -o DPkg::Lock::Timeout=600 update (lock free)\n"+
		"-q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends mariadb-client (lock free)\n", calls,
		"apt-get ran once the lock was free, for the missing package only")
}
