package harness

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run one program several times with the same Mocks, the way
// consecutive `pulumi up`s of one stack would run.

// result is what one run of a program saw of one command resource.
type result struct {
	mu       sync.Mutex
	resolved bool
	id       string
	stdout   string
}

func (r *result) get(t *testing.T) (id, stdout string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.True(t, r.resolved, "id and stdout were not resolved by the end of the program")
	return r.id, r.stdout
}

// up runs one `pulumi up` with m: a program with a single local command
// named name, built from args (and opts).
func up(m *Mocks, name string, args *local.CommandArgs, opts ...pulumi.ResourceOption) (*result, error) {
	res := &result{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		cmd, err := local.NewCommand(ctx, name, args, opts...)
		if err != nil {
			return err
		}
		pulumi.All(cmd.ID(), cmd.Stdout).ApplyT(func(v []any) error {
			res.mu.Lock()
			defer res.mu.Unlock()
			res.resolved = true
			res.id = string(v[0].(pulumi.ID))
			res.stdout = v[1].(string)
			return nil
		})
		return nil
	}, pulumi.WithMocks("p", "s", m))
	return res, err
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return ""
	}
	require.NoError(t, err)
	return string(b)
}

func recordOps(recs []Record) []Operation {
	var ops []Operation
	for _, r := range recs {
		ops = append(ops, r.Operation)
	}
	return ops
}

func TestRerunUnchanged(t *testing.T) {
	m := New(WithLog(t.Logf))
	out := filepath.Join(t.TempDir(), "runs.txt")
	args := func(stdin pulumi.StringPtrInput) *local.CommandArgs {
		return &local.CommandArgs{
			// The stdout differs on every run of the create command.
			Create:      pulumi.String(`cat >/dev/null; echo create >> "$OUT"; echo "made-$(date +%s%N)"`),
			Update:      pulumi.String(`echo update >> "$OUT"`),
			Delete:      pulumi.String(`echo "delete $PULUMI_COMMAND_STDOUT" >> "$OUT"`),
			Stdin:       stdin,
			Environment: pulumi.StringMap{"OUT": pulumi.String(out)},
			Triggers:    pulumi.Array{pulumi.ToSecret(pulumi.String("t")), pulumi.Int(1)},
		}
	}

	first, err := up(m, "same", args(pulumi.ToSecret(pulumi.String("pw")).(pulumi.StringOutput)))
	require.NoError(t, err)
	id1, stdout1 := first.get(t)
	assert.Equal(t, "create\n", readFile(t, out))

	second, err := up(m, "same", args(pulumi.ToSecret(pulumi.String("pw")).(pulumi.StringOutput)))
	require.NoError(t, err)
	id2, stdout2 := second.get(t)
	assert.Equal(t, "create\n", readFile(t, out), "nothing runs when the inputs are unchanged")
	assert.Equal(t, id1, id2)
	assert.Equal(t, stdout1, stdout2, "the previous state is returned")

	// Secrets are compared by value: the same stdin, no longer secret, is
	// still the same input.
	third, err := up(m, "same", args(pulumi.String("pw")))
	require.NoError(t, err)
	id3, _ := third.get(t)
	assert.Equal(t, id1, id3)
	assert.Equal(t, "create\n", readFile(t, out))

	assert.Equal(t, []Operation{OperationCreate, OperationSame, OperationSame}, m.Operations("same"))
	assert.Empty(t, m.Operations("other"))
	recs := m.Records()
	require.Len(t, recs, 1, "only the create ran")
	assert.Equal(t, OperationCreate, recs[0].Operation)

	require.NoError(t, m.Teardown())
	assert.Equal(t, "create\ndelete "+stdout1+"\n", readFile(t, out))
	assert.Equal(t, []string{"same"}, m.DeleteOrder())
}

