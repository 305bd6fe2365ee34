package local

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	localcmd "github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// mockHostKey is what mocktest's <name>-namespaces command prints.
const mockHostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockHostKey"

// preflightCall records one call of a Preflight.
type preflightCall struct{}

// skipMachineCheck is a Preflight for wiring tests: it records that it ran
// and checks nothing about this machine.
func skipMachineCheck(calls *[]preflightCall) func() error {
	return func() error {
		*calls = append(*calls, preflightCall{})
		return nil
	}
}

func TestPlatformValidate(t *testing.T) {
	cases := []struct {
		name     string
		p        Platform
		key      string // "" when valid
		expect   string
		preflown bool // whether Preflight runs
	}{
		{"defaults", Platform{Name: "s"}, "", "", true},
		{"a /16", Platform{Name: "s", Subnet: "10.214.0.0/16"}, "", "", true},
		{"a /27", Platform{Name: "s", Subnet: "10.214.0.32/27"}, "", "", true},
		{"no name", Platform{}, "local.Platform.Name", "required", false},
		{"subnet not a CIDR", Platform{Name: "s", Subnet: "10.213.0.0/33"}, "localSubnet", "a.b.c.d/n", false},
		{"subnet a bare address", Platform{Name: "s", Subnet: "10.213.0.0"}, "localSubnet", "a.b.c.d/n", false},
		{"subnet a name", Platform{Name: "s", Subnet: "lan"}, "localSubnet", "a.b.c.d/n", false},
		{"subnet ipv6", Platform{Name: "s", Subnet: "fd00::/64"}, "localSubnet", "a.b.c.d/n", false},
		{"subnet host bits", Platform{Name: "s", Subnet: "10.213.0.1/24"}, "localSubnet", "expected 10.213.0.0/24", false},
		{"subnet too small /28", Platform{Name: "s", Subnet: "10.213.0.0/28"}, "localSubnet", "/16 to /27", false},
		{"subnet too small /30", Platform{Name: "s", Subnet: "10.213.0.0/30"}, "localSubnet", "/16 to /27", false},
		{"subnet too big /8", Platform{Name: "s", Subnet: "10.0.0.0/8"}, "localSubnet", "/16 to /27", false},
		{"subnet too big /15", Platform{Name: "s", Subnet: "10.212.0.0/15"}, "localSubnet", "/16 to /27", false},
		{"state dir relative", Platform{Name: "s", StateDir: "state"}, "localStateDir", "absolute", false},
		{"state dir dot-relative", Platform{Name: "s", StateDir: "./state"}, "localStateDir", "absolute", false},
		{"state dir root", Platform{Name: "s", StateDir: "/"}, "localStateDir", "clean absolute path", false},
		{"state dir root in disguise", Platform{Name: "s", StateDir: "/var/.."}, "localStateDir", "clean absolute path", false},
		{"state dir under /tmp", Platform{Name: "s", StateDir: "/tmp/mcs"}, "localStateDir", "is under /tmp", false},
		{"state dir under /root", Platform{Name: "s", StateDir: "/root/mcs"}, "localStateDir", "is under /root", false},
		{"state dir with a space", Platform{Name: "s", StateDir: "/var/my state"}, "localStateDir", "clean absolute path", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls []preflightCall
			p := tc.p
			p.Preflight = skipMachineCheck(&calls)
			err := p.Validate()
			if tc.key == "" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.True(t, strings.HasPrefix(err.Error(), tc.key+": "), "the error names the key: %v", err)
				assert.Contains(t, err.Error(), tc.expect)
			}
			if !tc.preflown {
				assert.Empty(t, calls, "the machine is not checked when the settings are wrong")
				return
			}
			require.Len(t, calls, 1, "the machine check runs once")
		})
	}
}

