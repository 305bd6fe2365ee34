package pulumipkg

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/aws"
	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
	"github.com/mysql-client-server/mysql-client-server/components/local"
)

// mocks answer every resource with its inputs; nothing here creates one.
type mocks struct{}

func (mocks) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return a.Name + "-id", a.Inputs, nil
}

func (mocks) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

// run runs fn in a program under mocks, of project p and stack s.
func run(t *testing.T, fn func(ctx *pulumi.Context) error) error {
	t.Helper()
	return pulumi.RunErr(fn, pulumi.WithMocks("p", "s", mocks{}))
}

func TestInputsBecomeTheLibrarysArgs(t *testing.T) {
	require.NoError(t, run(t, func(ctx *pulumi.Context) error {
		in := ClientServerArgs{Platform: "local", Clients: []string{"a", "b"}, Replicas: 2, Engine: "mariadb",
			BackupSchedule: "6h", BackupRetention: "2d", BackupRecoveryPoint: "10m", RestoreHost: true,
			Local: &LocalPlatform{Subnet: "10.213.99.0/24"}}
		a, err := in.args(ctx, "db")
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "b"}, a.Clients)
		assert.Equal(t, 2, a.Replicas)
		assert.EqualValues(t, "mariadb", a.Engine)
		assert.Equal(t, "6h0m0s", a.BackupSchedule.String())
		assert.Equal(t, "48h0m0s", a.BackupRetention.String())
		assert.Equal(t, "10m0s", a.BackupRecoveryPoint.String())
		assert.True(t, a.RestoreHost)
		p := a.Platform.(*local.Platform)
		assert.Equal(t, "p/s/db", p.Name, "hosts named after project, stack and component")
		assert.Equal(t, "10.213.99.0/24", p.Subnet)

		in = ClientServerArgs{Platform: "aws", Preset: clientserver.PresetTutorial}
		a, err = in.args(ctx, "db")
		require.NoError(t, err)
		assert.Equal(t, "0.0.0.0/0", a.Platform.(*aws.Platform).OperatorCIDR, "the tutorial's SSH from anywhere, as from config")
		return nil
	}))
}

func TestBadInputsAreRefusedNamingTheInput(t *testing.T) {
	for _, c := range []struct {
		in   ClientServerArgs
		want string
	}{
		{ClientServerArgs{Platform: "gcp"}, `ClientServerArgs.Platform: "gcp" is not a platform: expected aws or local`},
		{ClientServerArgs{Platform: "local", BackupSchedule: "often"}, "ClientServerArgs.BackupSchedule: "},
		{ClientServerArgs{Platform: "local", Local: &LocalPlatform{Subnet: "10.213.0.0/33"}}, "ClientServerArgs.Local.Subnet: "},
		{ClientServerArgs{Platform: "local", Local: &LocalPlatform{StateDir: "state"}}, "ClientServerArgs.Local.StateDir: "},
		{ClientServerArgs{Platform: "aws"}, "ClientServerArgs.AWS.OperatorCIDR: "},
		{ClientServerArgs{Platform: "aws", AWS: &AWSPlatform{OperatorCIDR: "198.51.100.7/32", AMI: "ubuntu"}}, "ClientServerArgs.AWS.AMI: "},
		// The secrets arrive as secret outputs; their values are checked all the same.
		{ClientServerArgs{Platform: "local", Password: pulumi.ToSecret(pulumi.String("short")).(pulumi.StringOutput)},
			"ClientServerArgs.Password: is too short: expected at least 12 characters"},
		{ClientServerArgs{Platform: "local", BackupPassphrase: pulumi.ToSecret(pulumi.String("two\nlines-of-passphrase")).(pulumi.StringOutput)},
			"ClientServerArgs.BackupPassphrase: expected at least 16 characters on one line"},
	} {
		err := run(t, func(ctx *pulumi.Context) error {
			_, err := NewClientServer(ctx, "db", c.in)
			return err
		})
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.want)
	}
}

// TestBadInputsGetTheGoLibrarysError: the package passes clientserver.New's
// error on as it is, so YAML and TypeScript programs read what Go ones do.
func TestBadInputsGetTheGoLibrarysError(t *testing.T) {
	clients := []string{"app_1", "bad name"}
	goErr := run(t, func(ctx *pulumi.Context) error {
		_, err := clientserver.New(ctx, "db", &clientserver.Args{Clients: clients,
			Platform: &local.Platform{Name: "p/s/db", Preflight: func() error { return nil }}})
		return err
	})
	require.Error(t, goErr)
	pkgErr := run(t, func(ctx *pulumi.Context) error {
		_, err := NewClientServer(ctx, "db", ClientServerArgs{Platform: "local", Clients: clients})
		return err
	})
	require.Error(t, pkgErr)
	assert.Equal(t, goErr.Error(), pkgErr.Error())
}
