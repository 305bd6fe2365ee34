package mysql

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFingerprintIsSecretOnceKnown: the verify proof's trigger for the
// password is its SHA-256, secret; while the password is unknown (a
// preview's generated one) it is a plain unknown, which the command plugin
// carries through a preview.
func TestFingerprintIsSecretOnceKnown(t *testing.T) {
	ctx := context.Background()
	known, err := internals.UnsafeAwaitOutput(ctx, fingerprint(pulumi.ToSecret(pulumi.String("a-password")).(pulumi.StringOutput)))
	require.NoError(t, err)
	sum := sha256.Sum256([]byte("a-password"))
	assert.Equal(t, hex.EncodeToString(sum[:]), known.Value)
	assert.True(t, known.Known && known.Secret, "a known fingerprint is secret")

	unknown := pulumi.ToSecret(pulumi.UnsafeUnknownOutput(nil)).(pulumi.AnyOutput).ApplyT(func(v any) string { return "" }).(pulumi.StringOutput)
	u, err := internals.UnsafeAwaitOutput(ctx, fingerprint(unknown))
	require.NoError(t, err)
	assert.False(t, u.Known, "unknown while the password is")
	assert.False(t, u.Secret, "an unknown is not wrapped as a secret")

	none, err := internals.UnsafeAwaitOutput(ctx, fingerprint(nil))
	require.NoError(t, err)
	assert.Equal(t, "", none.Value)
}
