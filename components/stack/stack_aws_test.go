package stack

import (
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// awsConfig is a valid dev-like configuration.
var awsConfig = map[string]string{"platform": "aws", "operatorCidr": "198.51.100.7/32"}

// runAWS runs the whole program on the aws platform under plain mocks and
// returns the mocks and the resolved stack outputs.
func runAWS(t *testing.T, config map[string]string, secrets []string) (*mocktest.Mocks, map[string]mocktest.Awaited) {
	t.Helper()
	m := mocktest.New(t)
	outputs := map[string]mocktest.Awaited{}
	err := mocktest.Run(t, m, engineConfig(t, config), secrets, func(ctx *pulumi.Context) error {
		out, err := Build(ctx)
		if err != nil {
			return err
		}
		for k, v := range out {
			a, err := mocktest.Await(ctx, pulumi.ToOutput(v))
			if err != nil {
				return err
			}
			outputs[k] = a
		}
		return nil
	})
	require.NoError(t, err)
	return m, outputs
}

func dependsOn(r mocktest.Resource, token, name string) bool {
	for _, d := range r.Dependencies {
		if strings.HasSuffix(d, token+"::"+name) {
			return true
		}
	}
	return false
}

// connectionHost returns a remote command's connection host, and whether its
// private key is secret.
func connectionHost(t *testing.T, r mocktest.Resource) (string, bool) {
	t.Helper()
	conn := r.Inputs["connection"]
	whole := conn.IsSecret() // the SDK marks the whole object secret when a field is
	if whole {
		conn = conn.SecretValue().Element
	}
	require.True(t, conn.IsObject(), "%s has a connection", r.Name)
	host, _ := mocktest.Str(conn.ObjectValue(), "host")
	return host, whole || conn.ObjectValue()["privateKey"].IsSecret()
}

func TestAWSAllowServerDeleteLiftsTheProtection(t *testing.T) {
	config := map[string]string{"allowServerDelete": "true"}
	for k, v := range awsConfig {
		config[k] = v
	}
	m, _ := runAWS(t, config, nil)
	for _, r := range m.OfType("aws:ec2/instance:Instance") {
		assert.False(t, r.Protect, "%s", r.Name)
	}
}

func TestAWSInstancesAreUbuntuJammyTaggedAsInTheSeed(t *testing.T) {
	m, _ := runAWS(t, awsConfig, nil)
	instances := m.OfType("aws:ec2/instance:Instance")
	require.Len(t, instances, 2)
	var names []string
	for _, r := range instances {
		tags := r.Inputs["tags"].ObjectValue()
		names = append(names, tags["Name"].StringValue())
		ami, _ := mocktest.Str(r.Inputs, "ami")
		assert.Equal(t, "ami-0123456789abcdef0", ami, "the instance uses the looked-up AMI")
		itype, _ := mocktest.Str(r.Inputs, "instanceType")
		assert.Equal(t, "t3.micro", itype, "a free-tier size offered in every region")
		assert.Contains(t, r.IgnoreChanges, "instanceType", "the default type is kept after create: a later default never stops the instance")
		tag := tags["Name"].StringValue()
		assert.Equal(t, tag == "mysql_server", r.Protect, "%s: only the server is protected by default", tag)
		assert.Equal(t, "required", r.Inputs["metadataOptions"].ObjectValue()["httpTokens"].StringValue(), "IMDSv2 only")
	}
	assert.ElementsMatch(t, []string{"mysql_server", "mysql_client"}, names)

	var lookups int
	for _, c := range m.Calls() {
		if c.Token != "aws:ec2/getAmi:getAmi" {
			continue
		}
		lookups++
		owners := c.Args["owners"].ArrayValue()
		require.Len(t, owners, 1)
		assert.Equal(t, "099720109477", owners[0].StringValue(), "Canonical's owner id")
		var filter string
		for _, f := range c.Args["filters"].ArrayValue() {
			if f.ObjectValue()["name"].StringValue() == "name" {
				filter = f.ObjectValue()["values"].ArrayValue()[0].StringValue()
			}
		}
		assert.Equal(t, "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*", filter)
	}
	assert.Equal(t, 2, lookups)
}

func TestAWSIngressOnlyFromClientsAndOperator(t *testing.T) {
	config := map[string]string{"platform": "aws", "operatorCidr": "198.51.100.7/32", "clients": `["app1","app2"]`}
	m, out := runAWS(t, config, nil)
	privates := out["clientPrivateAddresses"].Value.(map[string]string)
	require.Len(t, privates, 2)
	want := map[string]bool{}
	for _, ip := range privates {
		want[ip+"/32"] = true
	}
	_, ok := m.Named("aws:ec2/securityGroup:SecurityGroup", "mysql_server-sg")
	require.True(t, ok, "the server has its own security group")

	mysqlRules := 0
	for _, r := range m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		cidr, _ := mocktest.Str(r.Inputs, "cidrIpv4")
		from := int(r.Inputs["fromPort"].NumberValue())
		to := int(r.Inputs["toPort"].NumberValue())
		assert.NotEqual(t, "0.0.0.0/0", cidr, "rule %s opens %d-%d to the world", r.Name, from, to)
		switch {
		case from <= 3306 && 3306 <= to:
			mysqlRules++
			assert.True(t, want[cidr], "3306 rule %s from %s, which is no client's /32", r.Name, cidr)
			sg, _ := mocktest.Str(r.Inputs, "securityGroupId")
			assert.Equal(t, "sg-mysql_server-sg", sg, "3306 is opened on the server's group only")
		case from <= 22 && 22 <= to:
			assert.Equal(t, "198.51.100.7/32", cidr, "SSH only from the operator")
		default:
			t.Errorf("unexpected ingress rule %s: %d-%d", r.Name, from, to)
		}
	}
	assert.Equal(t, 2, mysqlRules, "one 3306 rule per client")
}

