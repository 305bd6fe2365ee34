package tests

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRealEngineNewStackWithoutAPassword: a new stack whose config sets no
// password, as Pulumi.dev.yaml leaves it. Its preview, the one an
// interactive `pulumi up` shows first, plans the whole stack while the
// generated password is still unknown. Its up generates the password, a
// secret, with which the client logs in as its account, and the next
// preview has no changes.
func TestRealEngineNewStackWithoutAPassword(t *testing.T) {
	e := newRealEngine(t, "10.213.228.0/24", "")
	delete(e.base, "password")
	e.restoreConfig("password")

	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	plan, err := e.stack.Preview(ctx, optpreview.ProgressStreams(e.writer()))
	require.NoError(t, err, "the preview of a new stack without a password")
	creates := plan.ChangeSummary[apitype.OpCreate]
	assert.Positive(t, creates, "the preview plans the stack: %v", plan.ChangeSummary)

	res, err := e.up()
	require.NoError(t, err, "the up of a new stack without a password")
	assert.Equal(t, creates, (*res.Summary.ResourceChanges)["create"], "the up makes all the preview planned")
	password, _ := res.Outputs["password"].Value.(string)
	assert.True(t, res.Outputs["password"].Secret, "the generated password is a secret output")
	require.NotEmpty(t, password, "a generated password")
	assert.NotContains(t, e.export(), password, "the password in the state in plain text")
	got, err := mysqlOnClient(t, plainOutputs(e.outputs()), "mysql_client", "app", password, "SELECT CURRENT_USER()")
	require.NoError(t, err, "the client logs in with the generated password")
	assert.Equal(t, "app@10.213.228.11", strings.TrimSpace(got))
	e.requireNoChanges(t, creates)
}
