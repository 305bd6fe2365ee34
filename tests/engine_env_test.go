package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/local"
	"github.com/mysql-client-server/mysql-client-server/components/stack"
)

// engineStack is the stack the real-engine tests deploy; the local hosts'
// names derive from it.
const engineStack = "enginetest"

// realEngine is a copy of this project deployed as a stack by the real
// Pulumi CLI, through the Automation API, with a file backend of its own.
type realEngine struct {
	t     *testing.T
	dir   string // the project copy, where make and pulumi run
	env   map[string]string
	stack auto.Stack
	// local is the local environment's names, for the leftover checks.
	local *localEnv
	// base is the config the stack is meant to have, by key.
	base map[string]auto.ConfigValue
	// out is everything the engine and make printed, for the secret checks.
	out    bytes.Buffer
	outMux sync.Mutex
}

// repoRoot is the project's root, the parent of tests/.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	return filepath.Dir(wd)
}

// pulumiTools makes the Pulumi CLI, its Go language host and the command
// plugin available the way `make up` does (scripts/pulumi-tools.sh), and
// returns the directory to put on PATH. In CI a missing CLI or plugin fails
// the test; elsewhere it skips, saying what is missing and how to get it.
// flags go to the script (--language-hosts).
func pulumiTools(t *testing.T, root string, flags ...string) string {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI never skips the real-engine tests)", msg)
		}
		t.Skipf("%s: run `make tools` (it builds the pinned CLI into .tools/bin and installs the plugin from ../shared/pulumi-plugins)", msg)
	}
	cmd := exec.Command("bash", append([]string{filepath.Join(root, "scripts", "pulumi-tools.sh"), "--require-plugin"}, flags...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		missing("the Pulumi CLI or the command and mysql plugins are not available: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return os.Getenv("PATH") + string(os.PathListSeparator) + strings.TrimSpace(string(out))
}

// copyProject copies the project's files (not .git, the tools, state or
// keys) into dir, so that the test's stack file and state stay out of the
// work tree.
func copyProject(t *testing.T, root, dir string) {
	t.Helper()
	skip := map[string]bool{".git": true, ".tools": true, ".pulumi-state": true, "mysql-client-server.key": true}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if skip[rel] || (strings.HasPrefix(d.Name(), "Pulumi.") && d.Name() != "Pulumi.yaml") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		return os.WriteFile(filepath.Join(dir, rel), b, info.Mode().Perm())
	})
	require.NoError(t, err)
}

// newRealEngine prepares the stack: a project copy, a file backend, the
// stack's own config set through the CLI (everything else comes from
// Pulumi.yaml's defaults), and a cleanup that destroys whatever was
// deployed and removes the stack, also when the test fails.
func newRealEngine(t *testing.T, subnet, password string) *realEngine {
	t.Helper()
	requireRoot(t)
	root := repoRoot(t)
	path := pulumiTools(t, root)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "project")
	copyProject(t, root, dir)
	stateDir := "/var/lib/mysql-client-server-test/" + t.Name()
	e := &realEngine{t: t, dir: dir, env: map[string]string{
		"PATH":                     path,
		"PULUMI_BACKEND_URL":       "file://" + filepath.Join(tmp, "state"),
		"PULUMI_CONFIG_PASSPHRASE": "engine-test-passphrase",
		"PULUMI_SKIP_UPDATE_CHECK": "true",
		// The local stack needs the command plugin only, installed from a
		// file; nothing may be downloaded.
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		// As `make up` runs a local stack (see the Makefile).
		"PULUMI_SKIP_CHECKPOINTS": "true",
	}}
	require.NoError(t, os.MkdirAll(filepath.Join(tmp, "state"), 0o700))
	_, err := e.make("", "build") // the binary Pulumi.yaml runs
	require.NoError(t, err)
	e.local = &localEnv{t: t, stateDir: stateDir, platform: &local.Platform{
		Name: stack.Project + "/" + engineStack, Subnet: subnet, StateDir: stateDir,
	}}
	require.NoError(t, e.local.platform.Validate())
	if removed, err := local.Sweep(stateDir); err != nil || len(removed) > 0 {
		t.Logf("swept leftovers of an earlier run: %v %v", removed, err)
	}

	t.Setenv("PATH", path)
	cmd, err := auto.NewPulumiCommand(nil) // the pulumi on PATH
	require.NoError(t, err)
	t.Logf("pulumi %s", cmd.Version())
	ctx := context.Background()
	e.stack, err = auto.UpsertStackLocalSource(ctx, engineStack, dir, auto.Pulumi(cmd), auto.EnvVars(e.env))
	require.NoError(t, err)
	t.Cleanup(e.cleanup)
	e.base = map[string]auto.ConfigValue{
		"platform": {Value: "local"}, "localSubnet": {Value: subnet}, "localStateDir": {Value: stateDir},
		"password": {Value: password, Secret: true}, "engine": {Value: testEngine(t)},
		// Backups are on by default; the tests about them (and the main
		// stack's) turn them on. Their store goes with the test's stack.
		"backups": {Value: "off"}, "backupKeepOnDestroy": {Value: "false"},
	}
	for k := range e.base {
		e.restoreConfig(k)
	}
	return e
}

