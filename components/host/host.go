// Package host defines the seam between the platforms that make machines (AWS
// EC2, local network namespaces) and the components that configure them
// (MySQL server, client and user).
//
// A platform produces Host values; everything that runs on a host takes one.
// Nothing in the mysql package knows which platform a Host came from.
package host

import (
	"sync"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/internal/names"
	"github.com/mysql-client-server/mysql-client-server/components/internal/validate"
)

// Role says what a host is for.
type Role string

const (
	// RoleServer is the database server host.
	RoleServer Role = "server"
	// RoleClient is a host that logs in to the server.
	RoleClient Role = "client"
	// RoleReplica is a database server that replicates the primary (the
	// RoleServer host) and serves reads.
	RoleReplica Role = "replica"
	// RoleStore is a host that keeps the server's backups (the local
	// platform's S3 store).
	RoleStore Role = "store"
	// RoleRestore is a scratch host that make restore restores the
	// backups onto: it may read them, never write them, and the server's
	// MySQL port is not open to it.
	RoleRestore Role = "restore"
)

// SSH retry bounds used for every remote command: commands may start before a
// host's sshd listens (a booting instance, a namespace just created), so they
// retry dialing for at most DialErrorLimit × PerDialTimeout seconds.
const (
	// DialErrorLimit is how many failed SSH dials a command tolerates.
	DialErrorLimit = 40
	// PerDialTimeout is the timeout of one SSH dial, in seconds.
	PerDialTimeout = 15
)

// Host is a machine that the operator reaches over SSH.
type Host struct {
	// Name is the host's logical name, such as "mysql_server".
	Name string
	// Role says whether the host is the server, a client or a replica.
	Role Role
	// PublicAddress is the address the operator's SSH connection uses.
	PublicAddress pulumi.StringOutput
	// PrivateAddress is the address other hosts of the stack use for it.
	PrivateAddress pulumi.StringOutput
	// SSHPort is the TCP port of the host's sshd.
	SSHPort pulumi.IntOutput
	// User is the OS user the operator logs in as ("ubuntu" on EC2, "root"
	// on local hosts). Scripts elevate with sudo when it is not root.
	User pulumi.StringOutput
	// PrivateKey is the SSH private key for User. It is a Pulumi secret.
	PrivateKey pulumi.StringOutput
	// HostKey pins the host's SSH host key (authorized_keys form) when the
	// platform knows it; empty means the key is not pinned.
	HostKey pulumi.StringOutput
	// Ready is the resource that must exist before anything runs on the host;
	// nil for a host that exists before the program (one given as an input,
	// which its outputs' dependencies order).
	Ready pulumi.Resource
	// ProbeTimeout is how many seconds a TCP probe of the host waits for an
	// answer before it counts the connection as dropped: a bound well above
	// the round trip to it. Zero means DefaultProbeTimeout.
	ProbeTimeout int
	// Engine is the database server the host runs or connects to; empty
	// means DefaultEngine.
	Engine Engine

	mu     sync.Mutex
	shared map[string]pulumi.Resource
}

// Shared returns the host's resource that key names, made by create the
// first time any component asks for it: a resource that belongs to the host
// rather than to one component (the scripts staged on it). It lives as long
// as the Host value, which is one program run.
func (h *Host) Shared(key string, create func() (pulumi.Resource, error)) (pulumi.Resource, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r, ok := h.shared[key]; ok {
		return r, nil
	}
	r, err := create()
	if err != nil {
		return nil, err
	}
	if h.shared == nil {
		h.shared = map[string]pulumi.Resource{}
	}
	h.shared[key] = r
	return r, nil
}

// After is what a command on the host waits for: Ready, when the host has
// one, and more.
func (h *Host) After(more ...pulumi.Resource) []pulumi.Resource {
	if h.Ready == nil {
		return more
	}
	return append([]pulumi.Resource{h.Ready}, more...)
}

// ValidatePort checks a TCP port number, such as a host's SSH port.
func ValidatePort(p int) error { return validate.Port(p) }

// DefaultProbeTimeout is ProbeTimeout for hosts across a network of unknown
// latency, such as EC2 instances probed from the operator's machine.
const DefaultProbeTimeout = 5