func TestRerunUpdate(t *testing.T) {
	logs := &logSink{t: t}
	m := New(WithLog(logs.logf))
	out := filepath.Join(t.TempDir(), "log.txt")
	args := func(password string) *local.CommandArgs {
		return &local.CommandArgs{
			Create:      pulumi.String(`read -r pw; echo "create $pw" >> "$OUT"; echo "created-$pw"`),
			Update:      pulumi.String(`read -r pw; echo "update $pw prev=$PULUMI_COMMAND_STDOUT" >> "$OUT"; echo "updated-$pw"`),
			Delete:      pulumi.String(`echo "delete $PULUMI_COMMAND_STDOUT" >> "$OUT"`),
			Stdin:       pulumi.ToSecret(pulumi.String(password + "\n")).(pulumi.StringOutput),
			Environment: pulumi.StringMap{"OUT": pulumi.String(out)},
		}
	}

	first, err := up(m, "rotate", args("pw1"))
	require.NoError(t, err)
	id1, _ := first.get(t)

	second, err := up(m, "rotate", args("pw2"))
	require.NoError(t, err)
	id2, stdout2 := second.get(t)
	assert.Equal(t, "create pw1\nupdate pw2 prev=created-pw1\n", readFile(t, out),
		"the update ran with the new stdin and the previous stdout; create did not run again")
	assert.Equal(t, id1, id2, "an update keeps the id")
	assert.Equal(t, "updated-pw2", stdout2)

	// The same inputs again: nothing runs.
	third, err := up(m, "rotate", args("pw2"))
	require.NoError(t, err)
	_, stdout3 := third.get(t)
	assert.Equal(t, "updated-pw2", stdout3)

	assert.Equal(t, []Operation{OperationCreate, OperationUpdate, OperationSame}, m.Operations("rotate"))
	recs := m.Records()
	require.Len(t, recs, 2)
	assert.Equal(t, []Operation{OperationCreate, OperationUpdate}, recordOps(recs))
	assert.Equal(t, "pw2\n", recs[1].Stdin)
	assert.Contains(t, recs[1].Update, "update $pw")
	assert.Equal(t, "updated-pw2", recs[1].Stdout)
	assert.NoError(t, recs[1].Err)

	require.NoError(t, m.Teardown())
	assert.Equal(t, "create pw1\nupdate pw2 prev=created-pw1\ndelete updated-pw2\n", readFile(t, out),
		"teardown runs the delete once, with the outputs of the update")
	assert.Equal(t, []string{"rotate"}, m.DeleteOrder())
	assert.Contains(t, logs.text(), `command:local:Command "rotate" update: exit status 0`)
	assert.NotContains(t, logs.text(), "pw1")
	assert.NotContains(t, logs.text(), "pw2")
}

func TestRerunTriggersReplace(t *testing.T) {
	m := New(WithLog(t.Logf))
	out := filepath.Join(t.TempDir(), "log.txt")
	program := func(version string) (*result, error) {
		res := &result{}
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			base, err := local.NewCommand(ctx, "base", &local.CommandArgs{
				Create:      pulumi.String(`echo "create base" >> "$OUT"`),
				Delete:      pulumi.String(`echo "delete base" >> "$OUT"`),
				Environment: pulumi.StringMap{"OUT": pulumi.String(out)},
			})
			if err != nil {
				return err
			}
			cmd, err := local.NewCommand(ctx, "trig", &local.CommandArgs{
				Create: pulumi.String(`echo "create $V" >> "$OUT"; echo "v$V"`),
				// An update command does not prevent the replacement.
				Update:      pulumi.String(`echo "update $V" >> "$OUT"`),
				Delete:      pulumi.String(`echo "delete $V $PULUMI_COMMAND_STDOUT" >> "$OUT"`),
				Environment: pulumi.StringMap{"OUT": pulumi.String(out), "V": pulumi.String(version)},
				Triggers:    pulumi.Array{pulumi.String(version)},
			}, pulumi.DependsOn([]pulumi.Resource{base}))
			if err != nil {
				return err
			}
			cmd.ID().ApplyT(func(id pulumi.ID) error {
				res.mu.Lock()
				defer res.mu.Unlock()
				res.resolved, res.id = true, string(id)
				return nil
			})
			return nil
		}, pulumi.WithMocks("p", "s", m))
		return res, err
	}

	first, err := program("1")
	require.NoError(t, err)
	id1, _ := first.get(t)
	second, err := program("2")
	require.NoError(t, err)
	id2, _ := second.get(t)

	assert.Equal(t, "create base\ncreate 1\ncreate 2\ndelete 1 v1\n", readFile(t, out),
		"the new create runs, then the old delete with the old inputs and outputs")
	assert.NotEqual(t, id1, id2, "a replacement has a new id")
	assert.Equal(t, []Operation{OperationCreate, OperationReplace}, m.Operations("trig"))
	assert.Equal(t, []Operation{OperationCreate, OperationSame}, m.Operations("base"))
	assert.Equal(t, []Operation{OperationCreate, OperationCreate, OperationReplace}, recordOps(m.Records()))

	require.NoError(t, m.Teardown())
	assert.Equal(t, "create base\ncreate 1\ncreate 2\ndelete 1 v1\ndelete 2 v2\ndelete base\n", readFile(t, out),
		"teardown runs only the new delete, once, in the replaced resource's place")
	assert.Equal(t, []string{"trig", "base"}, m.DeleteOrder())
}

