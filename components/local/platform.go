// Package local is the local platform: each host is a set of Linux
// namespaces on the operator's machine (network, mount and UTS), on one
// bridge, with its own sshd, its own /etc/mysql, /var/lib/mysql and
// /run/mysqld, and its own nftables ruleset. The hosts are Host values like
// EC2 instances, so the mysql components run on them unchanged.
package local

import (
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/names"
	"github.com/mysql-client-server/mysql-client-server/components/internal/validate"
)

//go:embed scripts/*.sh
var scripts embed.FS

// script returns scripts/lib.sh followed by scripts/<name> (without its
// shebang line), as one program for bash -c.
func script(name string) pulumi.String { return scriptWith(name) }

// storeScript is script with store-lib.sh between lib.sh and the script.
func storeScript(name string) pulumi.String { return scriptWith("store-lib.sh", name) }

// scriptWith returns scripts/lib.sh followed by each named script (without
// its shebang line), as one program for bash -c.
func scriptWith(names ...string) pulumi.String {
	read := func(n string) string {
		b, err := scripts.ReadFile("scripts/" + n)
		if err != nil {
			panic(err)
		}
		return string(b)
	}
	program := read("lib.sh")
	for _, name := range names {
		body := read(name)
		if strings.HasPrefix(body, "#!") {
			body = body[strings.Index(body, "\n")+1:]
		}
		program += "\n" + body
	}
	return pulumi.String(program)
}

// Defaults of the local platform's settings.
const (
	// DefaultSubnet is the hosts' subnet (config localSubnet).
	DefaultSubnet = "10.213.0.0/24"
	// DefaultStateDir holds each host's private directories (config
	// localStateDir).
	DefaultStateDir = "/var/lib/mysql-client-server"
	// firstHostOffset: the operator takes the subnet's first address, the
	// hosts take .10, .11, ...
	firstHostOffset = 10
)

// Platform makes hosts out of network namespaces on this machine. The
// machine that runs `pulumi up` is the operator: it gets the subnet's first
// address on the bridge and reaches the hosts over SSH.
type Platform struct {
	// Name tells this stack's hosts apart from another stack's; the stack
	// name is a good choice. Required.
	Name string
	// Subnet (localSubnet) is the hosts' IPv4 subnet. Defaults to
	// 10.213.0.0/24. It must not overlap a route the machine already has.
	Subnet string
	// StateDir (localStateDir) holds the hosts' private directories.
	StateDir string
	// SSHFromAnywhere opens SSH to every source instead of the operator only.
	// Only the tutorial preset sets it.
	SSHFromAnywhere bool
	// Preflight checks the machine before anything is created. By default
	// it checks that the machine's routes leave the subnet to this stack,
	// then CheckMachine; tests that only wire resources replace it, and
	// then run on a machine whatever its routes and tools (CheckStore).
	Preflight func() error
	// ImageCache holds the images of the mysql engine's hosts. Defaults to
	// DefaultImageCache.
	ImageCache string

	subnet netip.Prefix
	hosts  map[*host.Host]*Host
	// checkTools says CheckStore looks for the store's tools on this
	// machine: with the default Preflight (one a test replaces skips it).
	checkTools bool
	// imagePath is the image the hosts run in, nil for none.
	imagePath pulumi.StringInput
}

var _ host.Platform = (*Platform)(nil)

// Validate checks the settings and the machine.
func (p *Platform) Validate() error {
	if p.Name == "" {
		return errors.New("local.Platform.Name: required: a name for this stack's hosts, such as the stack name")
	}
	if p.Subnet == "" {
		p.Subnet = DefaultSubnet
	}
	subnet, err := validate.IPv4CIDR(p.Subnet)
	if err != nil {
		return fmt.Errorf("localSubnet: %w", err)
	}
	if subnet.Bits() < 16 || subnet.Bits() > 27 {
		return fmt.Errorf("localSubnet: %s: expected a prefix length from /16 to /27 (room for the operator and the hosts)", p.Subnet)
	}
	if a := subnet.Addr(); a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() || a.As4()[0] >= 240 {
		return fmt.Errorf("localSubnet: %s is a loopback, link-local, multicast or reserved range, which a bridge cannot use: expected a private range such as 10.213.0.0/24", p.Subnet)
	}
	p.subnet = subnet
	if p.StateDir == "" {
		p.StateDir = DefaultStateDir
	}
	if err := validStateDir(p.StateDir); err != nil {
		return fmt.Errorf("localStateDir: %q: %w", p.StateDir, err)
	}
	if p.Preflight == nil {
		p.Preflight = p.checkMachine
		p.checkTools = true
	}
	return p.Preflight()
}

// checkMachine is the default Preflight: the machine's routes leave the
// subnet to this stack (and keep a running stack on its own), and the
// machine has what the hosts need (CheckMachine).
func (p *Platform) checkMachine() error {
	routes := readRoutes()
	if err := checkSubnetKept(routes, p.Name, p.subnet); err != nil {
		return fmt.Errorf("localSubnet: %w", err)
	}
	if err := checkRoutes(routes, p.subnet, p.bridge()); err != nil {
		return fmt.Errorf("localSubnet: %w", err)
	}
	return CheckMachine()
}

