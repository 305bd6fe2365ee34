package keypair

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// newKey returns a fresh ed25519 key: the OpenSSH private key and its
// authorized_keys line (with a comment).
func newKey(t *testing.T) (private, public string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(priv, "imported")
	require.NoError(t, err)
	sshPub, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(block)), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " someone@example"
}

// authorizedKey derives the authorized_keys line (no comment) of a private key.
func authorizedKey(t *testing.T, private string) (string, ssh.PublicKey) {
	t.Helper()
	signer, err := ssh.ParsePrivateKey([]byte(private))
	require.NoError(t, err)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))), signer.PublicKey()
}

type resolved struct{ public, private, fingerprint mocktest.Awaited }

// run creates a KeyPair named name under the mocks and resolves its outputs.
func run(t *testing.T, m *mocktest.Mocks, name string, args *Args) (resolved, error) {
	t.Helper()
	var r resolved
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		k, err := New(ctx, name, args)
		if err != nil {
			return err
		}
		if r.public, err = mocktest.Await(ctx, k.PublicKey); err != nil {
			return err
		}
		if r.private, err = mocktest.Await(ctx, k.PrivateKey); err != nil {
			return err
		}
		r.fingerprint, err = mocktest.Await(ctx, k.Fingerprint)
		return err
	})
	return r, err
}

func TestGeneratedKeyRunsTheGeneratorOnceUnloggedAndDerivesThePublicHalf(t *testing.T) {
	m := mocktest.New(t)
	r, err := run(t, m, "kp-ssh", nil)
	require.NoError(t, err)

	comp, ok := m.Named(Type, "kp-ssh")
	require.True(t, ok, "the component is registered with its type token")
	assert.False(t, comp.Custom)

	cmds := m.OfType("command:local:Command")
	require.Len(t, cmds, 1, "exactly one generator command")
	gen := cmds[0]
	assert.Equal(t, "kp-ssh-generate", gen.Name)
	assert.Equal(t, resource.NewStringProperty("none"), gen.Inputs["logging"], "the generator's output is not logged")
	create, _ := mocktest.Str(gen.Inputs, "create")
	assert.Contains(t, create, "ssh-keygen -q -t ed25519", "the generator is the ssh-key script")
	assert.Contains(t, gen.Parent, Type, "the generator is parented to the KeyPair")

	wantPub, pub := authorizedKey(t, m.PrivateKey)
	assert.Equal(t, wantPub, r.public.Value, "the public key is derived from the generated private key")
	assert.False(t, r.public.Secret, "the public key is not secret")
	assert.True(t, r.private.Secret, "the private key is secret")
	assert.Equal(t, m.PrivateKey, r.private.Value, "the private key is the generator's output, with its final newline")
	assert.True(t, strings.HasSuffix(r.private.Value.(string), "\n"))
	assert.False(t, r.fingerprint.Secret, "the fingerprint is not secret")
	assert.True(t, strings.HasPrefix(r.fingerprint.Value.(string), "SHA256:"))
	assert.Equal(t, ssh.FingerprintSHA256(pub), r.fingerprint.Value)
}

func TestImportedKeyIsUsedAndNothingIsGenerated(t *testing.T) {
	private, public := newKey(t)
	derived, pub := authorizedKey(t, private)
	for _, tc := range []struct {
		name      string
		publicKey pulumi.StringInput
	}{
		{"private key only", nil},
		{"matching public key with a comment", pulumi.String(public)},
		{"matching public key as an output", pulumi.String(public).ToStringOutput()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mocktest.New(t)
			r, err := run(t, m, "kp-ssh", &Args{
				PrivateKey: pulumi.ToSecret(pulumi.String(private)).(pulumi.StringOutput),
				PublicKey:  tc.publicKey,
			})
			require.NoError(t, err)
			assert.Empty(t, m.OfType("command:local:Command"), "no key is generated")
			_, ok := m.Named(Type, "kp-ssh")
			assert.True(t, ok)
			assert.Equal(t, derived, r.public.Value, "the public key is the imported key's public half")
			assert.False(t, r.public.Secret)
			assert.Equal(t, private, r.private.Value)
			assert.True(t, r.private.Secret)
			assert.Equal(t, ssh.FingerprintSHA256(pub), r.fingerprint.Value)
		})
	}
}