// TestRerunWithoutUpdateRunsCreateInPlace: as in pulumi-command v1.2.1, a
// command without an update command runs its create command again, in place
// (same id), when its inputs change; only triggers replace it.
func TestRerunWithoutUpdateRunsCreateInPlace(t *testing.T) {
	m := New(WithLog(t.Logf))
	out := filepath.Join(t.TempDir(), "log.txt")
	args := func(create string) *local.CommandArgs {
		return &local.CommandArgs{
			Create:      pulumi.String(create),
			Delete:      pulumi.String(`echo "delete $PULUMI_COMMAND_STDOUT" >> "$OUT"`),
			Environment: pulumi.StringMap{"OUT": pulumi.String(out)},
		}
	}

	first, err := up(m, "noupdate", args(`echo "create a" >> "$OUT"; echo a`))
	require.NoError(t, err)
	id1, _ := first.get(t)
	second, err := up(m, "noupdate", args(`echo "create b" >> "$OUT"; echo b`))
	require.NoError(t, err)
	id2, stdout2 := second.get(t)

	assert.Equal(t, "create a\ncreate b\n", readFile(t, out), "no delete: it is not replaced")
	assert.Equal(t, id1, id2)
	assert.Equal(t, "b", stdout2)
	assert.Equal(t, []Operation{OperationCreate, OperationUpdate}, m.Operations("noupdate"))

	require.NoError(t, m.Teardown())
	assert.Equal(t, "create a\ncreate b\ndelete b\n", readFile(t, out))
	assert.Equal(t, []string{"noupdate"}, m.DeleteOrder())
}

