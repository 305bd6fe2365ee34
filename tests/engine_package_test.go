package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
	"github.com/mysql-client-server/mysql-client-server/components/local"
)

// consumer is a program in another language that uses the package: a copy
// of tests/testdata/<dir>, its stack under the real CLI with a file backend
// of its own, and the local hosts its ClientServer "db" makes.
type consumer struct {
	t     *testing.T
	dir   string
	env   map[string]string
	stack auto.Stack
	local *localEnv
}

// packagePlugin builds the package's plugin (make provider) and installs
// its tarball into the plugin cache offline, as the README says, with the
// YAML and Node.js language hosts; it returns the PATH to run with.
func packagePlugin(t *testing.T) string {
	t.Helper()
	requireRoot(t)
	root := repoRoot(t)
	path := pulumiTools(t, root, "--language-hosts")
	t.Setenv("PATH", path)
	build := exec.Command("make", "--no-print-directory", "-s", "provider")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "make provider: %s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	tarball := filepath.Join(root, lines[len(lines)-1])
	require.True(t, strings.HasSuffix(tarball, ".tar.gz"), "make provider printed %q, not the tarball", out)
	require.FileExists(t, tarball)
	version := providerVersion(t, root)
	had := pluginInstalled(t, version)
	install := exec.Command("pulumi", "plugin", "install", "resource", "mysql-client-server", version, "--file", tarball, "--reinstall")
	out, err = install.CombinedOutput()
	require.NoError(t, err, "pulumi plugin install: %s", out)
	if !had { // the test's own install goes with it; one the user made stays, rebuilt
		t.Cleanup(func() {
			if out, err := exec.Command("pulumi", "plugin", "rm", "resource", "mysql-client-server", version, "--yes").CombinedOutput(); err != nil {
				t.Errorf("cleanup: pulumi plugin rm: %v: %s", err, out)
			}
		})
	}
	return path
}

// pluginInstalled says whether the plugin cache holds the package's plugin
// at version.
func pluginInstalled(t *testing.T, version string) bool {
	t.Helper()
	out, err := exec.Command("pulumi", "plugin", "ls", "--json").Output()
	require.NoError(t, err, "pulumi plugin ls")
	var plugins []struct{ Name, Kind, Version string }
	require.NoError(t, json.Unmarshal(out, &plugins), "pulumi plugin ls --json: %s", out)
	for _, p := range plugins {
		if p.Name == "mysql-client-server" && p.Kind == "resource" && p.Version == version {
			return true
		}
	}
	return false
}

// providerVersion is the package's version, from its one home.
func providerVersion(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "provider", "pulumipkg", "version.go"))
	require.NoError(t, err)
	m := regexp.MustCompile(`const Version = "([^"]+)"`).FindSubmatch(b)
	require.NotNil(t, m, "no Version in provider/pulumipkg/version.go")
	return string(m[1])
}

// newConsumer copies tests/testdata/<dir>, makes its stack and sets its
// config. Its cleanup, also when the test fails, destroys the stack,
// removes it and checks that no host is left.
func newConsumer(t *testing.T, path, dir, subnet string, config map[string]string) *consumer {
	t.Helper()
	tmp := t.TempDir()
	c := &consumer{t: t, dir: filepath.Join(tmp, "program"), env: map[string]string{
		"PATH": path, "PULUMI_BACKEND_URL": "file://" + filepath.Join(tmp, "state"),
		"PULUMI_CONFIG_PASSPHRASE": "package-test-passphrase", "PULUMI_SKIP_UPDATE_CHECK": "true",
		// Every plugin is installed from a file: nothing may be downloaded.
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
	}}
	require.NoError(t, os.MkdirAll(filepath.Join(tmp, "state"), 0o700))
	require.NoError(t, os.CopyFS(c.dir, os.DirFS(filepath.Join(repoRoot(t), "tests", "testdata", dir))))
	stateDir := "/var/lib/mysql-client-server-test/" + t.Name()
	project := readProjectName(t, c.dir)
	c.local = &localEnv{t: t, stateDir: stateDir, platform: &local.Platform{
		Name: project + "/" + stackName + "/db", Subnet: subnet, StateDir: stateDir,
	}}
	require.NoError(t, c.local.platform.Validate())
	t.Setenv("PATH", path)
	cmd, err := auto.NewPulumiCommand(nil)
	require.NoError(t, err)
	c.stack, err = auto.UpsertStackLocalSource(context.Background(), stackName, c.dir, auto.Pulumi(cmd), auto.EnvVars(c.env))
	require.NoError(t, err)
	t.Cleanup(c.cleanup)
	config["subnet"], config["stateDir"], config["engine"] = subnet, stateDir, testEngine(t)
	for k, v := range config {
		require.NoError(t, c.stack.SetConfig(context.Background(), k, auto.ConfigValue{Value: v}))
	}
	require.NoError(t, c.stack.SetConfig(context.Background(), "password", auto.ConfigValue{Value: consumerPassword, Secret: true}))
	return c
}