func TestImportedPlainPrivateKeyBecomesSecret(t *testing.T) {
	private, _ := newKey(t)
	m := mocktest.New(t)
	r, err := run(t, m, "kp-ssh", &Args{PrivateKey: pulumi.String(private)})
	require.NoError(t, err)
	assert.True(t, r.private.Secret, "a private key given in plain text is still output as a secret")
	assert.False(t, r.public.Secret)
}

func TestImportedKeyWithMismatchingPublicKeyFails(t *testing.T) {
	private, _ := newKey(t)
	_, other := newKey(t)
	for _, tc := range []struct {
		name      string
		publicKey pulumi.StringInput
	}{
		{"plain", pulumi.String(other)},
		{"output", pulumi.String(other).ToStringOutput()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mocktest.New(t)
			_, err := run(t, m, "kp-ssh", &Args{
				PrivateKey: pulumi.ToSecret(pulumi.String(private)).(pulumi.StringOutput),
				PublicKey:  tc.publicKey,
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "Args.PublicKey")
			assert.Contains(t, err.Error(), "does not match PrivateKey")
			assert.NotContains(t, err.Error(), private, "the error does not leak the private key")
		})
	}
}

// TestMismatchFailsTheDeploymentWithoutAwaiting: a program that never reads
// the outputs still fails, because the component registers them.
func TestMismatchFailsTheDeploymentWithoutAwaiting(t *testing.T) {
	private, _ := newKey(t)
	_, other := newKey(t)
	m := mocktest.New(t)
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		_, err := New(ctx, "kp-ssh", &Args{PrivateKey: pulumi.ToSecret(pulumi.String(private)).(pulumi.StringOutput), PublicKey: pulumi.String(other)})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Args.PublicKey")
}

func TestInvalidArgsFailBeforeAnythingIsRegistered(t *testing.T) {
	private, public := newKey(t)
	cases := []struct {
		name   string
		args   *Args
		field  string
		expect string
	}{
		{"public key without private key", &Args{PublicKey: pulumi.String(public)}, "Args.PrivateKey", "required when PublicKey is given"},
		{"public key output without private key", &Args{PublicKey: pulumi.String(public).ToStringOutput()}, "Args.PrivateKey", "required when PublicKey is given"},
		{"public key garbage", &Args{PrivateKey: pulumi.String(private), PublicKey: pulumi.String("ssh-rsa")}, "Args.PublicKey", "authorized_keys line"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := mocktest.New(t)
			_, err := run(t, m, "kp-ssh", tc.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.field, "the error names the field")
			assert.Contains(t, err.Error(), tc.expect)
			assert.Empty(t, m.Resources(), "nothing is registered")
		})
	}
}

func TestGarbagePrivateKeyFailsNamingPrivateKey(t *testing.T) {
	m := mocktest.New(t)
	_, err := run(t, m, "kp-ssh", &Args{PrivateKey: pulumi.ToSecret(pulumi.String("not a key")).(pulumi.StringOutput)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Args.PrivateKey")
	assert.Contains(t, err.Error(), "OPENSSH PRIVATE KEY")
}

func TestParsers(t *testing.T) {
	private, public := newKey(t)
	_, err := ParsePublicKey(public)
	assert.NoError(t, err)
	_, err = ParsePublicKey("ssh-ed25519 not-base64!")
	assert.Error(t, err)
	_, err = ParsePrivateKey(private)
	assert.NoError(t, err)
	_, err = ParsePrivateKey(public)
	assert.Error(t, err, "a public key is not a private key")
}

func TestMaterialCarriesTheKeyPair(t *testing.T) {
	m := mocktest.New(t)
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		k, err := New(ctx, "kp-ssh", nil)
		if err != nil {
			return err
		}
		mat := k.Material()
		assert.Same(t, k, mat.Resource)
		pub, err := mocktest.Await(ctx, mat.PublicKey)
		if err != nil {
			return err
		}
		priv, err := mocktest.Await(ctx, mat.PrivateKey)
		if err != nil {
			return err
		}
		want, _ := authorizedKey(t, m.PrivateKey)
		assert.Equal(t, want, pub.Value)
		assert.True(t, priv.Secret)
		return nil
	})
	require.NoError(t, err)
}
