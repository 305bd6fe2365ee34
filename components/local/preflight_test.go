package local

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests look at this machine for real: its routing table, its PATH.

// kernelRoutes lists this machine's IPv4 link routes with their devices, as
// iproute2 prints them (an independent reading of the routing table).
func kernelRoutes(t *testing.T) map[netip.Prefix]string {
	t.Helper()
	out, err := exec.Command("ip", "-4", "-o", "route", "show", "table", "main").Output()
	if err != nil {
		t.Skipf("cannot list routes with ip(8): %v", err)
	}
	routes := map[netip.Prefix]string{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] == "default" {
			continue
		}
		p, err := netip.ParsePrefix(f[0])
		if err != nil {
			if a, err := netip.ParseAddr(f[0]); err == nil {
				p = netip.PrefixFrom(a, 32)
			} else {
				continue
			}
		}
		for i := 1; i+1 < len(f); i++ {
			if f[i] == "dev" {
				routes[p] = f[i+1]
			}
		}
	}
	return routes
}

// freeSubnet returns a /24 that no route of this machine overlaps.
func freeSubnet(t *testing.T) netip.Prefix {
	t.Helper()
	routes := kernelRoutes(t)
	for _, c := range []string{"10.213.0.0/24", "10.251.93.0/24", "172.30.211.0/24", "192.168.251.0/24"} {
		p := netip.MustParsePrefix(c)
		free := true
		for r := range routes {
			if r.Overlaps(p) {
				free = false
			}
		}
		if free {
			return p
		}
	}
	t.Skip("every candidate subnet overlaps a route of this machine")
	return netip.Prefix{}
}

func TestCheckRoutesRejectsASubnetOverlappingAnExistingRoute(t *testing.T) {
	routes := kernelRoutes(t)
	if len(routes) == 0 {
		t.Skip("this machine has no IPv4 link route to overlap")
	}
	for route, dev := range routes {
		err := checkRoutes(readRoutes(), route, "mcs-notthis")
		require.Error(t, err, "%s overlaps the route on %s", route, dev)
		assert.Contains(t, err.Error(), route.String()+" overlaps the route")
		assert.Contains(t, err.Error(), " on "+dev)
		assert.Contains(t, err.Error(), "pulumi config set localSubnet", "the error says how to choose another")

		if err := checkRoutes(readRoutes(), route, dev); err != nil {
			assert.NotContains(t, err.Error(), " on "+dev+":", "the platform's own bridge is not a conflict")
		}
	}
	assert.NoError(t, checkRoutes(readRoutes(), freeSubnet(t), "mcs-notthis"), "a subnet no route overlaps is accepted")
}

// TestCheckRoutesRejectsARouteMadeForTheTest creates an interface mcsut0
// with the route 10.250.77.0/24, for real, and removes it afterwards. It
// needs root. The interface is a dummy; where the kernel has no dummy
// driver (some containers), a veth pair mcsut0/mcsut0p.
func TestCheckRoutesRejectsARouteMadeForTheTest(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates the interface mcsut0 with the route 10.250.77.0/24")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip(8) (iproute2) to create the interface mcsut0")
	}
	for _, dev := range []string{"mcsut0", "mcsut0p"} {
		if exec.Command("ip", "link", "show", dev).Run() == nil {
			t.Skipf("%s already exists (left over?): remove it with `ip link del %s`", dev, dev)
		}
	}
	ip := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	peer := ""
	if err := ip("link", "add", "mcsut0", "type", "dummy"); err != nil {
		if err2 := ip("link", "add", "mcsut0", "type", "veth", "peer", "name", "mcsut0p"); err2 != nil {
			t.Skipf("cannot create a test interface here: %v; %v", err, err2)
		}
		peer = "mcsut0p"
	}
	t.Cleanup(func() {
		if err := ip("link", "del", "mcsut0"); err != nil { // takes the veth peer with it
			t.Errorf("removing mcsut0: %v", err)
		}
	})
	require.NoError(t, ip("addr", "add", "10.250.77.1/24", "dev", "mcsut0"))
	if peer != "" {
		require.NoError(t, ip("link", "set", peer, "up"))
	}
	require.NoError(t, ip("link", "set", "mcsut0", "up"))
	require.Equal(t, "mcsut0", kernelRoutes(t)[netip.MustParsePrefix("10.250.77.0/24")], "the kernel has the test route")

	for _, subnet := range []string{"10.250.77.0/24", "10.250.0.0/16", "10.250.77.128/27"} {
		err := checkRoutes(readRoutes(), netip.MustParsePrefix(subnet), "mcs-notthis")
		require.Error(t, err, "%s overlaps 10.250.77.0/24", subnet)
		assert.Contains(t, err.Error(), subnet+" overlaps the route 10.250.77.0/24 on mcsut0")
	}
	if err := checkRoutes(readRoutes(), netip.MustParsePrefix("10.250.78.0/24"), "mcs-notthis"); err != nil {
		assert.NotContains(t, err.Error(), "mcsut0", "an adjacent subnet does not overlap")
	}
	if err := checkRoutes(readRoutes(), netip.MustParsePrefix("10.250.77.0/24"), "mcsut0"); err != nil {
		assert.NotContains(t, err.Error(), "mcsut0", "the platform's own bridge is not a conflict")
	}
}