func TestAWSCommandsTargetTheirHostAfterIt(t *testing.T) {
	m, _ := runAWS(t, awsConfig, nil)
	publicIP := map[string]string{}
	for _, r := range m.OfType("aws:ec2/instance:Instance") {
		publicIP[r.Name] = r.State["publicIp"].StringValue()
	}
	want := map[string]string{ // remote command -> instance it runs on
		"mysql-server-install": "mysql_server",
		// Each host's scripts, staged by the first component that runs a
		// command on it: the server, the client's MySQL client.
		"mysql-server-scripts":              "mysql_server",
		"mysql_client-mysql-client-scripts": "mysql_client",
		"mysql-server-tls-renew":            "mysql_server",
		"mysql_client-mysql-client-install": "mysql_client",
		"mysql_client-mysql-user-account":   "mysql_server", // SQL runs on the server
		"mysql_client-mysql-login-my-cnf":   "mysql_client", // ~/.my.cnf on the client
		"mysql_client-mysql-verify-proof":   "mysql_client", // the proof runs on the client
		// The backups, on the server, with their own staged scripts.
		"mysql-backup-scripts": "mysql_server",
		"mysql-backup-install": "mysql_server",
		"mysql-backup-first":   "mysql_server",
		"mysql-backup-proof":   "mysql_server",
	}
	cmds := m.OfType("command:remote:Command")
	require.Len(t, cmds, len(want))
	for _, r := range cmds {
		inst, ok := want[r.Name]
		require.True(t, ok, "unexpected command %s", r.Name)
		h, keySecret := connectionHost(t, r)
		assert.Equal(t, publicIP[inst], h, "%s connects to %s", r.Name, inst)
		assert.True(t, keySecret, "%s: the SSH private key is a secret", r.Name)
		assert.True(t, dependsOn(r, "aws:ec2/instance:Instance", inst), "%s is created after %s", r.Name, inst)
	}
	user, _ := m.Named("command:remote:Command", "mysql_client-mysql-user-account")
	assert.True(t, dependsOn(user, "command:remote:Command", "mysql-server-install"), "the user is created after the server is installed")
}

func TestAWSSecretsAreSecretAndUserHostIsClientAddress(t *testing.T) {
	m, out := runAWS(t, awsConfig, nil)
	for _, k := range []string{"privateKey", "password"} {
		assert.True(t, out[k].Secret, "output %s is secret", k)
	}
	for _, k := range []string{"publicKey", "serverPublicAddress", "userName"} {
		assert.False(t, out[k].Secret, "output %s is not secret", k)
	}
	user, ok := m.Named("command:remote:Command", "mysql_client-mysql-user-account")
	require.True(t, ok)
	assert.True(t, user.Inputs["stdin"].IsSecret(), "the password goes on stdin as a secret")
	create, _ := mocktest.Str(user.Inputs, "create")
	pw := out["password"].Value.(string)
	assert.NotContains(t, create, pw, "the password is not in the command line")

	client := out["clientPrivateAddresses"].Value.(map[string]string)["mysql_client"]
	assert.Contains(t, create, "MCS_USER_HOST='"+client+"'", "the account's host is the client's private address")
	assert.Equal(t, "app@"+client, out["accounts"].Value.(map[string]string)["mysql_client"])

	gen, ok := m.Named("command:local:Command", "mysql-ssh-generate")
	require.True(t, ok)
	assert.Equal(t, resource.NewStringProperty("none"), gen.Inputs["logging"], "the key generator's output is not logged")
}