func TestPlatformValidateFillsDefaults(t *testing.T) {
	var calls []preflightCall
	p := &Platform{Name: "s", Preflight: skipMachineCheck(&calls)}
	require.NoError(t, p.Validate())
	assert.Equal(t, DefaultSubnet, p.Subnet)
	assert.Equal(t, DefaultStateDir, p.StateDir)
	assert.Equal(t, "10.213.0.1", p.OperatorAddress().String(), "the operator takes the subnet's first address")
}

func TestPlatformValidateReturnsThePreflightError(t *testing.T) {
	p := &Platform{Name: "s", Preflight: func() error { return errors.New("platform local: no sshd") }}
	err := p.Validate()
	require.Error(t, err)
	assert.Equal(t, "platform local: no sshd", err.Error())
}

func TestPlatformNamesAreShortDistinctAndPerStack(t *testing.T) {
	var calls []preflightCall
	a := &Platform{Name: "proj/dev", Preflight: skipMachineCheck(&calls)}
	b := &Platform{Name: "proj/prod", Preflight: skipMachineCheck(&calls)}
	require.NoError(t, a.Validate())
	require.NoError(t, b.Validate())
	assert.NotEqual(t, a.Bridge(), b.Bridge(), "two stacks get two bridges")
	assert.NotEqual(t, a.Netns(0), b.Netns(0), "two stacks get distinct namespaces")
	again := &Platform{Name: "proj/dev", Preflight: skipMachineCheck(&calls)}
	require.NoError(t, again.Validate())
	assert.Equal(t, a.Bridge(), again.Bridge(), "names are stable across runs")
	assert.LessOrEqual(t, len(a.Bridge()), 15, "Linux interface names have at most 15 characters")
	assert.NotEqual(t, a.Netns(0), a.Netns(1))
}

func TestPlatformAddressesStopBeforeTheBroadcastAddress(t *testing.T) {
	var calls []preflightCall
	p := &Platform{Name: "s", Subnet: "10.213.0.32/27", Preflight: skipMachineCheck(&calls)}
	require.NoError(t, p.Validate())
	first, err := p.address(0)
	require.NoError(t, err)
	assert.Equal(t, "10.213.0.42", first.String(), "hosts start at the subnet's 10th address")
	last, err := p.address(20)
	require.NoError(t, err)
	assert.Equal(t, "10.213.0.62", last.String(), "the last host address, before broadcast .63")
	_, err = p.address(21)
	require.Error(t, err, "the broadcast address is never handed out")
	assert.Contains(t, err.Error(), "localSubnet: 10.213.0.32/27 has no room for host 22")
}

// wiring is what the local wiring test reads from one clientserver run.
type wiring struct {
	m         *mocktest.Mocks
	p         *Platform
	preflight []preflightCall
	outputs   map[string]mocktest.Awaited
}

// runClientServerLocally builds the whole ClientServer on the local platform
// under mocks. The machine check is replaced: this is a wiring test, it
// creates nothing on this machine and does not need root.
func runClientServerLocally(t *testing.T, clients []string) wiring {
	return runLocally(t, "", clientserver.Args{Clients: clients})
}

// runLocally builds a ClientServer of args on a local Platform with its
// hosts under stateDir ("": the default), whose machine check is skipped.
func runLocally(t *testing.T, stateDir string, args clientserver.Args) wiring {
	t.Helper()
	w := wiring{m: mocktest.New(t), outputs: map[string]mocktest.Awaited{}}
	w.p = &Platform{Name: "mysql-client-server/test", Preflight: skipMachineCheck(&w.preflight), StateDir: stateDir}
	args.Platform = w.p
	err := mocktest.Run(t, w.m, nil, nil, func(ctx *pulumi.Context) error {
		cs, err := clientserver.New(ctx, "mysql", &args)
		if err != nil {
			return err
		}
		for k, o := range map[string]pulumi.Output{
			"serverPrivateAddress": cs.ServerPrivateAddress, "clientPrivateAddresses": cs.ClientPrivateAddresses,
			"sshCommands": cs.SSHCommands, "publicKey": cs.PublicKey, "mysqlCommands": cs.MySQLCommands,
		} {
			a, err := mocktest.Await(ctx, o)
			if err != nil {
				return err
			}
			w.outputs[k] = a
		}
		return nil
	})
	require.NoError(t, err)
	return w
}

