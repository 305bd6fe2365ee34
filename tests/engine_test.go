package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRealEngineLocalStack deploys the local stack with the real Pulumi CLI
// and engine, from a fresh stack whose only config is what a user sets:
// every other key reaches the program as Pulumi.yaml declares it. Then it
// works the stack as a user would, and destroys it.
func TestRealEngineLocalStack(t *testing.T) {
	const (
		subnet      = "10.213.210.0/24"
		password    = "engine-Test-password-1"
		newPassword = "engine-Test-password-2"
	)
	e := newRealEngine(t, subnet, password)
	clientAddr, serverAddr := "10.213.210.11", "10.213.210.10"
	// Backups as Pulumi.yaml declares them: on.
	delete(e.base, "backups")
	e.restoreConfig("backups")

	// A cold up: the proof passes and every output is present.
	res, err := e.up()
	require.NoError(t, err, "cold pulumi up")
	out := res.Outputs
	for _, k := range []string{"platform", "serverPublicAddress", "serverPrivateAddress", "clientPublicAddresses",
		"clientPrivateAddresses", "sshCommands", "hostKeys", "mysqlCommands", "userName", "accounts", "database",
		"password", "serverVersion", "proofs", "operatorCheck", "caCert", "certificateExpiry", "preset", "warnings", "publicKey",
		"privateKey", "replicaPrivateAddresses", "replicaMysqlCommands", "readerEndpoints", "engine", "backupPassphrase"} {
		assert.Contains(t, out, k, "output %s", k)
	}
	assert.Len(t, out, 26, "no other output")
	assert.Empty(t, out["readerEndpoints"].Value, "no replicas, no readers")
	assert.Equal(t, testEngine(t), out["engine"].Value)
	if testEngine(t) == "mysql" {
		assert.Regexp(t, `^9\.`, out["serverVersion"].Value, "Debian unstable's MySQL 9")
	} else {
		assert.Contains(t, out["serverVersion"].Value, "MariaDB")
	}
	assert.Empty(t, out["replicaPrivateAddresses"].Value, "no replica by default")
	expiry, err := time.Parse(time.RFC3339, out["certificateExpiry"].Value.(string))
	require.NoError(t, err, "certificateExpiry is an ISO 8601 time")
	assert.WithinDuration(t, time.Now().Add(825*24*time.Hour), expiry, 24*time.Hour, "a new server certificate is valid 825 days")
	assert.Equal(t, serverAddr, out["serverPrivateAddress"].Value)
	assert.Equal(t, "app", out["userName"].Value, "the declared default: an empty userName means app")
	assert.Equal(t, "secure", out["preset"].Value)
	assert.True(t, out["password"].Secret && out["privateKey"].Secret, "password and private key are secret outputs")
	backups := out["proofs"].Value.(map[string]any)["backups"].(map[string]any)
	assert.Equal(t, true, backups["verified"], "the first backup is taken and restore-verified: %v", backups)
	assert.Equal(t, 1.0, backups["count"])
	assert.True(t, out["backupPassphrase"].Secret, "the backups' passphrase is a secret output")
	proof := out["proofs"].Value.(map[string]any)["mysql_client"].(map[string]any)
	assert.Equal(t, "app@"+clientAddr, proof["currentUser"])
	assert.Regexp(t, `^TLSv1\.[23]$`, proof["tlsVersion"])
	assert.Equal(t, "closed (timeout)", out["operatorCheck"].Value)
	hostKeys := out["hostKeys"].Value.(map[string]any)
	assert.Regexp(t, `^ssh-ed25519 `, hostKeys["mysql_server"])
	assert.Regexp(t, `^ssh-ed25519 `, hostKeys["mysql_client"])
	created := (*res.Summary.ResourceChanges)["create"]
	t.Logf("cold up: %d resources created", created)

	t.Run("make client logs in without a password", func(t *testing.T) {
		got, err := e.make("SELECT CURRENT_USER();\n", "-s", "client")
		require.NoError(t, err)
		assert.Contains(t, got, "app@"+clientAddr)
		got, err = e.make("hostname\n", "-s", "ssh", "HOST=mysql_server")
		require.NoError(t, err, "make ssh, with the host key pinned")
		assert.Contains(t, got, "mysql-server")
	})

	t.Run("a host on the bridge that is not a client reaches neither 3306 nor 22", func(t *testing.T) {
		netns := outsiderNetns(t, e.local.platform.Bridge(), "10.213.210.60/24")
		for _, port := range []int{3306, 22} {
			assert.EqualError(t, tcpFromNetns(netns, serverAddr, port), "timeout", "port %d from the outsider", port)
		}
		assert.NoError(t, tcpFromNetns(e.local.platform.Netns(1), serverAddr, 3306), "the control: the client connects")
	})

	t.Run("the engine runs the program from the binary Pulumi.yaml names", func(t *testing.T) {
		// A stand-in for the binary that leaves a mark, then runs the real one.
		bin := filepath.Join(e.dir, ".tools", "bin", "mysql-client-server")
		mark := filepath.Join(t.TempDir(), "ran")
		require.NoError(t, os.Rename(bin, bin+".real"))
		defer func() { require.NoError(t, os.Rename(bin+".real", bin)) }()
		require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\necho \"$0\" >"+mark+"\nexec \"$0.real\" \"$@\"\n"), 0o755))
		defer os.Remove(bin)
		res, err := e.up()
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"same": created}, *res.Summary.ResourceChanges)
		ran, err := os.ReadFile(mark)
		require.NoError(t, err, "the language host compiled the program instead of running %s", bin)
		assert.Equal(t, bin, strings.TrimSpace(string(ran)))
	})

	t.Run("an unchanged up changes nothing", func(t *testing.T) {
		e.requireNoChanges(t, created)
	})

	t.Run("another engine under the server's data is refused before anything changes", func(t *testing.T) {
		other := "mariadb"
		if testEngine(t) == "mariadb" {
			other = "mysql"
		}
		before := e.resources()
		e.setConfig("engine", other)
		_, err := e.up()
		e.restoreConfig("engine")
		require.Error(t, err)
		assert.Contains(t, err.Error(), `mysql-client-server:engine: "`+other+`", but the server mysql_server already holds `+testEngine(t)+" data")
		assert.Contains(t, err.Error(), "pulumi config set engine "+testEngine(t))
		assert.Equal(t, before, e.resources(), "nothing was created, changed or deleted")
		e.requireNoChanges(t, created)
	})

	t.Run("make verify re-runs the proofs", func(t *testing.T) {
		got, err := e.make("", "verify")
		require.NoError(t, err)
		assert.Contains(t, got, `"currentUser": "app@`+clientAddr+`"`)
		assert.Contains(t, got, "closed (timeout)")
		assert.Contains(t, got, `"verified": true`, "the backups' proof, read again from the store")
		assert.Equal(t, map[string]int{"replace": 3, "same": created - 3}, e.lastChanges(t),
			"the client's proof, the operator's check and the backups' proof run again; nothing else changes")
	})

	t.Run("a password rotation updates the account in place", func(t *testing.T) {
		before := e.resources()
		e.base["password"] = auto.ConfigValue{Value: newPassword, Secret: true}
		e.restoreConfig("password")
		res, err := e.up()
		require.NoError(t, err)
		t.Logf("rotation: %v", *res.Summary.ResourceChanges)
		after := e.resources()
		for _, name := range []string{"mysql_client-mysql-user-account", "mysql_client-mysql-login-my-cnf"} {
			assert.Equal(t, before[name].ID, after[name].ID, "%s is not replaced", name)
			assert.NotEqual(t, before[name].Modified, after[name].Modified, "%s is updated", name)
		}
		for _, name := range []string{"mysql_server-namespaces", "mysql_client-namespaces", "mysql-server-install"} {
			assert.Equal(t, before[name], after[name], "%s: no host is replaced or reinstalled", name)
		}
		assert.Len(t, after, len(before), "nothing is added or deleted")
		assert.NotContains(t, *res.Summary.ResourceChanges, "delete")
		plain := map[string]any{
			"clientPublicAddresses": map[string]string{"mysql_client": clientAddr},
			"serverPrivateAddress":  serverAddr,
			"privateKey":            res.Outputs["privateKey"].Value,
		}
		_, err = mysqlOnClient(t, plain, "mysql_client", "app", password, "SELECT 1")
		require.Error(t, err, "the old password is refused")
		assert.Contains(t, err.Error(), "1045")
		got, err := mysqlOnClient(t, plain, "mysql_client", "app", newPassword, "SELECT CURRENT_USER()")
		require.NoError(t, err)
		assert.Equal(t, "app@"+clientAddr+"\n", got)
		got, err = e.make("SELECT CURRENT_USER();\n", "-s", "client")
		require.NoError(t, err, "~/.my.cnf has the new password")
		assert.Contains(t, got, "app@"+clientAddr)
	})

	t.Run("pulumi up --replace of an account keeps the account", func(t *testing.T) {
		before := e.resources()["mysql_client-mysql-user-account"]
		_, err := e.pulumi("", "up", "--yes", "--skip-preview", "--stack", engineStack, "--replace", before.URN)
		require.NoError(t, err)
		assert.NotEqual(t, before.ID, e.resources()["mysql_client-mysql-user-account"].ID, "it was replaced")
		got, err := e.make("SELECT CURRENT_USER();\n", "-s", "client")
		require.NoError(t, err, "the old resource's DROP USER ran before the new CREATE USER, not after it")
		assert.Contains(t, got, "app@"+clientAddr)
	})

	t.Run("bad configurations are refused before anything changes", func(t *testing.T) {
		before := e.resources()
		for _, tc := range []struct {
			key, value string
			secret     bool
			opts       []string
			want       string // what the error says besides the key
		}{
			{key: "platform", value: "gcp", want: "expected aws or local"},
			{key: "preset", value: "insecure", want: "expected secure or tutorial"},
			{key: "port", value: "70000", want: "expected a TCP port 1024-65535"},
			{key: "port", value: "22", want: "22 is SSH"},
			{key: "userName", value: "root", want: "reserved"},
			{key: "database", value: "a`b", want: "expected letters"},
			{key: "password", value: "short", secret: true, want: "at least 12"},
			{key: "password", value: "long-enough-but-plain", want: "expected a secret"},
			{key: "sshPublicKey", value: "ssh-rsa", want: "authorized_keys line"},
			{key: "sshPrivateKey", value: "not a key", secret: true, want: "OPENSSH PRIVATE KEY"},
			{key: "clients[0]", value: "bad name", opts: []string{"--path"}, want: "expected a letter"},
			{key: "localSubnet", value: "10.213.0.0/33", want: "a.b.c.d/n"},
			{key: "localSubnet", value: "10.213.0.0/30", want: "/16 to /27"},
			{key: "localSubnet", value: "10.213.99.0/24", want: "a new subnet would replace every host and delete the server's data"},
			{key: "localStateDir", value: "state", want: "absolute"},
			{key: "allPrivileges", value: "yes", want: "boolean"},
			{key: "replicas", value: "17", want: "expected a whole number from 0 to 16"},
		} {
			name := strings.SplitN(tc.key, "[", 2)[0]
			t.Run(tc.key+"="+tc.value, func(t *testing.T) {
				defer e.restoreConfig(name)
				if tc.secret {
					e.setSecret(tc.key, tc.value)
				} else {
					e.setConfig(tc.key, tc.value, tc.opts...)
				}
				_, err := e.up()
				require.Error(t, err)
				assert.Regexp(t, `(mysql-client-server:`+name+`: |'`+name+`')`, err.Error(), "the error names the key")
				assert.Contains(t, err.Error(), tc.want, "the error says the expected form")
			})
		}
		after := e.resources()
		assert.Equal(t, before, after, "the stack's resources are unchanged")
		res, err := e.up()
		require.NoError(t, err, "with the config restored, up works again")
		assert.Equal(t, map[string]int{"same": created}, *res.Summary.ResourceChanges)
	})

	t.Run("no secret in plain text in the state or the engine's output", func(t *testing.T) {
		export := e.export()
		key := e.outputs()["privateKey"].Value.(string)
		keyBody := strings.Split(strings.TrimSpace(key), "\n")[1] // a line of the key's base64
		e.outMux.Lock()
		printed := e.out.String()
		e.outMux.Unlock()
		for what, s := range map[string]string{"the old password": password, "the password": newPassword, "the private key": keyBody} {
			assert.NotContains(t, export, s, "%s in pulumi stack export", what)
			assert.NotContains(t, printed, s, "%s in the engine's output", what)
		}
		assert.Contains(t, printed, "[secret]", "the engine's output was captured")
	})

	t.Run("a new generator script keeps the generated key", func(t *testing.T) {
		// A later release of the library may change a generator's script: the
		// key generated at create stays, and nothing is replaced.
		before := e.outputs()["privateKey"].Value
		for _, g := range []string{"ssh-key.sh", "password.sh"} {
			f := filepath.Join(e.dir, "components", "internal", "generate", "scripts", g)
			orig, err := os.ReadFile(f)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(f, append(orig, []byte("# a later release\n")...), 0o755))
			defer func() { _ = os.WriteFile(f, orig, 0o755) }()
		}
		_, err := e.make("", "build")
		require.NoError(t, err)
		res, err := e.up()
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"same": created}, *res.Summary.ResourceChanges)
		// Compared, never printed: it is the private key.
		assert.True(t, before == e.outputs()["privateKey"].Value, "the same private key")
	})

	t.Run("destroy leaves nothing", func(t *testing.T) {
		got, err := e.make("", "down")
		require.NoError(t, err)
		assert.Contains(t, got, fmt.Sprintf("%d deleted", created))
		assert.Empty(t, e.local.leftovers(), "no namespace, bridge, process or directory")
		_, err = os.Stat(e.local.stateDir)
		assert.True(t, os.IsNotExist(err), "the state dir host-create made is gone too: %v", err)
		links, _ := exec.Command("ip", "-o", "link").Output()
		assert.NotContains(t, string(links), e.local.platform.Bridge(), "no link")
		tables, _ := exec.Command("nft", "list", "tables").Output()
		assert.NotContains(t, string(tables), "mysql_client_server", "no nftables table")
	})
}

