package clientserver

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/host"
)

// Each rule's error names the field, then says the expected form as the
// stack's config errors do (the program only swaps the field for the key).
func TestArgsErrorsNameTheFieldAndTheExpectedForm(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   Args
		expect string
	}{
		{"unknown preset", Args{Preset: "insecure"}, `ClientServerArgs.Preset: "insecure" is not a preset: expected secure or tutorial`},
		{"replicas out of range", Args{Replicas: 17}, `ClientServerArgs.Replicas: "17": expected a whole number from 0 to 16`},
		{"replicas with the tutorial", Args{Replicas: 1, Preset: PresetTutorial},
			"ClientServerArgs.Replicas: 1 with preset tutorial: expected 0, or preset secure (replication runs over TLS only)"},
		{"empty clients", Args{Clients: []string{}}, "ClientServerArgs.Clients: is empty: expected at least one client name"},
		{"a bad client", Args{Clients: []string{"ok", "not ok"}}, `ClientServerArgs.Clients[1]: "not ok": expected a letter`},
		{"port", Args{Port: 22}, "ClientServerArgs.Port: 22: expected a TCP port 1024-65535"},
		{"restoreFrom without a store", Args{RestoreFrom: "latest"},
			"ClientServerArgs.RestoreFrom: the platform *clientserver.fakePlatform makes no backup store (host.Stores) to restore from"},
		{"restoreFrom with backups off", Args{RestoreFrom: "latest", NoBackups: true},
			"ClientServerArgs.RestoreFrom: needs backups on: the restore reads the backup store"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.args
			a.Platform = &fakePlatform{}
			err := a.validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.expect)
		})
	}
}

// The fields' own rules are checked before the platform's settings, and the
// engine after them, since finding the server's data needs the platform's.
func TestArgsFieldsAreCheckedBeforeThePlatform(t *testing.T) {
	f := &fakePlatform{validateErr: errors.New("operatorCidr: required")}
	err := (&Args{Platform: f, Port: 22}).validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ClientServerArgs.Port: 22", "a field's error comes first")

	f = &fakePlatform{validateErr: errors.New("operatorCidr: required"), deployed: host.EngineMariaDB}
	err = (&Args{Platform: f, Engine: host.EngineMySQL}).validate()
	require.Error(t, err)
	assert.Equal(t, "operatorCidr: required", err.Error(), "the platform's settings before the engine of its data")
	assert.Equal(t, 1, f.validated)
}
