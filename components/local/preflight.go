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

// checkRoutes reads /proc/net/route and rejects a subnet that overlaps a
// route the machine already has on another interface (the default route
// aside).
func checkRoutes(subnet netip.Prefix, bridge string) error {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return nil // no IPv4 routing table to compare with
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 || fields[0] == bridge {
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
		route := netip.PrefixFrom(netip.AddrFrom4(d), bits)
		if route.Overlaps(subnet) {
			return fmt.Errorf("%s overlaps the route %s on %s: expected a subnet this machine does not use: pick another, such as `pulumi config set localSubnet 10.%d.0.0/24`", subnet, route, fields[0], 214+int(subnet.Addr().As4()[1]%40))
		}
	}
	return nil
}
