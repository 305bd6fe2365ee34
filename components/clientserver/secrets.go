package clientserver

import (
	"context"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/mysql-client-server/mysql-client-server/components/backup"
	"github.com/mysql-client-server/mysql-client-server/components/keypair"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// validateSecrets applies the secrets' rules to the values known before
// anything is created: a literal, a config secret, or the output of a
// resource already made. The secrets come as outputs, so each is awaited;
// a value unknown until a resource is made (in a preview) is checked by
// the component that takes it, when it resolves. The errors name the
// field and the expected form, never the value.
func (a *Args) validateSecrets() error {
	for _, s := range []struct {
		field string
		in    pulumi.StringInput
		check func(string) error
	}{{"Password", a.Password, mysql.ValidatePassword},
		{"SSHPrivateKey", a.SSHPrivateKey, func(s string) error { _, err := keypair.ParsePrivateKey(s); return err }},
		{"SSHPublicKey", a.SSHPublicKey, func(s string) error { _, err := keypair.ParsePublicKey(s); return err }},
		{"BackupPassphrase", a.BackupPassphrase, backup.ValidatePassphrase}} {
		if v, ok := known(s.in); ok {
			if err := s.check(v); err != nil {
				return fmt.Errorf("ClientServerArgs.%s: %w", s.field, err)
			}
		}
	}
	return a.validateKeyPair()
}

// validateKeyPair checks that a given public key is the private key's half.
func (a *Args) validateKeyPair() error {
	if a.SSHPublicKey == nil {
		return nil
	}
	if a.SSHPrivateKey == nil {
		return errors.New("ClientServerArgs.SSHPrivateKey: is required when the public key is set: expected the matching private key, as a secret")
	}
	private, okPrivate := known(a.SSHPrivateKey)
	public, okPublic := known(a.SSHPublicKey)
	if !okPrivate || !okPublic {
		return nil
	}
	signer, _ := keypair.ParsePrivateKey(private)
	pub, _ := keypair.ParsePublicKey(public)
	if string(pub.Marshal()) != string(signer.PublicKey().Marshal()) {
		return errors.New("ClientServerArgs.SSHPublicKey: does not match the private key: expected the public half of the given private key")
	}
	return nil
}

// known returns a string input's value when it is known: at once for a
// plain pulumi.String, else by awaiting the output. An output that failed
// is not known here; the component that takes it reports its error.
func known(in pulumi.StringInput) (string, bool) {
	switch v := in.(type) {
	case nil:
		return "", false
	case pulumi.String:
		return string(v), true
	}
	r, err := internals.UnsafeAwaitOutput(context.Background(), in.ToStringOutput())
	if err != nil {
		return "", false
	}
	s, ok := r.Value.(string)
	return s, r.Known && ok
}
