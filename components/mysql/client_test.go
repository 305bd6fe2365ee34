package mysql

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/shell"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

func TestClientInstallsOnItsHost(t *testing.T) {
	m := newMocks(t)
	// client-install.sh prints `mysql --version`: the client's Version.
	const mysql80 = "mysql  Ver 8.0.39 for Linux on x86_64 (MySQL Community Server - GPL)"
	m.On(mocktest.RemoteCommand, "app-client-install", func(args pulumi.MockResourceArgs) (string, error) {
		create, _ := mocktest.Str(args.Inputs, "create")
		assert.Contains(t, create, shell.Quote(scriptPath("client-install.sh")), "the create runs the staged client-install script")
		assert.NotContains(t, create, "MCS_BIND_ADDRESS", "the client install takes no server settings")
		return mysql80, nil
	})
	var version mocktest.Awaited
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		h, err := newTestHost(ctx, "cli", host.RoleClient, clientPublic, clientPrivate)
		if err != nil {
			return err
		}
		c, err := NewClient(ctx, "app-client", &ClientArgs{Host: h})
		if err != nil {
			return err
		}
		if c.Host != h || c.Install == nil {
			t.Errorf("Client.Host/Install not set")
		}
		version, err = mocktest.Await(ctx, c.Version)
		return err
	})
	require.NoError(t, err)

	_, ok := m.Named(ClientType, "app-client")
	require.True(t, ok)
	cmds := m.OfType("command:remote:Command")
	require.Len(t, cmds, 2, "the host's scripts and the install")
	install, ok := m.Named("command:remote:Command", "app-client-install")
	require.True(t, ok)
	assert.Contains(t, install.Parent, ClientType)
	reRunsCreate(t, install, "an update re-runs the install")
	assert.True(t, dependsOn(install, "command:local:Command", "cli-ready"), "installed after the host is ready")

	c := connectionOf(t, install)
	assert.Equal(t, clientPublic, c.host, "runs on the client host")
	assert.Equal(t, "ubuntu", c.user)
	assert.True(t, c.keySecret)
	assert.Equal(t, mysql80, version.Value, "Version is what the install printed")
}

func TestClientWithoutHostFails(t *testing.T) {
	for name, args := range map[string]*ClientArgs{"nil args": nil, "no host": {}} {
		t.Run(name, func(t *testing.T) {
			m := newMocks(t)
			err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
				_, err := NewClient(ctx, "app-client", args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "ClientArgs.Host: required")
			assert.Empty(t, m.Resources())
		})
	}
}