// Connection returns the pulumi-command SSH connection for the host, with the
// retry bounds above.
func (h *Host) Connection() remote.ConnectionInput {
	hostKey := h.HostKey.ApplyT(func(k string) *string {
		if k == "" {
			return nil
		}
		return &k
	}).(pulumi.StringPtrOutput)
	return remote.ConnectionArgs{
		Host:           h.PublicAddress,
		Port:           h.SSHPort.ApplyT(func(p int) float64 { return float64(p) }).(pulumi.Float64Output),
		User:           h.User,
		PrivateKey:     pulumi.ToSecret(h.PrivateKey).(pulumi.StringOutput),
		HostKey:        hostKey,
		DialErrorLimit: pulumi.Int(DialErrorLimit),
		PerDialTimeout: pulumi.Int(PerDialTimeout),
	}
}

// SSHCommand is the command an operator runs to open a shell on the host,
// given the path where they saved the stack's private key.
func (h *Host) SSHCommand(keyPath string) pulumi.StringOutput {
	return pulumi.Sprintf("ssh -i %s -p %d %s@%s", keyPath, h.SSHPort, h.User, h.PublicAddress)
}

// Spec asks a platform for one host.
type Spec struct {
	// Name is the host's logical name, such as "mysql_server".
	Name string
	// Role says whether the host is the server, a client or a replica.
	Role Role
	// Engine is the database server the stack runs: the platform provides
	// it (the local platform runs MySQL's hosts in an image). Empty means
	// DefaultEngine.
	Engine Engine
	// Backups says the host writes the stack's backups: a platform whose
	// store needs the host's own credentials (AWS: an instance profile)
	// gives it them.
	Backups bool
	// ReadsBackups says the host reads the stack's backups and may not
	// write them (RoleRestore): a platform whose store needs the host's
	// own credentials gives it read-only ones.
	ReadsBackups bool
}

// Platform makes hosts and the network rule that lets clients reach the
// server's MySQL port. Implementations: aws.Platform and local.Platform.
type Platform interface {
	// Validate checks the platform's own settings before anything is created.
	Validate() error
	// NewHosts creates one host per spec, parented to parent. publicKey and
	// privateKey are the stack's SSH key pair.
	NewHosts(ctx *pulumi.Context, parent pulumi.Resource, keys KeyMaterial, specs []Spec) ([]*Host, error)
	// NewIngress opens port on server to each client's private address and to
	// no one else. open (the tutorial preset) also opens it to the hosts'
	// whole private network where the platform has one of its own (local).
	// server may be the primary (RoleServer) or a replica; clients are the
	// hosts the port is open to (the primary's include its replicas).
	NewIngress(ctx *pulumi.Context, parent pulumi.Resource, server *Host, clients []*Host, port int, open bool) (pulumi.Resource, error)
	// CheckSpecs says, before anything is created, whether the platform can
	// make these hosts (addresses, firewall rules).
	CheckSpecs(specs []Spec) error
	// DeployedEngine tells which engine the named server already runs, with
	// where it saw it, before anything is created: "" when it holds no data
	// yet or the platform cannot see it from here (AWS: the host's install
	// refuses another engine instead).
	DeployedEngine(server string) (Engine, string)
}

// IngressName is the name of server's MySQL ingress, a child of parent (the
// composing component), and the option that keeps the name an earlier
// version gave it: "<parent>-ingress" for the primary ("mysql-ingress"), and
// "<replica>-<parent>-ingress" for a replica.
func IngressName(parent pulumi.Resource, server *Host) (string, pulumi.ResourceOption) {
	if server.Role == RoleReplica {
		n := names.OfHost(parent, server.Name, "ingress")
		return n, names.Was(n, server.Name+"-mysql-ingress")
	}
	n := names.Of(parent, "ingress")
	return n, names.Was(n, "mysql-ingress")
}

// KeyMaterial is the stack's SSH key pair as a platform receives it.
type KeyMaterial struct {
	// PublicKey is an OpenSSH authorized_keys line.
	PublicKey pulumi.StringOutput
	// PrivateKey is the OpenSSH private key. It is a Pulumi secret.
	PrivateKey pulumi.StringOutput
	// Resource is the key pair component, for dependencies.
	Resource pulumi.Resource
}
