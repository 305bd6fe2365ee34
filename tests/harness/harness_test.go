package harness

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// logSink collects what Mocks logs, and passes it on to t.Log.
type logSink struct {
	t     *testing.T
	mu    sync.Mutex
	lines []string
}

func (l *logSink) logf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
	l.t.Log(s)
}

func (l *logSink) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func str(s string) resource.PropertyValue { return resource.NewProperty(s) }

func secret(s string) resource.PropertyValue { return resource.MakeSecret(resource.NewProperty(s)) }

func obj(m resource.PropertyMap) resource.PropertyValue { return resource.NewProperty(m) }

func newCommand(m *Mocks, typ, name string, inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	return m.NewResource(pulumi.MockResourceArgs{TypeToken: typ, Name: name, Inputs: inputs, Custom: true})
}

func TestLocalCommand(t *testing.T) {
	logs := &logSink{t: t}
	m := New(WithLog(logs.logf))

	inputs := resource.PropertyMap{
		"create": str(`read -r line; printf 'in=%s env=%s\n' "$line" "$GREETING"; echo warn >&2`),
		"stdin":  secret("stdin-secret\n"),
		"environment": obj(resource.PropertyMap{
			"GREETING": secret("env-secret"),
		}),
	}
	id, state, err := newCommand(m, localCommandType, "ok", inputs)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(id, "ok-"), "id %q", id)
	assert.Equal(t, "in=stdin-secret env=env-secret", state["stdout"].StringValue())
	assert.Equal(t, "warn", state["stderr"].StringValue())
	assert.True(t, state["stdin"].IsSecret(), "secret input must stay secret in state")
	assert.Equal(t, inputs["create"], state["create"])
	assert.Equal(t, inputs["environment"], state["environment"])

	// Only one trailing newline is trimmed; dir and interpreter are honoured.
	dir := t.TempDir()
	_, state, err = newCommand(m, localCommandType, "trim", resource.PropertyMap{
		"create":      str(`printf '%s\n\n' "$(pwd)"`),
		"dir":         str(dir),
		"interpreter": resource.NewProperty([]resource.PropertyValue{str("/bin/sh"), str("-eu"), str("-c")}),
	})
	require.NoError(t, err)
	want, err := filepath.EvalSymlinks(dir)
	require.NoError(t, err)
	assert.Equal(t, want+"\n", state["stdout"].StringValue())

	// A failing command: the error has the exit status and the output.
	_, _, err = newCommand(m, localCommandType, "fails", resource.PropertyMap{
		"create": str(`echo partial-out; echo boom-err >&2; exit 3`),
		"stdin":  secret("stdin-secret"),
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exit status 3")
	assert.Contains(t, err.Error(), "partial-out")
	assert.Contains(t, err.Error(), "boom-err")
	assert.Contains(t, err.Error(), `"fails"`)

	// A secret command is kept out of the error.
	_, _, err = newCommand(m, localCommandType, "secret-fails", resource.PropertyMap{
		"create": secret(`exit 4 # hunter2`),
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exit status 4")
	assert.NotContains(t, err.Error(), "hunter2")

	// No create, unknown inputs and other resource types run nothing.
	_, state, err = newCommand(m, localCommandType, "nocreate", resource.PropertyMap{"delete": str("true")})
	require.NoError(t, err)
	assert.Equal(t, "", state["stdout"].StringValue())
	_, _, err = newCommand(m, localCommandType, "unknown", resource.PropertyMap{
		"create": resource.MakeComputed(str("")),
	})
	require.NoError(t, err)
	bucketInputs := resource.PropertyMap{"bucket": str("b"), "secret": secret("x")}
	id, state, err = newCommand(m, "aws:s3/bucketV2:BucketV2", "bucket", bucketInputs)
	require.NoError(t, err)
	assert.Equal(t, "bucket_id", id)
	assert.Equal(t, bucketInputs, state)

	recs := m.Records()
	require.Len(t, recs, 4)
	assert.Equal(t, []string{"ok", "trim", "fails", "secret-fails"},
		[]string{recs[0].Name, recs[1].Name, recs[2].Name, recs[3].Name})
	assert.NoError(t, recs[0].Err)
	assert.Equal(t, "stdin-secret\n", recs[0].Stdin)
	assert.Equal(t, map[string]string{"GREETING": "env-secret"}, recs[0].Environment)
	assert.Nil(t, recs[0].Connection)
	assert.False(t, recs[0].Finished.Before(recs[0].Started))
	assert.ErrorContains(t, recs[2].Err, "exit status 3")
	assert.Equal(t, "partial-out", recs[2].Stdout)
	assert.Equal(t, "boom-err", recs[2].Stderr)

	// Records returns a copy.
	recs[0].Environment["GREETING"] = "changed"
	assert.Equal(t, "env-secret", m.Records()[0].Environment["GREETING"])

	// Nothing secret is logged.
	assert.NotContains(t, logs.text(), "stdin-secret")
	assert.NotContains(t, logs.text(), "env-secret")
	assert.NotContains(t, logs.text(), "hunter2")
	assert.Contains(t, logs.text(), `command:local:Command "fails" create: exit status 3`)

	// Invokes default to an empty result.
	res, err := m.Call(pulumi.MockCallArgs{Token: "aws:index/getRegion:getRegion"})
	require.NoError(t, err)
	assert.Empty(t, res)
	m2 := New(WithCallHandler(func(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
		return resource.PropertyMap{"token": str(args.Token)}, nil
	}))
	res, err = m2.Call(pulumi.MockCallArgs{Token: "aws:index/getRegion:getRegion"})
	require.NoError(t, err)
	assert.Equal(t, "aws:index/getRegion:getRegion", res["token"].StringValue())
}

func TestTeardownOrder(t *testing.T) {
	m := New(WithLog(t.Logf))
	out := filepath.Join(t.TempDir(), "deletes.txt")
	env := obj(resource.PropertyMap{"OUT": str(out)})

	_, _, err := newCommand(m, localCommandType, "first", resource.PropertyMap{
		"create":      str("echo made-first"),
		"delete":      str(`echo "first $PULUMI_COMMAND_STDOUT" >> "$OUT"`),
		"environment": env,
	})
	require.NoError(t, err)
	_, _, err = newCommand(m, localCommandType, "nodelete", resource.PropertyMap{"create": str("true")})
	require.NoError(t, err)
	_, _, err = newCommand(m, localCommandType, "failed-create", resource.PropertyMap{
		"create": str("exit 1"),
		"delete": str(`echo failed-create >> "$OUT"`),
	})
	require.Error(t, err)
	_, _, err = newCommand(m, localCommandType, "second", resource.PropertyMap{
		"create":                 str("echo made-second"),
		"delete":                 str(`echo "second [${PULUMI_COMMAND_STDOUT:-}]" >> "$OUT"; exit 7`),
		"environment":            env,
		"addPreviousOutputInEnv": resource.NewProperty(false),
	})
	require.NoError(t, err)

	err = m.Teardown()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"second"`)
	assert.Contains(t, err.Error(), "exit status 7")

	got, readErr := os.ReadFile(out)
	require.NoError(t, readErr)
	assert.Equal(t, "second []\nfirst made-first\n", string(got),
		"deletes run in reverse order, the failing one does not stop the next")
	assert.Equal(t, []string{"second", "first"}, m.DeleteOrder())

	// A second Teardown runs nothing.
	require.NoError(t, m.Teardown())
	got, readErr = os.ReadFile(out)
	require.NoError(t, readErr)
	assert.Equal(t, "second []\nfirst made-first\n", string(got))
	assert.Equal(t, []string{"second", "first"}, m.DeleteOrder())
}

func TestConcurrentCreates(t *testing.T) {
	m := New()
	out := filepath.Join(t.TempDir(), "deletes.txt")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := newCommand(m, localCommandType, fmt.Sprintf("c%d", i), resource.PropertyMap{
				"create":      str(fmt.Sprintf("sleep 0.0%d", 8-i)),
				"delete":      str(fmt.Sprintf(`echo c%d >> "$OUT"`, i)),
				"environment": obj(resource.PropertyMap{"OUT": str(out)}),
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, m.Teardown())

	recs := m.Records()
	require.Len(t, recs, 8)
	var want []string
	for i := len(recs) - 1; i >= 0; i-- {
		want = append(want, recs[i].Name)
		if i > 0 {
			assert.False(t, recs[i].Finished.Before(recs[i-1].Finished), "records are in completion order")
		}
	}
	assert.Equal(t, want, m.DeleteOrder())
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, strings.Join(want, "\n")+"\n", string(got))
}

// acceptEnvLikeSSHD accepts environment variables the way a typical sshd
// AcceptEnv list would: it refuses PULUMI_COMMAND_* and REFUSED_*.
func acceptEnvLikeSSHD(name string) bool {
	return !strings.HasPrefix(name, "PULUMI_COMMAND_") && !strings.HasPrefix(name, "REFUSED_")
}

func connection(srv *testSSH, port int, extra resource.PropertyMap) resource.PropertyValue {
	c := resource.PropertyMap{
		"host":       str("127.0.0.1"),
		"port":       resource.NewProperty(float64(port)),
		"user":       str("tester"),
		"privateKey": secret(srv.clientKeyPEM),
	}
	for k, v := range extra {
		c[k] = v
	}
	return obj(c)
}

func TestRemoteCommand(t *testing.T) {
	srv := newTestSSH(t, acceptEnvLikeSSHD)
	port := srv.listen(t)
	logs := &logSink{t: t}
	m := New(WithLog(logs.logf))

	t.Run("stdin env and separate outputs", func(t *testing.T) {
		_, state, err := newCommand(m, remoteCommandType, "remote-ok", resource.PropertyMap{
			"create":      str(`read -r line; echo "in=$line env=$GREETING"; echo to-stderr >&2`),
			"stdin":       secret("remote-stdin\n"),
			"environment": obj(resource.PropertyMap{"GREETING": secret("remote-env")}),
			"connection":  connection(srv, port, resource.PropertyMap{"hostKey": str(srv.hostKeyAuthed)}),
		})
		require.NoError(t, err)
		assert.Equal(t, "in=remote-stdin env=remote-env", state["stdout"].StringValue())
		assert.Equal(t, "to-stderr", state["stderr"].StringValue())
		assert.True(t, state["connection"].ObjectValue()["privateKey"].IsSecret())
	})

	t.Run("non-zero exit", func(t *testing.T) {
		_, _, err := newCommand(m, remoteCommandType, "remote-fails", resource.PropertyMap{
			"create":     str(`echo remote-out; echo remote-err >&2; exit 5`),
			"connection": connection(srv, port, nil),
		})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "exit status 5")
		assert.Contains(t, err.Error(), "remote-out")
		assert.Contains(t, err.Error(), "remote-err")
	})

	t.Run("refused environment variable", func(t *testing.T) {
		_, _, err := newCommand(m, remoteCommandType, "remote-refused", resource.PropertyMap{
			"create":      str("true"),
			"environment": obj(resource.PropertyMap{"REFUSED_VAR": str("x")}),
			"connection":  connection(srv, port, nil),
		})
		require.Error(t, err)
		assert.Contains(t, err.Error(), `could not set environment variable "REFUSED_VAR"`)
	})

	t.Run("wrong host key", func(t *testing.T) {
		other := newTestSSH(t, nil)
		_, _, err := newCommand(m, remoteCommandType, "remote-badhost", resource.PropertyMap{
			"create": str("true"),
			"connection": connection(srv, port, resource.PropertyMap{
				"hostKey":        str(other.hostKeyAuthed),
				"dialErrorLimit": resource.NewProperty(1.0),
			}),
		})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "1 failed attempts")
		assert.Contains(t, err.Error(), "host key")
	})

	t.Run("teardown with refused previous output", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "remote-delete.txt")
		m := New(WithLog(logs.logf))
		_, _, err := newCommand(m, remoteCommandType, "remote-del", resource.PropertyMap{
			"create":      str("echo created"),
			"delete":      str(`echo "deleted [${PULUMI_COMMAND_STDOUT:-}]" > "$OUT"`),
			"environment": obj(resource.PropertyMap{"OUT": str(out)}),
			"connection":  connection(srv, port, nil),
		})
		require.NoError(t, err)
		require.NoError(t, m.Teardown())
		got, err := os.ReadFile(out)
		require.NoError(t, err)
		// The server refuses PULUMI_COMMAND_STDOUT; as in pulumi-command the
		// delete still runs, without it.
		assert.Equal(t, "deleted []\n", string(got))
		assert.Contains(t, logs.text(), `could not set environment variable "PULUMI_COMMAND_STDOUT"`)
	})

	recs := m.Records()
	require.NotEmpty(t, recs)
	require.NotNil(t, recs[0].Connection)
	assert.Equal(t, Connection{
		Host: "127.0.0.1", Port: port, User: "tester", PrivateKey: srv.clientKeyPEM,
		HostKey: srv.hostKeyAuthed, DialErrorLimit: 10, PerDialTimeout: 15,
	}, *recs[0].Connection)

	text := logs.text()
	for _, s := range []string{"remote-stdin", "remote-env", "PRIVATE KEY"} {
		assert.NotContains(t, text, s)
	}
}

// freePort returns a loopback port on which nothing listens (for now).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

func TestRemoteDialRetry(t *testing.T) {
	t.Run("server starts late", func(t *testing.T) {
		srv := newTestSSH(t, nil)
		port := freePort(t)
		listenErr := make(chan error, 1)
		go func() {
			// Simulate a host whose sshd comes up a little after we start dialling.
			time.Sleep(700 * time.Millisecond)
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err == nil {
				srv.serve(t, ln)
			}
			listenErr <- err
		}()
		logs := &logSink{t: t}
		m := New(WithLog(logs.logf))
		_, state, err := newCommand(m, remoteCommandType, "late", resource.PropertyMap{
			"create": str("echo reached"),
			"connection": connection(srv, port, resource.PropertyMap{
				"dialErrorLimit": resource.NewProperty(30.0),
				"perDialTimeout": resource.NewProperty(2.0),
			}),
		})
		require.NoError(t, <-listenErr)
		require.NoError(t, err)
		assert.Equal(t, "reached", state["stdout"].StringValue())
		assert.Contains(t, logs.text(), "attempt 1 failed, retrying")
	})

	t.Run("gives up after the limit", func(t *testing.T) {
		srv := newTestSSH(t, nil)
		port := freePort(t)
		m := New(WithLog(t.Logf))
		start := time.Now()
		_, _, err := newCommand(m, remoteCommandType, "never", resource.PropertyMap{
			"create": str("true"),
			"connection": connection(srv, port, resource.PropertyMap{
				"dialErrorLimit": resource.NewProperty(3.0),
				"perDialTimeout": resource.NewProperty(1.0),
			}),
		})
		require.Error(t, err)
		assert.Less(t, time.Since(start), 10*time.Second)
		assert.Contains(t, err.Error(), "3 failed attempts")
		assert.Contains(t, err.Error(), "connection refused")
		recs := m.Records()
		require.Len(t, recs, 1)
		assert.Error(t, recs[0].Err)
	})
}

func TestPulumiProgram(t *testing.T) {
	m := New(WithLog(t.Logf))
	out := filepath.Join(t.TempDir(), "stdin-copy.txt")
	stdout := make(chan string, 1)

	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		cmd, err := local.NewCommand(ctx, "write", &local.CommandArgs{
			Create:      pulumi.String(`cat > "$OUT"; echo wrote`),
			Delete:      pulumi.String(`rm -f "$OUT"`),
			Stdin:       pulumi.ToSecret(pulumi.String("program-secret")).(pulumi.StringOutput),
			Environment: pulumi.StringMap{"OUT": pulumi.String(out)},
		})
		if err != nil {
			return err
		}
		cmd.Stdout.ApplyT(func(s string) string {
			stdout <- s
			return s
		})
		return nil
	}, pulumi.WithMocks("p", "s", m))
	require.NoError(t, err)

	select {
	case s := <-stdout:
		assert.Equal(t, "wrote", s)
	default:
		t.Fatal("stdout was not resolved by the end of the program")
	}
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "program-secret", string(got))

	recs := m.Records()
	require.Len(t, recs, 1)
	assert.Equal(t, "command:local:Command", recs[0].Type)
	assert.Equal(t, "write", recs[0].Name)
	assert.Equal(t, "program-secret", recs[0].Stdin)

	require.NoError(t, m.Teardown())
	_, err = os.Stat(out)
	assert.True(t, os.IsNotExist(err), "delete command removes the file")
	assert.Equal(t, []string{"write"}, m.DeleteOrder())
}
