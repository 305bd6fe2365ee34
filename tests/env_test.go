package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/local"
	"github.com/mysql-client-server/mysql-client-server/components/stack"
	"github.com/mysql-client-server/mysql-client-server/tests/harness"
)

// stackName is the stack the programs run as; the local hosts' names derive
// from it and from the subnet.
const stackName = "test"

// requireRoot skips a test that needs root (namespaces, a bridge, sshd).
// CI runs as root, so there these tests always run.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: it creates network namespaces, a bridge and sshd processes")
	}
}

// testEngine is the engine the local tests deploy: MCS_TEST_ENGINE, mysql or
// mariadb. `make test` runs this package once for each (TEST_ENGINES picks
// one for a quicker run); unset, it is mysql, a new stack's default.
func testEngine(t *testing.T) string {
	t.Helper()
	e := os.Getenv("MCS_TEST_ENGINE")
	if e == "" {
		return string(host.DefaultEngine)
	}
	_, err := host.ParseEngine(e)
	require.NoError(t, err, "MCS_TEST_ENGINE")
	return e
}

// localEnv is one local environment under test: its config and names.
type localEnv struct {
	t        *testing.T
	config   map[string]string
	secrets  []string
	stateDir string
	platform *local.Platform
	// secretOutputs records which outputs of the last run were secret.
	secretOutputs map[string]bool
	// log is everything the harness logged, for the secret-hygiene checks.
	log    strings.Builder
	logMux sync.Mutex
}

// mocks returns executing mocks that log to the test and to e.log.
func (e *localEnv) mocks() *harness.Mocks {
	return harness.New(harness.WithLog(func(format string, args ...any) {
		e.t.Logf(format, args...)
		e.logMux.Lock()
		defer e.logMux.Unlock()
		fmt.Fprintf(&e.log, format+"\n", args...)
	}))
}

func newLocalEnv(t *testing.T, subnet string, clients []string, password string, extra ...string) *localEnv {
	t.Helper()
	requireRoot(t)
	stateDir := filepath.Join("/var/lib/mysql-client-server-test", strings.ReplaceAll(t.Name(), "/", "_"))
	cl, _ := json.Marshal(clients)
	e := &localEnv{
		t: t,
		config: map[string]string{
			"platform": "local", "localSubnet": subnet, "localStateDir": stateDir,
			"clients": string(cl), "password": password, "engine": testEngine(t),
			// Backups have tests of their own (engine_backups_test.go).
			"backups": "off", "backupKeepOnDestroy": "false",
		},
		secrets:  []string{"password"},
		stateDir: stateDir,
		platform: &local.Platform{Name: "mysql-client-server/" + stackName, Subnet: subnet, StateDir: stateDir},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		e.config[extra[i]] = extra[i+1]
	}
	e.platform.SSHFromAnywhere = e.config["preset"] == "tutorial"
	require.NoError(t, e.platform.Validate())
	// A run killed earlier may have left hosts behind: remove them first.
	removed, err := local.Sweep(stateDir)
	require.NoError(t, err, "sweeping leftovers")
	if len(removed) > 0 {
		t.Logf("swept leftovers of an earlier run: %v", removed)
	}
	return e
}

// run runs the stack program (plus extra resources) under executing mocks
// and returns the resolved stack outputs.
func (e *localEnv) run(m *harness.Mocks, extra func(ctx *pulumi.Context, out map[string]pulumi.Input) error) map[string]any {
	e.t.Helper()
	outputs, err := e.runErr(m, extra)
	require.NoError(e.t, err, "the program runs")
	return outputs
}

// runErr is run, returning the program's error (a failed up) instead of
// failing the test.
func (e *localEnv) runErr(m *harness.Mocks, extra func(ctx *pulumi.Context, out map[string]pulumi.Input) error) (map[string]any, error) {
	e.t.Helper()
	cfg, err := stack.EngineConfig("../Pulumi.yaml", e.config) // as `pulumi up` passes it
	require.NoError(e.t, err)
	var secretKeys []string
	for _, k := range e.secrets {
		secretKeys = append(secretKeys, "mysql-client-server:"+k)
	}
	b, _ := json.Marshal(cfg)
	s, _ := json.Marshal(secretKeys)
	e.t.Setenv("PULUMI_CONFIG", string(b))
	e.t.Setenv("PULUMI_CONFIG_SECRET_KEYS", string(s))
	outputs := map[string]any{}
	e.secretOutputs = map[string]bool{}
	start := time.Now()
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		out, err := stack.Build(ctx)
		if err != nil {
			return err
		}
		if extra != nil {
			if err := extra(ctx, out); err != nil {
				return err
			}
		}
		for k, v := range out {
			r, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.ToOutput(v))
			if err != nil {
				return err
			}
			outputs[k] = r.Value
			e.secretOutputs[k] = r.Secret
		}
		return nil
	}, pulumi.WithMocks("mysql-client-server", stackName, m))
	e.t.Logf("program ran in %s", time.Since(start).Round(time.Millisecond))
	return outputs, err
}

