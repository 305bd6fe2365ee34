package local

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

func hostArgs() *HostArgs {
	return &HostArgs{
		Spec:            host.Spec{Name: "mysql_server", Role: host.RoleServer},
		Netns:           "mcs-abcdef-0",
		Bridge:          "mcs-abcdef",
		Veth:            "mcsabcdefv0",
		Address:         "10.213.0.10",
		PrefixLength:    24,
		OperatorAddress: "10.213.0.1",
		HostDir:         "/var/lib/mysql-client-server/abcdef/mysql_server",
		PublicKey:       pulumi.String("ssh-ed25519 AAAA test"),
		PrivateKey:      pulumi.ToSecret(pulumi.String("KEY")).(pulumi.StringOutput),
	}
}

func TestHostIsANamespaceCommandAndItsHost(t *testing.T) {
	m := mocktest.New(t)
	type values struct{ public, private, user, hostKey, key, port, netns, readyURN mocktest.Awaited }
	var v values
	var netnsName string
	var role host.Role
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		h, err := NewHost(ctx, "mysql_server", hostArgs())
		if err != nil {
			return err
		}
		netnsName, role = h.NetnsName, h.Host.Role
		for _, f := range []struct {
			dst *mocktest.Awaited
			o   pulumi.Output
		}{
			{&v.public, h.Host.PublicAddress}, {&v.private, h.Host.PrivateAddress}, {&v.user, h.Host.User},
			{&v.hostKey, h.Host.HostKey}, {&v.key, h.Host.PrivateKey}, {&v.port, h.Host.SSHPort},
			{&v.netns, h.Netns}, {&v.readyURN, h.Host.Ready.URN()},
		} {
			if *f.dst, err = mocktest.Await(ctx, f.o); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)

	cmds := m.OfType("command:local:Command")
	require.Len(t, cmds, 1)
	r := cmds[0]
	assert.Equal(t, "mysql_server-namespaces", r.Name)
	assert.Contains(t, r.Parent, HostType)
	e := env(t, r)
	assert.Equal(t, "mysql-server", e["MCS_HOSTNAME"], "underscores become dashes in the hostname")
	assert.Equal(t, "10.213.0.10", e["MCS_ADDRESS"])
	assert.Equal(t, "mcsabcdefv0", e["MCS_VETH"])
	interp := r.Inputs["interpreter"].ArrayValue()
	require.Len(t, interp, 2)
	assert.Equal(t, "/bin/bash", interp[0].StringValue())
	_, hasUpdate := r.Inputs["update"]
	assert.False(t, hasUpdate, "no update command: pulumi-command re-runs the create script, which converges")

	assert.Equal(t, "10.213.0.10", v.public.Value)
	assert.Equal(t, "10.213.0.10", v.private.Value, "on the bridge, the operator and the hosts share one address")
	assert.Equal(t, "root", v.user.Value)
	assert.Equal(t, mockHostKey, v.hostKey.Value, "the host key is what the create script printed")
	assert.True(t, v.key.Secret)
	assert.Equal(t, 22, v.port.Value)
	assert.Equal(t, "mcs-abcdef-0", v.netns.Value)
	assert.Equal(t, "mcs-abcdef-0", netnsName)
	assert.Equal(t, host.RoleServer, role)
	assert.True(t, strings.HasSuffix(string(v.readyURN.Value.(pulumi.URN)), "command:local:Command::mysql_server-namespaces"),
		"Ready is the namespaces command")
}

func TestHostInvalidArgsFailBeforeAnythingIsRegistered(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*HostArgs) *HostArgs
		field string
	}{
		{"nil args", func(*HostArgs) *HostArgs { return nil }, "HostArgs.Spec.Name"},
		{"no name", func(a *HostArgs) *HostArgs { a.Spec.Name = ""; return a }, "HostArgs.Spec.Name"},
		{"no netns", func(a *HostArgs) *HostArgs { a.Netns = ""; return a }, "Netns, Bridge, Veth"},
		{"no host dir", func(a *HostArgs) *HostArgs { a.HostDir = ""; return a }, "HostDir are required"},
		{"veth too long", func(a *HostArgs) *HostArgs { a.Veth = strings.Repeat("v", 16); return a }, "HostArgs.Veth/Bridge"},
		{"bridge too long", func(a *HostArgs) *HostArgs { a.Bridge = strings.Repeat("b", 16); return a }, "HostArgs.Veth/Bridge"},
		{"no public key", func(a *HostArgs) *HostArgs { a.PublicKey = nil; return a }, "HostArgs.PublicKey and PrivateKey"},
		{"no private key", func(a *HostArgs) *HostArgs { a.PrivateKey = nil; return a }, "HostArgs.PublicKey and PrivateKey"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := mocktest.New(t)
			err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
				_, err := NewHost(ctx, "h", tc.edit(hostArgs()))
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.field)
			assert.Empty(t, m.Resources())
		})
	}
}

func TestMySQLIngressCustomPortAndInvalidArgs(t *testing.T) {
	clients := map[string]pulumi.StringInput{"b": pulumi.String("10.213.0.12"), "a": pulumi.String("10.213.0.11")}
	t.Run("custom port", func(t *testing.T) {
		m := mocktest.New(t)
		var sources mocktest.Awaited
		err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
			h, err := NewHost(ctx, "mysql_server", hostArgs())
			if err != nil {
				return err
			}
			in, err := NewMySQLIngress(ctx, "ing", &MySQLIngressArgs{Server: h, ClientAddresses: clients, SSHSources: []string{"10.213.0.1", "192.0.2.0/24"}, Port: 3307})
			if err != nil {
				return err
			}
			sources, err = mocktest.Await(ctx, in.Sources)
			return err
		})
		require.NoError(t, err)
		r, ok := m.Named("command:local:Command", "ing-nftables")
		require.True(t, ok)
		e := env(t, r)
		assert.Equal(t, "3307", e["MCS_PORT"])
		assert.Equal(t, "10.213.0.11 10.213.0.12", e["MCS_CLIENT_ADDRESSES"], "clients in name order")
		assert.Equal(t, "10.213.0.1 192.0.2.0/24", e["MCS_SSH_SOURCES"])
		assert.Equal(t, "mcs-abcdef-0", e["MCS_NETNS"])
		assert.True(t, dependsOn(r, "command:local:Command", "mysql_server-namespaces"))
		assert.Equal(t, map[string]string{"a": "10.213.0.11", "b": "10.213.0.12"}, sources.Value)
	})
	cases := []struct {
		name  string
		args  *MySQLIngressArgs
		field string
	}{
		{"nil args", nil, "MySQLIngressArgs.Server"},
		{"no server", &MySQLIngressArgs{ClientAddresses: clients, SSHSources: []string{"10.213.0.1"}}, "MySQLIngressArgs.Server"},
		{"no clients", &MySQLIngressArgs{Server: &Host{}, SSHSources: []string{"10.213.0.1"}}, "MySQLIngressArgs.ClientAddresses"},
		{"no ssh sources", &MySQLIngressArgs{Server: &Host{}, ClientAddresses: clients}, "MySQLIngressArgs.SSHSources"},
		{"bad port", &MySQLIngressArgs{Server: &Host{}, ClientAddresses: clients, SSHSources: []string{"10.213.0.1"}, Port: 70000}, "MySQLIngressArgs.Port"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := mocktest.New(t)
			err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
				_, err := NewMySQLIngress(ctx, "ing", tc.args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.field+":")
			assert.Empty(t, m.Resources())
		})
	}
}