// cleanup destroys the stack and removes it; whatever a failed destroy left
// is swept, and named as an error.
func (e *realEngine) cleanup() {
	destroyAndSweep(e.t, e.stack, engineStack, e.writer(), e.local)
}

// destroyAndSweep destroys and removes a test's stack, then names as an
// error, and sweeps, any host of l left behind; it removes l's state
// directory and its parent when empty.
func destroyAndSweep(t *testing.T, stack auto.Stack, name string, w io.Writer, l *localEnv) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := stack.Destroy(ctx, optdestroy.ProgressStreams(w)); err != nil {
		t.Errorf("cleanup: destroy: %v", err)
	}
	if err := stack.Workspace().RemoveStack(ctx, name); err != nil {
		t.Errorf("cleanup: stack rm: %v", err)
	}
	if left := l.leftovers(); len(left) > 0 {
		t.Errorf("left behind after cleanup: %v", left)
		_, _ = local.Sweep(l.stateDir)
	}
	_ = os.Remove(l.stateDir)
	_ = os.Remove(filepath.Dir(l.stateDir))
}

// writer is where the engine's output goes: the test log and e.out.
func (e *realEngine) writer() io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		e.outMux.Lock()
		defer e.outMux.Unlock()
		return e.out.Write(p)
	})
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// pulumi runs the CLI in the project with the stack's environment; stdin
// feeds it (secrets go there, never into argv).
func (e *realEngine) pulumi(stdin string, args ...string) (string, error) {
	return e.run(stdin, "pulumi", args...)
}

// make runs a make target of the project as a user would.
func (e *realEngine) make(stdin string, args ...string) (string, error) {
	return e.run(stdin, "make", append([]string{"--no-print-directory", "STACK=" + engineStack}, args...)...)
}

func (e *realEngine) run(stdin, name string, args ...string) (string, error) {
	e.t.Helper()
	return e.runIn(e.dir, stdin, name, args...)
}

// runIn is run in another directory, with the stack's environment.
func (e *realEngine) runIn(dir, stdin, name string, args ...string) (string, error) {
	e.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range e.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, e.writer()), io.MultiWriter(&out, e.writer())
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String(), err
}

// setConfig sets a plain config value through the CLI.
func (e *realEngine) setConfig(key, value string, opts ...string) {
	e.t.Helper()
	_, err := e.pulumi("", append(append([]string{"config", "set", "--stack", engineStack}, opts...), key, "--", value)...)
	require.NoError(e.t, err)
}

// setSecret sets a secret config value through the CLI, from stdin.
func (e *realEngine) setSecret(key, value string) {
	e.t.Helper()
	_, err := e.pulumi(value, "config", "set", "--stack", engineStack, "--secret", key)
	require.NoError(e.t, err)
}

// restoreConfig puts a key back as the stack is meant to have it (e.base):
// set, or removed.
func (e *realEngine) restoreConfig(key string) {
	e.t.Helper()
	v, ok := e.base[key]
	switch {
	case !ok:
		require.NoError(e.t, e.stack.RemoveConfig(context.Background(), key))
	case v.Secret:
		e.setSecret(key, v.Value)
	default:
		e.setConfig(key, v.Value)
	}
}

// opTimeout bounds one engine operation, so that a hung CLI fails the test
// (and its cleanup still runs) instead of reaching go test's own timeout.
const opTimeout = 5 * time.Minute

// up runs `pulumi up`, its output going to the log.
func (e *realEngine) up() (auto.UpResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	return e.stack.Up(ctx, optup.ProgressStreams(e.writer()), optup.ErrorProgressStreams(e.writer()))
}

// outputs reads the stack's outputs with their plain values.
func (e *realEngine) outputs() auto.OutputMap {
	e.t.Helper()
	out, err := e.stack.Outputs(context.Background())
	require.NoError(e.t, err)
	return out
}

