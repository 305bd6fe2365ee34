package clientserver

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/keypair"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// fakePlatform is a host.Platform that makes each host out of one local
// command (its Ready resource) with fixed addresses: the i-th host is
// 198.51.100.(10+i) publicly and 10.9.0.(10+i) privately. It records how it
// was called.
type fakePlatform struct {
	validateErr error
	validated   int
	specs       []host.Spec
	keys        host.KeyMaterial
	ingress     []ingressCall
	// deployed is what DeployedEngine answers, specsErr CheckSpecs.
	deployed host.Engine
	specsErr error
}

type ingressCall struct {
	server  string
	clients []string
	port    int
}

var _ host.Platform = (*fakePlatform)(nil)

func (f *fakePlatform) Validate() error {
	f.validated++
	return f.validateErr
}

func (f *fakePlatform) CheckSpecs([]host.Spec) error { return f.specsErr }

func (f *fakePlatform) DeployedEngine(string) (host.Engine, string) {
	return f.deployed, "the fake's data"
}

func (f *fakePlatform) NewHosts(ctx *pulumi.Context, parent pulumi.Resource, keys host.KeyMaterial, specs []host.Spec) ([]*host.Host, error) {
	f.specs = append(f.specs, specs...)
	f.keys = keys
	var hosts []*host.Host
	for i, s := range specs {
		ready, err := local.NewCommand(ctx, s.Name+"-machine", &local.CommandArgs{Create: pulumi.String("true")},
			pulumi.Parent(parent), pulumi.DependsOn([]pulumi.Resource{keys.Resource}))
		if err != nil {
			return nil, err
		}
		hosts = append(hosts, &host.Host{
			Name:           s.Name,
			Role:           s.Role,
			PublicAddress:  pulumi.String(fmt.Sprintf("198.51.100.%d", 10+i)).ToStringOutput(),
			PrivateAddress: pulumi.String(fmt.Sprintf("10.9.0.%d", 10+i)).ToStringOutput(),
			SSHPort:        pulumi.Int(22).ToIntOutput(),
			User:           pulumi.String("tester").ToStringOutput(),
			PrivateKey:     keys.PrivateKey,
			HostKey:        pulumi.String("").ToStringOutput(),
			Ready:          ready,
			Engine:         s.Engine,
		})
	}
	return hosts, nil
}

func (f *fakePlatform) NewIngress(ctx *pulumi.Context, parent pulumi.Resource, server *host.Host, clients []*host.Host, port int, open bool) (pulumi.Resource, error) {
	c := ingressCall{server: server.Name, port: port}
	for _, h := range clients {
		c.clients = append(c.clients, h.Name)
	}
	f.ingress = append(f.ingress, c)
	// Named as the platforms name an ingress: one per server, the primary's
	// and each replica's.
	name, _ := host.IngressName(parent, server)
	return local.NewCommand(ctx, "fake-"+name, &local.CommandArgs{Create: pulumi.String("true")}, pulumi.Parent(parent))
}

// run builds a ClientServer "cs" under mocks and resolves every output
// Outputs() names.
func run(t *testing.T, args *Args) (*mocktest.Mocks, *ClientServer, map[string]mocktest.Awaited) {
	t.Helper()
	m := mocktest.New(t)
	// fakePlatform's stand-ins: a host's Ready, an ingress.
	m.On(mocktest.LocalCommand, "*-machine", mocktest.StandIn)
	m.On(mocktest.LocalCommand, "*-ingress", mocktest.StandIn)
	out := map[string]mocktest.Awaited{}
	var cs *ClientServer
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		var err error
		if cs, err = New(ctx, "cs", args); err != nil {
			return err
		}
		for k, o := range cs.Outputs() {
			a, err := mocktest.Await(ctx, pulumi.ToOutput(o))
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			out[k] = a
		}
		// The typed Go fields, under their Go names.
		for k, o := range map[string]pulumi.Output{"ClientProofs": cs.ClientProofs, "ReplicaProofs": cs.ReplicaProofs} {
			if out[k], err = mocktest.Await(ctx, o); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		return nil
	})
	require.NoError(t, err)
	return m, cs, out
}

func str(t *testing.T, r mocktest.Resource, key string) string {
	t.Helper()
	s, ok := mocktest.Str(r.Inputs, key)
	require.True(t, ok, "%s has a string %s", r.Name, key)
	return s
}

