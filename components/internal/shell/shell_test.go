package shell

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuoteRoundTripsThroughBash(t *testing.T) {
	cases := []string{"", "plain", "it's", `back\slash`, `$HOME "x" ; -- % ü`, "new\nline", `'''`}
	for _, c := range cases {
		out, err := exec.Command("bash", "-c", "printf %s "+Quote(c)).Output()
		require.NoError(t, err, c)
		assert.Equal(t, c, string(out))
	}
}

func TestAsRootPassesEnvAndName(t *testing.T) {
	cmd := AsRoot("probe.sh", `printf '%s|%s|%s' "$0" "$A" "$B"`, map[string]string{"A": "a'b", "B": "$x y"})
	assert.Contains(t, cmd, "sudo -n", "non-root logins must elevate")
	if out, err := exec.Command("id", "-u").Output(); err != nil || string(out) != "0\n" {
		t.Skip("running the command needs root (it would call sudo)")
	}
	out, err := exec.Command("bash", "-c", cmd).Output()
	require.NoError(t, err)
	assert.Equal(t, "probe.sh|a'b|$x y", string(out))
}