// consumerPassword is the account's password the programs take from their
// config, as a secret: the package must keep it one.
const consumerPassword = "given-secret-password-7f3a"

// readProjectName is the name line of dir's Pulumi.yaml.
func readProjectName(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^name: *(\S+)`).FindSubmatch(b)
	require.NotNil(t, m)
	return string(m[1])
}

// cleanup destroys and removes the stack, then names anything left.
func (c *consumer) cleanup() {
	destroyAndSweep(c.t, c.stack, stackName, testWriter(c.t), c.local)
}

// export is `pulumi stack export` as a user runs it: secrets encrypted.
func (c *consumer) export() string {
	c.t.Helper()
	cmd := exec.Command("pulumi", "stack", "export", "--stack", stackName)
	cmd.Dir = c.dir
	for k, v := range c.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	require.NoError(c.t, err, "pulumi stack export")
	return string(out)
}

// nullMocks answer every resource with its inputs: for a program that must
// fail before it creates any.
type nullMocks struct{}

func (nullMocks) NewResource(a pulumi.MockResourceArgs) (string, presource.PropertyMap, error) {
	return a.Name, a.Inputs, nil
}

func (nullMocks) Call(pulumi.MockCallArgs) (presource.PropertyMap, error) {
	return presource.PropertyMap{}, nil
}

// up runs `pulumi up`, its output in the test's log and returned.
func (c *consumer) up() (string, error) {
	var out strings.Builder
	w := writerFunc(func(p []byte) (int, error) { out.Write(p); return testWriter(c.t).Write(p) })
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	_, err := c.stack.Up(ctx, optup.ProgressStreams(w), optup.ErrorProgressStreams(w))
	return out.String(), err
}

// deployAndDestroy deploys the program, proves its ClientServer from its
// outputs, and destroys it, leaving nothing. It returns how long each took.
func (c *consumer) deployAndDestroy() (up, destroy time.Duration) {
	t := c.t
	start := time.Now()
	_, err := c.up()
	require.NoError(t, err)
	up = time.Since(start)
	out, err := c.stack.Outputs(context.Background())
	require.NoError(t, err)
	proveConsumerOutputs(t, out)
	state := c.export()
	assert.Equal(t, consumerPassword, out["password"].Value, "the given password is the account's")
	for _, k := range []string{"password", "privateKey"} {
		v, _ := out[k].Value.(string)
		assert.True(t, out[k].Secret, "%s is a secret across the package's boundary", k)
		assert.NotEmpty(t, v, k)
		assert.NotContains(t, state, v, "%s in the state in plain text", k)
	}
	return up, c.destroy()
}

// destroy destroys the stack and checks that nothing is left; it returns
// how long it took.
func (c *consumer) destroy() time.Duration {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	_, err := c.stack.Destroy(ctx, optdestroy.ProgressStreams(testWriter(c.t)))
	require.NoError(c.t, err)
	took := time.Since(start)
	assert.Empty(c.t, c.local.leftovers(), "destroy leaves nothing")
	return took
}

// proveConsumerOutputs checks what the ClientServer's outputs say: each of
// the two clients logged in over TLS as its own account, on the engine.
func proveConsumerOutputs(t *testing.T, out auto.OutputMap) {
	t.Helper()
	assert.Equal(t, testEngine(t), out["engine"].Value)
	version, _ := out["serverVersion"].Value.(string)
	assert.Equal(t, testEngine(t) == "mariadb", strings.Contains(version, "MariaDB"), "serverVersion %q", version)
	accounts, _ := out["accounts"].Value.(map[string]any)
	proofs, _ := out["proofs"].Value.(map[string]any)
	typedProofs, _ := out["clientProofs"].Value.(map[string]any)
	require.Len(t, accounts, 2, "accounts: %v", accounts)
	for _, client := range []string{"app_1", "app_2"} {
		account, _ := accounts[client].(string)
		assert.True(t, strings.HasPrefix(account, "app@"), "%s's account %q", client, account)
		proof, _ := proofs[client].(map[string]any)
		require.NotNil(t, proof, "proof of %s", client)
		assert.Equal(t, account, proof["currentUser"], "%s logged in as its account", client)
		assert.Equal(t, "TLSv1.3", proof["tlsVersion"], "%s's login", client)
		assert.Equal(t, version, proof["serverVersion"])
		typed, _ := typedProofs[client].(map[string]any)
		assert.Equal(t, proof, typed, "%s's typed proof (clientProofs) is its proof", client)
	}
}

// TestRealEnginePackageFromYAML: a YAML program deploys a ClientServer with
// two clients through the package's plugin, reads its outputs and is
// destroyed, leaving nothing; a bad input is refused before anything is
// created, with the error a Go program gets.
func TestRealEnginePackageFromYAML(t *testing.T) {
	start := time.Now()
	path := packagePlugin(t)
	t.Logf("the plugin and the language hosts: %s", time.Since(start).Round(time.Second))
	c := newConsumer(t, path, "package-yaml", "10.213.224.0/24", map[string]string{})
	up, destroy := c.deployAndDestroy()
	t.Logf("YAML consumer: up %s, destroy %s", up.Round(time.Second), destroy.Round(time.Second))

	t.Run("a bad input is refused with Go's error", func(t *testing.T) {
		clients := []string{"app_1", "bad name"}
		var goErr error
		_ = pulumi.RunErr(func(ctx *pulumi.Context) error {
			_, goErr = clientserver.New(ctx, "db", &clientserver.Args{Clients: clients,
				Platform: &local.Platform{Name: "p/s/db", Preflight: func() error { return nil }}})
			return goErr
		}, pulumi.WithMocks("p", "s", &nullMocks{}))
		require.Error(t, goErr)
		for i, name := range clients {
			require.NoError(t, c.stack.SetConfigWithOptions(context.Background(), fmt.Sprintf("clients[%d]", i),
				auto.ConfigValue{Value: name}, &auto.ConfigOptions{Path: true}))
		}
		out, err := c.up()
		require.Error(t, err)
		assert.Contains(t, out, goErr.Error())
		for _, r := range stateOf(t, c.stack) { // the stack and the package's default provider only
			assert.Regexp(t, `::pulumi:pulumi:Stack::|::pulumi:providers:mysql-client-server::`, r.URN, "created before the error")
		}
		assert.Empty(t, c.local.leftovers())
	})
}

// TestRealEnginePackageFromTypeScript: a TypeScript program does the same
// through the generated SDK, built and packed (make sdk-nodejs), with
// @pulumi/pulumi from the npm registry.
func TestRealEnginePackageFromTypeScript(t *testing.T) {
	start := time.Now()
	path := packagePlugin(t)
	c := newConsumer(t, path, "package-ts", "10.213.225.0/24", map[string]string{})
	c.installNodejsSDK()
	t.Logf("the plugin, the SDK and npm install: %s", time.Since(start).Round(time.Second))
	up, destroy := c.deployAndDestroy()
	t.Logf("TypeScript consumer: up %s, destroy %s", up.Round(time.Second), destroy.Round(time.Second))
}

// installNodejsSDK builds and packs the TypeScript SDK (make sdk-nodejs)
// and npm-installs it, with @pulumi/pulumi from the npm registry, into the
// program's directory.
func (c *consumer) installNodejsSDK() {
	t := c.t
	if _, err := exec.LookPath("npm"); err != nil {
		require.NotEqual(t, "true", os.Getenv("CI"), "npm is missing (CI never skips)")
		t.Skip("npm is missing: install Node.js 20 and npm")
	}
	pack := exec.Command("make", "--no-print-directory", "-s", "sdk-nodejs")
	pack.Dir = repoRoot(t)
	out, err := pack.CombinedOutput()
	require.NoError(t, err, "make sdk-nodejs: %s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	tarball := filepath.Join(repoRoot(t), lines[len(lines)-1])
	require.FileExists(t, tarball, "make sdk-nodejs printed %q", out)
	npm := exec.Command("npm", "install", "--no-audit", "--no-fund", "--loglevel=error", tarball)
	npm.Dir = c.dir
	b, err := npm.CombinedOutput()
	require.NoError(t, err, "npm install: %s", b)
}
