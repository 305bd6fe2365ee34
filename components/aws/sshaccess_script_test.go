package aws

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// assertNoSecretIn fails if any line of a private key (or the key in
// base64, as the record holds it) shows in text that is logged.
func assertNoSecretIn(t *testing.T, text string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		assert.NotContains(t, text, base64.StdEncoding.EncodeToString([]byte(k)))
		for _, line := range keyLines(k) {
			assert.NotContains(t, text, line, "a private key line is in the log")
		}
	}
}

// recordOf is the record ssh-access prints after authorizing login and
// installing pinnedHost.
func recordOf(t *testing.T, login, pinnedHost string) string {
	return "mcs-ssh-access 1\nhost-key " + publicOf(t, pinnedHost) + "\nlogin-key " +
		base64.StdEncoding.EncodeToString([]byte(login))
}

// TestSSHAccessRekeysOnFirstContactThenRotatesTheLoginKey runs
// ssh-access.sh against a real sshd: the first contact is pinned to the
// user-data host key and installs the second; a run after that refuses a
// host that presents the user-data key again (a man in the middle who read
// the user data); a run with a rotated key logs in with the old one,
// authorizes the new one and removes the old, leaving other lines alone.
func TestSSHAccessRekeysOnFirstContactThenRotatesTheLoginKey(t *testing.T) {
	userData, pinned := mocktest.NewPrivateKey(t), mocktest.NewPrivateKey(t)
	oldKey, newLogin, own := mocktest.NewPrivateKey(t), mocktest.NewPrivateKey(t), mocktest.NewPrivateKey(t)
	ownLine := publicOf(t, own) + " operator@laptop"
	sshd := startSSHD(t, userData, ownLine, publicOf(t, oldKey)+" from the EC2 key pair")

	first := sshd.runAccess(t, accessInputs{login: oldKey, firstHost: userData, pinnedHost: pinned})
	require.NoError(t, first.err, "first contact")
	assert.Equal(t, recordOf(t, oldKey, pinned), first.record)
	assert.Equal(t, publicOf(t, pinned), sshd.presentedHostKey(), "the host now presents the second key")
	assert.NoError(t, sshd.login(t, oldKey, publicOf(t, pinned)), "the key logs in, pinned to the second host key")
	assert.Equal(t, 1, strings.Count(sshd.authorized(t), publicOf(t, oldKey)), "a present key is not added twice")
	assert.Contains(t, sshd.authorized(t), ownLine)
	for _, leftover := range []string{".mcs-old", ".mcs-old.pub", ".mcs-new", ".mcs-new.pub"} {
		assert.NoFileExists(t, sshd.hostKey+leftover, "the user-data key is gone once the new one is proven")
	}
	assertNoSecretIn(t, first.stderr, oldKey, pinned, userData)

	again := sshd.runAccess(t, accessInputs{login: oldKey, firstHost: userData, pinnedHost: pinned, previous: first.record})
	require.NoError(t, again.err, "a rerun (a new address, a new release) changes nothing")
	assert.Equal(t, first.record, again.record)

	sshd.present(t, userData) // someone who read the user data answers instead
	mitm := sshd.runAccess(t, accessInputs{login: oldKey, firstHost: userData, pinnedHost: pinned, previous: first.record})
	require.Error(t, mitm.err, "once rekeyed, the user-data key is never accepted again")
	assert.Contains(t, mitm.stderr, "presented a host key this stack does not pin")
	assert.Empty(t, mitm.record)
	sshd.present(t, pinned)

	rotated := sshd.runAccess(t, accessInputs{login: newLogin, firstHost: userData, pinnedHost: pinned, previous: first.record})
	require.NoError(t, rotated.err, "a rotation")
	assert.Equal(t, recordOf(t, newLogin, pinned), rotated.record, "the next run needs the new key only")
	assert.NoError(t, sshd.login(t, newLogin, publicOf(t, pinned)), "the new key logs in")
	assert.Error(t, sshd.login(t, oldKey, publicOf(t, pinned)), "the old key is refused")
	assert.Contains(t, sshd.authorized(t), ownLine, "a line it did not authorize stays")
	assert.NotContains(t, sshd.authorized(t), publicOf(t, oldKey))
	assert.Contains(t, rotated.stderr, "removed 1 previous key")
	assertNoSecretIn(t, rotated.stderr, oldKey, newLogin, pinned)
}

