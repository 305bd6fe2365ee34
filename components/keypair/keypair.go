// Package keypair holds the stack's SSH key pair component.
package keypair

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"golang.org/x/crypto/ssh"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/generate"
)

// Type is the type token of KeyPair.
const Type = "mysql-client-server:index:KeyPair"

// Args configures a KeyPair. With no PrivateKey, an ed25519 key is generated
// once and kept in the stack state as a secret; it stays the same across
// `pulumi up`s. With a PrivateKey, that key is imported.
type Args struct {
	// PrivateKey imports an existing OpenSSH or PEM private key (a secret).
	// The remote commands log in with it.
	PrivateKey pulumi.StringInput
	// PublicKey is the imported key's authorized_keys line. Optional: it is
	// derived from PrivateKey; when given, it must match PrivateKey.
	PublicKey pulumi.StringInput
}

// KeyPair is the stack's SSH key pair: the public key goes on every host,
// the private key is how the operator's commands log in.
type KeyPair struct {
	pulumi.ResourceState

	// PublicKey is the OpenSSH authorized_keys line.
	PublicKey pulumi.StringOutput `pulumi:"publicKey"`
	// PrivateKey is the private key, a Pulumi secret.
	PrivateKey pulumi.StringOutput `pulumi:"privateKey"`
	// Fingerprint is the public key's SHA256 fingerprint.
	Fingerprint pulumi.StringOutput `pulumi:"fingerprint"`
}

// ParsePublicKey checks an authorized_keys line.
func ParsePublicKey(s string) (ssh.PublicKey, error) {
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s))
	if err != nil {
		return nil, errors.New("is not an OpenSSH public key: expected one authorized_keys line such as 'ssh-ed25519 AAAA... comment'")
	}
	return pub, nil
}

// ParsePrivateKey checks an unencrypted OpenSSH or PEM private key.
func ParsePrivateKey(s string) (ssh.Signer, error) {
	signer, err := ssh.ParsePrivateKey([]byte(s))
	if err != nil {
		return nil, errors.New("is not an unencrypted private key: expected an OpenSSH ('-----BEGIN OPENSSH PRIVATE KEY-----') or PEM key without a passphrase")
	}
	return signer, nil
}

// check validates the Args before anything is created.
func (args *Args) check() error {
	if args.PublicKey != nil && args.PrivateKey == nil {
		return errors.New("KeyPair Args.PrivateKey: required when PublicKey is given: the remote commands log in with the private key")
	}
	if s, ok := args.PublicKey.(pulumi.String); ok {
		if _, err := ParsePublicKey(string(s)); err != nil {
			return fmt.Errorf("KeyPair Args.PublicKey: %w", err)
		}
	}
	return nil
}

// New creates a KeyPair.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*KeyPair, error) {
	if args == nil {
		args = &Args{}
	}
	if err := args.check(); err != nil {
		return nil, err
	}
	k := &KeyPair{}
	if err := ctx.RegisterComponentResource(Type, name, k, opts...); err != nil {
		return nil, err
	}
	private := args.PrivateKey
	if private == nil {
		generated, err := generate.Once(ctx, name+"-generate", generate.SSHKey, pulumi.Parent(k))
		if err != nil {
			return nil, err
		}
		private = generated
	}
	var given pulumi.StringInput = pulumi.String("")
	if args.PublicKey != nil {
		given = args.PublicKey
	}
	// The public half is derived from the private key, so it is not secret.
	public := pulumi.All(private, given).ApplyT(func(v []interface{}) (string, error) {
		signer, err := ParsePrivateKey(v[0].(string))
		if err != nil {
			return "", fmt.Errorf("KeyPair Args.PrivateKey: %w", err)
		}
		derived := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
		if g := v[1].(string); g != "" {
			pub, err := ParsePublicKey(g)
			if err != nil {
				return "", fmt.Errorf("KeyPair Args.PublicKey: %w", err)
			}
			if string(pub.Marshal()) != string(signer.PublicKey().Marshal()) {
				return "", errors.New("KeyPair Args.PublicKey: does not match PrivateKey: expected the public half of the given private key")
			}
		}
		return derived, nil
	}).(pulumi.StringOutput)
	k.PublicKey = pulumi.Unsecret(public).(pulumi.StringOutput)
	k.PrivateKey = pulumi.ToSecret(private).(pulumi.StringOutput)
	k.Fingerprint = k.PublicKey.ApplyT(func(s string) (string, error) {
		pub, err := ParsePublicKey(s)
		if err != nil {
			return "", err
		}
		return ssh.FingerprintSHA256(pub), nil
	}).(pulumi.StringOutput)
	return k, ctx.RegisterResourceOutputs(k, pulumi.Map{
		"publicKey":   k.PublicKey,
		"privateKey":  k.PrivateKey,
		"fingerprint": k.Fingerprint,
	})
}

// Material returns the key pair as a platform receives it.
func (k *KeyPair) Material() host.KeyMaterial {
	return host.KeyMaterial{PublicKey: k.PublicKey, PrivateKey: k.PrivateKey, Resource: k}
}