// env returns a local command's environment.
func env(t *testing.T, r mocktest.Resource) map[string]string {
	t.Helper()
	o, ok := mocktest.Object(r.Inputs, "environment")
	require.True(t, ok, "%s has an environment", r.Name)
	out := map[string]string{}
	for k := range o {
		s, ok := mocktest.Str(o, string(k))
		require.True(t, ok, "%s: %s is a string", r.Name, k)
		out[string(k)] = s
	}
	return out
}

func dependsOn(r mocktest.Resource, token, name string) bool {
	for _, d := range r.Dependencies {
		if strings.HasSuffix(d, "::"+token+"::"+name) || strings.HasSuffix(d, "$"+token+"::"+name) {
			return true
		}
	}
	return false
}

func TestLocalWiringWithMachineCheckSkipped(t *testing.T) {
	w := runClientServerLocally(t, []string{"app1", "app2"})
	m, p := w.m, w.p

	require.Len(t, w.preflight, 1, "the machine check hook is called once")

	signer, err := ssh.ParsePrivateKey([]byte(m.PrivateKey))
	require.NoError(t, err)
	publicKey := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))

	wantAddr := map[string]string{"mysql_server": "10.213.0.10", "app1": "10.213.0.11", "app2": "10.213.0.12"}
	order := []string{"mysql_server", "app1", "app2"}
	// hostResource is each host's resource name: under the ClientServer
	// "mysql", "mysql_server" keeps its name and a client's gets the prefix.
	hostResource := map[string]string{"mysql_server": "mysql_server", "app1": "mysql-app1", "app2": "mysql-app2"}
	var hostCmds []mocktest.Resource
	for _, r := range m.OfType("command:local:Command") {
		// The backup store's host has a test of its own (store_test.go).
		if strings.HasSuffix(r.Name, "-namespaces") && !strings.HasPrefix(r.Name, clientserver.StoreName) {
			hostCmds = append(hostCmds, r)
		}
	}
	require.Len(t, hostCmds, 3, "one namespace host per machine")
	veths := map[string]bool{}
	netns := map[string]bool{}
	for i, name := range order {
		r, ok := m.Named("command:local:Command", hostResource[name]+"-namespaces")
		require.True(t, ok, "host %s", name)
		e := env(t, r)
		assert.Equal(t, wantAddr[name], e["MCS_ADDRESS"], "%s's address", name)
		assert.Equal(t, "10.213.0.1", e["MCS_OPERATOR_ADDRESS"])
		assert.Equal(t, "24", e["MCS_PREFIX"])
		assert.Equal(t, "22", e["MCS_SSH_PORT"])
		assert.Equal(t, strings.ReplaceAll(name, "_", "-"), e["MCS_HOSTNAME"], "a valid hostname")
		assert.Equal(t, p.Bridge(), e["MCS_BRIDGE"], "every host is on the one bridge")
		assert.LessOrEqual(t, len(e["MCS_BRIDGE"]), 15, "bridge name fits IFNAMSIZ")
		assert.LessOrEqual(t, len(e["MCS_VETH"]), 15, "veth name fits IFNAMSIZ")
		assert.NotEqual(t, e["MCS_BRIDGE"], e["MCS_VETH"])
		veths[e["MCS_VETH"]] = true
		assert.Equal(t, p.Netns(i), e["MCS_NETNS"])
		netns[e["MCS_NETNS"]] = true
		assert.Equal(t, filepath.Join(DefaultStateDir, p.id(), name), e["MCS_HOST_DIR"])
		assert.Equal(t, publicKey, e["MCS_AUTHORIZED_KEY"], "the host accepts the stack's key")
		assert.False(t, r.Inputs["environment"].IsSecret(), "the environment holds no secret")

		assert.True(t, r.DeleteBeforeReplace, "%s: a replaced host goes before its successor is made", name)
		create, _ := mocktest.Str(r.Inputs, "create")
		assert.Contains(t, create, "host-create.sh")
		del, _ := mocktest.Str(r.Inputs, "delete")
		assert.Contains(t, del, "host-delete.sh")
		assert.True(t, strings.HasSuffix(r.Parent, HostType+"::"+hostResource[name]), "parented to its Host component: %s", r.Parent)
		comp, ok := m.Named(HostType, hostResource[name])
		require.True(t, ok)
		assert.Contains(t, comp.Parent, clientserver.Type, "the Host is parented to the ClientServer")
		assert.True(t, dependsOn(r, "command:local:Command", "mysql-ssh-generate"),
			"%s is created after the key is generated: %v", name, r.Dependencies)
	}
	assert.Len(t, veths, 3, "distinct veth names")
	assert.Len(t, netns, 3, "distinct namespaces")

	ingress, ok := m.Named("command:local:Command", "mysql-ingress-nftables")
	require.True(t, ok, "the local security group")
	assert.True(t, ingress.DeleteBeforeReplace, "one nftables table per host: the old one goes first")
	e := env(t, ingress)
	got := strings.Fields(e["MCS_CLIENT_ADDRESSES"])
	sort.Strings(got)
	assert.Equal(t, []string{"10.213.0.11", "10.213.0.12"}, got, "MySQL from exactly the clients")
	assert.Equal(t, "10.213.0.1", e["MCS_SSH_SOURCES"], "SSH from the operator only")
	assert.Equal(t, "3306", e["MCS_PORT"])
	assert.Equal(t, p.Netns(0), e["MCS_NETNS"], "the rules are in the server's namespace")
	assert.True(t, dependsOn(ingress, "command:local:Command", "mysql_server-namespaces"), "applied after the server host exists")
	assert.Contains(t, ingress.Parent, MySQLIngressType)

	wantRemote := map[string]string{ // remote command -> host it runs on
		"mysql-server-install": "mysql_server",
		// Each host's scripts, staged by the first component that runs a
		// command on it: the server, each client's MySQL client.
		"mysql-server-scripts":      "mysql_server",
		"app1-mysql-client-scripts": "app1",
		"app2-mysql-client-scripts": "app2",
		"mysql-server-tls-renew":    "mysql_server",
		"app1-mysql-client-install": "app1",
		"app2-mysql-client-install": "app2",
		"app1-mysql-user-account":   "mysql_server",
		"app2-mysql-user-account":   "mysql_server",
		"app1-mysql-login-my-cnf":   "app1",
		"app2-mysql-login-my-cnf":   "app2",
		"app1-mysql-verify-proof":   "app1",
		"app2-mysql-verify-proof":   "app2",
		// The backups, on the server; the store's certificate is signed
		// there, by the stack's CA.
		"mysql-backup-scripts":        "mysql_server",
		"mysql-backup-install":        "mysql_server",
		"mysql-backup-first":          "mysql_server",
		"mysql-backup-proof":          "mysql_server",
		"mysql_backup_store-tls-sign": "mysql_server",
	}
	remotes := m.OfType("command:remote:Command")
	require.Len(t, remotes, len(wantRemote))
	for _, r := range remotes {
		on, ok := wantRemote[r.Name]
		require.True(t, ok, "unexpected remote command %s", r.Name)
		raw, whole := mocktest.Plain(r.Inputs["connection"])
		require.True(t, raw.IsObject())
		conn := raw.ObjectValue()
		h, _ := mocktest.Str(conn, "host")
		assert.Equal(t, wantAddr[on], h, "%s connects to %s", r.Name, on)
		u, _ := mocktest.Str(conn, "user")
		assert.Equal(t, "root", u, "local hosts log in as root")
		hk, _ := mocktest.Str(conn, "hostKey")
		assert.Equal(t, mockHostKey, hk, "%s pins the host key the host command printed", r.Name)
		port, _ := mocktest.Plain(conn["port"])
		assert.Equal(t, 22.0, port.NumberValue())
		assert.True(t, whole || conn["privateKey"].IsSecret(), "the SSH key is secret")
		assert.True(t, dependsOn(r, "command:local:Command", hostResource[on]+"-namespaces"), "%s runs after %s exists", r.Name, on)
	}
	user, _ := m.Named("command:remote:Command", "app2-mysql-user-account")
	create, _ := mocktest.Str(user.Inputs, "create")
	assert.Contains(t, create, "MCS_USER_HOST='10.213.0.12'", "the account's host is the client's address")
	install, _ := m.Named("command:remote:Command", "mysql-server-install")
	create, _ = mocktest.Str(install.Inputs, "create")
	assert.Contains(t, create, "MCS_BIND_ADDRESS='10.213.0.10'", "the server listens on its bridge address")
	probe, ok := m.Named("command:local:Command", "mysql-closed-to-operator-probe")
	require.True(t, ok)
	timeout, _ := mocktest.Str(probe.Inputs["environment"].ObjectValue(), "MCS_PROBE_TIMEOUT")
	assert.Equal(t, "1", timeout, "on a local bridge the operator's probe waits a second for a dropped port")

	assert.Equal(t, "10.213.0.10", w.outputs["serverPrivateAddress"].Value)
	assert.Equal(t, map[string]string{"app1": "10.213.0.11", "app2": "10.213.0.12"}, w.outputs["clientPrivateAddresses"].Value)
	assert.Equal(t, "ssh -i mysql-client-server.key -p 22 root@10.213.0.11", w.outputs["sshCommands"].Value.(map[string]string)["app1"])
	assert.Equal(t, publicKey, w.outputs["publicKey"].Value)
}