func TestRerunFailingUpdate(t *testing.T) {
	m := New(WithLog(t.Logf))
	out := filepath.Join(t.TempDir(), "log.txt")
	args := func(version string) *local.CommandArgs {
		return &local.CommandArgs{
			Create:      pulumi.String(`echo "create $V" >> "$OUT"; echo "state$V"`),
			Update:      pulumi.String(`echo "update $V" >> "$OUT"; echo update-failed >&2; exit 9`),
			Delete:      pulumi.String(`echo "delete $V $PULUMI_COMMAND_STDOUT" >> "$OUT"`),
			Environment: pulumi.StringMap{"OUT": pulumi.String(out), "V": pulumi.String(version)},
		}
	}

	first, err := up(m, "flaky", args("1"))
	require.NoError(t, err)
	id1, _ := first.get(t)

	_, err = up(m, "flaky", args("2"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exit status 9")
	assert.Equal(t, "create 1\nupdate 2\n", readFile(t, out))

	// The previous state is still in place: the original inputs are
	// unchanged with respect to it.
	third, err := up(m, "flaky", args("1"))
	require.NoError(t, err)
	id3, stdout3 := third.get(t)
	assert.Equal(t, id1, id3)
	assert.Equal(t, "state1", stdout3)

	assert.Equal(t, []Operation{OperationCreate, OperationUpdate, OperationSame}, m.Operations("flaky"))
	recs := m.Records()
	require.Len(t, recs, 2)
	assert.Equal(t, OperationUpdate, recs[1].Operation)
	assert.ErrorContains(t, recs[1].Err, "exit status 9")
	assert.Equal(t, "update-failed", recs[1].Stderr)

	require.NoError(t, m.Teardown())
	assert.Equal(t, "create 1\nupdate 2\ndelete 1 state1\n", readFile(t, out),
		"teardown runs the previous delete with the previous outputs")
}

func TestRerunFailingReplacement(t *testing.T) {
	m := New(WithLog(t.Logf))
	out := filepath.Join(t.TempDir(), "log.txt")
	args := func(create string) *local.CommandArgs {
		return &local.CommandArgs{
			Create:      pulumi.String(create),
			Delete:      pulumi.String(`echo "delete $PULUMI_COMMAND_STDOUT" >> "$OUT"`),
			Environment: pulumi.StringMap{"OUT": pulumi.String(out)},
			Triggers:    pulumi.Array{pulumi.String(create)}, // a new trigger replaces
		}
	}

	_, err := up(m, "r", args(`echo "create a" >> "$OUT"; echo a`))
	require.NoError(t, err)
	_, err = up(m, "r", args(`echo "create b" >> "$OUT"; exit 4`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exit status 4")
	assert.Equal(t, "create a\ncreate b\n", readFile(t, out), "the old delete does not run")
	assert.Equal(t, []Operation{OperationCreate, OperationReplace}, m.Operations("r"))

	require.NoError(t, m.Teardown())
	assert.Equal(t, "create a\ncreate b\ndelete a\n", readFile(t, out), "the old state is kept")
}

func TestRerunFailingReplacedDelete(t *testing.T) {
	m := New(WithLog(t.Logf))
	out := filepath.Join(t.TempDir(), "log.txt")
	args := func(v string, deleteCmd string) *local.CommandArgs {
		return &local.CommandArgs{
			Create:      pulumi.String(`echo "create $V" >> "$OUT"`),
			Delete:      pulumi.String(deleteCmd),
			Environment: pulumi.StringMap{"OUT": pulumi.String(out), "V": pulumi.String(v)},
			Triggers:    pulumi.Array{pulumi.String(v)}, // a new trigger replaces
		}
	}

	_, err := up(m, "d", args("1", `echo "delete $V" >> "$OUT"; [ -e "$OUT.ok" ] || exit 5`))
	require.NoError(t, err)
	_, err = up(m, "d", args("2", `echo "delete $V" >> "$OUT"`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exit status 5")
	assert.Equal(t, "create 1\ncreate 2\ndelete 1\n", readFile(t, out))

	// The old resource is still to be deleted, before the new one.
	require.NoError(t, os.WriteFile(out+".ok", nil, 0o600))
	require.NoError(t, m.Teardown())
	assert.Equal(t, "create 1\ncreate 2\ndelete 1\ndelete 1\ndelete 2\n", readFile(t, out))
	assert.Equal(t, []string{"d", "d"}, m.DeleteOrder())
}

func TestRerunAfterTeardown(t *testing.T) {
	m := New(WithLog(t.Logf))
	out := filepath.Join(t.TempDir(), "log.txt")
	args := &local.CommandArgs{
		Create:      pulumi.String(`echo create >> "$OUT"`),
		Delete:      pulumi.String(`echo delete >> "$OUT"`),
		Environment: pulumi.StringMap{"OUT": pulumi.String(out)},
	}
	_, err := up(m, "x", args)
	require.NoError(t, err)
	require.NoError(t, m.Teardown())
	_, err = up(m, "x", args)
	require.NoError(t, err)
	require.NoError(t, m.Teardown())
	assert.Equal(t, "create\ndelete\ncreate\ndelete\n", readFile(t, out), "after a teardown the stack starts empty")
	assert.Equal(t, []Operation{OperationCreate, OperationCreate}, m.Operations("x"))
}

func TestRerunOtherResources(t *testing.T) {
	m := New()
	typ := "aws:s3/bucketV2:BucketV2"
	id, _, err := m.NewResource(pulumi.MockResourceArgs{TypeToken: typ, Name: "b", ID: "imported", Custom: true})
	require.NoError(t, err)
	assert.Equal(t, "imported", id)
	id, state, err := m.NewResource(pulumi.MockResourceArgs{
		TypeToken: typ, Name: "b", Custom: true, Inputs: resource.PropertyMap{"bucket": str("b2")},
	})
	require.NoError(t, err)
	assert.Equal(t, "imported", id, "the id is kept across registrations")
	assert.Equal(t, "b2", state["bucket"].StringValue())
	id, _, err = m.NewResource(pulumi.MockResourceArgs{TypeToken: typ, Name: "c", Custom: true})
	require.NoError(t, err)
	assert.Equal(t, "c_id", id)
	assert.Empty(t, m.Operations("b"), "operations are kept for command resources only")
}

// With DeleteBeforeReplace, as with Pulumi, the old delete runs first: a
// command that manages one named object (an account) then never deletes
// its successor's object.
func TestRerunDeleteBeforeReplace(t *testing.T) {
	m := New(WithLog(t.Logf))
	out := filepath.Join(t.TempDir(), "log.txt")
	program := func(version, create string) error {
		return pulumi.RunErr(func(ctx *pulumi.Context) error {
			_, err := local.NewCommand(ctx, "account", &local.CommandArgs{
				Create:      pulumi.String(create),
				Delete:      pulumi.String(`echo "delete $V" >> "$OUT"`),
				Environment: pulumi.StringMap{"OUT": pulumi.String(out), "V": pulumi.String(version)},
				Triggers:    pulumi.Array{pulumi.String(version)},
			}, pulumi.DeleteBeforeReplace(true))
			return err
		}, pulumi.WithMocks("p", "s", m))
	}
	require.NoError(t, program("1", `echo "create $V" >> "$OUT"`))
	require.NoError(t, program("2", `echo "create $V" >> "$OUT"`))
	assert.Equal(t, "create 1\ndelete 1\ncreate 2\n", readFile(t, out), "the old delete, then the new create")
	assert.Equal(t, []Operation{OperationCreate, OperationReplace}, m.Operations("account"))

	// A replacement whose create fails leaves neither: nothing to tear down.
	require.Error(t, program("3", `echo "create $V failed" >> "$OUT"; exit 1`))
	require.NoError(t, m.Teardown())
	assert.Equal(t, "create 1\ndelete 1\ncreate 2\ndelete 2\ncreate 3 failed\n", readFile(t, out))
}