func TestAWSOperatorProbeWaitsTheDefaultBound(t *testing.T) {
	m, _ := runAWS(t, awsConfig, nil)
	probe, ok := m.Named("command:local:Command", "mysql-closed-to-operator-probe")
	require.True(t, ok)
	timeout, _ := mocktest.Str(probe.Inputs["environment"].ObjectValue(), "MCS_PROBE_TIMEOUT")
	assert.Equal(t, "5", timeout, "across the internet the probe keeps the 5 s bound")
}

func TestAWSAllOutputsPresent(t *testing.T) {
	_, out := runAWS(t, awsConfig, nil)
	for _, k := range []string{"platform", "serverPublicAddress", "serverPrivateAddress", "clientPublicAddresses",
		"clientPrivateAddresses", "sshCommands", "mysqlCommands", "userName", "accounts", "database",
		"serverVersion", "publicKey", "privateKey", "password", "hostKeys"} {
		a, ok := out[k]
		require.True(t, ok, "output %s", k)
		assert.True(t, a.Known, "output %s is known", k)
		assert.NotEmpty(t, a.Value, "output %s", k)
	}
	assert.Equal(t, "ssh -i mysql-client-server.key -p 22 ubuntu@"+out["serverPublicAddress"].Value.(string),
		out["sshCommands"].Value.(map[string]string)["mysql_server"])
	assert.Equal(t, "mysql -h "+out["serverPrivateAddress"].Value.(string)+" -P 3306 -u 'app' -p 'app'",
		out["mysqlCommands"].Value.(map[string]string)["mysql_client"])
	assert.True(t, strings.HasPrefix(out["publicKey"].Value.(string), "ssh-ed25519 "))
	hostKeys := out["hostKeys"].Value.(map[string]string)
	require.Len(t, hostKeys, 2)
	for name, k := range hostKeys {
		assert.Regexp(t, `^ssh-ed25519 AAAA[A-Za-z0-9+/=]+$`, k, "%s: the stack knows its host key, so make ssh pins it", name)
	}
}

func TestAWSTutorialPresetReproducesTheSeed(t *testing.T) {
	m, out := runAWS(t, map[string]string{"platform": "aws", "preset": "tutorial"}, nil)
	assert.Equal(t, "tutorial", out["preset"].Value)
	require.Len(t, out["warnings"].Value, 1)
	assert.Contains(t, out["warnings"].Value.([]string)[0], "For learning only", "the preset warns")
	assert.Equal(t, "donald", out["userName"].Value)
	for _, r := range m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		if int(r.Inputs["fromPort"].NumberValue()) == 22 {
			cidr, _ := mocktest.Str(r.Inputs, "cidrIpv4")
			assert.Equal(t, "0.0.0.0/0", cidr, "the tutorial's SSH from anywhere")
		}
	}
	users := 0
	for _, r := range m.OfType("command:remote:Command") {
		create, _ := mocktest.Str(r.Inputs, "create")
		switch {
		case strings.Contains(r.Name, "-account"):
			users++
			assert.Contains(t, create, "MCS_USER_HOST='%'")
			assert.Contains(t, create, "MCS_PRIVILEGES='all'")
			assert.Contains(t, create, "MCS_GRANT_OPTION='yes'")
			assert.Contains(t, create, "MCS_AUTH_PLUGIN='mysql_native_password'")
			assert.Contains(t, create, "MCS_REQUIRE_TLS='OFF'")
			assert.Contains(t, create, "MCS_READ_ONLY_ADMIN='keep'", "ALL ON *.* exactly, as the tutorial grants it")
		case strings.HasSuffix(r.Name, "-install") && strings.Contains(create, "MCS_BIND_ADDRESS"):
			assert.Contains(t, create, "MCS_BIND_ADDRESS='0.0.0.0'")
		}
	}
	assert.Equal(t, 1, users, "one account at '%' for all clients")
	_, closed := m.Named("command:local:Command", "mysql-closed-to-operator-probe")
	assert.False(t, closed, "no operator check: the tutorial opens 3306")
}