// resource is one resource of the stack's state.
type resource struct {
	URN, ID, Modified string
	All               string // everything a change would change, as JSON
}

// resources is the stack's state, by the last part of each URN.
func (e *realEngine) resources() map[string]resource {
	e.t.Helper()
	return stateOf(e.t, e.stack)
}

// stateOf is a stack's state, by the last part of each URN.
func stateOf(t *testing.T, s auto.Stack) map[string]resource {
	t.Helper()
	// Stack.Export decrypts the secrets (the ciphertexts change from one
	// export to the next); it is compared here, never printed.
	d, err := s.Export(context.Background())
	require.NoError(t, err)
	var dep apitype.DeploymentV3
	require.NoError(t, json.Unmarshal(d.Deployment, &dep))
	out := map[string]resource{}
	for _, r := range dep.Resources {
		urn := string(r.URN)
		b, _ := json.Marshal([]any{r.ID, r.Inputs, r.Outputs, r.Modified})
		out[urn[strings.LastIndex(urn, "::")+2:]] = resource{URN: urn, ID: string(r.ID), Modified: fmt.Sprint(r.Modified), All: string(b)}
	}
	return out
}

// export is `pulumi stack export` as a user runs it: secrets encrypted.
func (e *realEngine) export() string {
	e.t.Helper()
	out, err := e.run("", "pulumi", "stack", "export", "--stack", engineStack)
	require.NoError(e.t, err)
	return out
}

// requireNoChanges proves that the stack has nothing to do:
// `pulumi preview --expect-no-changes` passes, and an `up` reports all of
// its created resources, and nothing else, as same.
func (e *realEngine) requireNoChanges(t *testing.T, created int) {
	t.Helper()
	_, err := e.stack.Preview(context.Background(), optpreview.ExpectNoChanges(), optpreview.ProgressStreams(e.writer()))
	require.NoError(t, err, "pulumi preview --expect-no-changes")
	res, err := e.up()
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"same": created}, *res.Summary.ResourceChanges)
}

// lastChanges is the resource changes of the stack's last operation (one
// that make ran, say).
func (e *realEngine) lastChanges(t *testing.T) map[string]int {
	t.Helper()
	h, err := e.stack.History(context.Background(), 1, 1)
	require.NoError(t, err)
	require.Len(t, h, 1)
	return *h[0].ResourceChanges
}

// inlineStack is a stack of an inline program (an importer's, as the
// Automation API runs it) under the real engine, with a file backend of its
// own. Its cleanup, also when the test fails, destroys it, removes it and
// checks that none of envs' hosts is left (sweeping them if one is). Each
// env's platform is validated first and the state dir swept of an earlier
// run's leftovers.
func inlineStack(t *testing.T, name string, program pulumi.RunFunc, stateDir string, envs ...*localEnv) auto.Stack {
	t.Helper()
	requireRoot(t)
	root := repoRoot(t)
	t.Setenv("PATH", pulumiTools(t, root))
	cmd, err := auto.NewPulumiCommand(nil)
	require.NoError(t, err)
	proj, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	require.NoError(t, err)
	for _, e := range envs {
		require.NoError(t, e.platform.Validate())
	}
	if removed, err := local.Sweep(stateDir); err != nil || len(removed) > 0 {
		t.Logf("swept leftovers of an earlier run: %v %v", removed, err)
	}
	tmp := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(tmp, "state"), 0o700))
	s, err := auto.UpsertStackInlineSource(context.Background(), name, stack.Project, program,
		auto.Project(*proj), auto.WorkDir(tmp), auto.Pulumi(cmd), auto.EnvVars(map[string]string{
			"PULUMI_BACKEND_URL":       "file://" + filepath.Join(tmp, "state"),
			"PULUMI_CONFIG_PASSPHRASE": name + "-test-passphrase",
			"PULUMI_SKIP_UPDATE_CHECK": "true",
			// The command and mysql plugins, installed from files.
			"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		}))
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if _, err := s.Destroy(ctx, optdestroy.ProgressStreams(testWriter(t))); err != nil {
			t.Errorf("cleanup: destroy: %v", err)
		}
		if err := s.Workspace().RemoveStack(context.Background(), name); err != nil {
			t.Errorf("cleanup: stack rm: %v", err)
		}
		for _, e := range envs {
			if left := e.leftovers(); len(left) > 0 {
				t.Errorf("left behind after cleanup: %v", left)
				_, _ = local.Sweep(stateDir)
			}
		}
		_ = os.Remove(stateDir)
	})
	return s
}
