package tests

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRealEnginePackageBlocksFromYAML: a YAML program composes the
// package's building blocks by hand (local:Hosts, MySQLServer, MySQLClient,
// MySQLUser, MySQLReplica, the server passed by reference), as
// proveBlocks checks; then a bad input is refused before anything is
// created, and a server port that local:Hosts does not open is refused
// before the server installs anything.
func TestRealEnginePackageBlocksFromYAML(t *testing.T) {
	path := packagePlugin(t)
	c := newConsumer(t, path, "package-blocks", "10.213.226.0/24", map[string]string{})
	c.proveBlocks("YAML")

	t.Run("a bad input is refused before anything is created", func(t *testing.T) {
		require.NoError(t, c.stack.SetConfigWithOptions(context.Background(), "clients[0]",
			auto.ConfigValue{Value: "bad name"}, &auto.ConfigOptions{Path: true}))
		out, err := c.up()
		require.Error(t, err)
		assert.Contains(t, out, `LocalHostsArgs.Clients[0]: "bad name": expected a letter then up to 31 letters, digits, '_' or '-'`)
		for _, r := range stateOf(t, c.stack) { // the stack and the package's default provider only
			assert.Regexp(t, `::pulumi:pulumi:Stack::|::pulumi:providers:mysql-client-server::`, r.URN, "created before the error")
		}
		assert.Empty(t, c.local.leftovers())
	})

	t.Run("a server on a port its host's firewall does not open is refused before it installs", func(t *testing.T) {
		require.NoError(t, c.stack.RemoveConfig(context.Background(), "clients"))
		require.NoError(t, c.stack.SetConfig(context.Background(), "port", auto.ConfigValue{Value: "3307"}))
		out, err := c.up()
		require.Error(t, err)
		assert.Contains(t, out, "ServerArgs.Host.mysqlPort: its firewall opens 3306, but the server on it listens on 3307: expected the same port")
		for _, r := range stateOf(t, c.stack) { // nothing of the server (the hosts and the client, which needs no server, may be made)
			assert.NotContains(t, r.URN, "mysql-client-server:mysql:MySQLServer", "made for the server")
		}
		c.destroy()
	})
}

// TestRealEnginePackageBlocksFromTypeScript: the same program through the
// generated SDK's classes (mcs.local.Hosts, mcs.mysql.MySQLServer, ...).
func TestRealEnginePackageBlocksFromTypeScript(t *testing.T) {
	path := packagePlugin(t)
	c := newConsumer(t, path, "package-ts-blocks", "10.213.227.0/24", map[string]string{})
	c.installNodejsSDK()
	c.proveBlocks("TypeScript")
}

// proveBlocks deploys a building-blocks program and checks it from its
// outputs: the client logs in to the server and to the replica as its
// account over verified TLS, the replica follows by GTID, a second run
// changes nothing, the secrets stay secrets; then it is destroyed, leaving
// nothing.
func (c *consumer) proveBlocks(language string) {
	t := c.t
	start := time.Now()
	_, err := c.up()
	require.NoError(t, err)
	up := time.Since(start)
	out, err := c.stack.Outputs(context.Background())
	require.NoError(t, err)

	clientHost, _ := out["clientHost"].Value.(map[string]any)
	require.NotNil(t, clientHost, "clientHost: %v", out["clientHost"])
	assert.True(t, out["clientHost"].Secret, "a Host holds its private key: it is a secret")
	addr, _ := clientHost["publicAddress"].(string)
	key, _ := clientHost["privateKey"].(string)
	require.NotEmpty(t, key, "the host's private key")
	ca, _ := out["caCert"].Value.(string)
	require.Contains(t, ca, "BEGIN CERTIFICATE")
	_, stderr, err := sshRun(t, addr, key, `umask 077; cat >"$HOME/.mysql-client-server-ca.pem"`, ca)
	require.NoError(t, err, "writing the CA on the client: %s", stderr)

	account, _ := out["account"].Value.(string)
	addresses, _ := out["addresses"].Value.(map[string]any)
	assert.Equal(t, "app@"+addresses["app"].(string), account, "the account is at the client's address")
	for server, id := range map[string]string{"serverAddress": "1", "replicaAddress": "2"} {
		login := map[string]any{"clientPublicAddresses": map[string]string{"app": addr},
			"serverPrivateAddress": out[server].Value, "privateKey": key}
		got, err := mysqlOnClient(t, login, "app", "app", consumerPassword, "SELECT CURRENT_USER(), @@server_id")
		require.NoError(t, err, "logging in to %s", server)
		assert.Equal(t, account+"\t"+id, strings.TrimSpace(got), "the client's login to %s", server)
	}
	status, _ := out["replicaStatus"].Value.(map[string]any)
	assert.Equal(t, "TLSv1.3", status["tlsVersion"], "the replication channel: %v", status)
	assert.NotEmpty(t, status["gtidPosition"], "the replica's GTID position")
	assert.Equal(t, out["serverVersion"].Value, status["serverVersion"])

	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	_, err = c.stack.Preview(ctx, optpreview.ExpectNoChanges(), optpreview.ProgressStreams(testWriter(t)))
	require.NoError(t, err, "a second run changes nothing")

	state := c.export()
	for name, secret := range map[string]string{"the private key": key, "the password": consumerPassword} {
		assert.NotContains(t, state, secret, "%s in the state in plain text", name)
	}
	destroy := c.destroy()
	t.Logf("%s building blocks: up %s, destroy %s", language, up.Round(time.Second), destroy.Round(time.Second))
}