var stateDirPattern = regexp.MustCompile(`^(/[A-Za-z0-9_.@+-]+)+$`)

// validStateDir applies host-create.sh's rules up front: a clean absolute
// path of plain characters, not below a directory each host replaces.
func validStateDir(dir string) error {
	if !stateDirPattern.MatchString(dir) || filepath.Clean(dir) != dir || strings.Contains(dir, "/./") || strings.HasSuffix(dir, "/.") || strings.Contains(dir, "/..") {
		return errors.New("expected a clean absolute path of letters, digits and ._@+- such as /var/lib/mysql-client-server")
	}
	for _, shadowed := range []string{"/etc/mysql", "/var/lib/mysql", "/run", "/var/run", "/var/log/mysql", "/root", "/tmp", "/proc", "/sys", "/dev"} {
		if dir == shadowed || strings.HasPrefix(dir, shadowed+"/") {
			return fmt.Errorf("is under %s, which each host replaces with its own: expected a directory elsewhere, such as /var/lib/mysql-client-server", shadowed)
		}
	}
	// The stack makes, and with its last host removes, a directory of its
	// own: never a system one.
	for _, system := range []string{"/", "/etc", "/usr", "/usr/local", "/var", "/var/lib", "/var/cache", "/var/log", "/opt", "/srv",
		"/home", "/boot", "/mnt", "/media", "/bin", "/sbin", "/lib", "/lib64"} {
		if dir == system {
			return fmt.Errorf("is a system directory: expected a directory of the stack's own, such as /var/lib/mysql-client-server")
		}
	}
	for _, system := range []string{"/etc", "/boot", "/bin", "/sbin", "/lib", "/lib64", "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/share"} {
		if strings.HasPrefix(dir, system+"/") {
			return fmt.Errorf("is under %s, a system directory: expected a directory of the stack's own, such as /var/lib/mysql-client-server", system)
		}
	}
	return nil
}

// id is a short hash that keeps this stack's interface and namespace names
// apart from another stack's.
func (p *Platform) id() string { return stackID(p.Name, p.Subnet) }

func stackID(name, subnet string) string {
	sum := sha256.Sum256([]byte(name + "\x00" + subnet))
	return hex.EncodeToString(sum[:])[:6]
}

// bridgeName is the bridge of the stack of that name on that subnet.
func bridgeName(name, subnet string) string { return "mcs-" + stackID(name, subnet) }

func (p *Platform) bridge() string { return bridgeName(p.Name, p.Subnet) }

// Bridge is the name of the bridge the hosts and the operator share.
func (p *Platform) Bridge() string { return p.bridge() }

// Netns is the network namespace of the i-th host (the server is 0, the
// clients follow in order); `ip netns exec <netns> bash` enters it.
func (p *Platform) Netns(i int) string { return fmt.Sprintf("mcs-%s-%d", p.id(), i) }

// ReplicaNetns is the network namespace of the k-th replica (from 1).
func (p *Platform) ReplicaNetns(k int) string { return fmt.Sprintf("mcs-%s-r%d", p.id(), k) }

// OperatorAddress is the operator's address on the bridge.
func (p *Platform) OperatorAddress() netip.Addr { return p.subnet.Addr().Next() }

// address returns the i-th host's address; the broadcast address is never
// handed out.
func (p *Platform) address(i int) (netip.Addr, error) {
	a := p.subnet.Addr()
	for n := 0; n < firstHostOffset+i; n++ {
		a = a.Next()
	}
	if !p.subnet.Contains(a) || !p.subnet.Contains(a.Next()) {
		return netip.Addr{}, fmt.Errorf("localSubnet: %s has no room for host %d: expected a larger subnet", p.subnet, i+1)
	}
	return a, nil
}

// replicaAddress returns the k-th replica's address (from 1): replicas take
// the subnet's last addresses below the broadcast address, downwards, so
// that adding a client or a replica never moves another host. NewHosts
// checks that they stay above the clients'.
func (p *Platform) replicaAddress(k int) netip.Addr {
	b := p.subnet.Masked().Addr().As4()
	broadcast := binary.BigEndian.Uint32(b[:]) | (1<<(32-p.subnet.Bits()) - 1)
	binary.BigEndian.PutUint32(b[:], broadcast-uint32(k))
	return netip.AddrFrom4(b)
}

