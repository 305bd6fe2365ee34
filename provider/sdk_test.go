package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/provider/internal/docs"
	"github.com/mysql-client-server/mysql-client-server/provider/internal/sdkgen"
	"github.com/mysql-client-server/mysql-client-server/provider/pulumipkg"
)

// TestSDKsAreTheSchemasOwn fails when schema.json or a file of sdk/ differs
// from what make sdk writes now: the SDKs are generated, never edited.
func TestSDKsAreTheSchemasOwn(t *testing.T) {
	s, err := pulumipkg.Schema(context.Background())
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, sdkgen.Write(s, dir, false))
	want, got := tree(t, dir), tree(t, ".")
	for name, b := range want {
		if !assert.Contains(t, got, name, "missing: run make sdk") {
			continue
		}
		assert.Equal(t, string(b), string(got[name]), "%s differs from the schema's SDK: run make sdk, and never edit it by hand", name)
	}
	for name := range got {
		assert.Contains(t, want, name, "%s is not generated from the schema: run make sdk", name)
	}
}

// TestDocsAreTheCommentsOwn fails when pulumipkg/docs.json, where the
// schema's descriptions come from, differs from the Go doc comments.
func TestDocsAreTheCommentsOwn(t *testing.T) {
	want, err := docs.Generate("..")
	require.NoError(t, err)
	got, err := os.ReadFile("pulumipkg/docs.json")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "pulumipkg/docs.json is stale: run go generate in provider/ (make sdk does)")
}

// tree is schema.json and every file under dir/sdk, by path under dir,
// but those git ignores (what npm or pip leave in an SDK's directory).
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	b, err := os.ReadFile(filepath.Join(dir, "schema.json"))
	require.NoError(t, err)
	out["schema.json"] = b
	err = filepath.WalkDir(filepath.Join(dir, "sdk"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel], err = os.ReadFile(path)
		return err
	})
	require.NoError(t, err)
	for _, name := range ignored(t, dir, out) {
		delete(out, name)
	}
	return out
}

// ignored is the names among files that git ignores in dir; none where dir
// is not in a git work tree (the generated SDK's scratch directory).
func ignored(t *testing.T, dir string, files map[string][]byte) []string {
	t.Helper()
	if exec.Command("git", "-C", dir, "rev-parse", "--is-inside-work-tree").Run() != nil {
		return nil
	}
	cmd := exec.Command("git", "-C", dir, "check-ignore", "--stdin")
	var names []string
	for name := range files {
		names = append(names, name)
	}
	cmd.Stdin = strings.NewReader(strings.Join(names, "\n") + "\n")
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		return nil // none is ignored
	}
	require.NoError(t, err, "git check-ignore")
	return strings.Fields(string(out))
}
