package mysql

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// TestHostCommandsRunStagedScripts: each host gets its scripts once, and its
// commands name them, so that pulumi-command, which prints a failing
// command in full, shows a short line and the script's own messages.
func TestHostCommandsRunStagedScripts(t *testing.T) {
	m, _ := runUser(t, pulumi.String("app"), pulumi.String("app")) // the host srv, its server db and an account u

	stage := stagingOn(t, m, serverPublic) // one staging command for the host
	assert.Equal(t, "db-scripts", stage.Name, "named after the first component that runs a command on the host")
	assert.True(t, strings.HasSuffix(stage.Parent, ServerType+"::db"), "the server's child: %s", stage.Parent)
	stager := str(t, stage, "create")
	assert.True(t, strings.HasPrefix(stager, `s=; [ "$(id -u)" -eq 0 ] || s='sudo -n'; $s `), "staged as root")
	assert.True(t, dependsOn(stage, "command:local:Command", "srv-ready"), "after the host is ready")
	for _, r := range m.OfType("command:remote:Command") {
		if r.Name == stage.Name {
			continue
		}
		assert.True(t, dependsOn(r, "command:remote:Command", stage.Name), "%s runs after the staging", r.Name)
		for _, key := range []string{"create", "delete"} {
			cmd, ok := mocktest.Str(r.Inputs, key)
			if !ok {
				continue
			}
			assert.Less(t, len(cmd), 600, "%s %s is a short line", r.Name, key)
			assert.NotContains(t, cmd, "set -euo pipefail", "%s %s holds no script", r.Name, key)
			assert.Contains(t, cmd, ScriptsDir+"/"+scriptsVersion()+"/", "%s %s runs a staged script", r.Name, key)
		}
	}
}

// TestStagerPutsEveryHostScriptInPlace runs the staging program against a
// temporary directory: the files are the scripts, readable by the login
// user, and a second run changes nothing.
func TestStagerPutsEveryHostScriptInPlace(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "scripts")
	program := strings.ReplaceAll(stager(), ScriptsDir, dir)
	for run := 1; run <= 2; run++ {
		out, err := exec.Command("/bin/bash", "-c", program).CombinedOutput()
		require.NoError(t, err, "%s", out)
		want := filepath.Join(dir, scriptsVersion())
		assert.Equal(t, want+"\n", string(out), "run %d prints the directory", run)
		lib, err := os.ReadFile(filepath.Join(want, "lib.sh"))
		require.NoError(t, err)
		assert.Equal(t, raw("lib.sh"), string(lib), "lib.sh is staged once")
		for _, name := range HostScripts {
			b, err := os.ReadFile(filepath.Join(want, name))
			require.NoError(t, err)
			assert.Equal(t, stagedScript(name), string(b), "%s sources lib.sh, then the script", name)
			fi, err := os.Stat(filepath.Join(want, name))
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), name)
		}
		fi, err := os.Stat(want)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())
		entries, _ := os.ReadDir(dir)
		assert.Len(t, entries, 1, "no temporary directory is left")
	}
	// A staged script runs with lib.sh's helpers, from any directory.
	out, err := exec.Command("/bin/bash", "-c", "cd / && MCS_SEED_MODE=bogus bash "+
		filepath.Join(dir, scriptsVersion(), "seed-load.sh")).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "error: MCS_SEED_MODE: expected check or load", "die() from lib.sh")
}