func TestDefaults(t *testing.T) {
	f := &fakePlatform{}
	m, cs, out := run(t, &Args{Platform: f})

	comp, ok := m.Named(Type, "cs")
	require.True(t, ok)
	assert.False(t, comp.Custom)
	assert.Equal(t, 1, f.validated, "the platform is validated once")

	assert.Equal(t, []host.Spec{
		{Name: DefaultServerName, Role: host.RoleServer, Engine: host.EngineMySQL},
		{Name: "mysql_client", Role: host.RoleClient, Engine: host.EngineMySQL},
	}, f.specs, "one server and one client named mysql_client")
	require.Len(t, cs.Hosts, 2)
	assert.Equal(t, "mysql_server", cs.Hosts[0].Name, "the server comes first")
	assert.Equal(t, []ingressCall{{server: "mysql_server", clients: []string{"mysql_client"}, port: 3306}}, f.ingress,
		"port 3306 opened on the server to the client")
	_, isKeyPair := f.keys.Resource.(*keypair.KeyPair)
	assert.True(t, isKeyPair, "the platform gets the key pair component")

	gen, ok := m.Named("command:local:Command", "cs-password")
	require.True(t, ok, "a password is generated")
	assert.Equal(t, resource.NewStringProperty("none"), gen.Inputs["logging"], "the generated password is not logged")
	assert.Contains(t, gen.Parent, Type)
	assert.Contains(t, str(t, gen, "create"), "/dev/urandom", "the generator is the password script")
	assert.True(t, out["password"].Secret, "the password is secret")
	assert.Equal(t, "mock-generated-password-0123456789", out["password"].Value)

	user, ok := m.Named("command:remote:Command", "mysql_client-cs-user-account")
	require.True(t, ok, "one account for the client")
	assert.True(t, user.Inputs["stdin"].IsSecret())
	assert.Equal(t, "mock-generated-password-0123456789", str(t, user, "stdin"), "the account gets the generated password")
	create := str(t, user, "create")
	assert.Contains(t, create, "MCS_USER='app'")
	assert.Contains(t, create, "MCS_DATABASE='app'")
	assert.Contains(t, create, "MCS_USER_HOST='10.9.0.11'", "the account's host is the client's private address")
	assert.Len(t, m.OfType(mysql.UserType), 1)

	install, ok := m.Named("command:remote:Command", "cs-server-install")
	require.True(t, ok)
	create = str(t, install, "create")
	assert.Contains(t, create, "MCS_PORT='3306'")
	assert.Contains(t, create, "MCS_BIND_ADDRESS='10.9.0.10'")
	_, ok = m.Named("command:remote:Command", "mysql_client-cs-client-install")
	assert.True(t, ok, "the client gets the MySQL client")

	_, ok = m.Named("command:local:Command", "cs-ssh-generate")
	assert.True(t, ok, "an SSH key is generated")

	assert.Equal(t, "app", out["userName"].Value)
	assert.False(t, out["userName"].Secret)
	assert.Equal(t, "app", out["database"].Value)
	assert.Equal(t, "198.51.100.10", out["serverPublicAddress"].Value)
	assert.Equal(t, "10.9.0.10", out["serverPrivateAddress"].Value)
	assert.Equal(t, map[string]string{"mysql_client": "198.51.100.11"}, out["clientPublicAddresses"].Value)
	assert.Equal(t, map[string]string{"mysql_client": "10.9.0.11"}, out["clientPrivateAddresses"].Value)
	assert.Equal(t, map[string]string{"mysql_client": "app@10.9.0.11"}, out["accounts"].Value)
	assert.Equal(t, map[string]string{"mysql_client": "mysql -h 10.9.0.10 -P 3306 -u 'app' -p 'app'"}, out["mysqlCommands"].Value)
	assert.Equal(t, map[string]string{
		"mysql_server": "ssh -i mysql-client-server.key -p 22 tester@198.51.100.10",
		"mysql_client": "ssh -i mysql-client-server.key -p 22 tester@198.51.100.11",
	}, out["sshCommands"].Value)
	assert.Equal(t, "10.11.19-MariaDB", out["serverVersion"].Value, "the first line of the install's output")

	signer, err := ssh.ParsePrivateKey([]byte(m.PrivateKey))
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))), out["publicKey"].Value)
	assert.False(t, out["publicKey"].Secret)
	assert.True(t, out["privateKey"].Secret)
	assert.Equal(t, m.PrivateKey, out["privateKey"].Value)
}

