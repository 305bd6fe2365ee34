package mysql

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/shell"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

type serverOutputs struct{ version, address, port, ca, expiry mocktest.Awaited }

// runServer creates a server host "srv" and a Server "db" on it; edit
// adjusts the args.
func runServer(t *testing.T, edit func(*ServerArgs)) (*mocktest.Mocks, serverOutputs, error) {
	t.Helper()
	m := newMocks(t)
	var out serverOutputs
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		h, err := newTestHost(ctx, "srv", host.RoleServer, serverPublic, serverPrivate)
		if err != nil {
			return err
		}
		args := &ServerArgs{Host: h}
		if edit != nil {
			edit(args)
		}
		s, err := NewServer(ctx, "db", args)
		if err != nil {
			return err
		}
		if s.Host != h || s.Install == nil {
			t.Errorf("Server.Host/Install not set")
		}
		if out.version, err = mocktest.Await(ctx, s.Version); err != nil {
			return err
		}
		if out.address, err = mocktest.Await(ctx, s.Address); err != nil {
			return err
		}
		if out.ca, err = mocktest.Await(ctx, s.CACert); err != nil {
			return err
		}
		if out.expiry, err = mocktest.Await(ctx, s.CertificateExpiry); err != nil {
			return err
		}
		out.port, err = mocktest.Await(ctx, s.Port)
		return err
	})
	return m, out, err
}

func TestServerInstallsOnItsHostBoundToThePrivateAddress(t *testing.T) {
	m, out, err := runServer(t, nil)
	require.NoError(t, err)

	comp, ok := m.Named(ServerType, "db")
	require.True(t, ok)
	assert.False(t, comp.Custom)

	cmds := m.OfType("command:remote:Command")
	require.Len(t, cmds, 3, "the host's scripts, the install and the renewal")
	install, ok := m.Named("command:remote:Command", "db-install")
	require.True(t, ok)
	assert.Contains(t, install.Parent, ServerType, "the install command is parented to the Server")

	create := str(t, install, "create")
	assert.Contains(t, create, "MCS_BIND_ADDRESS='"+serverPrivate+"'", "bound to the host's private address")
	assert.NotContains(t, create, "0.0.0.0", "never bound to every address by default")
	assert.Contains(t, create, "MCS_PORT='3306'", "port 3306 by default")
	assert.Contains(t, create, shell.Quote(scriptPath("server-install.sh")), "the create runs the staged server-install script")
	reRunsCreate(t, install, "an update re-runs the install")

	assert.True(t, dependsOn(install, "command:local:Command", "srv-ready"), "installed after the host is ready: %v", install.Dependencies)

	c := connectionOf(t, install)
	assert.Equal(t, serverPublic, c.host, "the operator connects to the public address")
	assert.Equal(t, "ubuntu", c.user)
	assert.Equal(t, float64(testSSHPort), c.port)
	assert.Equal(t, testHostKey, c.hostKey, "the host key is pinned")
	assert.True(t, c.keySecret, "the SSH key is secret")
	assert.Equal(t, float64(host.DialErrorLimit), c.dialErrorLimit)

	assert.Equal(t, "10.11.19-MariaDB", out.version.Value, "Version is the first line of the install command's output")
	assert.Equal(t, strings.TrimSpace(m.CACert)+"\n", out.ca.Value, "CACert is the rest")
	assert.Equal(t, mocktest.CertificateExpiry, out.expiry.Value, "CertificateExpiry is what the renewal check printed")
	assert.Equal(t, serverPrivate, out.address.Value)
	assert.Equal(t, 3306, out.port.Value)
}

func TestServerBindAddressAndPortOverrides(t *testing.T) {
	m, out, err := runServer(t, func(a *ServerArgs) {
		a.BindAddress = pulumi.String("0.0.0.0")
		a.Port = 3307
	})
	require.NoError(t, err)
	install, ok := m.Named("command:remote:Command", "db-install")
	require.True(t, ok)
	create := str(t, install, "create")
	assert.Contains(t, create, "MCS_BIND_ADDRESS='0.0.0.0'")
	assert.NotContains(t, create, "MCS_BIND_ADDRESS='"+serverPrivate+"'")
	assert.Contains(t, create, "MCS_PORT='3307'")
	assert.Contains(t, create, "MCS_CERT_ADDRESS='"+serverPrivate+"'", "the certificate names the private address")
	assert.Equal(t, serverPrivate, out.address.Value, "clients still connect to the private address")
	assert.Equal(t, 3307, out.port.Value)
}