// TestSSHAccessUndoesAFailedRunAndTheNextConverges: a run whose sshd reload
// fails leaves the host as it was (the old host key served, the key line it
// added removed), and Pulumi keeps the previous record; the next run, from
// that record, converges. Once for a first contact, once for a rotation of
// both the login key and the pinned host key.
func TestSSHAccessUndoesAFailedRunAndTheNextConverges(t *testing.T) {
	userData, pinned, pinnedAgain := mocktest.NewPrivateKey(t), mocktest.NewPrivateKey(t), mocktest.NewPrivateKey(t)
	oldKey, newLogin := mocktest.NewPrivateKey(t), mocktest.NewPrivateKey(t)
	sshd := startSSHD(t, userData, publicOf(t, oldKey))
	noReload := filepath.Join(sshd.dir, "no-such.pid") // reloading sshd fails

	failed := sshd.runAccess(t, accessInputs{login: oldKey, firstHost: userData, pinnedHost: pinned, pidFile: noReload})
	require.Error(t, failed.err)
	assert.Contains(t, failed.stderr, "the previous key is back")
	assert.Empty(t, failed.record)
	assert.Equal(t, publicOf(t, userData), sshd.presentedHostKey(), "sshd still serves the user-data key")
	key, err := os.ReadFile(sshd.hostKey)
	require.NoError(t, err)
	assert.Equal(t, userData, string(key), "the old key file is back")
	assert.NoFileExists(t, sshd.hostKey+".mcs-new")
	assert.NoFileExists(t, sshd.hostKey+".mcs-old")

	first := sshd.runAccess(t, accessInputs{login: oldKey, firstHost: userData, pinnedHost: pinned})
	require.NoError(t, first.err, "a failed create leaves no state: the next run is a first contact again")
	assert.Equal(t, publicOf(t, pinned), sshd.presentedHostKey())

	failed = sshd.runAccess(t, accessInputs{login: newLogin, firstHost: userData, pinnedHost: pinnedAgain,
		previous: first.record, pidFile: noReload})
	require.Error(t, failed.err)
	assert.Equal(t, publicOf(t, pinned), sshd.presentedHostKey(), "the host still serves the key the record holds")
	assert.NotContains(t, sshd.authorized(t), publicOf(t, newLogin), "the key line the failed run added is gone")
	assert.NoError(t, sshd.login(t, oldKey, publicOf(t, pinned)), "the recorded key still logs in")

	converged := sshd.runAccess(t, accessInputs{login: newLogin, firstHost: userData, pinnedHost: pinnedAgain,
		previous: first.record})
	require.NoError(t, converged.err, "from the record Pulumi kept")
	assert.Equal(t, recordOf(t, newLogin, pinnedAgain), converged.record)
	assert.Equal(t, publicOf(t, pinnedAgain), sshd.presentedHostKey())
	assert.NoError(t, sshd.login(t, newLogin, publicOf(t, pinnedAgain)))
	assert.Error(t, sshd.login(t, oldKey, publicOf(t, pinnedAgain)), "the old key is refused")
	assertNoSecretIn(t, failed.stderr+converged.stderr, oldKey, newLogin, pinned, pinnedAgain)
}

// TestSSHAccessRefusesWithoutAKeyTheHostAccepts: neither the current key
// nor the recorded one logs in: the run fails before changing anything.
func TestSSHAccessRefusesWithoutAKeyTheHostAccepts(t *testing.T) {
	userData, pinned, stranger := mocktest.NewPrivateKey(t), mocktest.NewPrivateKey(t), mocktest.NewPrivateKey(t)
	sshd := startSSHD(t, userData, publicOf(t, mocktest.NewPrivateKey(t)))
	run := sshd.runAccess(t, accessInputs{login: stranger, firstHost: userData, pinnedHost: pinned})
	require.Error(t, run.err)
	assert.Contains(t, run.stderr, "accepted none of the stack's SSH keys")
	assert.Equal(t, publicOf(t, userData), sshd.presentedHostKey(), "not rekeyed")
	assert.NotContains(t, sshd.authorized(t), publicOf(t, stranger))
}
