package pulumipkg

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
)

// checkSecrets applies clientserver.CheckSecrets to the secret inputs,
// which reach the provider as secret outputs. The engine resolves a
// component's inputs before it asks for the component, so each holds its
// value, or is unknown (in a preview, the output of a resource not yet
// made, which the library's components check when it resolves): awaiting
// them waits on no resource.
func (in ClientServerArgs) checkSecrets(ctx *pulumi.Context) error {
	return clientserver.CheckSecrets(clientserver.SecretValues{
		Password: value(ctx, in.Password), SSHPrivateKey: value(ctx, in.SSHPrivateKey),
		SSHPublicKey: value(ctx, in.SSHPublicKey), BackupPassphrase: value(ctx, in.BackupPassphrase),
	})
}

// value is an input's value when it is known; nil when it is unset, unknown
// or failed (the component that takes it reports the failure).
func value(ctx *pulumi.Context, in pulumi.StringInput) *string {
	if in == nil {
		return nil
	}
	s, ok := known[string](ctx, in.ToStringOutput())
	if !ok {
		return nil
	}
	return &s
}

// known is out's value when it is known: the engine resolves a component's
// inputs before it constructs it, so awaiting one waits on no resource.
// false when it is unknown (a preview's output of a resource not yet made)
// or failed (the component that takes it reports the failure).
func known[T any](ctx *pulumi.Context, out pulumi.Output) (T, bool) {
	r, err := internals.UnsafeAwaitOutput(ctx.Context(), out)
	v, ok := r.Value.(T)
	return v, err == nil && r.Known && ok
}

// checkKnown applies rule, the library's, to a building block's input when
// its value is known, before anything is created; the error names field (the
// password's rule never shows the value).
func checkKnown(field string, ctx *pulumi.Context, in pulumi.StringInput, rule func(string) error) error {
	if v := value(ctx, in); v != nil {
		if err := rule(*v); err != nil {
			return fmt.Errorf("%s: %w", field, err)
		}
	}
	return nil
}
