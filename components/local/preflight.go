package local

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// requirement is one thing the local platform needs on the machine.
type requirement struct {
	what    string   // what is missing, as the error names it
	paths   []string // any one of these will do
	pkg     string   // the Debian/Ubuntu package that provides it
	command bool     // paths are command names looked up in PATH
}

var requirements = []requirement{
	{"ip (iproute2)", []string{"ip"}, "iproute2", true},
	{"nft (nftables)", []string{"nft"}, "nftables", true},
	{"unshare (util-linux)", []string{"unshare"}, "util-linux", true},
	{"flock (util-linux)", []string{"flock"}, "util-linux", true},
	{"findmnt (util-linux)", []string{"findmnt"}, "util-linux", true},
	{"sshd (OpenSSH server)", []string{"/usr/sbin/sshd"}, "openssh-server", false},
	{"ssh-keygen (OpenSSH client)", []string{"ssh-keygen"}, "openssh-client", true},
	{"fuser (psmisc)", []string{"fuser"}, "psmisc", true},
	{"openssl", []string{"openssl"}, "openssl", true},
	{"MariaDB server (mariadbd)", []string{"/usr/sbin/mariadbd", "/usr/sbin/mysqld"}, "mariadb-server", false},
	{"MariaDB client (mariadb)", []string{"mariadb", "mysql"}, "mariadb-client", true},
}

// CheckMachine checks that this machine can host the local platform: Linux,
// root and the tools. The error lists everything missing and how to install
// it. (Platform.Validate checks the subnet against the machine's routes.)
func CheckMachine() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("platform local: needs Linux (network namespaces), not %s", runtime.GOOS)
	}
	var problems []string
	if os.Geteuid() != 0 {
		problems = append(problems, "root: the local platform creates namespaces and a bridge: run as root (sudo -E pulumi up)")
	}
	var pkgs []string
	for _, r := range requirements {
		if !found(r) {
			problems = append(problems, fmt.Sprintf("missing %s: install it with: apt-get install -y %s", r.what, r.pkg))
			pkgs = append(pkgs, r.pkg)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	msg := "platform local: this machine cannot host it yet:\n  - " + strings.Join(problems, "\n  - ")
	if len(pkgs) > 0 {
		msg += "\n(or run `make deps`, which installs: " + strings.Join(pkgs, " ") + ")"
	}
	return errors.New(msg)
}

func found(r requirement) bool {
	for _, p := range r.paths {
		if r.command {
			if _, err := exec.LookPath(p); err == nil {
				return true
			}
		} else if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// route is one line of the machine's IPv4 routing table.
type route struct {
	iface  string
	prefix netip.Prefix
}

// readRoutes reads /proc/net/route, the default route aside; nil when the
// machine has no IPv4 routing table.
func readRoutes() []route {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return nil
	}
	defer f.Close()
	var routes []route
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 {
			continue
		}
		dst, err1 := strconv.ParseUint(fields[1], 16, 32)
		mask, err2 := strconv.ParseUint(fields[7], 16, 32)
		if err1 != nil || err2 != nil || mask == 0 {
			continue
		}
		var d, m [4]byte
		binary.LittleEndian.PutUint32(d[:], uint32(dst))
		binary.LittleEndian.PutUint32(m[:], uint32(mask))
		bits := 0
		for _, b := range m {
			for ; b != 0; b <<= 1 {
				bits++
			}
		}
		routes = append(routes, route{fields[0], netip.PrefixFrom(netip.AddrFrom4(d), bits)})
	}
	return routes
}

// checkRoutes rejects a subnet that overlaps a route the machine already has
// on another interface than the stack's bridge.
func checkRoutes(routes []route, subnet netip.Prefix, bridge string) error {
	for _, r := range routes {
		if r.iface != bridge && r.prefix.Overlaps(subnet) {
			return fmt.Errorf("%s overlaps the route %s on %s: expected a subnet this machine does not use: pick another, such as `pulumi config set localSubnet 10.%d.0.0/24`", subnet, r.prefix, r.iface, 214+int(subnet.Addr().As4()[1]%40))
		}
	}
	return nil
}

// checkSubnetKept refuses a new subnet for a stack whose hosts run: each
// host's names and directory derive from the subnet, so a new one would
// replace every host, and delete the server's data with its old directory.
// The stack's bridge is found by its name, which hashes the stack's name
// with the subnet its route covers.
func checkSubnetKept(routes []route, name string, subnet netip.Prefix) error {
	for _, r := range routes {
		if r.prefix == subnet || r.iface != bridgeName(name, r.prefix.String()) {
			continue
		}
		return fmt.Errorf("%s: this stack's hosts run on %s (bridge %s): a new subnet would replace every host and delete the server's data: "+
			"expected %s; to move the stack, back up its data and `make down` first", subnet, r.prefix, r.iface, r.prefix)
	}
	return nil
}
