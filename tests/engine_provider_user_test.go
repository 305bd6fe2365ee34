package tests

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	mysqlsdk "github.com/pulumi/pulumi-mysql/sdk/v3/go/mysql"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/mysql-client-server/mysql-client-server/components/local"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
	"github.com/mysql-client-server/mysql-client-server/components/stack"
)

// providerStack is the stack of the ProviderUser test.
const providerStack = "providertest"

// providerAdmin is the admin login the test makes for the mysql provider.
const providerAdmin = "mcs_test_provider_admin"

// providerUser is what the test's program adds to the stack's ClientServer:
// a mysql.Provider that logs in as providerAdmin through the test's SSH
// tunnel, and a ProviderUser through it. Off (nil) until the tunnel is up.
type providerUser struct {
	endpoint, adminPassword, password string
	privileges                        []string
}

// providerProgram is the stack program with p's ProviderUser, when p is set.
func providerProgram(p **providerUser) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		out, err := stack.Build(ctx)
		if err != nil {
			return err
		}
		for k, v := range out {
			ctx.Export(k, v)
		}
		if *p == nil {
			return nil
		}
		pu := **p
		prov, err := mysqlsdk.NewProvider(ctx, "admin", &mysqlsdk.ProviderArgs{
			Endpoint: pulumi.String(pu.endpoint),
			Username: pulumi.String(providerAdmin),
			Password: pulumi.ToSecret(pulumi.String(pu.adminPassword)).(pulumi.StringOutput),
			// The tunnel's end is this machine: the server's certificate
			// names its private address. SSH, pinned to the host's key,
			// carries and authenticates the session.
			Tls: pulumi.String("skip-verify"),
		})
		if err != nil {
			return err
		}
		var privileges pulumi.StringArrayInput
		if pu.privileges != nil {
			privileges = pulumi.ToStringArray(pu.privileges)
		}
		clients := out["clientPrivateAddresses"].(pulumi.StringMapOutput)
		_, err = mysql.NewProviderUser(ctx, "pu", &mysql.ProviderUserArgs{
			Provider:      prov,
			Name:          pulumi.String("puser"),
			Host:          clients.MapIndex(pulumi.String("mysql_client")),
			Password:      pulumi.ToSecret(pulumi.String(pu.password)).(pulumi.StringOutput),
			Database:      pulumi.String("pudb"),
			Privileges:    privileges,
			ServerVersion: out["serverVersion"].(pulumi.StringOutput),
		})
		return err
	}
}

// tunnel forwards a local port to target through an SSH session to addr,
// pinned to the host key the stack reports. It returns the local endpoint
// and a function that closes it.
func tunnel(t *testing.T, addr, privateKey, hostKey, target string) (string, func()) {
	t.Helper()
	signer, err := ssh.ParsePrivateKey([]byte(privateKey))
	require.NoError(t, err)
	pinned, _, _, _, err := ssh.ParseAuthorizedKey([]byte(hostKey))
	require.NoError(t, err, "the stack's host key")
	client, err := ssh.Dial("tcp", net.JoinHostPort(addr, "22"), &ssh.ClientConfig{
		User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(pinned), Timeout: 10 * time.Second,
	})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				r, err := client.Dial("tcp", target)
				if err != nil {
					t.Logf("tunnel: %v", err)
					return
				}
				defer r.Close()
				go func() { _, _ = io.Copy(r, c); _ = r.Close() }()
				_, _ = io.Copy(c, r)
			}()
		}
	}()
	return ln.Addr().String(), func() { _ = ln.Close(); _ = client.Close(); wg.Wait() }
}