func TestExplicitSettingsAreUsed(t *testing.T) {
	f := &fakePlatform{}
	const pw = "explicit-password-0123"
	m, cs, out := run(t, &Args{
		Platform:   f,
		ServerName: "db",
		Clients:    []string{"web", "worker"},
		UserName:   pulumi.String("reader"),
		Password:   pulumi.String(pw), // plain: the component still keeps it secret
		Database:   pulumi.String("shop"),
		Port:       3307,
	})
	for _, r := range m.OfType("command:local:Command") {
		assert.False(t, strings.HasSuffix(r.Name, "-password"), "no password is generated when one is given: %s", r.Name)
	}
	assert.Equal(t, []string{"db", "web", "worker"}, []string{f.specs[0].Name, f.specs[1].Name, f.specs[2].Name})
	assert.Equal(t, []ingressCall{{server: "db", clients: []string{"web", "worker"}, port: 3307}}, f.ingress)
	require.Len(t, cs.Users, 2)

	for i, c := range []string{"web", "worker"} {
		user, ok := m.Named("command:remote:Command", c+"-cs-user-account")
		require.True(t, ok, c)
		assert.Equal(t, pw, str(t, user, "stdin"), "the given password")
		assert.True(t, user.Inputs["stdin"].IsSecret())
		create := str(t, user, "create")
		assert.NotContains(t, create, pw)
		assert.Contains(t, create, "MCS_USER='reader'")
		assert.Contains(t, create, "MCS_DATABASE='shop'")
		assert.Contains(t, create, fmt.Sprintf("MCS_USER_HOST='10.9.0.%d'", 11+i))
	}
	install, ok := m.Named("command:remote:Command", "cs-server-install")
	require.True(t, ok)
	assert.Contains(t, str(t, install, "create"), "MCS_PORT='3307'")

	assert.True(t, out["password"].Secret, "a plain password is output as a secret")
	assert.Equal(t, pw, out["password"].Value)
	assert.Equal(t, "reader", out["userName"].Value)
	assert.Equal(t, "shop", out["database"].Value)
	assert.Equal(t, "mysql -h 10.9.0.10 -P 3307 -u 'reader' -p 'shop'", out["mysqlCommands"].Value.(map[string]string)["worker"])
	assert.Equal(t, "reader@10.9.0.12", out["accounts"].Value.(map[string]string)["worker"])
}

func TestImportedSSHKeyIsUsed(t *testing.T) {
	m0 := mocktest.New(t) // only for its fresh private key
	f := &fakePlatform{}
	m, _, out := run(t, &Args{Platform: f, SSHPrivateKey: pulumi.ToSecret(pulumi.String(m0.PrivateKey)).(pulumi.StringOutput)})
	_, generated := m.Named("command:local:Command", "cs-ssh-generate")
	assert.False(t, generated, "no key is generated when one is given")
	signer, err := ssh.ParsePrivateKey([]byte(m0.PrivateKey))
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))), out["publicKey"].Value)
	assert.Equal(t, m0.PrivateKey, out["privateKey"].Value)
}

func TestValidateHostNames(t *testing.T) {
	long := "c" + strings.Repeat("x", 31)
	cases := []struct {
		name    string
		server  string
		clients []string
		index   int
		expect  string // "" when valid
	}{
		{"defaults", "mysql_server", []string{"mysql_client"}, -1, ""},
		{"several", "db", []string{"a-1", "B_2", long}, -1, ""},
		{"server starts with a digit", "1db", []string{"a"}, -1, "expected a letter"},
		{"server empty", "", []string{"a"}, -1, "expected a letter"},
		{"no clients", "db", []string{}, -1, "at least one client"},
		{"nil clients", "db", nil, -1, "at least one client"},
		{"client with a space", "db", []string{"a", "bad name"}, 1, "expected a letter"},
		{"client too long", "db", []string{long + "x"}, 0, "expected a letter"},
		{"client with a dot", "db", []string{"a.b"}, 0, "expected a letter"},
		{"client non-ASCII", "db", []string{"clïent"}, 0, "expected a letter"},
		{"client starts with a dash", "db", []string{"-a"}, 0, "expected a letter"},
		{"duplicate client", "db", []string{"a", "b", "a"}, 2, "used twice"},
		{"client named like the server", "db", []string{"db"}, 0, "used twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			i, err := ValidateHostNames(tc.server, tc.clients)
			assert.Equal(t, tc.index, i)
			if tc.expect == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.expect)
		})
	}
}

