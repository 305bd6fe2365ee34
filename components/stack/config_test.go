package stack

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/mysql-client-server/mysql-client-server/components/keypair"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// TestInvalidConfigFailsBeforeAnythingIsCreated: each bad configuration is
// rejected with an error that names the key and says the expected form, and
// no resource is registered.
func TestInvalidConfigFailsBeforeAnythingIsCreated(t *testing.T) {
	aws := func(kv ...string) map[string]string {
		c := map[string]string{"platform": "aws", "operatorCidr": "198.51.100.7/32"}
		for i := 0; i < len(kv); i += 2 {
			c[kv[i]] = kv[i+1]
		}
		return c
	}
	long := strings.Repeat("u", 33)
	var many []string
	for i := 0; i < 60; i++ {
		many = append(many, fmt.Sprintf("c%d", i))
	}
	manyClients := `["` + strings.Join(many, `","`) + `"]`
	signer, err := keypair.ParsePrivateKey(mocktest.NewPrivateKey(t))
	require.NoError(t, err)
	otherPublicKey := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	cases := []struct {
		name    string
		config  map[string]string
		secrets []string
		key     string // the key the error must name
		expect  string // a fragment of the expected form
	}{
		{"unknown platform", aws("platform", "gcp"), nil, "platform", "expected aws or local"},
		{"unknown preset", aws("preset", "insecure"), nil, "preset", "expected secure or tutorial"},
		{"allPrivileges not a bool", aws("allPrivileges", "yes"), nil, "allPrivileges", "expected true or false"},
		{"grantOption not a bool", aws("grantOption", "1"), nil, "grantOption", "expected true or false"},
		{"operator cidr missing", map[string]string{"platform": "aws"}, nil, "operatorCidr", "such as 203.0.113.7/32"},
		{"operator cidr not a cidr", aws("operatorCidr", "198.51.100.7"), nil, "operatorCidr", "a.b.c.d/n"},
		{"operator cidr garbage", aws("operatorCidr", "my-laptop"), nil, "operatorCidr", "a.b.c.d/n"},
		{"operator cidr ipv6", aws("operatorCidr", "2001:db8::/64"), nil, "operatorCidr", "a.b.c.d/n"},
		{"operator cidr host bits", aws("operatorCidr", "198.51.100.7/24"), nil, "operatorCidr", "expected 198.51.100.0/24"},
		{"operator cidr whole internet", aws("operatorCidr", "0.0.0.0/0"), nil, "operatorCidr", "expected your own address"},
		{"unknown engine", aws("engine", "MySQL"), nil, "engine", "expected mysql or mariadb"},
		{"more clients than a security group takes", aws("clients", manyClients), nil, "clients", "expected at most 59 clients and replicas"},
		{"more hosts than the local subnet holds", map[string]string{"platform": "local", "localSubnet": "10.213.250.0/27", "clients": manyClients},
			nil, "localSubnet", "has room for 21 hosts, not 61"},
		{"port zero", aws("port", "0"), nil, "port", "1024-65535"},
		{"port too big", aws("port", "65536"), nil, "port", "1024-65535"},
		{"port not a number", aws("port", "mysql"), nil, "port", "1024-65535"},
		{"port of SSH", aws("port", "22"), nil, "port", "22 is SSH"},
		{"port below 1024", aws("port", "1023"), nil, "port", "below 1024 only root may bind"},
		{"reserved user root", aws("userName", "root"), nil, "userName", "reserved"},
		{"reserved user mysql.sys", aws("userName", "mysql.sys"), nil, "userName", "reserved"},
		{"user too long", aws("userName", long), nil, "userName", "at most 32"},
		{"user with NUL", aws("userName", "a\x00b"), nil, "userName", "printable"},
		{"user with newline", aws("userName", "a\nb"), nil, "userName", "printable"},
		{"database with backtick", aws("database", "a`b"), nil, "database", "expected letters"},
		{"database mysql", aws("database", "mysql"), nil, "database", "the server's own schema"},
		{"database sys", aws("database", "sys"), nil, "database", "the server's own schema"},
		{"database performance_schema", aws("database", "performance_schema"), nil, "database", "the server's own schema"},
		{"database INFORMATION_SCHEMA", aws("database", "INFORMATION_SCHEMA"), nil, "database", "the server's own schema"},
		{"reserved user mysql.session", aws("userName", "mysql.session"), nil, "userName", "reserved"},
		{"reserved user mysql.infoschema", aws("userName", "mysql.infoschema"), nil, "userName", "reserved"},
		{"reserved user mariadb.sys", aws("userName", "mariadb.sys"), nil, "userName", "reserved"},
		{"reserved user debian-sys-maint", aws("userName", "debian-sys-maint"), nil, "userName", "reserved"},
		{"replication account name", aws("userName", "mcs_repl_2"), nil, "userName", "the replicas' accounts"},
		{"database with slash", aws("database", "a/b"), nil, "database", "expected letters"},
		{"database with newline", aws("database", "a\nb"), nil, "database", "expected letters"},
		{"database too long", aws("database", strings.Repeat("d", 65)), nil, "database", "at most 64"},
		{"password too short", aws("password", "short"), []string{"password"}, "password", "at least 12"},
		{"password with NUL", aws("password", "long-enough\x00-password"), []string{"password"}, "password", "NUL"},
		{"password in plain text", aws("password", "long-enough-password"), nil, "password", "expected a secret"},
		{"public key without private key", aws("sshPublicKey", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGkNmGlDfgR9kXvGg7qbhxKo0Vt0UZ1lHq6m4Zx0mZbP x"), nil, "sshPrivateKey", "matching private key"},
		{"private key garbage", aws("sshPrivateKey", "not a key"), []string{"sshPrivateKey"}, "sshPrivateKey", "OPENSSH PRIVATE KEY"},
		{"public key of another key", aws("sshPrivateKey", mocktest.NewPrivateKey(t), "sshPublicKey", otherPublicKey), []string{"sshPrivateKey"},
			"sshPublicKey", "does not match the private key"},
		{"backupPassphrase too short", aws("backupPassphrase", "short"), []string{"backupPassphrase"}, "backupPassphrase", "at least 16 characters on one line"},
		{"backupPassphrase of two lines", aws("backupPassphrase", "first line of the passphrase\nsecond line"), []string{"backupPassphrase"},
			"backupPassphrase", "at least 16 characters on one line"},
		{"private key in plain text", aws("sshPrivateKey", "not a key"), nil, "sshPrivateKey", "expected a secret"},
		{"public key garbage", aws("sshPublicKey", "ssh-rsa"), nil, "sshPublicKey", "authorized_keys line"},
		{"zero clients", aws("clients", "[]"), nil, "clients", "at least one client"},
		{"duplicate clients", aws("clients", `["a","a"]`), nil, "clients", "unique"},
		{"client named like the server", aws("clients", `["mysql_server"]`), nil, "clients", "unique"},
		{"client name with space", aws("clients", `["bad name"]`), nil, "clients", "expected a letter"},
		{"clients not a list", aws("clients", "mysql_client"), nil, "clients", "YAML list"},
		{"ami wrong form", aws("ami", "ami-123"), nil, "ami", "8 or 17 hex digits"},
		{"ami not an ami", aws("ami", "ubuntu-jammy"), nil, "ami", "8 or 17 hex digits"},
		{"instance type wrong form", aws("instanceType", "micro"), nil, "instanceType", "family.size"},
		{"subnet id wrong form", aws("subnetId", "sub-1", "vpcId", "vpc-0123abcd"), nil, "subnetId", "hex digits"},
		{"subnet without vpc", aws("subnetId", "subnet-0123abcd"), nil, "subnetId", "both or neither"},
		{"local subnet not a cidr", map[string]string{"platform": "local", "localSubnet": "10.213.0.0/33"}, nil, "localSubnet", "a.b.c.d/n"},
		{"local subnet too small", map[string]string{"platform": "local", "localSubnet": "10.213.0.0/30"}, nil, "localSubnet", "/16 to /27"},
		{"local subnet too big", map[string]string{"platform": "local", "localSubnet": "10.0.0.0/8"}, nil, "localSubnet", "/16 to /27"},
		{"local state dir relative", map[string]string{"platform": "local", "localStateDir": "state"}, nil, "localStateDir", "absolute"},
		{"local subnet loopback", map[string]string{"platform": "local", "localSubnet": "127.0.0.0/24"}, nil, "localSubnet", "loopback, link-local, multicast"},
		{"local subnet link-local", map[string]string{"platform": "local", "localSubnet": "169.254.10.0/24"}, nil, "localSubnet", "loopback, link-local, multicast"},
		{"local subnet multicast", map[string]string{"platform": "local", "localSubnet": "224.1.0.0/24"}, nil, "localSubnet", "loopback, link-local, multicast"},
		{"local state dir /", map[string]string{"platform": "local", "localStateDir": "/"}, nil, "localStateDir", "expected a clean absolute path"},
		{"local state dir /var", map[string]string{"platform": "local", "localStateDir": "/var"}, nil, "localStateDir", "is a system directory"},
		{"local state dir /usr", map[string]string{"platform": "local", "localStateDir": "/usr"}, nil, "localStateDir", "is a system directory"},
		{"backupBucket not a bucket name", aws("backupBucket", "My_Bucket"), nil, "backupBucket", "expected 3 to 63 lowercase letters"},
		{"restoreFrom not a target", aws("restoreFrom", "yesterday"), nil, "restoreFrom", "expected latest, a backup's name"},
		{"restoreFrom a bad time", aws("restoreFrom", "time=16:30"), nil, "restoreFrom", "time=2026-12-01T16:30:00Z"},
		{"restoreFrom without the passphrase", aws("restoreFrom", "latest"), nil, "backupPassphrase", "the passphrase the backups were made with"},
		{"restoreFrom with backups off", aws("restoreFrom", "latest", "backups", "off"), nil, "restoreFrom", "needs backups on"},
		{"restoreHost not a boolean", aws("restoreHost", "yes"), nil, "restoreHost", "expected true or false"},
		{"restoreHost with backups off", aws("restoreHost", "true", "backups", "off"), nil, "restoreHost", "needs backups on"},
		{"restoreHost and a client of its name", aws("restoreHost", "true", "clients", `["mysql_restore"]`), nil, "restoreHost", "a client is named mysql_restore"},
		{"local state dir /etc/x", map[string]string{"platform": "local", "localStateDir": "/etc/mcs"}, nil, "localStateDir", "is under /etc, a system directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := mocktest.New(t)
			err := mocktest.Run(t, m, engineConfig(t, tc.config), tc.secrets, func(ctx *pulumi.Context) error {
				_, err := Build(ctx)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "mysql-client-server:"+tc.key+":", "the error names the key")
			assert.Contains(t, err.Error(), tc.expect, "the error says the expected form")
			assert.Empty(t, m.Resources(), "nothing is registered")
		})
	}
}

// engineConfig is config as the real engine hands it to the program: every
// key Pulumi.yaml declares, with its default, under the test's values.
func engineConfig(t *testing.T, config map[string]string) map[string]string {
	t.Helper()
	c, err := EngineConfig("../../Pulumi.yaml", config)
	require.NoError(t, err)
	return c
}

// The engine passes each declared key with its default, formatted as the
// engine formats it; the mocks get the same through engineConfig.
func TestEngineConfigHasEveryDeclaredKeyWithItsDefault(t *testing.T) {
	c := engineConfig(t, map[string]string{"platform": "local", "mysql-client-server:port": "3307"})
	for _, key := range []string{"platform", "operatorCidr", "clients", "preset", "allPrivileges", "grantOption",
		"verifyRun", "userName", "database", "port", "password", "sshPrivateKey", "sshPublicKey", "ami",
		"instanceType", "allowServerDelete", "subnetId", "vpcId", "localSubnet", "localStateDir", "replicas", "engine"} {
		assert.Contains(t, c, "mysql-client-server:"+key, "Pulumi.yaml declares %s", key)
	}
	assert.Len(t, c, 31, "no other key")
	assert.Equal(t, "", c["mysql-client-server:engine"], "the engine the server runs, else mysql")
	assert.Equal(t, "0", c["mysql-client-server:replicas"], "no replica unless asked")
	assert.Equal(t, `["mysql_client"]`, c["mysql-client-server:clients"], "a list is passed as JSON")
	assert.Equal(t, "false", c["mysql-client-server:allPrivileges"])
	assert.Equal(t, "", c["mysql-client-server:sshPublicKey"])
	assert.Equal(t, "local", c["mysql-client-server:platform"], "the stack's value wins")
	assert.Equal(t, "3307", c["mysql-client-server:port"])
}

// With only the keys a user must set, the declared defaults make a valid
// program: an empty default means unset, for every key. The tutorial preset
// still gets its own account name, which a declared "app" would hide.
func TestDeclaredDefaultsAloneMakeAValidStack(t *testing.T) {
	for _, tc := range []struct {
		config map[string]string
		user   string
	}{
		{map[string]string{"platform": "aws", "operatorCidr": "198.51.100.7/32"}, "app"},
		{map[string]string{"platform": "aws", "preset": "tutorial"}, "donald"},
		{map[string]string{"platform": "aws", "operatorCidr": "198.51.100.7/32", "userName": "web"}, "web"},
	} {
		m := mocktest.New(t)
		var user mocktest.Awaited
		err := mocktest.Run(t, m, engineConfig(t, tc.config), nil, func(ctx *pulumi.Context) error {
			out, err := Build(ctx)
			if err != nil {
				return err
			}
			user, err = mocktest.Await(ctx, pulumi.ToOutput(out["userName"]))
			return err
		})
		require.NoError(t, err, "%v", tc.config)
		assert.Equal(t, tc.user, user.Value, "%v", tc.config)
	}
}

// TestReplicasConfig: replicas is a whole number from 0 to 16, and not with
// the tutorial preset; a bad value is rejected, naming the key, before
// anything is created.
func TestReplicasConfig(t *testing.T) {
	aws := map[string]string{"platform": "aws", "operatorCidr": "198.51.100.7/32"}
	with := func(base map[string]string, kv ...string) map[string]string {
		c := map[string]string{}
		for k, v := range base {
			c[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			c[kv[i]] = kv[i+1]
		}
		return c
	}
	for _, tc := range []struct {
		name   string
		config map[string]string
		expect string
	}{
		{"negative", with(aws, "replicas", "-1"), `"-1": expected a whole number from 0 to 16`},
		{"more than 16", with(aws, "replicas", "17"), `"17": expected a whole number from 0 to 16`},
		{"a word", with(aws, "replicas", "two"), `"two": expected a whole number from 0 to 16`},
		{"a fraction", with(aws, "replicas", "1.5"), "expected a whole number from 0 to 16"},
		{"with the tutorial preset", with(aws, "replicas", "1", "preset", "tutorial"), "1 with preset tutorial"},
		{"with the tutorial preset locally", map[string]string{"platform": "local", "replicas": "1", "preset": "tutorial"}, "1 with preset tutorial"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mocktest.New(t)
			err := mocktest.Run(t, m, engineConfig(t, tc.config), nil, func(ctx *pulumi.Context) error {
				_, err := Build(ctx)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "mysql-client-server:replicas:", "the error names the key")
			assert.Contains(t, err.Error(), tc.expect)
			assert.Empty(t, m.Resources(), "nothing is registered")
		})
	}
	for _, v := range []string{"0", "2", "16"} {
		t.Run("accepts "+v, func(t *testing.T) {
			m := mocktest.New(t)
			var n int
			err := mocktest.Run(t, m, engineConfig(t, with(aws, "replicas", v)), nil, func(ctx *pulumi.Context) error {
				c, err := Load(ctx)
				if err != nil {
					return err
				}
				n = c.Args.Replicas
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, v, fmt.Sprint(n))
		})
	}
}
