package mysql

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/shell"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// Addresses of the test hosts.
const (
	serverPublic  = "203.0.113.10"
	serverPrivate = "10.0.0.10"
	clientPublic  = "203.0.113.11"
	clientPrivate = "10.0.0.11"
	testHostKey   = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestHostKey"
	testSSHPort   = 2222
)

// newMocks are the mocks of this package's tests: mocktest's, and the
// stand-in newTestHost makes for each host's Ready (<name>-ready), which
// prints nothing.
func newMocks(t *testing.T) *mocktest.Mocks {
	m := mocktest.New(t)
	m.On(mocktest.LocalCommand, "*-ready", mocktest.StandIn)
	return m
}

// newTestHost builds a Host out of Pulumi outputs, as a platform would: its
// Ready resource is a local command named <name>-ready, a stand-in (newMocks
// answers it).
func newTestHost(ctx *pulumi.Context, name string, role host.Role, public, private string) (*host.Host, error) {
	ready, err := local.NewCommand(ctx, name+"-ready", &local.CommandArgs{Create: pulumi.String("true")})
	if err != nil {
		return nil, err
	}
	return &host.Host{
		Name:           name,
		Role:           role,
		PublicAddress:  pulumi.String(public).ToStringOutput(),
		PrivateAddress: ready.Stdout.ApplyT(func(string) string { return private }).(pulumi.StringOutput),
		SSHPort:        pulumi.Int(testSSHPort).ToIntOutput(),
		User:           pulumi.String("ubuntu").ToStringOutput(),
		PrivateKey:     pulumi.ToSecret(pulumi.String("TEST PRIVATE KEY")).(pulumi.StringOutput),
		HostKey:        pulumi.String(testHostKey).ToStringOutput(),
		Ready:          ready,
	}, nil
}

// dependsOn says whether r was registered with a dependency on the resource
// of that type and name.
func dependsOn(r mocktest.Resource, token, name string) bool {
	for _, d := range r.Dependencies {
		if strings.HasSuffix(d, "::"+token+"::"+name) || strings.HasSuffix(d, "$"+token+"::"+name) {
			return true
		}
	}
	return false
}

// connection is a remote command's SSH connection, resolved.
type connection struct {
	host, user, hostKey string
	port                float64
	keySecret           bool
	dialErrorLimit      float64
}

func connectionOf(t *testing.T, r mocktest.Resource) connection {
	t.Helper()
	raw, ok := r.Inputs["connection"]
	require.True(t, ok, "%s has a connection", r.Name)
	v, whole := mocktest.Plain(raw)
	require.True(t, v.IsObject(), "%s: connection is an object", r.Name)
	o := v.ObjectValue()
	var c connection
	c.host, _ = mocktest.Str(o, "host")
	c.user, _ = mocktest.Str(o, "user")
	c.hostKey, _ = mocktest.Str(o, "hostKey")
	if p, ok := o["port"]; ok {
		p, _ = mocktest.Plain(p)
		c.port = p.NumberValue()
	}
	if d, ok := o["dialErrorLimit"]; ok {
		d, _ = mocktest.Plain(d)
		c.dialErrorLimit = d.NumberValue()
	}
	c.keySecret = whole || o["privateKey"].IsSecret()
	return c
}

// only returns the registrations other than the given names.
func others(m *mocktest.Mocks, names ...string) []string {
	skip := map[string]bool{}
	for _, n := range names {
		skip[n] = true
	}
	var out []string
	for _, r := range m.Resources() {
		if !skip[r.Name] {
			out = append(out, r.Type+"::"+r.Name)
		}
	}
	return out
}

func str(t *testing.T, r mocktest.Resource, key string) string {
	t.Helper()
	s, ok := mocktest.Str(r.Inputs, key)
	require.True(t, ok, "%s has a string %s", r.Name, key)
	return s
}

// reRunsCreate asserts that r has no update command, so that pulumi-command
// (v1.2.1) runs its create command again, in place, when its inputs change:
// the state keeps each script once.
func reRunsCreate(t *testing.T, r mocktest.Resource, msg string) {
	t.Helper()
	_, ok := r.Inputs["update"]
	assert.False(t, ok, "%s: no update command: %s", r.Name, msg)
}

// requireArgError runs program under fresh mocks and asserts that it fails
// naming field, without the test password, and registers nothing.
func requireArgError(t *testing.T, field string, program pulumi.RunFunc) {
	t.Helper()
	m := newMocks(t)
	err := mocktest.Run(t, m, nil, nil, program)
	require.Error(t, err)
	assert.Contains(t, err.Error(), field)
	assert.NotContains(t, err.Error(), testPassword, "the error does not leak the password")
	assert.Empty(t, m.Resources(), "nothing is registered")
}

// newTestServer is a Server "db" on a server host "srv" (serverPublic,
// serverPrivate), with the default ServerArgs.
func newTestServer(ctx *pulumi.Context) (*Server, error) {
	h, err := newTestHost(ctx, "srv", host.RoleServer, serverPublic, serverPrivate)
	if err != nil {
		return nil, err
	}
	return NewServer(ctx, "db", &ServerArgs{Host: h})
}

// stagingOn is the one command that stages the scripts on the host with the
// given public address: found by what it runs, not by its name.
func stagingOn(t *testing.T, m *mocktest.Mocks, public string) mocktest.Resource {
	t.Helper()
	want := shell.AsRoot("mysql-client-server/stage-scripts", stager(), nil)
	var found []mocktest.Resource
	for _, r := range m.OfType("command:remote:Command") {
		if c, _ := mocktest.Str(r.Inputs, "create"); c == want && connectionOf(t, r).host == public {
			found = append(found, r)
		}
	}
	require.Len(t, found, 1, "one staging command for the host at %s", public)
	return found[0]
}
