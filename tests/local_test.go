package tests

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/tests/harness"
)

const testPassword = "integration-test-password-42"

// proveClientConnects: from the client host, the account connects over TCP
// to the server's address, runs queries, and is user@client-address.
func proveClientConnects(t *testing.T, out map[string]any, client string) {
	t.Helper()
	user := out["userName"].(string)
	clientAddr := out["clientPrivateAddresses"].(map[string]string)[client]
	got, err := mysqlOnClient(t, out, client, user, testPassword,
		"SELECT CURRENT_USER(); CREATE TABLE IF NOT EXISTS app.proof (client VARCHAR(64) PRIMARY KEY, at DATETIME);"+
			"REPLACE INTO app.proof VALUES ('"+client+"', NOW()); SELECT COUNT(*) FROM app.proof WHERE client='"+client+"';")
	require.NoError(t, err, "%s logs in to the server", client)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	require.Len(t, lines, 2, "output: %q", got)
	assert.Equal(t, user+"@"+clientAddr, lines[0], "CURRENT_USER() is the account at the client's address")
	assert.Equal(t, "1", lines[1], "the row the client wrote reads back")
}

func TestLocalStackEndToEnd(t *testing.T) {
	e := newLocalEnv(t, "10.213.201.0/24", []string{"mysql_client"}, testPassword)
	// Both runs stand for one stack whose state the second run replaces, so
	// only the latest run's deletes are owed at teardown.
	first := harness.New(harness.WithLog(t.Logf))
	second := harness.New(harness.WithLog(t.Logf))
	latest := first
	t.Cleanup(func() { e.teardown(latest) })

	// A third host on the same bridge that is not a client.
	outsiderNetns, _, withOutsider := e.outsider()

	out := e.run(first, withOutsider)
	server := out["serverPrivateAddress"].(string)
	clientNetns := e.platform.Netns(1)

	t.Run("client connects as user@client", func(t *testing.T) {
		proveClientConnects(t, out, "mysql_client")
	})
	t.Run("hosts are separate machines", func(t *testing.T) {
		key := out["privateKey"].(string)
		name, _, err := sshRun(t, out["serverPublicAddress"].(string), key, "hostname; ls /var/lib/mysql | grep -c . ", "")
		require.NoError(t, err)
		assert.Equal(t, "mysql-server", strings.Fields(name)[0])
		name, _, err = sshRun(t, out["clientPublicAddresses"].(map[string]string)["mysql_client"], key, "hostname; ls -A /var/lib/mysql | wc -l", "")
		require.NoError(t, err)
		assert.Equal(t, []string{"mysql-client", "0"}, strings.Fields(name), "the client has its own, empty /var/lib/mysql")
	})
	t.Run("only clients reach 3306", func(t *testing.T) {
		require.NoError(t, tcpFromNetns(clientNetns, server, 3306), "control: the client reaches 3306 with the same probe")
		err := tcpFromNetns(outsiderNetns, server, 3306)
		require.Error(t, err, "a third host on the bridge must not reach 3306")
		assert.Equal(t, "timeout", err.Error(), "the packets are dropped")

		conn, err := net.DialTimeout("tcp", net.JoinHostPort(server, "3306"), 3*time.Second)
		if conn != nil {
			conn.Close()
		}
		require.Error(t, err, "the operator must not reach 3306")
		assert.True(t, isTimeoutOrRefused(err), "operator: %v", err)

		_, _, err = sshRun(t, out["serverPublicAddress"].(string), out["privateKey"].(string), "true", "")
		assert.NoError(t, err, "SSH from the operator works")
		assert.Equal(t, "timeout", fmt.Sprint(tcpFromNetns(clientNetns, server, 22)), "SSH to the server from a client is dropped")
	})
	t.Run("bind-address is the private address, X protocol off the network", func(t *testing.T) {
		ss, err := exec.Command("ip", "netns", "exec", e.platform.Netns(0), "ss", "-Hltn").Output()
		require.NoError(t, err)
		assert.Contains(t, string(ss), server+":3306")
		assert.NotContains(t, string(ss), "0.0.0.0:3306")
		assert.NotContains(t, string(ss), "*:33060")
	})

	// The whole program again, over the same hosts, with fresh mocks: every
	// create script runs a second time.
	hostKey := hostKeyOf(t, out)
	again := e.run(second, withOutsider)
	latest = second
	t.Run("second run converges", func(t *testing.T) {
		assert.Equal(t, out["serverPrivateAddress"], again["serverPrivateAddress"])
		assert.Equal(t, hostKey, hostKeyOf(t, again), "the server host was not re-created")
		proveClientConnects(t, again, "mysql_client")
		assert.Error(t, tcpFromNetns(outsiderNetns, server, 3306), "still closed to the third host")
	})

	// Teardown, in reverse creation order; the cleanup checks nothing is left.
	require.NoError(t, second.Teardown())
	order := second.DeleteOrder()
	pos := func(name string) int {
		for i, n := range order {
			if n == name {
				return i
			}
		}
		t.Fatalf("%s was not deleted; order: %v", name, order)
		return -1
	}
	assert.Less(t, pos("mysql_client-mysql-user-account"), pos("mysql_server-namespaces"), "the account is dropped before its server host goes")
	assert.Less(t, pos("mysql-ingress-nftables"), pos("mysql_server-namespaces"), "the ruleset goes before its host")
	assert.Empty(t, e.leftovers(), "no namespace, process, bridge or directory is left")
}

func TestLocalStackTwoClients(t *testing.T) {
	clients := []string{"mysql_client", "mysql_client2"}
	e := newLocalEnv(t, "10.213.202.0/24", clients, testPassword)
	m := harness.New(harness.WithLog(t.Logf))
	t.Cleanup(func() { e.teardown(m) })

	out := e.run(m, nil)
	accounts := out["accounts"].(map[string]string)
	require.Len(t, accounts, 2)
	privates := out["clientPrivateAddresses"].(map[string]string)
	for _, c := range clients {
		t.Run(c, func(t *testing.T) {
			assert.Equal(t, "app@"+privates[c], accounts[c], "each client has its own account")
			proveClientConnects(t, out, c)
		})
	}
	rules, err := exec.Command("ip", "netns", "exec", e.platform.Netns(0), "nft", "list", "ruleset").Output()
	require.NoError(t, err)
	for _, c := range clients {
		assert.Contains(t, string(rules), privates[c], "the ruleset admits %s", c)
	}
}

func hostKeyOf(t *testing.T, out map[string]any) string {
	t.Helper()
	k, _, err := sshRun(t, out["serverPublicAddress"].(string), out["privateKey"].(string),
		"cat /var/lib/mysql-client-server-host/ssh/ssh_host_ed25519_key.pub 2>/dev/null || cat /etc/ssh/ssh_host_ed25519_key.pub 2>/dev/null || ssh-keygen -y -f \"$(ls /var/lib/mysql-client-server*/*/*/ssh/ssh_host_ed25519_key 2>/dev/null | head -1)\"", "")
	require.NoError(t, err)
	return k
}

func isTimeoutOrRefused(err error) bool {
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return true
	}
	return strings.Contains(err.Error(), "connection refused")
}
