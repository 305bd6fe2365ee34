package local

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"testing"

	localcmd "github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// offlinePlatform returns a local Platform on subnet that counts as
// validated without looking at this machine: Validate compares the subnet
// with the machine's routes, and a stack of the integration tests may be up
// on the very subnet these wiring tests use.
func offlinePlatform(t *testing.T, subnet string) *Platform {
	t.Helper()
	var calls []preflightCall
	p := &Platform{Name: "mysql-client-server/test", Subnet: subnet, StateDir: DefaultStateDir, Preflight: skipMachineCheck(&calls)}
	p.subnet = netip.MustParsePrefix(subnet)
	return p
}

// validated is a host.Platform whose Validate accepts the offline platform
// as it is; the rest is the local platform's own.
type validated struct{ *Platform }

func (validated) Validate() error { return nil }

func testKeys(ctx *pulumi.Context) (host.KeyMaterial, error) {
	k, err := localcmd.NewCommand(ctx, "keys", &localcmd.CommandArgs{Create: pulumi.String("true")})
	if err != nil {
		return host.KeyMaterial{}, err
	}
	return host.KeyMaterial{
		PublicKey:  pulumi.String("ssh-ed25519 AAAA test").ToStringOutput(),
		PrivateKey: pulumi.ToSecret(pulumi.String("KEY")).(pulumi.StringOutput),
		Resource:   k,
	}, nil
}

// specsOf is the server, clients c1..cN, and replicas 1..R, in the order
// clientserver asks for them.
func specsOf(clients, replicas int) []host.Spec {
	specs := []host.Spec{{Name: "mysql_server", Role: host.RoleServer}}
	for i := 1; i <= clients; i++ {
		specs = append(specs, host.Spec{Name: fmt.Sprintf("c%d", i), Role: host.RoleClient})
	}
	for k := 1; k <= replicas; k++ {
		specs = append(specs, host.Spec{Name: clientserver.ReplicaName(k), Role: host.RoleReplica})
	}
	return specs
}

// newHosts runs NewHosts on p under mocks and returns each host's
// namespace command environment, by host name, and the hosts.
func newHosts(t *testing.T, p *Platform, specs []host.Spec) (*mocktest.Mocks, map[string]map[string]string, []*host.Host, error) {
	t.Helper()
	m := mocktest.New(t)
	m.On(mocktest.LocalCommand, "keys", mocktest.StandIn) // testKeys' stand-in
	var hosts []*host.Host
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		keys, err := testKeys(ctx)
		if err != nil {
			return err
		}
		hosts, err = p.NewHosts(ctx, nil, keys, specs)
		return err
	})
	envs := map[string]map[string]string{}
	for _, r := range m.OfType("command:local:Command") {
		if n, ok := strings.CutSuffix(r.Name, "-namespaces"); ok {
			envs[n] = env(t, r)
		}
	}
	return m, envs, hosts, err
}

func TestLocalReplicasTakeTheSubnetsLastAddresses(t *testing.T) {
	p := offlinePlatform(t, "10.213.0.0/24")
	_, envs, hosts, err := newHosts(t, p, specsOf(2, 2))
	require.NoError(t, err)
	require.Len(t, hosts, 5)
	want := []struct{ name, addr, netns string }{
		{"mysql_server", "10.213.0.10", p.Netns(0)},
		{"c1", "10.213.0.11", p.Netns(1)},
		{"c2", "10.213.0.12", p.Netns(2)},
		{"mysql_replica_1", "10.213.0.254", p.ReplicaNetns(1)},
		{"mysql_replica_2", "10.213.0.253", p.ReplicaNetns(2)},
	}
	veths, netns := map[string]bool{}, map[string]bool{}
	for i, w := range want {
		assert.Equal(t, w.name, hosts[i].Name, "the hosts come back in the specs' order")
		e, ok := envs[w.name]
		require.True(t, ok, "a namespace host for %s", w.name)
		assert.Equal(t, w.addr, e["MCS_ADDRESS"], "%s's address", w.name)
		assert.Equal(t, w.netns, e["MCS_NETNS"], "%s's namespace", w.name)
		assert.Equal(t, "24", e["MCS_PREFIX"])
		assert.Equal(t, p.Bridge(), e["MCS_BRIDGE"], "%s is on the one bridge", w.name)
		assert.LessOrEqual(t, len(e["MCS_VETH"]), 15, "veth name fits IFNAMSIZ")
		veths[e["MCS_VETH"]], netns[e["MCS_NETNS"]] = true, true
	}
	assert.Len(t, veths, 5, "distinct veth names")
	assert.Len(t, netns, 5, "distinct namespaces")
	assert.NotEqual(t, p.ReplicaNetns(1), p.Netns(1), "a replica's namespace is not a client's")
	assert.Equal(t, "mysql-replica-1", envs["mysql_replica_1"]["MCS_HOSTNAME"], "a valid hostname")
	assert.Equal(t, host.RoleReplica, hosts[3].Role)
}

