package pulumipkg

import (
	"fmt"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/keypair"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
	"github.com/mysql-client-server/mysql-client-server/components/stack"
)

// LocalHostsType is the type token of LocalHosts.
const LocalHostsType = Name + ":local:Hosts"

// LocalHostsArgs are the hosts a program that composes the building blocks
// asks the local platform for.
type LocalHostsArgs struct {
	// Name tells these hosts apart from any other's on the machine.
	// Defaults to <project>/<stack>/<component name>.
	Name string `pulumi:"name,optional"`
	// Subnet is the hosts' IPv4 subnet, /16 to /27, which no route of the
	// machine may overlap. Defaults to 10.213.0.0/24: each set of hosts on
	// one machine needs a subnet of its own.
	Subnet string `pulumi:"subnet,optional"`
	// StateDir is as local.Platform.StateDir.
	StateDir string `pulumi:"stateDir,optional"`
	// Engine is the database server the hosts are made for, mysql or
	// mariadb: the platform runs MySQL's hosts in an image. Their Host
	// values say it, so the components on them take it. Defaults to the
	// engine of the data the server already holds, else mysql; a change
	// under existing data is refused.
	Engine string `pulumi:"engine,optional"`
	// ServerName is as clientserver.Args.ServerName.
	ServerName string `pulumi:"serverName,optional"`
	// Clients is as clientserver.Args.Clients.
	Clients []string `pulumi:"clients,optional"`
	// Replicas is how many replica hosts to make (mysql_replica_1, ...), up
	// to 16.
	Replicas int `pulumi:"replicas,optional"`
	// Port is the MySQL port the server's and the replicas' firewalls open
	// to the clients (and the server's to the replicas), and to no one
	// else: the MySQLServer's port. Defaults to 3306.
	Port int `pulumi:"port,optional"`
}

// LocalHosts is a server host, its clients and its replicas on the local
// platform, with their SSH key pair and the firewall rules of the MySQL
// port: the hosts a MySQLServer, MySQLClients and MySQLReplicas run on.
type LocalHosts struct {
	pulumi.ResourceState

	// ServerHost is the server's host.
	ServerHost HostOutput `pulumi:"serverHost"`
	// ClientHosts are the clients' hosts, by name.
	ClientHosts HostMapOutput `pulumi:"clientHosts"`
	// ReplicaHosts are the replicas' hosts, by name (mysql_replica_1, ...).
	ReplicaHosts HostMapOutput `pulumi:"replicaHosts"`
	// Addresses are every host's private address, by name: a MySQLUser's
	// host is its client's.
	Addresses pulumi.StringMapOutput `pulumi:"addresses"`
}

// Annotate gives LocalHosts its token.
func (*LocalHosts) Annotate(a infer.Annotator) { a.SetToken("local", "Hosts") }

// validate fills in the defaults and checks the inputs, the rules the
// library's ClientServer applies to the same ones.
func (in *LocalHostsArgs) validate() error {
	if in.ServerName == "" {
		in.ServerName = clientserver.DefaultServerName
	}
	if in.Clients == nil {
		in.Clients = []string{clientserver.DefaultClientName}
	}
	if err := clientserver.CheckHostNames("LocalHostsArgs", in.ServerName, in.Clients); err != nil {
		return err
	}
	if err := clientserver.CheckReplicaCount("LocalHostsArgs", in.Replicas); err != nil {
		return err
	}
	in.Port = mysql.PortOrDefault(in.Port)
	if err := mysql.ValidatePort(in.Port); err != nil {
		return fmt.Errorf("LocalHostsArgs.Port: %w", err)
	}
	return checkEngine("LocalHostsArgs", in.Engine)
}

// NewLocalHosts makes the hosts, after checking every input.
func NewLocalHosts(ctx *pulumi.Context, name string, in LocalHostsArgs, opts ...pulumi.ResourceOption) (*LocalHosts, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	if in.Name == "" {
		in.Name = ctx.Project() + "/" + ctx.Stack() + "/" + name
	}
	platform := stack.LocalPlatform(in.Name, in.Subnet, in.StateDir, "")
	if err := platform.Validate(); err != nil {
		return nil, localError(err)
	}
	engine, err := clientserver.ResolveEngine("LocalHostsArgs", platform, in.ServerName, host.Engine(in.Engine))
	if err != nil {
		return nil, err
	}
	specs := clientserver.HostSpecs(in.ServerName, in.Clients, in.Replicas, engine)
	if err := platform.CheckSpecs(specs); err != nil {
		return nil, localError(err)
	}
	lh := &LocalHosts{}
	if err := ctx.RegisterComponentResource(LocalHostsType, name, lh, opts...); err != nil {
		return nil, err
	}
	keys, err := keypair.New(ctx, name+"-ssh", &keypair.Args{}, pulumi.Parent(lh))
	if err != nil {
		return nil, err
	}
	hosts, err := platform.NewHosts(ctx, lh, keys.Material(), specs)
	if err != nil {
		return nil, err
	}
	if err := lh.open(ctx, platform, hosts, in.Port); err != nil {
		return nil, err
	}
	return lh, ctx.RegisterResourceOutputs(lh, pulumi.Map{
		"serverHost": lh.ServerHost, "clientHosts": lh.ClientHosts, "replicaHosts": lh.ReplicaHosts, "addresses": lh.Addresses,
	})
}

// localInputs map the keys the local platform's errors start with to the
// inputs that set them here.
var localInputs = map[string]string{"localSubnet": "Subnet", "localStateDir": "StateDir", "clients": "Clients"}

// localError names the input in an error of the platform's settings.
func localError(err error) error { return inputError(err, "LocalHostsArgs", localInputs) }

// open opens the server's port to the clients and the replicas, and each
// replica's to the clients, and sets the outputs: a host resolves once
// every rule is in place.
func (lh *LocalHosts) open(ctx *pulumi.Context, platform host.Platform, hosts []*host.Host, port int) error {
	server, clients, replicas := hosts[0], []*host.Host{}, []*host.Host{}
	for _, h := range hosts[1:] {
		if h.Role == host.RoleReplica {
			replicas = append(replicas, h)
		} else {
			clients = append(clients, h)
		}
	}
	rules := pulumi.StringArray{}
	in, err := platform.NewIngress(ctx, lh, server, append(append([]*host.Host{}, clients...), replicas...), port, false)
	if err != nil {
		return err
	}
	rules = append(rules, in.URN().ToStringOutput())
	for _, r := range replicas {
		if in, err = platform.NewIngress(ctx, lh, r, clients, port, false); err != nil {
			return err
		}
		rules = append(rules, in.URN().ToStringOutput())
	}
	ready := rules.ToStringArrayOutput()
	lh.ServerHost = fromHost(server, port, ready)
	lh.ClientHosts, lh.ReplicaHosts = byHostName(clients, 0, ready), byHostName(replicas, port, ready)
	addresses := pulumi.StringMap{}
	for _, h := range hosts {
		addresses[h.Name] = h.PrivateAddress
	}
	lh.Addresses = addresses.ToStringMapOutput()
	return nil
}

// byHostName is hosts as Host values by name, whose firewalls open port.
func byHostName(hosts []*host.Host, port int, ready pulumi.StringArrayOutput) HostMapOutput {
	m := pulumi.Map{}
	for _, h := range hosts {
		m[h.Name] = fromHost(h, port, ready)
	}
	return m.ToMapOutput().ApplyT(func(v map[string]any) map[string]Host {
		out := map[string]Host{}
		for k, h := range v {
			out[k] = h.(Host)
		}
		return out
	}).(HostMapOutput)
}
