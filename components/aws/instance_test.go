package aws

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

const (
	operatorCIDR = "198.51.100.7/32"
	givenAMI     = "ami-0abcdef1234567890"
	lookedUpAMI  = "ami-0123456789abcdef0" // what mocktest's getAmi returns
)

// hostValues is a Host's outputs, resolved.
type hostValues struct {
	public, private, user, privateKey, hostKey mocktest.Awaited
	sshPort                                    mocktest.Awaited
	readyURN                                   string
	name                                       string
	role                                       host.Role
}

func resolveHost(ctx *pulumi.Context, h *host.Host) (hostValues, error) {
	v := hostValues{name: h.Name, role: h.Role}
	var err error
	for _, f := range []struct {
		dst *mocktest.Awaited
		o   pulumi.Output
	}{
		{&v.public, h.PublicAddress}, {&v.private, h.PrivateAddress}, {&v.user, h.User},
		{&v.privateKey, h.PrivateKey}, {&v.hostKey, h.HostKey}, {&v.sshPort, h.SSHPort},
	} {
		if *f.dst, err = mocktest.Await(ctx, f.o); err != nil {
			return v, err
		}
	}
	urn, err := mocktest.Await(ctx, h.Ready.URN())
	if err != nil {
		return v, err
	}
	v.readyURN = string(urn.Value.(pulumi.URN))
	return v, nil
}

func instanceArgs() *InstanceArgs {
	return &InstanceArgs{
		Name:         "mysql_server",
		Role:         host.RoleServer,
		KeyName:      pulumi.String("kp-key"),
		PrivateKey:   pulumi.ToSecret(pulumi.String("PRIVATE KEY")).(pulumi.StringOutput),
		OperatorCIDR: pulumi.String(operatorCIDR),
	}
}

// runInstance creates one Instance named "srv" and resolves its Host.
func runInstance(t *testing.T, args *InstanceArgs) (*mocktest.Mocks, hostValues, mocktest.Awaited) {
	t.Helper()
	return runInstanceOn(t, mocktest.New(t), args)
}

// runInstanceOn is runInstance under the given mocks.
func runInstanceOn(t *testing.T, m *mocktest.Mocks, args *InstanceArgs) (*mocktest.Mocks, hostValues, mocktest.Awaited) {
	t.Helper()
	var hv hostValues
	var ami mocktest.Awaited
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		inst, err := NewInstance(ctx, "srv", args)
		if err != nil {
			return err
		}
		if hv, err = resolveHost(ctx, inst.Host); err != nil {
			return err
		}
		ami, err = mocktest.Await(ctx, inst.AMI)
		return err
	})
	require.NoError(t, err)
	return m, hv, ami
}

func amiLookups(m *mocktest.Mocks) []pulumi.MockCallArgs {
	var out []pulumi.MockCallArgs
	for _, c := range m.Calls() {
		if c.Token == "aws:ec2/getAmi:getAmi" {
			out = append(out, c)
		}
	}
	return out
}

func TestInstanceHasItsOwnSecurityGroupWithSSHFromTheOperatorOnly(t *testing.T) {
	m, _, _ := runInstance(t, instanceArgs())

	sg, ok := m.Named("aws:ec2/securityGroup:SecurityGroup", "srv-sg")
	require.True(t, ok, "the instance has its own security group")
	assert.Contains(t, sg.Parent, InstanceType, "the group is parented to the Instance component")
	assert.Equal(t, "mysql_server", sg.Inputs["tags"].ObjectValue()["Name"].StringValue())
	vpcID, _ := mocktest.Str(sg.Inputs, "vpcId")
	assert.Equal(t, "vpc-0defa017", vpcID, "no VPC given: the default VPC, looked up")
	assert.Equal(t, []string{"vpcId"}, sg.IgnoreChanges, "the looked-up VPC is kept")

	ingress := m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	require.Len(t, ingress, 1, "the only ingress rule is SSH")
	ssh := ingress[0]
	assert.Equal(t, "srv-ssh", ssh.Name)
	cidr, _ := mocktest.Str(ssh.Inputs, "cidrIpv4")
	assert.Equal(t, operatorCIDR, cidr, "SSH from the operator CIDR only")
	assert.Equal(t, 22.0, ssh.Inputs["fromPort"].NumberValue())
	assert.Equal(t, 22.0, ssh.Inputs["toPort"].NumberValue())
	proto, _ := mocktest.Str(ssh.Inputs, "ipProtocol")
	assert.Equal(t, "tcp", proto)
	group, _ := mocktest.Str(ssh.Inputs, "securityGroupId")
	assert.Equal(t, "sg-srv-sg", group, "the rule is on the instance's group")
	assert.Contains(t, ssh.Parent, InstanceType)

	egress := m.OfType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
	require.Len(t, egress, 1)
	assert.Equal(t, "srv-egress", egress[0].Name)
	group, _ = mocktest.Str(egress[0].Inputs, "securityGroupId")
	assert.Equal(t, "sg-srv-sg", group)
	proto, _ = mocktest.Str(egress[0].Inputs, "ipProtocol")
	assert.Equal(t, "-1", proto, "all outbound")
	assert.Contains(t, egress[0].Parent, InstanceType)
}

