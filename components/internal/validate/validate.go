// Package validate holds the input checks shared by the platforms and the
// stack configuration. Each returns an error that says the expected form; the
// caller prefixes the key or field name.
package validate

import (
	"fmt"
	"net/netip"
)

// IPv4CIDR parses an IPv4 CIDR such as 203.0.113.7/32. The address must be
// the network's first address (no host bits set).
func IPv4CIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 CIDR: expected the form a.b.c.d/n, such as 203.0.113.7/32", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%q has host bits set: expected %s", s, p.Masked())
	}
	return p, nil
}

// Port checks a TCP port number.
func Port(p int) error {
	if p < 1 || p > 65535 {
		return fmt.Errorf("%d is out of range: expected a TCP port 1-65535", p)
	}
	return nil
}

// MySQLPort checks the port a server listens on: 1024-65535. Below 1024
// only root may bind, and mysqld runs as mysql (systemd starts it so); 22 is
// the hosts' SSH, which the ingress would then open to every client.
func MySQLPort(p int) error {
	if p < 1024 || p > 65535 {
		return fmt.Errorf("%d: expected a TCP port 1024-65535 (below 1024 only root may bind, mysqld runs as mysql; 22 is SSH)", p)
	}
	return nil
}
