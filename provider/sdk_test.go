package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
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
	require.NoError(t, sdkgen.Write(s, dir))
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

// tree is schema.json and every file under dir/sdk, by path under dir.
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
	return out
}