func TestLocalIngressNeedsAHostOfThisPlatform(t *testing.T) {
	m := mocktest.New(t)
	var calls []preflightCall
	p := &Platform{Name: "s", Preflight: skipMachineCheck(&calls)}
	require.NoError(t, p.Validate())
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		foreign := &host.Host{Name: "elsewhere"}
		_, err := p.NewIngress(ctx, nil, foreign, []*host.Host{foreign}, 3306, false)
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not made by this platform")
	assert.Empty(t, m.Resources())
}

func TestLocalNewHostsFailsWhenTheSubnetIsFull(t *testing.T) {
	m := mocktest.New(t)
	m.On(mocktest.LocalCommand, "keys", mocktest.StandIn) // the stand-in made below
	var calls []preflightCall
	p := &Platform{Name: "s", Subnet: "10.213.0.0/27", Preflight: skipMachineCheck(&calls)}
	specs := []host.Spec{{Name: "mysql_server", Role: host.RoleServer}}
	for i := 1; i <= 21; i++ {
		specs = append(specs, host.Spec{Name: fmt.Sprintf("c%d", i), Role: host.RoleClient})
	}
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		keys := host.KeyMaterial{
			PublicKey:  pulumi.String("ssh-ed25519 AAAA test").ToStringOutput(),
			PrivateKey: pulumi.ToSecret(pulumi.String("KEY")).(pulumi.StringOutput),
		}
		k, err := localcmd.NewCommand(ctx, "keys", &localcmd.CommandArgs{Create: pulumi.String("true")})
		if err != nil {
			return err
		}
		keys.Resource = k
		_, err = p.NewHosts(ctx, nil, keys, specs)
		return err
	})
	require.Error(t, err, "22 hosts do not fit in a /27")
	assert.Contains(t, err.Error(), "has no room for host 22")
	assert.Len(t, calls, 1, "NewHosts validates a platform that was not validated yet")
}