// leftovers lists what of this environment is still on the machine.
func (e *localEnv) leftovers() []string {
	var left []string
	out, _ := exec.Command("ip", "netns", "list").Output()
	prefix := strings.TrimSuffix(e.platform.Netns(0), "0")
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, prefix) || strings.HasPrefix(line, "mcst-out") {
			left = append(left, "netns "+strings.Fields(line)[0])
		}
	}
	links, _ := exec.Command("ip", "-o", "link", "show").Output()
	veth := strings.ReplaceAll(e.platform.Bridge(), "-", "") // mcs<id>v0, mcs<id>r1
	for _, line := range strings.Split(string(links), "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[1], veth) {
			left = append(left, "link "+strings.TrimSuffix(strings.SplitN(f[1], "@", 2)[0], ":"))
		}
	}
	if exec.Command("ip", "link", "show", e.platform.Bridge()).Run() == nil {
		left = append(left, "bridge "+e.platform.Bridge())
	}
	if ps, err := exec.Command("pgrep", "-af", e.stateDir).Output(); err == nil {
		for _, p := range strings.Split(strings.TrimSpace(string(ps)), "\n") {
			if !strings.Contains(p, "pgrep") {
				left = append(left, "process "+p)
			}
		}
	}
	if entries, err := os.ReadDir(e.stateDir); err == nil && len(entries) > 0 {
		for _, en := range entries {
			left = append(left, "dir "+filepath.Join(e.stateDir, en.Name()))
		}
	}
	return left
}

// teardown runs the mocks' deletes and then checks nothing is left. It is
// registered with t.Cleanup, so it also runs when the test fails.
func (e *localEnv) teardown(ms ...*harness.Mocks) {
	e.t.Helper()
	for _, m := range ms {
		if err := m.Teardown(); err != nil {
			e.t.Errorf("teardown: %v", err)
		}
	}
	if left := e.leftovers(); len(left) > 0 {
		e.t.Errorf("left behind after teardown: %v", left)
		_, _ = local.Sweep(e.stateDir)
	}
	_ = os.Remove(e.stateDir)
	_ = os.Remove(filepath.Dir(e.stateDir)) // only when no other test's dir is in it
}

// sshRun runs cmd on addr as root with the stack's key, stdin on stdin.
func sshRun(t *testing.T, addr, privateKey, cmd, stdin string) (string, string, error) {
	t.Helper()
	signer, err := ssh.ParsePrivateKey([]byte(privateKey))
	require.NoError(t, err)
	client, err := ssh.Dial("tcp", net.JoinHostPort(addr, "22"), &ssh.ClientConfig{
		User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
	if err != nil {
		return "", "", err
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return "", "", err
	}
	defer sess.Close()
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	sess.Stdin = strings.NewReader(stdin)
	err = sess.Run(cmd)
	return stdout.String(), stderr.String(), err
}

// mysqlOnClient runs SQL with the mysql client on a client host, logging in
// to the server over TCP and verified TLS as user with exactly the given
// password. The password reaches the client through a 0600 option file
// written from stdin, never through argv.
func mysqlOnClient(t *testing.T, out map[string]any, client, user, password, sql string) (string, error) {
	t.Helper()
	addr := out["clientPublicAddresses"].(map[string]string)[client]
	server := out["serverPrivateAddress"].(string)
	// --defaults-file: only this file, so ~/.my.cnf's password cannot stand
	// in for the one under test; it verifies the server like ~/.my.cnf does.
	cmd := fmt.Sprintf(`set -e; f=$(mktemp); trap 'rm -f "$f"' EXIT
{ printf '[client]\nssl-ca=%%s\n%%s\npassword="' "$HOME/.mysql-client-server-ca.pem" "$(%s)"
  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; printf '"\n'; } >"$f"
mysql --defaults-file="$f" --raw --protocol=tcp -h %s -P 3306 -u %s --batch --skip-column-names --connect-timeout=5 -e %s`,
		verifyOption, server, shellQuote(user), shellQuote(sql))
	stdout, stderr, err := sshRun(t, addr, out["privateKey"].(string), cmd, password)
	if err != nil {
		return stdout, fmt.Errorf("%v: %s", err, stderr)
	}
	return stdout, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// tcpFromNetns tries a TCP connection from inside a network namespace and
// returns nil when it connects, else how it failed ("timeout" or the error).
func tcpFromNetns(netns, addr string, port int) error {
	probe := fmt.Sprintf("exec 3<>/dev/tcp/%s/%d", addr, port)
	out, err := exec.Command("ip", "netns", "exec", netns, "timeout", "4", "bash", "-c", probe).CombinedOutput()
	if err == nil {
		return nil
	}
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 124 {
		return fmt.Errorf("timeout")
	}
	return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
}

// outsider describes a third host on the bridge that is not a client: its
// netns, its address, and a program addition that creates it (so the
// mocks' teardown removes it with the rest).
func (e *localEnv) outsider() (string, string, func(ctx *pulumi.Context, out map[string]pulumi.Input) error) {
	netns := e.platform.Netns(9)
	a := netip.MustParsePrefix(e.config["localSubnet"]).Addr().As4()
	a[3] = 60
	addr := netip.AddrFrom4(a).String()
	return netns, addr, func(ctx *pulumi.Context, out map[string]pulumi.Input) error {
		// On the mysql engine, it runs in the image, with its MySQL client,
		// once the server (and so the image) is there.
		var image pulumi.StringInput
		if testEngine(e.t) == "mysql" {
			path := filepath.Join(local.DefaultImageCache, "images", local.ImageName())
			image = out["serverVersion"].(pulumi.StringOutput).ApplyT(func(string) string { return path }).(pulumi.StringOutput)
		}
		_, err := local.NewHost(ctx, "outsider", &local.HostArgs{
			Image: image,
			Spec:  host.Spec{Name: "outsider", Role: host.RoleClient},
			Netns: netns, Bridge: e.platform.Bridge(), Veth: "mcso-" + netns[4:10],
			Address: addr, PrefixLength: 24,
			OperatorAddress: e.platform.OperatorAddress().String(),
			HostDir:         filepath.Join(e.stateDir, "outsider", "outsider"),
			PublicKey:       out["publicKey"].(pulumi.StringOutput),
			PrivateKey:      out["privateKey"].(pulumi.StringOutput),
		})
		return err
	}
}
