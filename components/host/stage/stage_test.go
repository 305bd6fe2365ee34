package stage

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWithoutShebang(t *testing.T) {
	assert.Equal(t, "set -e\n", WithoutShebang("#!/usr/bin/env bash\nset -e\n"))
	assert.Equal(t, "set -e\n", WithoutShebang("set -e\n"))
}

// TestProgramStagesTheSetOnceWhole: the program puts lib.sh and each
// script in Dir/<version>, each script sourcing the lib.sh beside it, and
// running it again changes nothing; another set has another version.
func TestProgramStagesTheSetOnceWhole(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "scripts")
	bodies := map[string]string{"a.sh": "#!/usr/bin/env bash\necho \"a $(greet)\"\n"}
	s := &Set{Dir: dir, Lib: "greet() { echo hello; }\n", Names: []string{"a.sh"},
		Body: func(n string) string { return WithoutShebang(bodies[n]) }}
	for range 2 {
		out, err := exec.Command("bash", "-c", s.Program()).CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Equal(t, filepath.Join(dir, s.Version()), strings.TrimSpace(string(out)))
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "one directory per version, and no leftover of a second run")
	out, err := exec.Command("bash", s.Path("a.sh")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "a hello\n", string(out))

	other := &Set{Dir: dir, Lib: s.Lib, Names: s.Names, Body: func(string) string { return "echo b\n" }}
	assert.NotEqual(t, s.Version(), other.Version(), "a changed script is a new version")
}