func TestAWSSecureDefaultsAreLeastPrivilegeAndTLS(t *testing.T) {
	m, out := runAWS(t, awsConfig, nil)
	assert.Equal(t, "secure", out["preset"].Value)
	assert.Empty(t, out["warnings"].Value, "no warning by default")
	user, ok := m.Named("command:remote:Command", "mysql_client-mysql-user-account")
	require.True(t, ok)
	create, _ := mocktest.Str(user.Inputs, "create")
	assert.Contains(t, create, "MCS_PRIVILEGES='database'")
	assert.Contains(t, create, "MCS_GRANT_OPTION='no'")
	assert.Contains(t, create, "MCS_REQUIRE_TLS='ON'")
	assert.Contains(t, create, "MCS_READ_ONLY_ADMIN='revoke'", "no account writes through a replica's read_only")
	_, closed := m.Named("command:local:Command", "mysql-closed-to-operator-probe")
	assert.True(t, closed, "the operator checks 3306 is closed to it")
	proof, ok := m.Named("command:remote:Command", "mysql_client-mysql-verify-proof")
	require.True(t, ok)
	for _, dep := range []string{"mysql_client-mysql-user-account", "mysql_client-mysql-login-my-cnf"} {
		assert.True(t, dependsOn(proof, "command:remote:Command", dep), "the proof runs after %s", dep)
	}
}

// TestAWSReplicas: replicas 2 makes two more instances, unprotected, each
// with 3306 open to the clients only on its own group; the primary's group
// admits the clients and the replicas; the replicas' commands run on them.
func TestAWSReplicas(t *testing.T) {
	config := map[string]string{"replicas": "2", "clients": `["app1","app2"]`}
	for k, v := range awsConfig {
		config[k] = v
	}
	m, out := runAWS(t, config, nil)
	assert.Len(t, out, 26, "platform and the ClientServer's outputs")
	assert.Equal(t, "mysql", out["engine"].Value, "a new stack's engine: Ubuntu's MySQL 8.0")

	private, public := map[string]string{}, map[string]string{}
	for _, r := range m.OfType("aws:ec2/instance:Instance") {
		private[r.Name] = r.State["privateIp"].StringValue()
		public[r.Name] = r.State["publicIp"].StringValue()
		assert.Equal(t, r.Name == "mysql_server", r.Protect, "%s: only the primary is protected", r.Name)
	}
	require.Len(t, private, 5)
	for _, n := range []string{"mysql_replica_1", "mysql_replica_2"} {
		require.Contains(t, private, n)
		_, ok := m.Named("aws:ec2/securityGroup:SecurityGroup", n+"-sg")
		assert.True(t, ok, "%s has its own security group", n)
	}

	// The clients' instances are named after the ClientServer "mysql"; the
	// replicas' ("mysql_replica_...") keep their names.
	for _, n := range []string{"mysql-app1", "mysql-app2"} {
		require.Contains(t, private, n)
	}
	want := map[string][]string{
		"sg-mysql_server-sg":    {private["mysql-app1"], private["mysql-app2"], private["mysql_replica_1"], private["mysql_replica_2"]},
		"sg-mysql_replica_1-sg": {private["mysql-app1"], private["mysql-app2"]},
		"sg-mysql_replica_2-sg": {private["mysql-app1"], private["mysql-app2"]},
	}
	got := map[string][]string{}
	for _, r := range m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		if int(r.Inputs["fromPort"].NumberValue()) != 3306 {
			continue
		}
		sg, _ := mocktest.Str(r.Inputs, "securityGroupId")
		cidr, _ := mocktest.Str(r.Inputs, "cidrIpv4")
		got[sg] = append(got[sg], strings.TrimSuffix(cidr, "/32"))
	}
	for sg := range want {
		sort.Strings(want[sg])
		sort.Strings(got[sg])
	}
	assert.Equal(t, want, got, "3306: the primary from the clients and replicas, each replica from the clients")

	for _, n := range []string{"mysql_replica_1", "mysql_replica_2"} {
		for cmd, on := range map[string]string{
			n + "-mysql-replica-server-install":     n,
			n + "-mysql-replica-server-tls-request": n,
			n + "-mysql-replica-replication":        n,
			n + "-mysql-replica-server-tls-sign":    "mysql_server",
		} {
			r, ok := m.Named("command:remote:Command", cmd)
			require.True(t, ok, cmd)
			h, keySecret := connectionHost(t, r)
			assert.Equal(t, public[on], h, "%s runs on %s", cmd, on)
			assert.True(t, keySecret)
			assert.True(t, dependsOn(r, "aws:ec2/instance:Instance", on), "%s runs after %s", cmd, on)
		}
	}
	assert.Equal(t, map[string]string{"mysql_replica_1": private["mysql_replica_1"], "mysql_replica_2": private["mysql_replica_2"]},
		out["replicaPrivateAddresses"].Value)
	assert.Equal(t, "mysql -h "+private["mysql_replica_2"]+" -P 3306 -u 'app' -p 'app'",
		out["replicaMysqlCommands"].Value.(map[string]string)["app2"])
	assert.Len(t, out["hostKeys"].Value, 5)
	assert.Len(t, out["sshCommands"].Value, 5)
	proofs := out["proofs"].Value.(map[string]interface{})
	assert.Len(t, proofs, 5, "one proof per client and per replica, and the backups'")
	assert.Contains(t, proofs, "backups")
	gen, ok := m.Named("command:local:Command", "mysql-replication-password")
	require.True(t, ok, "the replication password is generated")
	assert.Equal(t, resource.NewStringProperty("none"), gen.Inputs["logging"], "and not logged")
	_, ok = m.Named("command:local:Command", "mysql-password")
	assert.True(t, ok, "apart from the clients' password")
}