// TestRealEngineProviderUser deploys a ClientServer with the real engine and
// then a ProviderUser through the real mysql plugin, reaching the server as
// an admin through an SSH tunnel the test opens. On MySQL it lives its whole
// life: create, a client's login over TLS, a password rotation, a change of
// privileges, delete (the account and its grant gone, the database kept).
// On MariaDB (10.10 and later) it is refused before anything is created.
func TestRealEngineProviderUser(t *testing.T) {
	const subnet = "10.213.216.0/24"
	stateDir := "/var/lib/mysql-client-server-test/" + t.Name()
	env := &localEnv{t: t, stateDir: stateDir, platform: &local.Platform{
		Name: stack.Project + "/" + providerStack, Subnet: subnet, StateDir: stateDir,
	}}
	closeTunnel := func() {}
	t.Cleanup(func() { closeTunnel() }) // after the stack's destroy
	var pu *providerUser
	s := inlineStack(t, providerStack, providerProgram(&pu), stateDir, env)
	ctx := context.Background()
	require.NoError(t, s.SetAllConfig(ctx, auto.ConfigMap{
		"platform": {Value: "local"}, "localSubnet": {Value: subnet}, "localStateDir": {Value: stateDir},
		"password": {Value: testPassword, Secret: true}, "engine": {Value: testEngine(t)},
		"backups": {Value: "off"}, // not what this test is about
	}))
	up := func() (auto.UpResult, error) {
		uctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		return s.Up(uctx, optup.ProgressStreams(testWriter(t)))
	}
	res, err := up()
	require.NoError(t, err, "the ClientServer")
	out := plainOutputs(res.Outputs)

	// The provider's admin login, from the server's own address (where the
	// tunnel's sessions start), made by hand as an operator would.
	const adminPassword = "provider-Admin-pw-42"
	server := out["serverPrivateAddress"].(string)
	_, stderr, err := sshRun(t, out["serverPublicAddress"].(string), out["privateKey"].(string), "mysql",
		fmt.Sprintf("CREATE USER '%[1]s'@'%[2]s' IDENTIFIED BY '%[3]s'; GRANT ALL ON *.* TO '%[1]s'@'%[2]s' WITH GRANT OPTION;",
			providerAdmin, server, adminPassword))
	require.NoError(t, err, stderr)
	hostKey := out["hostKeys"].(map[string]string)["mysql_server"]
	endpoint, closer := tunnel(t, out["serverPublicAddress"].(string), out["privateKey"].(string), hostKey, net.JoinHostPort(server, "3306"))
	closeTunnel = closer

	const pw1, pw2 = "provider-User-pw-1", "provider-User-pw-2"
	pu = &providerUser{endpoint: endpoint, adminPassword: adminPassword, password: pw1}
	if testEngine(t) == "mariadb" {
		_, err := up()
		require.Error(t, err, "MariaDB is refused")
		for _, want := range []string{"ProviderUserArgs.ServerVersion", "MariaDB", "use mysql.User"} {
			assert.Contains(t, err.Error(), want)
		}
		state, err := s.Export(ctx)
		require.NoError(t, err)
		assert.NotContains(t, string(state.Deployment), "mysql:index/", "no Database, User or Grant was created")
		assert.Equal(t, "0", sqlOn(t, out, "mysql_server", "SELECT COUNT(*) FROM mysql.user WHERE user = 'puser';"))
		pu = nil
		return
	}
	proveProviderUser(t, s, up, out, &pu, pw1, pw2)
}

// proveProviderUser works a ProviderUser on MySQL through its life.
func proveProviderUser(t *testing.T, s auto.Stack, up func() (auto.UpResult, error), out map[string]any, pp **providerUser, pw1, pw2 string) {
	pu := *pp
	res, err := up()
	require.NoError(t, err, "the ProviderUser")
	t.Logf("create: %v", *res.Summary.ResourceChanges)
	got, err := mysqlOnClient(t, out, "mysql_client", "puser", pw1, "CREATE TABLE pudb.t (id INT); INSERT INTO pudb.t VALUES (1); SELECT COUNT(*) FROM pudb.t")
	require.NoError(t, err, "the client logs in over verified TLS and uses its database")
	assert.Equal(t, "1", strings.TrimSpace(got))
	assert.Equal(t, "ANY", sqlOn(t, out, "mysql_server", "SELECT ssl_type FROM mysql.user WHERE user = 'puser';"), "REQUIRE SSL")
	_, err = s.Preview(context.Background(), optpreview.ExpectNoChanges())
	assert.NoError(t, err, "no drift after the create")

	pu.password = pw2
	res, err = up()
	require.NoError(t, err, "a password rotation")
	assert.Equal(t, 1, (*res.Summary.ResourceChanges)["update"], "the account is updated in place: %v", *res.Summary.ResourceChanges)
	_, err = mysqlOnClient(t, out, "mysql_client", "puser", pw2, "SELECT 1")
	require.NoError(t, err, "the new password")
	_, err = mysqlOnClient(t, out, "mysql_client", "puser", pw1, "SELECT 1")
	assert.Error(t, err, "not the old one")

	pu.privileges = []string{"SELECT"}
	res, err = up()
	require.NoError(t, err, "a change of privileges")
	t.Logf("privileges: %v", *res.Summary.ResourceChanges)
	got, err = mysqlOnClient(t, out, "mysql_client", "puser", pw2, "SELECT COUNT(*) FROM pudb.t")
	require.NoError(t, err, "SELECT is granted")
	assert.Equal(t, "1", strings.TrimSpace(got), "the data is kept")
	_, err = mysqlOnClient(t, out, "mysql_client", "puser", pw2, "INSERT INTO pudb.t VALUES (2)")
	require.Error(t, err, "INSERT is not granted any more")
	assert.Contains(t, err.Error(), "INSERT command denied")

	*pp = nil
	res, err = up()
	require.NoError(t, err, "the ProviderUser's delete")
	assert.Equal(t, 0, (*res.Summary.ResourceChanges)["create"], "%v", *res.Summary.ResourceChanges)
	assert.Equal(t, "0", sqlOn(t, out, "mysql_server", "SELECT COUNT(*) FROM mysql.user WHERE user = 'puser';"), "no account left")
	assert.Equal(t, "0", sqlOn(t, out, "mysql_server", "SELECT COUNT(*) FROM mysql.db WHERE user = 'puser';"), "no grant left")
	assert.Equal(t, "pudb", sqlOn(t, out, "mysql_server", "SHOW DATABASES LIKE 'pudb';"), "the database is kept")
}

// testWriter is where an engine operation's progress goes: the test log.
func testWriter(t *testing.T) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		t.Log(strings.TrimRight(string(p), "\n"))
		return len(p), nil
	})
}