func TestInstanceUsesTheGivenAMIWithoutALookup(t *testing.T) {
	m, hv, ami := runInstance(t, instanceArgs().withAMI(givenAMI))
	assert.Empty(t, amiLookups(m), "no getAmi call when the AMI is given")
	insts := m.OfType("aws:ec2/instance:Instance")
	require.Len(t, insts, 1)
	vm := insts[0]
	got, _ := mocktest.Str(vm.Inputs, "ami")
	assert.Equal(t, givenAMI, got)
	assert.Equal(t, givenAMI, ami.Value, "the component's AMI output")
	assert.Equal(t, "srv", vm.Name)
	assert.Contains(t, vm.Parent, InstanceType, "the EC2 instance is parented to the component")
	assert.Equal(t, "mysql_server", vm.Inputs["tags"].ObjectValue()["Name"].StringValue(), "Name tag")
	itype, _ := mocktest.Str(vm.Inputs, "instanceType")
	assert.Equal(t, DefaultInstanceType, itype)
	key, _ := mocktest.Str(vm.Inputs, "keyName")
	assert.Equal(t, "kp-key", key)
	groups := vm.Inputs["vpcSecurityGroupIds"].ArrayValue()
	require.Len(t, groups, 1)
	assert.Equal(t, "sg-srv-sg", groups[0].StringValue())
	subnet, _ := mocktest.Str(vm.Inputs, "subnetId")
	assert.Equal(t, "subnet-0aaaaaaaaaaaaaaaa", subnet,
		"no subnet given: the default VPC's first default subnet by id, named so that the public address is assigned")
	assert.Equal(t, []string{"keyName", "instanceType", "subnetId"}, vm.IgnoreChanges,
		"the given AMI is not ignored; the key pair, the looked-up subnet and the default type are kept")
	assert.Equal(t, resource.NewBoolProperty(true), vm.Inputs["associatePublicIpAddress"])
	assert.Equal(t, "required", vm.Inputs["metadataOptions"].ObjectValue()["httpTokens"].StringValue(), "IMDSv2 only")
	assert.True(t, vm.Inputs["rootBlockDevice"].ObjectValue()["encrypted"].BoolValue(), "encrypted root volume")
	assert.Equal(t, "mysql_server", hv.name)
}

func (a *InstanceArgs) withAMI(ami string) *InstanceArgs {
	a.AMI = pulumi.String(ami)
	return a
}

func TestInstanceLooksUpUbuntuJammyFromCanonicalWithoutAMI(t *testing.T) {
	m, _, ami := runInstance(t, instanceArgs())
	calls := amiLookups(m)
	require.Len(t, calls, 1, "one getAmi call")
	owners := calls[0].Args["owners"].ArrayValue()
	require.Len(t, owners, 1)
	assert.Equal(t, CanonicalOwnerID, owners[0].StringValue())
	assert.Equal(t, "099720109477", owners[0].StringValue())
	assert.True(t, calls[0].Args["mostRecent"].BoolValue())
	filters := map[string]string{}
	for _, f := range calls[0].Args["filters"].ArrayValue() {
		o := f.ObjectValue()
		filters[o["name"].StringValue()] = o["values"].ArrayValue()[0].StringValue()
	}
	assert.Equal(t, map[string]string{"name": JammyNameFilter, "architecture": "x86_64", "virtualization-type": "hvm"}, filters)

	vm, ok := m.Named("aws:ec2/instance:Instance", "srv")
	require.True(t, ok)
	got, _ := mocktest.Str(vm.Inputs, "ami")
	assert.Equal(t, lookedUpAMI, got, "the instance runs the looked-up image")
	assert.Equal(t, lookedUpAMI, ami.Value)
	assert.ElementsMatch(t, []string{"keyName", "ami", "subnetId", "instanceType"}, vm.IgnoreChanges,
		"the image looked up at create is kept: a newer one does not replace the instance")
}

