package generate

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/internal/mocktest"
)

// TestOnceIgnoresChangesToEveryInput: a generator's script, interpreter or
// logging may change in a later release; the value must not.
func TestOnceIgnoresChangesToEveryInput(t *testing.T) {
	m := mocktest.New(t)
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		for _, g := range []string{SSHKey, Password} {
			if _, err := Once(ctx, "gen-"+g, g); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	cmds := m.OfType("command:local:Command")
	require.Len(t, cmds, 2)
	for _, r := range cmds {
		assert.ElementsMatch(t, CommandInputs, r.IgnoreChanges, "%s ignores changes to every input", r.Name)
		for k := range r.Inputs {
			assert.Contains(t, CommandInputs, string(k), "%s: input %s is covered", r.Name, k)
		}
	}
}