func TestAWSNoReplicasByDefault(t *testing.T) {
	m, out := runAWS(t, awsConfig, nil)
	assert.Len(t, out, 26)
	assert.Len(t, m.OfType("aws:ec2/instance:Instance"), 2)
	assert.Equal(t, map[string]string{}, out["replicaPrivateAddresses"].Value)
	assert.Equal(t, map[string]string{}, out["replicaMysqlCommands"].Value)
}

// The dev stack's file leaves the instance type to the default: t2, which
// it used to set, is not offered in many regions and zones.
func TestDevStackFileSetsNoInstanceType(t *testing.T) {
	b, err := os.ReadFile("../../Pulumi.dev.yaml")
	require.NoError(t, err)
	assert.NotContains(t, string(b), "instanceType")
	assert.NotContains(t, string(b), "t2.")
}

// The local stack's file is the project's, shared by every machine: the
// salt and the encrypted password a local make up writes into it belong to
// that machine's passphrase, and a fresh clone's make up fails on them.
// The file as committed is what matters: a make up on this machine writes
// them into the working copy, and the next make test must still pass.
func TestLocalStackFileHoldsNoMachinesSecrets(t *testing.T) {
	b, err := exec.Command("git", "show", "HEAD:Pulumi.local.yaml").Output()
	if err != nil { // not a git checkout: the file as it is
		b, err = os.ReadFile("../../Pulumi.local.yaml")
	}
	require.NoError(t, err)
	assert.NotContains(t, string(b), "encryptionsalt")
	assert.NotContains(t, string(b), "secure:")
}

// The SSH key rotation and the host rekey (issue 18, items 4 and 9).

// awsForceNew are the pulumi-aws inputs whose change replaces the resource.
var awsForceNew = mocktest.ReplaceOn{
	"aws:ec2/instance:Instance":           {"ami", "keyName", "subnetId", "availabilityZone"},
	"aws:ec2/keyPair:KeyPair":             {"publicKey", "keyName", "keyNamePrefix"},
	"aws:ec2/securityGroup:SecurityGroup": {"vpcId", "name", "namePrefix", "description"},
}

// runAWSOn is runAWS under the given mocks (mocktest.Mocks.NextRun for a
// second run on the same stack).
func runAWSOn(t *testing.T, m *mocktest.Mocks, config map[string]string, secrets []string) {
	t.Helper()
	require.NoError(t, mocktest.Run(t, m, engineConfig(t, config), secrets, func(ctx *pulumi.Context) error {
		_, err := Build(ctx)
		return err
	}))
}

// awsPublicOf is a private key's public half, authorized_keys form.
func awsPublicOf(t *testing.T, private string) string {
	t.Helper()
	signer, err := ssh.ParsePrivateKey([]byte(private))
	require.NoError(t, err)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
}