func TestServerInvalidArgsFailNamingTheField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*ServerArgs)
		field string
	}{
		{"no host", func(a *ServerArgs) { a.Host = nil }, "ServerArgs.Host: required"},
		{"port too big", func(a *ServerArgs) { a.Port = 65536 }, "ServerArgs.Port: 65536: expected a TCP port 1024-65535"},
		{"port negative", func(a *ServerArgs) { a.Port = -1 }, "ServerArgs.Port: -1: expected a TCP port 1024-65535"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := runServer(t, tc.edit)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.field)
			assert.Empty(t, others(m, "srv-ready"), "nothing but the test host is registered")
		})
	}
	t.Run("nil args", func(t *testing.T) {
		m := newMocks(t)
		err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
			_, err := NewServer(ctx, "db", nil)
			return err
		})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "ServerArgs.Host: required")
		assert.Empty(t, m.Resources())
	})
}

// TestServerRenewsItsCertificateOncePerPeriod: the renewal runs the install
// with the start of the current period (counted from the CA's NotBefore);
// its trigger is that start, so it changes once a period.
func TestServerRenewsItsCertificateOncePerPeriod(t *testing.T) {
	m, _, err := runServer(t, nil)
	require.NoError(t, err)
	renew, ok := m.Named("command:remote:Command", "db-tls-renew")
	require.True(t, ok)
	assert.True(t, dependsOn(renew, "command:remote:Command", "db-install"), "after the install")
	start := RenewalStart(m.CANotBefore, time.Now(), DefaultCertRenewEvery)
	assert.Equal(t, m.CANotBefore, start, "a new CA: the first period")
	want := fmt.Sprint(start.Unix())
	assert.Contains(t, str(t, renew, "create"), "MCS_RENEW_ISSUED_BEFORE='"+want+"'")
	assert.Contains(t, str(t, renew, "create"), "MCS_RENEW_ONLY='yes'", "the certificate step only")
	assert.Contains(t, str(t, renew, "create"), shell.Quote(scriptPath("server-install.sh")))
	triggers := renew.Inputs["triggers"].ArrayValue()
	require.Len(t, triggers, 1)
	assert.Equal(t, want, triggers[0].StringValue(), "the trigger is the period's start")
}

func TestRenewalStartCountsWholePeriodsFromTheCA(t *testing.T) {
	ca := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	year := DefaultCertRenewEvery
	for _, c := range []struct {
		now, want time.Time
	}{
		{ca, ca},
		{ca.Add(364 * 24 * time.Hour), ca},
		{ca.Add(year), ca.Add(year)},
		{ca.Add(2*year + time.Hour), ca.Add(2 * year)},
		{ca.Add(-time.Hour), ca}, // a clock behind the CA
	} {
		assert.Equal(t, c.want, RenewalStart(ca, c.now, year), "now %s", c.now)
	}
	// Renewed at the start of a period at the latest, a certificate
	// outlives the next period by at least 30 days.
	assert.GreaterOrEqual(t, CertValidity-2*year, 30*24*time.Hour)
}

