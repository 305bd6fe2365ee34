package pulumipkg

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// aHost is a Host a platform could have made.
var aHost = Host{PublicAddress: "10.213.99.10", PrivateAddress: "10.213.99.10", PrivateKey: "a key"}

func hostOutput(h Host) HostOutput { return pulumi.ToOutput(h).(HostOutput) }

func TestBlocksRefuseBadInputsNamingTheInput(t *testing.T) {
	short := pulumi.ToSecret(pulumi.String("short")).(pulumi.StringOutput)
	for _, c := range []struct {
		name string
		new  func(ctx *pulumi.Context) error
		want string
	}{
		{"a client name", func(ctx *pulumi.Context) error {
			_, err := NewLocalHosts(ctx, "db", LocalHostsArgs{Clients: []string{"bad name"}})
			return err
		}, `LocalHostsArgs.Clients[0]: "bad name": expected a letter`},
		{"the server's name", func(ctx *pulumi.Context) error {
			_, err := NewLocalHosts(ctx, "db", LocalHostsArgs{ServerName: "9"})
			return err
		}, `LocalHostsArgs.ServerName: "9": expected a letter`},
		{"too many replicas", func(ctx *pulumi.Context) error {
			_, err := NewLocalHosts(ctx, "db", LocalHostsArgs{Replicas: 17})
			return err
		}, `LocalHostsArgs.Replicas: "17": expected a whole number from 0 to 16`},
		{"a privileged port", func(ctx *pulumi.Context) error {
			_, err := NewLocalHosts(ctx, "db", LocalHostsArgs{Port: 80})
			return err
		}, "LocalHostsArgs.Port: 80: expected a TCP port 1024-65535"},
		{"a subnet", func(ctx *pulumi.Context) error {
			_, err := NewLocalHosts(ctx, "db", LocalHostsArgs{Subnet: "10.213.0.0/33"})
			return err
		}, "LocalHostsArgs.Subnet: "},
		{"an engine", func(ctx *pulumi.Context) error {
			_, err := NewServer(ctx, "srv", ServerArgs{Host: hostOutput(aHost), Engine: "postgres"})
			return err
		}, `ServerArgs.Engine: "postgres" is not an engine: expected mysql or mariadb`},
		{"no clients", func(ctx *pulumi.Context) error {
			_, err := NewLocalHosts(ctx, "db", LocalHostsArgs{Clients: []string{}})
			return err
		}, "LocalHostsArgs.Clients: is empty: expected at least one client name"},
		{"a host without an address", func(ctx *pulumi.Context) error {
			_, err := NewServer(ctx, "srv", ServerArgs{Host: hostOutput(Host{PrivateKey: "the-key"})})
			return err
		}, "ServerArgs.Host: has no publicAddress, privateAddress or privateKey"},
		{"a host's SSH port", func(ctx *pulumi.Context) error {
			h := aHost
			h.SSHPort = 70000
			_, err := NewClient(ctx, "c", ClientArgs{Host: hostOutput(h)})
			return err
		}, "ClientArgs.Host.sshPort: 70000 is out of range: expected a TCP port 1-65535"},
		{"an engine the host is not made for", func(ctx *pulumi.Context) error {
			h := aHost
			h.Engine = "mariadb"
			_, err := NewServer(ctx, "srv", ServerArgs{Host: hostOutput(h), Engine: "mysql"})
			return err
		}, `ServerArgs.Engine: "mysql", but its host is made for mariadb: expected the host's engine`},
		{"a port the host's firewall does not open", func(ctx *pulumi.Context) error {
			h := aHost
			h.MySQLPort = 3306
			_, err := NewServer(ctx, "srv", ServerArgs{Host: hostOutput(h), Port: 3307})
			return err
		}, "ServerArgs.Host.mysqlPort: its firewall opens 3306, but the server on it listens on 3307: expected the same port"},
		{"the default port where the firewall opens another", func(ctx *pulumi.Context) error {
			h := aHost
			h.MySQLPort = 3307
			_, err := NewServer(ctx, "srv", ServerArgs{Host: hostOutput(h)})
			return err
		}, "ServerArgs.Host.mysqlPort: its firewall opens 3307, but the server on it listens on 3306"},
		{"a reserved account name", func(ctx *pulumi.Context) error {
			_, err := NewUser(ctx, "u", UserArgs{Name: pulumi.String("root").ToStringOutput()})
			return err
		}, "UserArgs.Name: "},
		{"a short password", func(ctx *pulumi.Context) error {
			_, err := NewUser(ctx, "u", UserArgs{Password: short})
			return err
		}, "UserArgs.Password: is too short: expected at least 12 characters"},
		{"a replica's short password", func(ctx *pulumi.Context) error {
			_, err := NewReplica(ctx, "r", ReplicaArgs{Host: hostOutput(aHost), Password: short})
			return err
		}, "ReplicaArgs.Password: is too short"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var registered int
			err := pulumi.RunErr(func(ctx *pulumi.Context) error { return c.new(ctx) },
				pulumi.WithMocks("p", "s", counting{&registered}))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), "short\"", "the secret's value")
			assert.NotContains(t, err.Error(), "the-key", "the host's key")
			assert.Zero(t, registered, "created before the error")
		})
	}
}

