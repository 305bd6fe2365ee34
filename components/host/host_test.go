package host

import (
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

func testHost(hostKey string) *Host {
	return &Host{
		Name:           "mysql_server",
		Role:           RoleServer,
		PublicAddress:  pulumi.String("203.0.113.10").ToStringOutput(),
		PrivateAddress: pulumi.String("10.0.0.10").ToStringOutput(),
		SSHPort:        pulumi.Int(2222).ToIntOutput(),
		User:           pulumi.String("ubuntu").ToStringOutput(),
		PrivateKey:     pulumi.String("KEY").ToStringOutput(), // not secret here: Connection must make it so
		HostKey:        pulumi.String(hostKey).ToStringOutput(),
	}
}

func TestConnection(t *testing.T) {
	for _, tc := range []struct {
		name, hostKey string
		pinned        bool
	}{
		{"host key pinned", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKey", true},
		{"host key unknown", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := mocktest.Run(t, mocktest.New(t), nil, nil, func(ctx *pulumi.Context) error {
				c, ok := testHost(tc.hostKey).Connection().(remote.ConnectionArgs)
				require.True(t, ok)
				get := func(o pulumi.Output) mocktest.Awaited {
					a, err := mocktest.Await(ctx, o)
					require.NoError(t, err)
					return a
				}
				assert.Equal(t, "203.0.113.10", get(c.Host.ToStringOutput()).Value, "the operator connects to the public address")
				port := get(c.Port.ToFloat64PtrOutput()).Value.(*float64)
				require.NotNil(t, port)
				assert.Equal(t, 2222.0, *port, "the host's SSH port")
				assert.Equal(t, "ubuntu", get(c.User.ToStringPtrOutput().Elem()).Value)
				key := get(c.PrivateKey.ToStringPtrOutput().Elem())
				assert.Equal(t, "KEY", key.Value)
				assert.True(t, key.Secret, "the private key is always a secret")
				hk := get(c.HostKey.ToStringPtrOutput()).Value.(*string)
				if tc.pinned {
					require.NotNil(t, hk)
					assert.Equal(t, tc.hostKey, *hk)
				} else {
					assert.Nil(t, hk, "an empty host key is left unset, not pinned to \"\"")
				}
				assert.Equal(t, DialErrorLimit, get(c.DialErrorLimit.ToIntPtrOutput().Elem()).Value)
				assert.Equal(t, PerDialTimeout, get(c.PerDialTimeout.ToIntPtrOutput().Elem()).Value)
				return nil
			})
			require.NoError(t, err)
		})
	}
}

func TestSSHCommand(t *testing.T) {
	err := mocktest.Run(t, mocktest.New(t), nil, nil, func(ctx *pulumi.Context) error {
		a, err := mocktest.Await(ctx, testHost("").SSHCommand("my.key"))
		if err != nil {
			return err
		}
		assert.Equal(t, "ssh -i my.key -p 2222 ubuntu@203.0.113.10", a.Value)
		return nil
	})
	require.NoError(t, err)
}
