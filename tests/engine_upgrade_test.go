package tests

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oldMain is the program as an earlier main shipped it (git archive of its
// main.go, go.mod, go.sum, Pulumi.yaml and components, tests left out): the
// stack the upgrade test starts from is one that main deployed.
const oldMain = "testdata/main-596ba33.tar.gz"

// TestRealEngineUpgradeFromAnEarlierMainReplacesNothing deploys a stack with
// the program of an earlier main (before children were named after their
// component), with a client of the default name, one of another name and a
// replica, and writes a row. The current program then takes the stack over
// with the real engine: every resource is adopted in place (renamed ones
// through their aliases), nothing is created, replaced or deleted, the row
// is still there, the proofs pass, and the next preview has no changes.
func TestRealEngineUpgradeFromAnEarlierMainReplacesNothing(t *testing.T) {
	const password = "upgrade-Test-pw-0123"
	e := newRealEngine(t, "10.213.221.0/24", password)
	e.base["replicas"] = auto.ConfigValue{Value: "1"}
	e.restoreConfig("replicas")
	e.setConfig("clients[0]", "mysql_client", "--path")
	e.setConfig("clients[1]", "app1", "--path")

	old := filepath.Join(t.TempDir(), "old")
	untar(t, oldMain, old)
	build := exec.Command("go", "build", "-o", ".tools/bin/mysql-client-server", ".")
	build.Dir = old
	b, err := build.CombinedOutput()
	require.NoError(t, err, "building the earlier main: %s", b)
	stackFile := "Pulumi." + engineStack + ".yaml"
	cfg, err := os.ReadFile(filepath.Join(e.dir, stackFile))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(old, stackFile), cfg, 0o600))
	_, err = e.runIn(old, "", "pulumi", "up", "--stack", engineStack, "--yes", "--skip-preview")
	require.NoError(t, err, "the earlier main deploys the stack")
	before := e.resources()
	require.Contains(t, before, "mysql_server-mysql-scripts", "the earlier main's names")
	require.Contains(t, before, "app1-namespaces", "the earlier main's names")

	out := plainOutputs(e.outputs())
	_, err = mysqlOnClient(t, out, "app1", "app", password,
		"CREATE TABLE app.kept (id INT PRIMARY KEY); INSERT INTO app.kept VALUES (42)")
	require.NoError(t, err)

	res, err := e.up()
	require.NoError(t, err, "the current program takes the stack over")
	changes := *res.Summary.ResourceChanges
	t.Logf("the upgrade: %v", changes)
	for _, line := range strings.Split(res.StdOut, "\n") {
		if strings.Contains(line, " updated (") || strings.Contains(line, " replaced (") {
			t.Logf("upgrade step: %s", line)
		}
	}
	for op := range changes {
		assert.Contains(t, []string{"same", "update"}, op, "the upgrade only adopts or updates in place: %v", changes)
	}
	after := e.resources()
	assert.Len(t, after, len(before), "as many resources as before")
	ids := func(m map[string]resource) map[string]bool {
		s := map[string]bool{}
		for _, r := range m {
			if r.ID != "" {
				s[r.ID] = true
			}
		}
		return s
	}
	assert.Equal(t, ids(before), ids(after), "every resource keeps its ID: none was made anew")
	assert.Contains(t, after, "mysql-app1-namespaces", "the host of another name is named after its component now")
	assert.Contains(t, after, "mysql-server-scripts", "the staged scripts are a child of the server component")

	out = plainOutputs(e.outputs())
	got, err := mysqlOnClient(t, out, "app1", "app", password, "SELECT id FROM app.kept")
	require.NoError(t, err)
	assert.Equal(t, "42", strings.TrimSpace(got), "the data is the data the earlier main's server held")
	proofs := e.outputs()["proofs"].Value.(map[string]any)
	for _, name := range []string{"mysql_client", "app1", "mysql_replica_1"} {
		assert.Contains(t, proofs, name)
	}
	unchanged := changes["same"] + changes["update"]
	e.requireNoChanges(t, unchanged)

	// Backups, the new default, then only add to what the stack runs: no
	// resource is replaced, updated or deleted, and the row is in the
	// first backup, checked.
	e.setConfig("backups", "on")
	res, err = e.up()
	require.NoError(t, err, "backups on, on the upgraded stack")
	changes = *res.Summary.ResourceChanges
	t.Logf("backups on: %v", changes)
	assert.Equal(t, map[string]int{"same": unchanged, "create": changes["create"]}, changes, "only creates")
	backups := res.Outputs["proofs"].Value.(map[string]any)["backups"].(map[string]any)
	assert.Equal(t, true, backups["verified"], "%v", backups)
	now := e.resources()
	for name, r := range custom(after) {
		assert.Equal(t, r, now[name], "%s as it was", name)
	}
}

// custom is the resources that have an ID, by name: not the components,
// whose outputs are the stack's.
func custom(all map[string]resource) map[string]resource {
	out := map[string]resource{}
	for k, r := range all {
		if r.ID != "" {
			out[k] = r
		}
	}
	return out
}

// untar unpacks a .tar.gz into dir.
func untar(t *testing.T, archive, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	require.NoError(t, err)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		require.NoError(t, err)
		path := filepath.Join(dir, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			require.NoError(t, os.MkdirAll(path, 0o755))
		case tar.TypeReg:
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			b, err := io.ReadAll(tr)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, b, 0o644))
		}
	}
}