func TestInvalidArgsFailBeforeAnythingIsCreated(t *testing.T) {
	cases := []struct {
		name   string
		args   func(*fakePlatform) *Args
		expect string
	}{
		{"nil args", func(*fakePlatform) *Args { return nil }, "ClientServerArgs.Platform: required"},
		{"nil platform", func(*fakePlatform) *Args { return &Args{} }, "ClientServerArgs.Platform: required"},
		{"empty clients", func(f *fakePlatform) *Args { return &Args{Platform: f, Clients: []string{}} }, "ClientServerArgs.Clients: is empty"},
		{"duplicate clients", func(f *fakePlatform) *Args { return &Args{Platform: f, Clients: []string{"a", "a"}} }, "ClientServerArgs.Clients[1]: \"a\" is used twice"},
		{"client like the server", func(f *fakePlatform) *Args { return &Args{Platform: f, Clients: []string{"mysql_server"}} }, "ClientServerArgs.Clients[0]"},
		{"bad client", func(f *fakePlatform) *Args { return &Args{Platform: f, Clients: []string{"ok", "not ok"}} }, "ClientServerArgs.Clients[1]"},
		{"bad server name", func(f *fakePlatform) *Args { return &Args{Platform: f, ServerName: "my server"} }, "ClientServerArgs.ServerName"},
		{"port too big", func(f *fakePlatform) *Args { return &Args{Platform: f, Port: 65536} }, "ClientServerArgs.Port: 65536: expected a TCP port 1024-65535"},
		{"port negative", func(f *fakePlatform) *Args { return &Args{Platform: f, Port: -3306} }, "ClientServerArgs.Port"},
		{"reserved user", func(f *fakePlatform) *Args { return &Args{Platform: f, UserName: pulumi.String("root")} }, "ClientServerArgs.UserName"},
		{"bad database", func(f *fakePlatform) *Args { return &Args{Platform: f, Database: pulumi.String("a.b")} }, "ClientServerArgs.Database"},
		{"unknown engine", func(f *fakePlatform) *Args { return &Args{Platform: f, Engine: "postgres"} }, "ClientServerArgs.Engine: \"postgres\" is not an engine: expected mysql or mariadb"},
		{"engine other than the data's", func(f *fakePlatform) *Args {
			f.deployed = host.EngineMariaDB
			return &Args{Platform: f, Engine: host.EngineMySQL}
		}, "ClientServerArgs.Engine: \"mysql\", but the server mysql_server already holds mariadb data (the fake's data): changing the engine would replace the database. To keep it, set engine back: pulumi config set engine mariadb. To migrate"},
		{"platform settings", func(f *fakePlatform) *Args {
			f.validateErr = errors.New("operatorCidr: required")
			return &Args{Platform: f}
		}, "operatorCidr: required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakePlatform{}
			m := mocktest.New(t)
			err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
				_, err := New(ctx, "cs", tc.args(f))
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.expect)
			assert.Empty(t, m.Resources(), "nothing is registered")
			assert.Empty(t, f.specs, "no host is asked for")
		})
	}
}

// A stack made before the engine key keeps the engine its data was made by;
// a new one gets the default; an explicit engine is used as given.
func TestEngineDefaultsToWhatTheServerRuns(t *testing.T) {
	for _, c := range []struct {
		deployed, asked, want host.Engine
	}{
		{"", "", host.EngineMySQL},
		{host.EngineMariaDB, "", host.EngineMariaDB},
		{host.EngineMySQL, "", host.EngineMySQL},
		{"", host.EngineMariaDB, host.EngineMariaDB},
		{host.EngineMariaDB, host.EngineMariaDB, host.EngineMariaDB},
	} {
		f := &fakePlatform{deployed: c.deployed}
		_, cs, _ := run(t, &Args{Platform: f, Engine: c.asked})
		for _, s := range f.specs {
			assert.Equal(t, c.want, s.Engine, "%+v: %s", c, s.Name)
		}
		for _, h := range cs.Hosts {
			assert.Equal(t, c.want, h.Engine, "%+v: %s", c, h.Name)
		}
	}
}

// TestRemoteCommandsSendNoPreviousOutput: no script reads
// PULUMI_COMMAND_STDOUT, and an sshd without AcceptEnv for it (EC2's)
// refuses it with a warning on every update and delete.
func TestRemoteCommandsSendNoPreviousOutput(t *testing.T) {
	m, _, _ := run(t, &Args{Platform: &fakePlatform{}, Clients: []string{"c1", "c2"}})
	cmds := m.OfType("command:remote:Command")
	require.NotEmpty(t, cmds)
	for _, r := range cmds {
		v, ok := r.Inputs["addPreviousOutputInEnv"]
		if assert.True(t, ok, "%s sets addPreviousOutputInEnv", r.Name) {
			assert.False(t, v.BoolValue(), "%s: addPreviousOutputInEnv is false", r.Name)
		}
	}
}