// swapRequirements replaces the package's requirements for one test.
func swapRequirements(t *testing.T, reqs []requirement) {
	t.Helper()
	saved := requirements
	requirements = reqs
	t.Cleanup(func() { requirements = saved })
}

func TestCheckMachineListsMissingToolsWithTheirPackages(t *testing.T) {
	swapRequirements(t, []requirement{
		{"frobnicate (frobtools)", []string{"mcs-test-no-such-command", "mcs-test-no-such-command-either"}, "frobtools", true},
		{"shell (present)", []string{"mcs-test-no-such-command", "sh"}, "pkg-present-command", true},
		{"root dir (present)", []string{"/nonexistent/mcs-test", "/"}, "pkg-present-file", false},
		{"widget daemon (widgetd)", []string{"/nonexistent/mcs-test/widgetd"}, "widgetd", false},
	})
	err := CheckMachine()
	require.Error(t, err)
	msg := err.Error()
	assert.True(t, strings.HasPrefix(msg, "platform local: this machine cannot host it yet:"), msg)
	assert.Contains(t, msg, "missing frobnicate (frobtools): install it with: apt-get install -y frobtools")
	assert.Contains(t, msg, "missing widget daemon (widgetd): install it with: apt-get install -y widgetd")
	assert.Contains(t, msg, "(or run `make deps`, which installs: frobtools widgetd)")
	assert.NotContains(t, msg, "pkg-present", "a tool found by any of its names is not missing")
	assert.NotContains(t, msg, "overlaps", "the subnet is free")
}

func TestCheckMachinePassesWhenEverythingIsThere(t *testing.T) {
	swapRequirements(t, []requirement{{"shell", []string{"sh"}, "dash", true}})
	err := CheckMachine()
	if os.Geteuid() != 0 {
		require.Error(t, err)
		assert.Contains(t, err.Error(), "root: the local platform creates namespaces")
		assert.NotContains(t, err.Error(), "missing")
		assert.NotContains(t, err.Error(), "make deps", "nothing to install")
		return
	}
	assert.NoError(t, err)
}

func TestCheckSubnetKeptRefusesANewSubnetWhileTheStacksHostsRun(t *testing.T) {
	running := netip.MustParsePrefix("10.213.7.0/24")
	routes := []route{
		{"eth0", netip.MustParsePrefix("192.0.2.0/24")},
		{bridgeName("dev", running.String()), running},
		{bridgeName("other", "10.213.9.0/24"), netip.MustParsePrefix("10.213.9.0/24")},
	}
	err := checkSubnetKept(routes, "dev", netip.MustParsePrefix("10.213.8.0/24"))
	require.Error(t, err, "the stack's hosts run on another subnet")
	for _, want := range []string{"10.213.8.0/24", "run on 10.213.7.0/24", "delete the server's data", "expected 10.213.7.0/24", "make down"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NoError(t, checkSubnetKept(routes, "dev", running), "the subnet the hosts run on")
	assert.NoError(t, checkSubnetKept(routes, "fresh", netip.MustParsePrefix("10.213.8.0/24")),
		"another stack's bridge (another name) is not this stack's")
	assert.NoError(t, checkSubnetKept(routes[:1], "dev", netip.MustParsePrefix("10.213.8.0/24")), "no hosts run: any subnet")
}
