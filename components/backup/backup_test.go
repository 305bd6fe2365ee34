package backup

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseInterval(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"hourly": time.Hour, "daily": 24 * time.Hour, "weekly": 7 * 24 * time.Hour,
		"7d": 7 * 24 * time.Hour, "36h": 36 * time.Hour, "90s": 90 * time.Second, "5m": 5 * time.Minute,
	} {
		got, err := ParseInterval(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "0d", "-1h", "3650000d", "fortnightly", "7 days", "1x"} {
		_, err := ParseInterval(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), "expected hourly, daily, weekly, a number of days such as 7d, or a duration such as 6h or 90s", in)
	}
}

func TestCheckTimesFillsTheDefaultsAndKeepsTheBounds(t *testing.T) {
	var s, r, p time.Duration
	require.NoError(t, CheckTimes(&s, &r, &p))
	assert.Equal(t, []time.Duration{DefaultSchedule, DefaultRetention, DefaultRecoveryPoint}, []time.Duration{s, r, p})

	s, r, p = 10*time.Second, 0, 0
	assert.EqualError(t, CheckTimes(&s, &r, &p), "Schedule: 10s: expected at least 15s")
	s, r, p = time.Hour, 30*time.Minute, 0
	assert.EqualError(t, CheckTimes(&s, &r, &p), "Retention: 30m0s: expected at least the schedule (1h0m0s), or every backup but the newest would go")
	s, r, p = time.Hour, 0, 10*time.Second
	assert.EqualError(t, CheckTimes(&s, &r, &p), "RecoveryPoint: 10s: expected at least 20s (the binary logs are archived every half of it)")
}

func TestParseProof(t *testing.T) {
	p, err := ParseProof(`{"last":"2026-12-01T16:26:24Z","name":"20261201T162624Z","engine":"mysql","sizeBytes":1666941,` +
		`"gtidPosition":"f252d301:1-6","verified":true,"restoreSeconds":2.6,"diagnosis":"","oldest":"2026-12-01T16:25:05Z","count":2,"lastError":""}`)
	require.NoError(t, err)
	assert.Equal(t, Proof{Last: "2026-12-01T16:26:24Z", Name: "20261201T162624Z", Engine: "mysql", SizeBytes: 1666941,
		GTIDPosition: "f252d301:1-6", Verified: true, RestoreSeconds: 2.6, Oldest: "2026-12-01T16:25:05Z", Count: 2}, p)
	_, err = ParseProof("error: the store has no complete backup")
	assert.Error(t, err)
}

// lib runs a snippet after the staged lib.sh (the MySQL scripts' and the
// backup's own).
func lib(t *testing.T, snippet string) string {
	t.Helper()
	out, err := exec.Command("bash", "-c", hostSet.Lib+"\n"+snippet).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return strings.TrimSpace(string(out))
}

func TestLibNamesAndGTIDs(t *testing.T) {
	assert.Equal(t, "1796142600", lib(t, "id_epoch 20261201T163000Z"))
	assert.Equal(t, "2026-12-01T16:30:00Z", lib(t, "id_time 20261201T163000Z"))
	assert.Equal(t, "42", lib(t, "gtid_seq f252d301-eda3-11f1-b073-02000ad5000a:1-42"))
	assert.Equal(t, "42", lib(t, "gtid_seq 0-1-42"))
	assert.Equal(t, "0", lib(t, "gtid_seq ''"))
}

func TestEveryHostScriptIsStaged(t *testing.T) {
	entries, err := scripts.ReadDir("scripts")
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if e.Name() != "lib.sh" {
			names = append(names, e.Name())
		}
	}
	assert.ElementsMatch(t, names, HostScripts, "every script but lib.sh runs on the server, staged")
}

// TestChecksumMismatchNamesTheTables: the comparison both the restore check
// and make restore use names each table whose checksum differs, and prints
// nothing when all match (checksums stubbed, as the scratch server's).
func TestChecksumMismatchNamesTheTables(t *testing.T) {
	manifest := t.TempDir() + "/manifest.txt"
	stub := "set -euo pipefail; checksums() { printf 'app.a 1\\napp.b 2\\napp.c 3\\n'; }; "
	write := "printf 'name: x\\nchecksum: app.a 1\\nchecksum: app.b %s\\nchecksum: app.c 3\\n' "
	assert.Equal(t, "", lib(t, stub+write+"2 >"+manifest+"; checksum_mismatch "+manifest+" dir"))
	assert.Equal(t, "app.b", lib(t, stub+write+"9 >"+manifest+"; checksum_mismatch "+manifest+" dir"))
}

func TestCheckTarget(t *testing.T) {
	for _, ok := range []string{"latest", "20261201T163000Z", "time=2026-12-01T16:30:00Z", "time=now",
		"gtid=f252d301-eda3-11f1-b073-02000ad5000a:1-42", "gtid=0-1-42"} {
		assert.NoError(t, CheckTarget(ok), ok)
	}
	for _, bad := range []string{"", "newest", "2026-12-01", "time=", "time=16:30", "gtid=", "gtid=1; DROP", "latest "} {
		err := CheckTarget(bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "expected latest, a backup's name such as 20261201T163000Z", bad)
	}
	// The scripts' own check (make restore) takes the same forms.
	for _, ok := range []string{"latest", "20261201T163000Z", "time=2026-12-01T16:30:00Z", "time=now", "gtid=0-1-42"} {
		lib(t, "check_target '"+ok+"'")
	}
}