func TestInstanceOnGravitonGetsTheArm64Image(t *testing.T) {
	for _, itype := range []string{"t4g.micro", "m6gd.large", "c7gn.xlarge", "a1.medium", "g5g.xlarge"} {
		args := instanceArgs()
		args.InstanceType = pulumi.String(itype)
		m, _, _ := runInstance(t, args)
		calls := amiLookups(m)
		require.Len(t, calls, 1, itype)
		filters := map[string]string{}
		for _, f := range calls[0].Args["filters"].ArrayValue() {
			o := f.ObjectValue()
			filters[o["name"].StringValue()] = o["values"].ArrayValue()[0].StringValue()
		}
		assert.Equal(t, JammyArm64NameFilter, filters["name"], itype)
		assert.Equal(t, "arm64", filters["architecture"], itype)
	}
	for itype, arch := range map[string]string{"t3.micro": "x86_64", "t2.micro": "x86_64", "g4dn.xlarge": "x86_64",
		"m7i-flex.large": "x86_64", "t4g.nano": "arm64", "im4gn.large": "arm64", "is4gen.medium": "arm64"} {
		assert.Equal(t, arch, Architecture(itype), itype)
	}
}

func TestOnlyTheServerIsProtected(t *testing.T) {
	args := instanceArgs()
	args.Protect = true
	m, _, _ := runInstance(t, args)
	vm, ok := m.Named("aws:ec2/instance:Instance", "srv")
	require.True(t, ok)
	assert.True(t, vm.Protect, "protected: a destroy or a replacement must not take the data with it")
	m, _, _ = runInstance(t, instanceArgs())
	vm, _ = m.Named("aws:ec2/instance:Instance", "srv")
	assert.False(t, vm.Protect)
}

