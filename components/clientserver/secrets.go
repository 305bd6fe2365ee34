package clientserver

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/backup"
	"github.com/mysql-client-server/mysql-client-server/components/keypair"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// SecretValues are the values of Args' secret inputs, where the caller
// knows them before anything is created (nil: unknown or unset): a
// program's config, a package's inputs, a literal.
type SecretValues struct {
	Password, SSHPrivateKey, SSHPublicKey, BackupPassphrase *string
}

// CheckSecrets applies the secrets' rules to their values: the password's
// length, a private key that parses and a public key that is its half, a
// backup passphrase of 16 characters on one line. It is the rules' one
// home: Args applies it to literal values, and the stack's config and the
// Pulumi package to the values they read. A value known only once a
// resource is made is checked by the component that takes it, when it
// resolves. The errors name the field and the expected form, never the
// value.
func CheckSecrets(v SecretValues) error {
	for _, s := range []struct {
		field string
		value *string
		check func(string) error
	}{{"Password", v.Password, mysql.ValidatePassword},
		{"SSHPrivateKey", v.SSHPrivateKey, func(s string) error { _, err := keypair.ParsePrivateKey(s); return err }},
		{"SSHPublicKey", v.SSHPublicKey, func(s string) error { _, err := keypair.ParsePublicKey(s); return err }},
		{"BackupPassphrase", v.BackupPassphrase, backup.ValidatePassphrase}} {
		if s.value == nil {
			continue
		}
		if err := s.check(*s.value); err != nil {
			return fmt.Errorf("ClientServerArgs.%s: %w", s.field, err)
		}
	}
	if v.SSHPrivateKey == nil || v.SSHPublicKey == nil {
		return nil
	}
	signer, _ := keypair.ParsePrivateKey(*v.SSHPrivateKey)
	pub, _ := keypair.ParsePublicKey(*v.SSHPublicKey)
	if string(pub.Marshal()) != string(signer.PublicKey().Marshal()) {
		return errors.New("ClientServerArgs.SSHPublicKey: does not match the private key: expected the public half of the given private key")
	}
	return nil
}

// validateSecrets checks the secrets given as literals, and that a public
// key comes with its private key.
func (a *Args) validateSecrets() error {
	if err := CheckSecrets(SecretValues{Password: literal(a.Password), SSHPrivateKey: literal(a.SSHPrivateKey),
		SSHPublicKey: literal(a.SSHPublicKey), BackupPassphrase: literal(a.BackupPassphrase)}); err != nil {
		return err
	}
	if a.SSHPublicKey != nil && a.SSHPrivateKey == nil {
		return errors.New("ClientServerArgs.SSHPrivateKey: is required when a public key is given: expected the matching private key, as a secret")
	}
	return nil
}

// literal is a plain pulumi.String input's value; nil for any other.
func literal(in pulumi.StringInput) *string {
	if s, ok := in.(pulumi.String); ok {
		v := string(s)
		return &v
	}
	return nil
}