// TestServerIDAndReadOnly: the primary is server_id 1 and writable unless
// told otherwise; a replica's server gets its own id and read-only.
func TestServerIDAndReadOnly(t *testing.T) {
	for _, tc := range []struct {
		name         string
		edit         func(*ServerArgs)
		id, readOnly string
	}{
		{"defaults: the primary", nil, "1", "no"},
		{"server id 0 is 1", func(a *ServerArgs) { a.ServerID = 0 }, "1", "no"},
		{"a replica's", func(a *ServerArgs) { a.ServerID, a.ReadOnly = 7, true }, "7", "yes"},
		{"the largest", func(a *ServerArgs) { a.ServerID = MaxServerID }, fmt.Sprint(MaxServerID), "no"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := runServer(t, tc.edit)
			require.NoError(t, err)
			install, ok := m.Named("command:remote:Command", "db-install")
			require.True(t, ok)
			create := str(t, install, "create")
			assert.Contains(t, create, "MCS_SERVER_ID='"+tc.id+"'")
			assert.Contains(t, create, "MCS_READ_ONLY='"+tc.readOnly+"'")
			assert.NotContains(t, create, "MCS_TLS_CERT", "a server without SignedBy makes its own CA")
			_, ok = m.Named("command:remote:Command", "db-tls-renew")
			assert.True(t, ok, "and renews its own certificate")
		})
	}
}

func TestServerInvalidReplicationArgsFailNamingTheField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*ServerArgs)
		field string
	}{
		{"server id negative", func(a *ServerArgs) { a.ServerID = -1 }, "ServerArgs.ServerID: -1: expected 1-"},
		{"server id too big", func(a *ServerArgs) { a.ServerID = MaxServerID + 1 }, "ServerArgs.ServerID"},
		{"signed by itself", func(a *ServerArgs) { a.SignedBy = &Server{Host: a.Host} }, "ServerArgs.SignedBy: is this server's own host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := runServer(t, tc.edit)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.field)
			assert.Empty(t, others(m, "srv-ready"), "nothing but the test host is registered")
		})
	}
}

// TestServerSignedByAnotherHasNoCAOfItsOwn: the request is made on the
// server's host, signed on SignedBy's, signed again when SignedBy's renewal
// period turns; the server has no renewal of its own and its
// CertificateExpiry is what its install printed.
func TestServerSignedByAnotherHasNoCAOfItsOwn(t *testing.T) {
	m := newMocks(t)
	var expiry, ca mocktest.Awaited
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		primary, err := newTestServer(ctx)
		if err != nil {
			return err
		}
		other, err := newTestHost(ctx, "other", host.RoleReplica, clientPublic, clientPrivate)
		if err != nil {
			return err
		}
		s, err := NewServer(ctx, "db2", &ServerArgs{Host: other, ServerID: 2, ReadOnly: true, SignedBy: primary})
		if err != nil {
			return err
		}
		if expiry, err = mocktest.Await(ctx, s.CertificateExpiry); err != nil {
			return err
		}
		ca, err = mocktest.Await(ctx, s.CACert)
		return err
	})
	require.NoError(t, err)
	req, ok := m.Named("command:remote:Command", "db2-tls-request")
	require.True(t, ok)
	assert.Equal(t, clientPublic, connectionOf(t, req).host, "the key stays on its own host")
	sign, ok := m.Named("command:remote:Command", "db2-tls-sign")
	require.True(t, ok)
	assert.Equal(t, serverPublic, connectionOf(t, sign).host, "signed where the CA is")
	assert.True(t, dependsOn(sign, "command:remote:Command", "db-install"), "after the CA exists")
	start := RenewalStart(m.CANotBefore, time.Now(), DefaultCertRenewEvery)
	triggers := sign.Inputs["triggers"].ArrayValue()
	require.Len(t, triggers, 1)
	assert.Equal(t, fmt.Sprint(start.Unix()), triggers[0].StringValue(), "signed again with the CA's renewal")
	install, ok := m.Named("command:remote:Command", "db2-install")
	require.True(t, ok)
	assert.Equal(t, clientPublic, connectionOf(t, install).host)
	assert.Contains(t, str(t, install, "create"), "MCS_TLS_CERT="+shell.Quote(sign.State["stdout"].StringValue()))
	_, ok = m.Named("command:remote:Command", "db2-tls-renew")
	assert.False(t, ok, "no renewal of its own")
	assert.Equal(t, mocktest.CertificateExpiry, expiry.Value, "the install's expiry")
	assert.Equal(t, strings.TrimSpace(m.CACert)+"\n", ca.Value)
}