func TestInstanceHostIsTheInstance(t *testing.T) {
	m, hv, _ := runInstance(t, instanceArgs())
	vm, ok := m.Named("aws:ec2/instance:Instance", "srv")
	require.True(t, ok)
	assert.Equal(t, "mysql_server", hv.name)
	assert.Equal(t, host.RoleServer, hv.role)
	assert.Equal(t, DefaultUser, hv.user.Value)
	assert.Equal(t, "ubuntu", hv.user.Value)
	assert.Equal(t, vm.State["privateIp"].StringValue(), hv.private.Value, "PrivateAddress is the instance's privateIp")
	assert.Equal(t, vm.State["publicIp"].StringValue(), hv.public.Value, "PublicAddress is the instance's publicIp")
	assert.NotEqual(t, hv.public.Value, hv.private.Value)
	assert.Equal(t, 22, hv.sshPort.Value)
	assert.Equal(t, "PRIVATE KEY", hv.privateKey.Value)
	assert.True(t, hv.privateKey.Secret, "the SSH key is secret")
	assert.Equal(t, publicOf(t, m.SSHDPrivateKey), hv.hostKey.Value,
		"the host key is pinned: the public half of the one ssh-access installs, not the user-data one")
	assert.True(t, strings.HasSuffix(hv.readyURN, "command:local:Command::srv-ssh-access"),
		"Ready is the ssh-access step (a resource: a component's children may not all be registered yet), got %s", hv.readyURN)
	access, ok := m.Named("command:local:Command", "srv-ssh-access")
	require.True(t, ok)
	for _, dep := range []struct{ token, name string }{
		{"aws:ec2/instance:Instance", "srv"},
		{"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "srv-ssh"},
		{"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "srv-egress"},
	} {
		found := false
		for _, d := range access.Dependencies {
			found = found || strings.HasSuffix(d, dep.token+"::"+dep.name)
		}
		assert.True(t, found, "ssh-access runs after %s", dep.name)
	}
	// A command that depends on Ready waits for the component's children:
	// the EC2 instance, the SSH and egress rules, and the ssh-access step.
	for _, child := range []string{"aws:ec2/instance:Instance::srv", "SecurityGroupIngressRule::srv-ssh",
		"SecurityGroupEgressRule::srv-egress", "command:local:Command::srv-ssh-access"} {
		found := false
		for _, r := range m.Resources() {
			if strings.HasSuffix(r.URN, child) && strings.HasSuffix(r.Parent, InstanceType+"::srv") {
				found = true
			}
		}
		assert.True(t, found, "%s is a child of Ready", child)
	}
}

// TestInstanceHostKeyReachesCloudInitAsASecret: the generated host key is
// handed over in the user data, which is a secret, and the generator keeps
// the key across releases.
func TestInstanceHostKeyReachesCloudInitAsASecret(t *testing.T) {
	m, hv, _ := runInstance(t, instanceArgs())
	vm, ok := m.Named("aws:ec2/instance:Instance", "srv")
	require.True(t, ok)
	ud := vm.Inputs["userData"]
	require.True(t, ud.IsSecret(), "the user data holds a private key: secret")
	data := ud.SecretValue().Element.StringValue()
	assert.True(t, strings.HasPrefix(data, "#cloud-config\n"))
	assert.Contains(t, data, "ssh_deletekeys: true\nssh_genkeytypes: []\n")
	assert.Contains(t, data, "  ed25519_public: "+publicOf(t, m.HostPrivateKey)+"\n", "the user-data key, for the first contact")
	assert.False(t, hv.hostKey.Secret, "the public host key is not secret: make ssh reads it from hostKeys")
	assert.True(t, hv.privateKey.Secret, "the SSH private key stays secret")
	for _, line := range strings.Split(strings.TrimSpace(m.HostPrivateKey), "\n") {
		assert.Contains(t, data, "\n    "+line+"\n", "the private key, indented under ed25519_private")
	}
	gen, ok := m.Named("command:local:Command", "srv-host-key")
	require.True(t, ok, "the host key is generated by the program")
	assert.Contains(t, gen.IgnoreChanges, "create", "generated once")
}

func TestInstanceHonoursOverrides(t *testing.T) {
	args := instanceArgs().withAMI(givenAMI)
	args.InstanceType = pulumi.String("t3.small")
	args.SubnetID = pulumi.String("subnet-0123abcd")
	args.VpcID = pulumi.String("vpc-0123abcd")
	args.User = pulumi.String("admin")
	args.Role = host.RoleClient
	m, hv, _ := runInstance(t, args)
	vm, ok := m.Named("aws:ec2/instance:Instance", "srv")
	require.True(t, ok)
	itype, _ := mocktest.Str(vm.Inputs, "instanceType")
	assert.Equal(t, "t3.small", itype)
	subnet, _ := mocktest.Str(vm.Inputs, "subnetId")
	assert.Equal(t, "subnet-0123abcd", subnet)
	assert.Equal(t, []string{"keyName"}, vm.IgnoreChanges,
		"given values are not ignored: changing them is how a replacement is asked for; only the key pair is")
	sg, ok := m.Named("aws:ec2/securityGroup:SecurityGroup", "srv-sg")
	require.True(t, ok)
	vpcID, _ := mocktest.Str(sg.Inputs, "vpcId")
	assert.Equal(t, "vpc-0123abcd", vpcID, "the group is in the given VPC")
	assert.Equal(t, "admin", hv.user.Value)
	assert.Equal(t, host.RoleClient, hv.role)
}

func TestInstanceInvalidArgsFailNamingTheField(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*InstanceArgs) *InstanceArgs
		field string
	}{
		{"nil args", func(*InstanceArgs) *InstanceArgs { return nil }, "InstanceArgs.Name"},
		{"no name", func(a *InstanceArgs) *InstanceArgs { a.Name = ""; return a }, "InstanceArgs.Name"},
		{"no key name", func(a *InstanceArgs) *InstanceArgs { a.KeyName = nil; return a }, "InstanceArgs.KeyName"},
		{"no private key", func(a *InstanceArgs) *InstanceArgs { a.PrivateKey = nil; return a }, "InstanceArgs.PrivateKey"},
		{"no operator cidr", func(a *InstanceArgs) *InstanceArgs { a.OperatorCIDR = nil; return a }, "InstanceArgs.OperatorCIDR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := mocktest.New(t)
			err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
				_, err := NewInstance(ctx, "srv", tc.edit(instanceArgs()))
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.field+": required")
			assert.Empty(t, m.Resources(), "nothing is registered")
			assert.Empty(t, m.Calls(), "nothing is looked up")
		})
	}
}

// publicOf is a private key's public half, in authorized_keys form.
func publicOf(t *testing.T, private string) string {
	t.Helper()
	signer, err := ssh.ParsePrivateKey([]byte(private))
	require.NoError(t, err)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
}