// outsiderNetns makes a network namespace on bridge with address (a.b.c.d/n)
// that is not a host of the stack, and removes it when the test ends.
func outsiderNetns(t *testing.T, bridge, address string) string {
	t.Helper()
	const netns, veth = "mcst-eng-out", "mcst-eng-o0"
	_ = exec.Command("ip", "netns", "del", netns).Run()
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", netns).Run() })
	for _, args := range [][]string{
		{"netns", "add", netns},
		{"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns},
		{"link", "set", veth, "master", bridge, "up"},
		{"-n", netns, "addr", "add", address, "dev", "eth0"},
		{"-n", netns, "link", "set", "eth0", "up"},
		{"-n", netns, "link", "set", "lo", "up"},
	} {
		out, err := exec.Command("ip", args...).CombinedOutput()
		require.NoError(t, err, "ip %v: %s", args, out)
	}
	return netns
}

// TestRealEngineManyClientsAtOnce deploys 16 clients in one `up` under the
// real engine, whose hosts are all created at once: each gets its own
// address, veth, netns and host key, none is lost, every proof passes, and
// the bridge keeps one address while hosts join it.
func TestRealEngineManyClientsAtOnce(t *testing.T) {
	const n = 16
	e := newRealEngine(t, "10.213.211.0/24", "engine-Many-password-1")
	for i := 0; i < n; i++ {
		e.setConfig(fmt.Sprintf("clients[%d]", i), fmt.Sprintf("c%d", i+1), "--path")
	}
	res, err := e.up()
	require.NoError(t, err, "cold pulumi up with %d clients", n)
	out := res.Outputs

	private := out["clientPrivateAddresses"].Value.(map[string]any)
	hostKeys := out["hostKeys"].Value.(map[string]any)
	proofs := out["proofs"].Value.(map[string]any)
	require.Len(t, private, n)
	require.Len(t, hostKeys, n+1, "the server and every client")
	addrs, keys := map[string]bool{}, map[string]bool{}
	for name, a := range private {
		addrs[a.(string)] = true
		proof := proofs[name].(map[string]any)
		assert.Equal(t, "app@"+a.(string), proof["currentUser"], "%s's proof", name)
		assert.Regexp(t, `^TLSv1\.[23]$`, proof["tlsVersion"], "%s's proof", name)
	}
	for _, k := range hostKeys {
		keys[k.(string)] = true
	}
	assert.Len(t, addrs, n, "distinct addresses")
	assert.Len(t, keys, n+1, "distinct host keys")

	bridge := e.local.platform.Bridge()
	ports, err := os.ReadDir("/sys/class/net/" + bridge + "/brif")
	require.NoError(t, err)
	assert.Len(t, ports, n+1, "one veth a host, each on the bridge")
	for i := 0; i <= n; i++ {
		assert.NoError(t, exec.Command("ip", "netns", "exec", e.local.platform.Netns(i), "true").Run(), "netns %d", i)
	}
	assign, err := os.ReadFile("/sys/class/net/" + bridge + "/addr_assign_type")
	require.NoError(t, err)
	assert.Equal(t, "3", strings.TrimSpace(string(assign)),
		"the bridge's address is set, not taken from the lowest port (which a joining host would change)")

	got, err := e.make("", "down")
	require.NoError(t, err)
	assert.Contains(t, got, fmt.Sprintf("%d deleted", (*res.Summary.ResourceChanges)["create"]))
	assert.Empty(t, e.local.leftovers(), "no namespace, bridge, process or directory")
}