// counting mocks count the resources registered.
type counting struct{ n *int }

func (c counting) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	*c.n++
	return mocks{}.NewResource(a)
}

func (counting) Call(a pulumi.MockCallArgs) (resource.PropertyMap, error) { return mocks{}.Call(a) }

// TestABlockTakesItsHostsEngine: a component on a Host takes the engine
// the Host is made for, and a replica its source's.
func TestABlockTakesItsHostsEngine(t *testing.T) {
	mariadb := aHost
	mariadb.Engine = "mariadb"
	require.NoError(t, pulumi.RunErr(func(ctx *pulumi.Context) error {
		for _, c := range []struct{ given, want string }{{"", "mariadb"}, {"mariadb", "mariadb"}} {
			got, err := hostEngine(ctx, "ServerArgs", c.given, 0, hostOutput(mariadb))
			require.NoError(t, err)
			assert.Equal(t, c.want, got, "given %q", c.given)
		}
		got, err := hostEngine(ctx, "ServerArgs", "", 0, hostOutput(aHost))
		require.NoError(t, err)
		assert.Equal(t, "mysql", got, "a Host that says no engine: the default")

		src, err := NewServer(ctx, "srv", ServerArgs{Host: hostOutput(mariadb)})
		require.NoError(t, err)
		got, err = replicaEngine(ReplicaArgs{Source: src})
		require.NoError(t, err)
		assert.Equal(t, "mariadb", got, "a replica runs its source's engine")
		_, err = replicaEngine(ReplicaArgs{Source: src, Engine: "mysql"})
		assert.EqualError(t, err, `ReplicaArgs.Engine: "mysql", but the source runs mariadb: expected the source's engine`)
		return nil
	}, pulumi.WithMocks("p", "s", installs{ca: selfSigned(t)})))
}

// TestAReplicaListensOnItsSourcesPort: a replica listens on its source's
// port, which its host's firewall must open.
func TestAReplicaListensOnItsSourcesPort(t *testing.T) {
	at := func(port int) HostOutput {
		h := aHost
		h.MySQLPort = port
		return hostOutput(h)
	}
	require.NoError(t, pulumi.RunErr(func(ctx *pulumi.Context) error {
		src, err := NewServer(ctx, "srv", ServerArgs{Host: at(3307), Port: 3307})
		require.NoError(t, err, "the server's port is its host's")
		_, err = NewReplica(ctx, "r", ReplicaArgs{Host: at(3306), Source: src, ServerID: 2,
			Password: pulumi.ToSecret(pulumi.String("a-long-replica-password")).(pulumi.StringOutput)})
		require.EqualError(t, err, "ReplicaArgs.Host.mysqlPort: its firewall opens 3306, but the server on it listens on 3307: "+
			"expected the same port (local:Hosts' port and the MySQLServer's)")
		_, err = hostEngine(ctx, "ReplicaArgs", "", sourcePort(ReplicaArgs{Source: src}), at(3307))
		assert.NoError(t, err, "a host that opens the source's port")
		return nil
	}, pulumi.WithMocks("p", "s", installs{ca: selfSigned(t)})))
}

// TestAServerIsFoundByItsURN: a MySQLServer passed by reference is the
// server made in this process; another resource, or one not made here, is
// refused.
func TestAServerIsFoundByItsURN(t *testing.T) {
	var made *mysql.Server
	require.NoError(t, pulumi.RunErr(func(ctx *pulumi.Context) error {
		s, err := NewServer(ctx, "srv", ServerArgs{Host: hostOutput(aHost)})
		made = s
		return err
	}, pulumi.WithMocks("p", "s", installs{ca: selfSigned(t)})))
	var urn string
	servers.Range(func(k, v any) bool {
		if v.(*mysql.Server) == made {
			urn = k.(string)
		}
		return urn == ""
	})
	require.True(t, strings.HasSuffix(urn, "::srv"), "the server's URN: %q", urn)
	got, err := serverModule{}.Construct(nil, "srv", mysql.ServerType, urn)
	require.NoError(t, err)
	assert.Same(t, made, got)
	_, err = serverModule{}.Construct(nil, "other", mysql.ServerType, urn+"-other")
	assert.ErrorContains(t, err, "not made in this deployment")
	_, err = serverModule{}.Construct(nil, "u", mysql.UserType, urn)
	assert.ErrorContains(t, err, "only a "+mysql.ServerType+" may be passed here")
}

// installs mocks answer each remote command as the server install does: a
// version, the certificate's expiry and the CA.
type installs struct{ ca string }

func (m installs) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	out := a.Inputs.Copy()
	if a.TypeToken == "command:remote:Command" {
		out["stdout"] = resource.NewStringProperty("9.7.4\ncertificate-expires: 2029-01-01T00:00:00Z\n" + m.ca)
	}
	return a.Name + "-id", out, nil
}

func (installs) Call(a pulumi.MockCallArgs) (resource.PropertyMap, error) { return mocks{}.Call(a) }

// selfSigned is a CA certificate, PEM.
func selfSigned(t *testing.T) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
