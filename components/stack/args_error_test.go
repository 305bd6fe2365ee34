package stack

import (
	"errors"
	"reflect"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
)

// Every row of argsKeys is an Args field and a key Pulumi.yaml declares.
func TestArgsKeysAreFieldsAndDeclaredKeys(t *testing.T) {
	proj, err := workspace.LoadProject("../../Pulumi.yaml")
	require.NoError(t, err)
	args := reflect.TypeOf(clientserver.Args{})
	for field, k := range argsKeys {
		_, ok := args.FieldByName(field)
		assert.True(t, ok, "clientserver.Args has %s", field)
		assert.Contains(t, proj.Config, k, "Pulumi.yaml declares %s", k)
	}
}

// argsError swaps the field an error of Args starts with for the config key,
// in the form Load's own errors take.
func TestArgsErrorNamesTheKey(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{`ClientServerArgs.Clients[2]: "a b": expected a letter`, `mysql-client-server:clients: item 2: "a b": expected a letter`},
		{"ClientServerArgs.Clients: is empty: expected at least one client name", "mysql-client-server:clients: is empty: expected at least one client name"},
		{`ClientServerArgs.Replicas: "17": expected a whole number from 0 to 16`, `mysql-client-server:replicas: "17": expected a whole number from 0 to 16`},
		{`ClientServerArgs.Replicas: "-1": expected a whole number from 0 to 16`, `mysql-client-server:replicas: "-1": expected a whole number from 0 to 16`},
		{"ClientServerArgs.Replicas: 1 with preset tutorial: expected 0", "mysql-client-server:replicas: 1 with preset tutorial: expected 0"},
		{"ClientServerArgs.Port: 22: expected a TCP port 1024-65535", "mysql-client-server:port: 22: expected a TCP port 1024-65535"},
		{`ClientServerArgs.Engine: "mysql", but the server`, `mysql-client-server:engine: "mysql", but the server`},
		{`ClientServerArgs.ServerName: "a b": expected a letter`, `ClientServerArgs.ServerName: "a b": expected a letter`},
		{"operatorCidr: required: the CIDR", "mysql-client-server:operatorCidr: required: the CIDR"},
		{"platform local: this machine cannot host it yet", "platform local: this machine cannot host it yet"},
	} {
		assert.Equal(t, tc.out, argsError(errors.New(tc.in)).Error(), tc.in)
	}
}
