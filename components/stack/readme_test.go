package stack

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeRow is one row of the README's configuration table.
type readmeRow struct{ typ, def string }

// readmeConfig reads the README's configuration table, one entry per key
// (a row may name several).
func readmeConfig(t *testing.T) map[string]readmeRow {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(b), "| key | type | default | description |\n|---|---|---|---|\n")
	require.True(t, ok, "the README has the configuration table")
	table, _, _ = strings.Cut(table, "\n\n")
	key := regexp.MustCompile("`([A-Za-z]+)`")
	rows := map[string]readmeRow{}
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, " | ")
		require.GreaterOrEqual(t, len(cells), 4, "a row of four cells: %q", line)
		for _, k := range key.FindAllStringSubmatch(cells[0], -1) {
			rows[k[1]] = readmeRow{typ: cells[1], def: cells[2]}
		}
	}
	return rows
}

// TestTheReadmesConfigTableIsPulumiYamls: the table and Pulumi.yaml name
// the same keys, with the same types and defaults, so neither drifts.
func TestTheReadmesConfigTableIsPulumiYamls(t *testing.T) {
	proj, err := workspace.LoadProject("../../Pulumi.yaml")
	require.NoError(t, err)
	rows := readmeConfig(t)
	var declared, documented []string
	for k := range proj.Config {
		declared = append(declared, k)
	}
	for k := range rows {
		documented = append(documented, k)
	}
	sort.Strings(declared)
	sort.Strings(documented)
	require.Equal(t, declared, documented, "the README documents exactly the keys Pulumi.yaml declares")

	types := map[string]string{"string": "string", "secret string": "string", "integer": "integer",
		"boolean": "boolean", "list of strings": "array"}
	for k, row := range rows {
		decl := proj.Config[k]
		require.NotNil(t, decl.Type, k)
		assert.Equal(t, *decl.Type, types[row.typ], "%s: the README's type %q", k, row.typ)
		def := fmt.Sprint(decl.Default)
		if list, ok := decl.Default.([]any); ok {
			parts := make([]string, len(list))
			for i, v := range list {
				parts[i] = fmt.Sprint(v)
			}
			def = "[" + strings.Join(parts, ", ") + "]"
		}
		if def == "" {
			def = `""`
		}
		if strings.HasPrefix(row.def, "`") {
			shown, _, _ := strings.Cut(strings.TrimPrefix(row.def, "`"), "`")
			assert.Equal(t, def, shown, "%s: the README's default", k)
		} else {
			assert.Equal(t, `""`, def, "%s: the README describes the default (%q): Pulumi.yaml declares it unset", k, row.def)
		}
	}
}
