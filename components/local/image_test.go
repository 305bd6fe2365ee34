package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

func TestMySQLHostsRunInTheSharedImage(t *testing.T) {
	w := runLocally(t, "", clientserver.Args{Clients: []string{"a", "b"}, Replicas: 1})
	images := []mocktest.Resource{}
	for _, r := range w.m.OfType("command:local:Command") {
		if strings.HasSuffix(r.Name, "-image-build") {
			images = append(images, r)
		}
	}
	require.Len(t, images, 1, "one image for every host of the stack")
	img := images[0]
	e := env(t, img)
	assert.Equal(t, DefaultImageCache, e["MCS_IMAGE_CACHE"])
	assert.Equal(t, ImageName(), e["MCS_IMAGE_NAME"])
	assert.Equal(t, "sid", e["MCS_IMAGE_SUITE"], "Debian unstable ships Oracle's MySQL")
	assert.Contains(t, e["MCS_IMAGE_PACKAGES"], "mysql-server")
	_, hasDelete := mocktest.Str(img.Inputs, "delete")
	assert.False(t, hasDelete, "destroy keeps the image: it is the machine's cache")
	// Each host's resource is named after the ClientServer "mysql" (a host
	// named "mysql_..." keeps its name).
	for name, resource := range map[string]string{
		"mysql_server": "mysql_server", "a": "mysql-a", "b": "mysql-b", "mysql_replica_1": "mysql_replica_1",
	} {
		r, ok := w.m.Named("command:local:Command", resource+"-namespaces")
		require.True(t, ok, name)
		assert.Equal(t, "/var/cache/mysql-client-server/images/mock", env(t, r)["MCS_IMAGE"], "%s runs in the image", name)
	}
}

// A MariaDB host runs on this machine's root, as every host did before the
// engine key: its inputs are what they were, so an existing stack's hosts
// see no change.
func TestMariaDBHostsRunOnTheMachineAsBefore(t *testing.T) {
	w := runLocally(t, "", clientserver.Args{Engine: host.EngineMariaDB})
	for _, r := range w.m.OfType("command:local:Command") {
		assert.False(t, strings.HasSuffix(r.Name, "-image-build"), "no image for MariaDB: %s", r.Name)
		if strings.HasSuffix(r.Name, "-namespaces") {
			_, ok := env(t, r)["MCS_IMAGE"]
			assert.False(t, ok, "%s has no MCS_IMAGE", r.Name)
		}
	}
}

// dataDir makes the server's data directory of a stack under stateDir, with
// the named files in it.
func dataDir(t *testing.T, p *Platform, files ...string) string {
	t.Helper()
	dir := filepath.Join(p.StateDir, p.id(), "mysql_server", "var-lib-mysql")
	for _, f := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), nil, 0o644))
	}
	return dir
}

func TestDeployedEngineReadsTheServersDataDirectory(t *testing.T) {
	for files, want := range map[string]host.Engine{
		"":                                  "",
		"mysql.ibd,ibdata1":                 host.EngineMySQL,
		"aria_log_control,ibdata1":          host.EngineMariaDB,
		"mysql/global_priv.frm,ib_logfile0": host.EngineMariaDB,
		"ibdata1":                           "",
	} {
		p := &Platform{Name: "n", StateDir: filepath.Join(t.TempDir(), "state")}
		var list []string
		if files != "" {
			list = strings.Split(files, ",")
		}
		dir := dataDir(t, p, list...)
		got, where := p.DeployedEngine("mysql_server")
		assert.Equal(t, want, got, files)
		assert.Equal(t, dir, where)
	}
}

// A stack made by an earlier main (MariaDB, no engine key) keeps MariaDB;
// asking it for MySQL is refused before anything is created.
func TestAStackWithMariaDBDataKeepsIt(t *testing.T) {
	// Not under /tmp, which each host replaces with its own.
	base, err := os.MkdirTemp("/var/tmp", "mcs-engine-test-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	state := filepath.Join(base, "state")
	probe := &Platform{Name: "mysql-client-server/test", StateDir: state, Subnet: DefaultSubnet}
	dataDir(t, probe, "aria_log_control", "mysql/global_priv.frm")

	w := runLocally(t, state, clientserver.Args{})
	r, ok := w.m.Named("command:local:Command", "mysql_server-namespaces")
	require.True(t, ok)
	_, image := env(t, r)["MCS_IMAGE"]
	assert.False(t, image, "the server stays on MariaDB, on the machine")

	m := mocktest.New(t)
	p := &Platform{Name: "mysql-client-server/test", StateDir: state, Preflight: func() error { return nil }}
	err = mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		_, err := clientserver.New(ctx, "mysql", &clientserver.Args{Platform: p, Engine: host.EngineMySQL})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ClientServerArgs.Engine: \"mysql\", but the server mysql_server already holds mariadb data ("+
		filepath.Join(state, p.id(), "mysql_server", "var-lib-mysql")+")")
	assert.Empty(t, m.Resources(), "nothing is created")
}