// NewHosts creates one namespace host per spec: the server and the clients
// from the subnet's .10 upwards, the replicas from its last address down,
// the restore host at .8, below the store's .9.
// It fails when the two ranges meet.
func (p *Platform) NewHosts(ctx *pulumi.Context, parent pulumi.Resource, keys host.KeyMaterial, specs []host.Spec) ([]*host.Host, error) {
	if !p.subnet.IsValid() {
		if err := p.Validate(); err != nil {
			return nil, err
		}
	}
	if p.hosts == nil {
		p.hosts = map[*host.Host]*Host{}
	}
	image, err := p.image(ctx, parent, specs)
	if err != nil {
		return nil, err
	}
	hosts := make([]*host.Host, 0, len(specs))
	i, k := 0, 0 // the next host's index, the next replica's number
	var highest netip.Addr
	var lowestReplica netip.Addr
	for _, s := range specs {
		var addr netip.Addr
		var err error
		netns, veth := "", ""
		switch s.Role {
		case host.RoleReplica:
			k++
			addr = p.replicaAddress(k)
			netns, veth = p.ReplicaNetns(k), fmt.Sprintf("mcs%sr%d", p.id(), k)
			lowestReplica = addr
		case host.RoleRestore:
			addr, netns, veth = p.restoreAddress(), p.RestoreNetns(), fmt.Sprintf("mcs%sx", p.id())
		default:
			addr, err = p.address(i)
			netns, veth = p.Netns(i), fmt.Sprintf("mcs%sv%d", p.id(), i)
			highest = addr
			i++
		}
		if err != nil {
			return nil, err
		}
		if highest.IsValid() && lowestReplica.IsValid() && !highest.Less(lowestReplica) {
			return nil, fmt.Errorf("localSubnet: %s has no room for %d hosts and %d replicas: expected a larger subnet", p.subnet, i, k)
		}
		name := names.Host(parent, s.Name)
		h, err := NewHost(ctx, name, &HostArgs{
			Spec:            s,
			Netns:           netns,
			Bridge:          p.bridge(),
			Veth:            veth,
			Address:         addr.String(),
			PrefixLength:    p.subnet.Bits(),
			OperatorAddress: p.OperatorAddress().String(),
			HostDir:         p.hostDir(s.Name),
			PublicKey:       keys.PublicKey,
			PrivateKey:      keys.PrivateKey,
			Image:           image,
		}, pulumi.Parent(parent), pulumi.DependsOn([]pulumi.Resource{keys.Resource}), names.Was(name, s.Name))
		if err != nil {
			return nil, err
		}
		p.hosts[h.Host] = h
		hosts = append(hosts, h.Host)
	}
	return hosts, nil
}

// image returns the image path for hosts of the mysql engine, building the
// image once; nil when the hosts run MariaDB on this machine's own root.
func (p *Platform) image(ctx *pulumi.Context, parent pulumi.Resource, specs []host.Spec) (pulumi.StringInput, error) {
	for _, s := range specs {
		if s.Engine.OrDefault() == host.EngineMySQL {
			name := names.Of(parent, "image")
			img, err := NewImage(ctx, name, &ImageArgs{Cache: p.ImageCache}, pulumi.Parent(parent), names.Was(name, "mysql-image"))
			if err != nil {
				return nil, err
			}
			p.imagePath = img.Path // the backup store gives it the backup tools
			return img.Path, nil
		}
	}
	return nil, nil
}

// CheckSpecs checks that the subnet has an address for every host: the
// server and clients from .10 up, the replicas from the top down.
func (p *Platform) CheckSpecs(specs []host.Spec) error {
	if !p.subnet.IsValid() {
		if err := p.Validate(); err != nil {
			return err
		}
	}
	up, down := 0, 0
	for _, s := range specs {
		switch s.Role {
		case host.RoleReplica:
			down++
		case host.RoleRestore: // below the hosts, beside the store
		default:
			up++
		}
	}
	room := 1<<(32-p.subnet.Bits()) - 1 - firstHostOffset // .10 up to the last below the broadcast address
	if up+down > room {
		return fmt.Errorf("localSubnet: %s has room for %d hosts, not %d (%d server and clients, %d replicas): expected a larger subnet",
			p.subnet, room, up+down, up, down)
	}
	return nil
}

// hostDir is where the named host's private directories live.
func (p *Platform) hostDir(name string) string { return filepath.Join(p.StateDir, p.id(), name) }

// DeployedEngine reads which engine the server's data directory on this
// machine was made by, and names the directory.
func (p *Platform) DeployedEngine(server string) (host.Engine, string) {
	dir := filepath.Join(p.hostDir(server), "var-lib-mysql")
	return deployedEngine(dir), dir
}

// NewIngress applies the server's nftables ruleset: the MySQL port from each
// client, SSH from the operator, nothing else to either port. A replica's
// ruleset is its own resource, named after it.
func (p *Platform) NewIngress(ctx *pulumi.Context, parent pulumi.Resource, server *host.Host, clients []*host.Host, port int, open bool) (pulumi.Resource, error) {
	h, ok := p.hosts[server]
	if !ok {
		return nil, errors.New("local.Platform.NewIngress: the server host was not made by this platform")
	}
	addrs := map[string]pulumi.StringInput{}
	for _, c := range clients {
		addrs[c.Name] = c.PrivateAddress
	}
	ssh := []string{p.OperatorAddress().String()}
	if p.SSHFromAnywhere {
		ssh = []string{"0.0.0.0/0"}
	}
	var extra []string
	if open {
		extra = []string{p.subnet.String()}
	}
	name, was := host.IngressName(parent, server)
	return NewMySQLIngress(ctx, name, &MySQLIngressArgs{
		Server:          h,
		ClientAddresses: addrs,
		ExtraSources:    extra,
		SSHSources:      ssh,
		Port:            port,
	}, pulumi.Parent(parent), was)
}
