package local

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// TestLocalBackupStoreWiring: the local store is a host of its own at the
// subnet's .9, running the gateway on TLS signed by the stack's CA (on the
// server, where the CA key stays), its port open to the server only, its
// keys on stdin only; the MySQL image gets the backup tools; the server's
// backups wait for all of it and receive the keys on stdin.
func TestLocalBackupStoreWiring(t *testing.T) {
	w := runClientServerLocally(t, []string{"app1"})
	m, p := w.m, w.p
	name := clientserver.StoreName
	hostCmd, ok := m.Named("command:local:Command", name+"-host-namespaces")
	require.True(t, ok, "the store's host")
	assert.Equal(t, "10.213.0.9", env(t, hostCmd)["MCS_ADDRESS"])
	assert.Equal(t, p.StoreNetns(), env(t, hostCmd)["MCS_NETNS"])

	sign, ok := m.Named("command:remote:Command", name+"-tls-sign")
	require.True(t, ok, "the store's certificate is signed by the stack's CA")
	signCreate, _ := mocktest.Str(sign.Inputs, "create")
	assert.Contains(t, signCreate, "tls-sign.sh")
	assert.Contains(t, signCreate, "MCS_CERT_ADDRESS='10.213.0.9'")

	serve, ok := m.Named("command:local:Command", name+"-serve")
	require.True(t, ok)
	e := env(t, serve)
	assert.Equal(t, "10.213.0.9", e["MCS_STORE_ADDRESS"])
	assert.Equal(t, "7070", e["MCS_STORE_PORT"])
	assert.Equal(t, filepath.Join(DefaultStateDir, "backups", p.id()+"-"+name), e["MCS_STORE_DIR"], "under the stack's state directory")
	assert.Contains(t, e["MCS_TLS_CERT"], "BEGIN CERTIFICATE")
	assert.Equal(t, "yes", e["MCS_KEEP"], "the backups outlive the stack by default")
	for k, v := range e {
		assert.NotContains(t, v, "mock-secret-key", "%s: no key in the environment", k)
	}
	assert.True(t, serve.Inputs["stdin"].IsSecret(), "the keys go on stdin, as a secret")
	stdin, _ := mocktest.Str(serve.Inputs, "stdin")
	assert.Equal(t, "mock-access-key\nmock-secret-key\n", stdin)
	_, hasDelete := mocktest.Str(serve.Inputs, "delete")
	assert.True(t, hasDelete, "destroy stops the gateway")

	ingress, ok := m.Named("command:local:Command", name+"-ingress-nftables")
	require.True(t, ok)
	ie := env(t, ingress)
	assert.Equal(t, "7070", ie["MCS_PORT"])
	assert.Equal(t, "10.213.0.10", strings.TrimSpace(ie["MCS_CLIENT_ADDRESSES"]), "the server only: clients and replicas cannot reach the backups")
	assert.Equal(t, "10.213.0.1", ie["MCS_SSH_SOURCES"])

	tools, ok := m.Named("command:local:Command", name+"-image-tools")
	require.True(t, ok, "the MySQL image gets rclone and zstd")
	assert.NotEmpty(t, env(t, tools)["MCS_IMAGE"])

	install, ok := m.Named("command:remote:Command", "mysql-backup-install")
	require.True(t, ok)
	for _, dep := range []string{name + "-serve", name + "-ingress-nftables", name + "-image-tools"} {
		assert.True(t, dependsOn(install, "command:local:Command", dep), "the install waits for %s", dep)
	}
	create, _ := mocktest.Str(install.Inputs, "create")
	assert.Contains(t, create, "MCS_STORE_ENDPOINT='https://10.213.0.9:7070'")
	assert.Contains(t, create, "MCS_STORE_CA='-----BEGIN CERTIFICATE-----")
	assert.NotContains(t, create, "mock-secret-key")
	assert.True(t, install.Inputs["stdin"].IsSecret())
	stdin, _ = mocktest.Str(install.Inputs, "stdin")
	assert.Equal(t, "mock-access-key\nmock-secret-key\n"+mocktest.Password+"\n", stdin, "the keys and the passphrase")
}

