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

// secretCase is a secret value that breaks a rule, and the error's text.
type secretCase struct {
	name, expect string
	values       func(v string) SecretValues
	value        string
}

func secretCases(t *testing.T) []secretCase {
	private, other := mocktest.NewPrivateKey(t), publicKey(t, mocktest.NewPrivateKey(t))
	return []secretCase{
		{"short password", "ClientServerArgs.Password: is too short: expected at least 12 characters",
			func(v string) SecretValues { return SecretValues{Password: &v} }, "pw-0123"},
		{"private key garbage", "ClientServerArgs.SSHPrivateKey: is not an unencrypted private key",
			func(v string) SecretValues { return SecretValues{SSHPrivateKey: &v} }, "not-a-key-0123"},
		{"public key garbage", "ClientServerArgs.SSHPublicKey: is not an OpenSSH public key",
			func(v string) SecretValues { return SecretValues{SSHPublicKey: &v} }, "ssh-rsa zzzz-0123"},
		{"public key of another key", "ClientServerArgs.SSHPublicKey: does not match the private key",
			func(v string) SecretValues { return SecretValues{SSHPrivateKey: &private, SSHPublicKey: &v} }, other},
		{"short passphrase", "ClientServerArgs.BackupPassphrase: expected at least 16 characters on one line",
			func(v string) SecretValues { return SecretValues{BackupPassphrase: &v} }, "pass-0123"},
		{"passphrase of two lines", "ClientServerArgs.BackupPassphrase: expected at least 16 characters on one line",
			func(v string) SecretValues { return SecretValues{BackupPassphrase: &v} }, "first-line-0123456789\nsecond-line-0123"},
	}
}

// CheckSecrets is the secrets' rules; its errors never hold the value.
func TestCheckSecrets(t *testing.T) {
	for _, tc := range secretCases(t) {
		err := CheckSecrets(tc.values(tc.value))
		require.Error(t, err, tc.name)
		assert.Contains(t, err.Error(), tc.expect, tc.name)
		assert.NotContains(t, err.Error(), strings.SplitN(tc.value, "\n", 2)[0], "%s: the error holds the value", tc.name)
	}
	private := mocktest.NewPrivateKey(t)
	public, password, passphrase := publicKey(t, private), "long-enough-password", "a passphrase of one line"
	assert.NoError(t, CheckSecrets(SecretValues{Password: &password, SSHPrivateKey: &private, SSHPublicKey: &public, BackupPassphrase: &passphrase}))
	assert.NoError(t, CheckSecrets(SecretValues{}), "nothing known, nothing to check")
}

// Secrets given as literals are checked by Args, before anything is
// created.
func TestSecretLiteralsAreCheckedBeforeAnythingIsCreated(t *testing.T) {
	lit := func(p *string) pulumi.StringInput {
		if p == nil {
			return nil
		}
		return pulumi.String(*p)
	}
	for _, tc := range secretCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.values(tc.value)
			m := mocktest.New(t)
			err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
				_, err := New(ctx, "cs", &Args{Platform: &fakePlatform{}, Password: lit(v.Password), SSHPrivateKey: lit(v.SSHPrivateKey),
					SSHPublicKey: lit(v.SSHPublicKey), BackupPassphrase: lit(v.BackupPassphrase)})
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.expect)
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
	require.ErrorContains(t, err, "ClientServerArgs.SSHPrivateKey: is required when a public key is given")
	assert.Empty(t, m.Resources())
}

// publicKey is a private key's public half, as an authorized_keys line.
func publicKey(t *testing.T, private string) string {
	t.Helper()
	signer, err := keypair.ParsePrivateKey(private)
	require.NoError(t, err)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
}