// TestLocalAddingAClientMovesNoReplica: replicas count down from the end,
// clients up from .10, so neither moves the other.
func TestLocalAddingAClientMovesNoReplica(t *testing.T) {
	addrs := func(clients, replicas int) map[string]string {
		_, envs, _, err := newHosts(t, offlinePlatform(t, "10.213.0.0/24"), specsOf(clients, replicas))
		require.NoError(t, err)
		out := map[string]string{}
		for n, e := range envs {
			out[n] = e["MCS_ADDRESS"]
		}
		return out
	}
	before := addrs(2, 2)
	after := addrs(3, 3)
	for n, a := range before {
		assert.Equal(t, a, after[n], "%s keeps its address", n)
	}
	assert.Equal(t, "10.213.0.13", after["c3"])
	assert.Equal(t, "10.213.0.252", after["mysql_replica_3"])
}

func TestLocalReplicasEndBeforeTheBroadcastAddress(t *testing.T) {
	p := offlinePlatform(t, "10.213.0.32/27")
	_, envs, _, err := newHosts(t, p, specsOf(1, 2))
	require.NoError(t, err)
	assert.Equal(t, "10.213.0.62", envs["mysql_replica_1"]["MCS_ADDRESS"], "the last address before broadcast .63")
	assert.Equal(t, "10.213.0.61", envs["mysql_replica_2"]["MCS_ADDRESS"])
	assert.Equal(t, "27", envs["mysql_replica_1"]["MCS_PREFIX"])
}

// TestLocalNewHostsFailsWhenClientsMeetReplicas: on a /27 the hosts take
// .10 up and the replicas .30 down; the server and 19 clients (.10-.29)
// leave room for one replica only.
func TestLocalNewHostsFailsWhenClientsMeetReplicas(t *testing.T) {
	_, envs, _, err := newHosts(t, offlinePlatform(t, "10.213.0.0/27"), specsOf(19, 1))
	require.NoError(t, err, "20 hosts and one replica fit")
	assert.Equal(t, "10.213.0.29", envs["c19"]["MCS_ADDRESS"])
	assert.Equal(t, "10.213.0.30", envs["mysql_replica_1"]["MCS_ADDRESS"])

	_, envs, _, err = newHosts(t, offlinePlatform(t, "10.213.0.0/27"), specsOf(19, 2))
	require.Error(t, err, "a second replica would take .29, a client's")
	assert.Contains(t, err.Error(), "localSubnet: 10.213.0.0/27 has no room for 20 hosts and 2 replicas")
	assert.Contains(t, err.Error(), "expected a larger subnet")
	_, made := envs["mysql_replica_2"]
	assert.False(t, made, "the replica that does not fit is not created")

	_, _, _, err = newHosts(t, offlinePlatform(t, "10.213.0.0/27"), specsOf(20, 1))
	require.Error(t, err, "21 hosts (.10-.30) leave no room for a replica")
	assert.Contains(t, err.Error(), "localSubnet:")
}

