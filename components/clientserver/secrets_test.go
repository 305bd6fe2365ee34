package clientserver

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/mysql-client-server/mysql-client-server/components/keypair"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// The secrets come as secret outputs (from config, from a package's
// inputs); their values are checked before anything is created all the
// same, and the errors never hold them.
func TestSecretValuesAreCheckedBeforeAnythingIsCreated(t *testing.T) {
	secret := func(s string) pulumi.StringInput { return pulumi.ToSecret(pulumi.String(s)).(pulumi.StringOutput) }
	other := publicKey(t, mocktest.NewPrivateKey(t))
	cases := []struct {
		name, value, expect string
		args                func(f *fakePlatform, v string) *Args
	}{
		{"short password", "pw-0123", "ClientServerArgs.Password: is too short: expected at least 12 characters",
			func(f *fakePlatform, v string) *Args { return &Args{Platform: f, Password: secret(v)} }},
		{"private key garbage", "not-a-key-0123", "ClientServerArgs.SSHPrivateKey: is not an unencrypted private key",
			func(f *fakePlatform, v string) *Args { return &Args{Platform: f, SSHPrivateKey: secret(v)} }},
		{"public key garbage", "ssh-rsa zzzz-0123", "ClientServerArgs.SSHPublicKey: is not an OpenSSH public key",
			func(f *fakePlatform, v string) *Args { return &Args{Platform: f, SSHPublicKey: pulumi.String(v)} }},
		{"public key of another key", other, "ClientServerArgs.SSHPublicKey: does not match the private key",
			func(f *fakePlatform, v string) *Args {
				return &Args{Platform: f, SSHPrivateKey: secret(mocktest.NewPrivateKey(t)), SSHPublicKey: pulumi.String(v)}
			}},
		{"short passphrase", "pass-0123", "ClientServerArgs.BackupPassphrase: expected at least 16 characters on one line",
			func(f *fakePlatform, v string) *Args { return &Args{Platform: f, BackupPassphrase: secret(v)} }},
		{"passphrase of two lines", "first-line-0123456789\nsecond-line-0123", "ClientServerArgs.BackupPassphrase: expected at least 16 characters on one line",
			func(f *fakePlatform, v string) *Args { return &Args{Platform: f, BackupPassphrase: secret(v)} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakePlatform{}
			m := mocktest.New(t)
			err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
				_, err := New(ctx, "cs", tc.args(f, tc.value))
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.expect)
			assert.NotContains(t, err.Error(), strings.SplitN(tc.value, "\n", 2)[0], "the error does not hold the value")
			assert.Empty(t, m.Resources(), "nothing is registered")
		})
	}
}

// A public key given without its private key is refused: the hosts are
// logged in to with the private key.
func TestPublicKeyNeedsItsPrivateKey(t *testing.T) {
	m := mocktest.New(t)
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		_, err := New(ctx, "cs", &Args{Platform: &fakePlatform{}, SSHPublicKey: pulumi.String(publicKey(t, m.PrivateKey))})
		return err
	})
	require.ErrorContains(t, err, "ClientServerArgs.SSHPrivateKey: is required when the public key is set")
	assert.Empty(t, m.Resources())
}

// publicKey is a private key's public half, as an authorized_keys line.
func publicKey(t *testing.T, private string) string {
	t.Helper()
	signer, err := keypair.ParsePrivateKey(private)
	require.NoError(t, err)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
}