// TestAWSRemoteCommandsRunAfterSSHAccessPinningTheSecondHostKey: every
// remote command waits for its host's ssh-access step and pins the host key
// that step installs, never the user-data one; so do the hostKeys output.
func TestAWSRemoteCommandsRunAfterSSHAccessPinningTheSecondHostKey(t *testing.T) {
	m, out := runAWS(t, awsConfig, nil)
	pinned, userData := awsPublicOf(t, m.SSHDPrivateKey), awsPublicOf(t, m.HostPrivateKey)
	host := map[string]string{}
	for _, r := range m.OfType("aws:ec2/instance:Instance") {
		host[r.State["publicIp"].StringValue()] = r.Name
	}
	cmds := m.OfType("command:remote:Command")
	require.NotEmpty(t, cmds)
	for _, r := range cmds {
		h, _ := connectionHost(t, r)
		inst, ok := host[h]
		require.True(t, ok, "%s connects to an instance", r.Name)
		assert.True(t, dependsOn(r, "command:local:Command", inst+"-ssh-access"), "%s runs after %s's ssh-access", r.Name, inst)
		conn, _ := mocktest.Object(r.Inputs, "connection")
		key, _ := mocktest.Str(conn, "hostKey")
		assert.Equal(t, pinned, key, "%s pins the second host key", r.Name)
	}
	hostKeys := out["hostKeys"].Value.(map[string]string)
	require.Len(t, hostKeys, 2)
	for name, k := range hostKeys {
		assert.Equal(t, pinned, k, "%s: make ssh pins the second key", name)
		assert.NotEqual(t, userData, k)
	}
	assert.False(t, out["hostKeys"].Secret)
	for _, r := range m.OfType("command:local:Command") {
		if strings.HasSuffix(r.Name, "-ssh-access") {
			assert.True(t, r.State["stdout"].IsSecret(), "%s's record is a secret", r.Name)
		}
	}
}

// TestAWSKeyRotationReplacesOnlyTheKeyPair: importing another key on a
// stack that generated one replaces the EC2 key pair and no instance; the
// ssh-access steps run again with the new key, and every remote command
// runs again once, because its connection changed.
func TestAWSKeyRotationReplacesOnlyTheKeyPair(t *testing.T) {
	before := mocktest.New(t)
	runAWSOn(t, before, awsConfig, nil)
	rotated := map[string]string{"sshPrivateKey": mocktest.NewPrivateKey(t)}
	for k, v := range awsConfig {
		rotated[k] = v
	}
	after := before.NextRun()
	runAWSOn(t, after, rotated, []string{"sshPrivateKey"})

	plan := mocktest.Plan(before.Resources(), after.Resources(), awsForceNew)
	changed := map[string]mocktest.Change{}
	var replaced []string
	for _, c := range plan {
		changed[c.URN] = c
		if c.Replace {
			replaced = append(replaced, c.URN)
		}
	}
	assert.Equal(t, []string{"aws:ec2/keyPair:KeyPair::mysql-client-server"}, replaced, "no instance is replaced")
	assert.False(t, changed["aws:ec2/keyPair:KeyPair::mysql-client-server"].DeleteFirst)
	for _, r := range after.OfType("aws:ec2/instance:Instance") {
		_, ok := changed[r.URN]
		assert.False(t, ok, "%s is not touched (no stop, no replacement)", r.Name)
		access := changed["command:local:Command::"+r.Name+"-ssh-access"]
		assert.Equal(t, []string{"stdin"}, access.Fields, "%s's ssh-access gets the new key", r.Name)
	}
	cmds := after.OfType("command:remote:Command")
	require.NotEmpty(t, cmds)
	for _, r := range cmds {
		c := changed[r.URN]
		assert.False(t, c.Replace, "%s", r.Name)
		assert.Contains(t, c.Fields, "connection", "%s runs again once: its connection's key changed", r.Name)
	}
}

// TestAWSNoPrivateKeyInAPlainInput: the stack's key and the hosts' keys are
// in no input that is not a secret, anywhere in the stack.
func TestAWSNoPrivateKeyInAPlainInput(t *testing.T) {
	m, _ := runAWS(t, awsConfig, nil)
	keys := map[string]string{"the stack's key": m.PrivateKey, "the user-data host key": m.HostPrivateKey, "the pinned host key": m.SSHDPrivateKey}
	for _, r := range m.Resources() {
		for path, v := range mocktest.PlainStrings(r.Inputs) {
			for name, private := range keys {
				lines := strings.Split(strings.TrimSpace(private), "\n")
				for _, line := range lines[2 : len(lines)-1] { // the key's own lines
					require.NotContains(t, v, line, "%s of %s is in the plain input %s", name, r.URN, path)
				}
			}
		}
	}
}
