package pulumipkg

import (
	"fmt"
	"reflect"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
)

// Host is a machine the components reach over SSH, as a value a program
// passes from the component that made it (local:Hosts) to the components
// that configure it (MySQLServer, MySQLClient, MySQLReplica). Any machine
// with sshd and the engine's packages will do.
type Host struct {
	// PublicAddress is as host.Host.PublicAddress.
	PublicAddress string `pulumi:"publicAddress"`
	// PrivateAddress is as host.Host.PrivateAddress.
	PrivateAddress string `pulumi:"privateAddress"`
	// SSHPort is the TCP port of the host's sshd. Defaults to 22.
	SSHPort int `pulumi:"sshPort,optional"`
	// User is the OS user the components log in as: root, or a user that
	// may sudo. Defaults to root.
	User string `pulumi:"user,optional"`
	// PrivateKey is as host.Host.PrivateKey.
	PrivateKey string `pulumi:"privateKey" provider:"secret"`
	// HostKey is as host.Host.HostKey.
	HostKey string `pulumi:"hostKey,optional"`
	// Engine is the database server the host is made for, mysql or
	// mariadb, where its platform says (local:Hosts runs MySQL's hosts in an
	// image of their own). A component on the host takes it as its engine.
	Engine string `pulumi:"engine,optional"`
	// MySQLPort is the MySQL port the host's firewall opens, where its
	// platform says (local:Hosts' port, on its server and replica hosts). A
	// server or replica on the host must listen on it.
	MySQLPort int `pulumi:"mysqlPort,optional"`
}

// Annotate gives Host the token of the library's host package, which the
// SDKs' local and mysql modules both import.
func (*Host) Annotate(a infer.Annotator) { a.SetToken("host", "Host") }

// HostOutput is a Host that a resource makes.
type HostOutput struct{ *pulumi.OutputState }

// ElementType is Host.
func (HostOutput) ElementType() reflect.Type { return reflect.TypeFor[Host]() }

// HostMapOutput is Hosts by name, which a resource makes.
type HostMapOutput struct{ *pulumi.OutputState }

// ElementType is map[string]Host.
func (HostMapOutput) ElementType() reflect.Type { return reflect.TypeFor[map[string]Host]() }

func init() {
	pulumi.RegisterOutputType(HostOutput{})
	pulumi.RegisterOutputType(HostMapOutput{})
}

// check says whether h can be reached and opens port, the one a server
// on it listens on (0: none), its error naming field and never the key.
func (h Host) check(field string, port int) error {
	if h.PublicAddress == "" || h.PrivateAddress == "" || h.PrivateKey == "" {
		return fmt.Errorf("%s: has no publicAddress, privateAddress or privateKey: expected a Host that a platform made, such as local:Hosts' serverHost", field)
	}
	if h.SSHPort != 0 {
		if err := host.ValidatePort(h.SSHPort); err != nil {
			return fmt.Errorf("%s.sshPort: %w", field, err)
		}
	}
	if port != 0 && h.MySQLPort != 0 && h.MySQLPort != port {
		return fmt.Errorf("%s.mysqlPort: its firewall opens %d, but the server on it listens on %d: expected the same port (local:Hosts' port and the MySQLServer's)", field, h.MySQLPort, port)
	}
	return nil
}

// hostEngine checks in, the Host of the component args names, for a
// server listening on port (0: no server), and returns the engine the
// component runs: given, else the Host's, else DefaultEngine. A given
// engine that differs from the Host's is refused. The check runs before
// anything is created when in's value is known (the engine resolves a
// component's inputs before it constructs it); an unknown one (a
// preview's) is checked when it resolves, by toHost.
func hostEngine(ctx *pulumi.Context, args, given string, port int, in HostOutput) (string, error) {
	if err := checkEngine(args, given); err != nil {
		return "", err
	}
	h, ok := known[Host](ctx, in)
	if !ok {
		return string(host.Engine(given).OrDefault()), nil
	}
	if err := h.check(args+".Host", port); err != nil {
		return "", err
	}
	switch {
	case h.Engine == "":
		return string(host.Engine(given).OrDefault()), nil
	case given != "" && given != h.Engine:
		return "", fmt.Errorf("%s.Engine: %q, but its host is made for %s: expected the host's engine", args, given, h.Engine)
	}
	return h.Engine, nil
}

// toHost is the library's Host named name for in, which a program passed as
// the input field names, for engine and port (hostEngine's): it is ready
// when in resolves (the resources that made it are in its dependencies), so
// it has no Ready of its own. A Host that check refuses fails the run
// before anything runs on it.
func toHost(field, name string, role host.Role, engine string, port int, in HostOutput) *host.Host {
	in = in.ApplyT(func(h Host) (Host, error) { return h, h.check(field, port) }).(HostOutput)
	// Only the key is secret; the Host arrives secret as a whole.
	str := func(f func(Host) string) pulumi.StringOutput {
		return pulumi.Unsecret(in.ApplyT(f)).(pulumi.StringOutput)
	}
	return &host.Host{
		Name:           name,
		Role:           role,
		Engine:         host.Engine(engine),
		PublicAddress:  str(func(h Host) string { return h.PublicAddress }),
		PrivateAddress: str(func(h Host) string { return h.PrivateAddress }),
		User: str(func(h Host) string {
			if h.User == "" {
				return "root"
			}
			return h.User
		}),
		PrivateKey: pulumi.ToSecret(str(func(h Host) string { return h.PrivateKey })).(pulumi.StringOutput),
		HostKey:    str(func(h Host) string { return h.HostKey }),
		SSHPort: pulumi.Unsecret(in.ApplyT(func(h Host) int {
			if h.SSHPort == 0 {
				return 22
			}
			return h.SSHPort
		})).(pulumi.IntOutput),
	}
}

// fromHost is h as a Host value whose firewall opens port (0: none), which
// resolves with ready, the URNs of the firewall rules' components. The
// rules' commands are made by then: the Go SDK answers a construct only
// once every child it registered is made.
func fromHost(h *host.Host, port int, ready pulumi.StringArrayOutput) HostOutput {
	engine := string(h.Engine.OrDefault())
	return pulumi.All(h.PublicAddress, h.PrivateAddress, h.SSHPort, h.User, h.PrivateKey, h.HostKey, ready).
		ApplyT(func(v []any) Host {
			return Host{PublicAddress: v[0].(string), PrivateAddress: v[1].(string), SSHPort: v[2].(int),
				User: v[3].(string), PrivateKey: v[4].(string), HostKey: v[5].(string), Engine: engine, MySQLPort: port}
		}).(HostOutput)
}

// checkEngine refuses an engine that is not one.
func checkEngine(args, engine string) error {
	if engine == "" {
		return nil
	}
	if _, err := host.ParseEngine(engine); err != nil {
		return fmt.Errorf("%s.Engine: %w", args, err)
	}
	return nil
}