// TestLocalClientServerWithReplicas: the whole architecture with two
// replicas on the local platform. Each replica has its own nftables
// ruleset, in its own namespace, open to the clients only; the primary's
// admits the clients and the replicas.
func TestLocalClientServerWithReplicas(t *testing.T) {
	m := mocktest.New(t)
	p := offlinePlatform(t, "10.213.0.0/24")
	out := map[string]mocktest.Awaited{}
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		cs, err := clientserver.New(ctx, "mysql", &clientserver.Args{Platform: validated{p}, Clients: []string{"app1", "app2"}, Replicas: 2})
		if err != nil {
			return err
		}
		for k, o := range cs.Outputs() {
			if out[k], err = mocktest.Await(ctx, pulumi.ToOutput(o)); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)

	sources := func(name string) []string {
		r, ok := m.Named("command:local:Command", name+"-nftables")
		require.True(t, ok, "the ruleset %s", name)
		got := strings.Fields(env(t, r)["MCS_CLIENT_ADDRESSES"])
		sort.Strings(got)
		return got
	}
	assert.Equal(t, []string{"10.213.0.11", "10.213.0.12", "10.213.0.253", "10.213.0.254"}, sources("mysql-ingress"),
		"the primary admits the clients and the replicas")
	for k, name := range []string{"mysql_replica_1", "mysql_replica_2"} {
		in := name + "-mysql-ingress"
		_, ok := m.Named(MySQLIngressType, in)
		require.True(t, ok, "%s has an ingress of its own", name)
		assert.Equal(t, []string{"10.213.0.11", "10.213.0.12"}, sources(in), "%s admits the clients only", name)
		r, _ := m.Named("command:local:Command", in+"-nftables")
		e := env(t, r)
		assert.Equal(t, p.ReplicaNetns(k+1), e["MCS_NETNS"], "in %s's namespace", name)
		assert.Equal(t, "10.213.0.1", e["MCS_SSH_SOURCES"], "SSH from the operator only")
		assert.Equal(t, "3306", e["MCS_PORT"])
		assert.True(t, dependsOn(r, "command:local:Command", name+"-namespaces"), "applied once %s exists", name)
	}
	assert.Len(t, m.OfType(MySQLIngressType), 4, "the primary's, one per replica, and the backup store's")

	hostOf := map[string]string{"10.213.0.254": "mysql_replica_1", "10.213.0.253": "mysql_replica_2"}
	replicaCmds := 0
	for _, r := range m.OfType("command:remote:Command") {
		if !strings.HasPrefix(r.Name, "mysql_replica_") {
			continue
		}
		replicaCmds++
		raw, _ := mocktest.Plain(r.Inputs["connection"])
		h, _ := mocktest.Str(raw.ObjectValue(), "host")
		on := hostOf[h]
		if strings.Contains(r.Name, "-tls-sign") || strings.HasSuffix(r.Name, "-account") {
			on = "mysql_server" // signed, and the account made, on the primary
			assert.Equal(t, "10.213.0.10", h, "%s runs on the primary", r.Name)
		} else {
			require.NotEmpty(t, on, "%s runs on a replica: %s", r.Name, h)
			assert.True(t, strings.HasPrefix(r.Name, on), "%s runs on its own replica, not %s", r.Name, on)
		}
		assert.True(t, dependsOn(r, "command:local:Command", on+"-namespaces"), "%s runs after %s exists", r.Name, on)
	}
	assert.Equal(t, 12, replicaCmds, "per replica: its scripts, the request, the signing, the install, the account, replication")
	start, ok := m.Named("command:remote:Command", "mysql_replica_2-mysql-replica-replication")
	require.True(t, ok)
	create, _ := mocktest.Str(start.Inputs, "create")
	assert.Contains(t, create, "MCS_SOURCE='10.213.0.10'", "the primary's bridge address")

	assert.Equal(t, map[string]string{"mysql_replica_1": "10.213.0.254", "mysql_replica_2": "10.213.0.253"},
		out["replicaPrivateAddresses"].Value)
	assert.Equal(t, "mysql -h 10.213.0.253 -P 3306 -u 'app' -p 'app'",
		out["replicaMysqlCommands"].Value.(map[string]string)["app2"])
	assert.Equal(t, "ssh -i mysql-client-server.key -p 22 root@10.213.0.254",
		out["sshCommands"].Value.(map[string]string)["mysql_replica_1"])
	assert.Equal(t, mockHostKey, out["hostKeys"].Value.(map[string]string)["mysql_replica_2"], "the replica's host key is pinned")
}

// More hosts than the subnet holds are refused before anything is created,
// with the subnet's room.
func TestLocalMoreHostsThanTheSubnetHoldsAreRefusedFirst(t *testing.T) {
	p := &Platform{Name: "n", Subnet: "10.213.0.0/27", Preflight: func() error { return nil }}
	require.NoError(t, p.Validate())
	specs := func(clients, replicas int) []host.Spec {
		s := []host.Spec{{Name: "mysql_server", Role: host.RoleServer}}
		for i := 0; i < clients; i++ {
			s = append(s, host.Spec{Name: fmt.Sprintf("c%d", i), Role: host.RoleClient})
		}
		for k := 1; k <= replicas; k++ {
			s = append(s, host.Spec{Name: fmt.Sprintf("mysql_replica_%d", k), Role: host.RoleReplica})
		}
		return s
	}
	assert.NoError(t, p.CheckSpecs(specs(18, 2)), "21 hosts fit a /27: .10 to .30")
	err := p.CheckSpecs(specs(18, 3))
	require.Error(t, err)
	assert.Equal(t, "localSubnet: 10.213.0.0/27 has room for 21 hosts, not 22 (19 server and clients, 3 replicas): expected a larger subnet", err.Error())
}