// TestLocalBackupsOffMakeNoStore: backups off leave the stack as it was
// before them.
func TestLocalBackupsOffMakeNoStore(t *testing.T) {
	w := runLocally(t, "", clientserver.Args{Clients: []string{"app1"}, NoBackups: true})
	assert.Empty(t, w.m.OfType(StoreType))
	for _, r := range w.m.Resources() {
		assert.NotContains(t, r.Name, "backup", "no backup resource: %s", r.Name)
	}
}

// TestLocalRestoreHostWiring: with RestoreHost, make restore's host sits at
// the subnet's .8, below the store, in a namespace of its own, and gets a
// read-only gateway of its own over the store's directory, on its own
// loopback, with keys of its own on stdin; the store's port stays the
// server's only.
func TestLocalRestoreHostWiring(t *testing.T) {
	w := runLocally(t, "", clientserver.Args{Clients: []string{"app1"}, RestoreHost: true})
	m, p := w.m, w.p
	hostCmd, ok := m.Named("command:local:Command", clientserver.RestoreHostName+"-namespaces")
	require.True(t, ok, "the restore host")
	assert.Equal(t, "10.213.0.8", env(t, hostCmd)["MCS_ADDRESS"])
	assert.Equal(t, p.RestoreNetns(), env(t, hostCmd)["MCS_NETNS"])
	client, ok := m.Named("command:local:Command", "mysql-app1-namespaces")
	require.True(t, ok)
	assert.Equal(t, "10.213.0.11", env(t, client)["MCS_ADDRESS"], "the clients keep their addresses")

	reader, ok := m.Named("command:local:Command", clientserver.StoreName+"-"+clientserver.RestoreHostName+"-reader")
	require.True(t, ok, "the restore host's read-only gateway")
	e := env(t, reader)
	assert.Equal(t, p.RestoreNetns(), e["MCS_NETNS"], "in the restore host's namespace")
	assert.Equal(t, filepath.Join(DefaultStateDir, "backups", p.id()+"-"+clientserver.StoreName), e["MCS_STORE_DIR"])
	create, _ := mocktest.Str(reader.Inputs, "create")
	assert.Contains(t, create, "--readonly --port \"127.0.0.1:$MCS_STORE_PORT\"", "read only, on its loopback")
	assert.True(t, reader.Inputs["stdin"].IsSecret(), "its keys go on stdin, as a secret")
	for _, key := range []string{"access-key", "secret-key"} {
		_, ok := m.Named("command:local:Command", reader.Name+"-"+key)
		assert.True(t, ok, "a %s of its own, generated apart from the server's", key)
	}
	assert.True(t, dependsOn(reader, "command:local:Command", clientserver.RestoreHostName+"-namespaces"),
		"it starts in the restore host's namespace once there is one, and stops before it goes")
	_, hasDelete := mocktest.Str(reader.Inputs, "delete")
	assert.True(t, hasDelete, "removing the host stops its gateway")

	install, ok := m.Named("command:remote:Command", "mysql-backup-reader-install")
	require.True(t, ok)
	ic, _ := mocktest.Str(install.Inputs, "create")
	assert.Contains(t, ic, "MCS_STORE_ENDPOINT='http://127.0.0.1:7071'")
	assert.Contains(t, ic, "MCS_BACKUP_READER='yes'")
	ingress, ok := m.Named("command:local:Command", clientserver.StoreName+"-ingress-nftables")
	require.True(t, ok)
	assert.Equal(t, "10.213.0.10", strings.TrimSpace(env(t, ingress)["MCS_CLIENT_ADDRESSES"]), "the store's own port: the server only")
	assert.Contains(t, w.outputs["sshCommands"].Value, clientserver.RestoreHostName, "make restore reaches it")
}
