package aws

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"golang.org/x/crypto/ssh"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/generate"
)

// InstanceType is the type token of Instance.
const InstanceType = "mysql-client-server:aws:Instance"

// Ubuntu 22.04 AMI lookup: Canonical's owner id and the jammy name filter.
const (
	// CanonicalOwnerID is Canonical's AWS account, owner of the Ubuntu AMIs.
	CanonicalOwnerID = "099720109477"
	// JammyNameFilter matches Ubuntu Server 22.04 LTS amd64 images.
	JammyNameFilter = "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"
	// JammyArm64NameFilter matches Ubuntu Server 22.04 LTS arm64 images.
	JammyArm64NameFilter = "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-*"
	// DefaultInstanceType is a free-tier size offered in every region and
	// zone (t2 is missing from the newer ones, such as eu-north-1).
	DefaultInstanceType = "t3.micro"
	// DefaultUser is the login user of Ubuntu AMIs.
	DefaultUser = "ubuntu"
)

// gravitonFamily matches the instance families of AWS Graviton (arm64): a
// "g" in the letters after the generation (t4g, m6gd, c7gn, g5g, is4gen),
// and a1.
var gravitonFamily = regexp.MustCompile(`^([a-z]+[0-9]+[a-z-]*g[a-z-]*|a1)$`)

// Architecture is the CPU architecture of an instance type, as the AMI's
// "architecture" attribute names it: arm64 for the Graviton families,
// x86_64 for the others.
func Architecture(instanceType string) string {
	family, _, _ := strings.Cut(instanceType, ".")
	if gravitonFamily.MatchString(family) {
		return "arm64"
	}
	return "x86_64"
}

// InstanceArgs configures an Instance.
type InstanceArgs struct {
	// Name is the instance's Name tag, such as "mysql_server". Required.
	Name string
	// Role is the host's role.
	Role host.Role
	// KeyName is the EC2 key pair to install. Required.
	KeyName pulumi.StringInput
	// PrivateKey is the key pair's private key (a secret), carried by the
	// Host for SSH. Required.
	PrivateKey pulumi.StringInput
	// OperatorCIDR is the only source SSH (22) is open to. Required.
	OperatorCIDR pulumi.StringInput
	// AMI is the image id. Defaults to the newest Ubuntu 22.04 from
	// Canonical for the instance type's architecture, looked up when the
	// instance is created and kept afterwards (a newer image does not
	// replace the instance; setting AMI does).
	AMI pulumi.StringInput
	// InstanceType defaults to DefaultInstanceType, at create: the default
	// is kept afterwards.
	InstanceType pulumi.StringInput
	// SubnetID and VpcID, given together, place the instance. Both empty:
	// the region's default VPC and its first default subnet (by id), looked
	// up when the instance is created and kept afterwards.
	SubnetID pulumi.StringInput
	// VpcID is the security group's VPC; see SubnetID.
	VpcID pulumi.StringInput
	// Protect protects the instance from deletion and replacement (the
	// server: its disk holds the data and its CA).
	Protect bool
	// User is the SSH login user. Defaults to "ubuntu".
	User pulumi.StringInput

	defaultType bool // InstanceType was nil: the default, kept after create
}

// Instance is one EC2 instance with its own security group, which opens SSH
// to the operator CIDR only.
type Instance struct {
	pulumi.ResourceState

	// InstanceID is the EC2 instance id.
	InstanceID pulumi.StringOutput `pulumi:"instanceId"`
	// AMI is the image the instance runs.
	AMI pulumi.StringOutput `pulumi:"ami"`
	// PublicIP is the instance's public address.
	PublicIP pulumi.StringOutput `pulumi:"publicIp"`
	// PrivateIP is the instance's private address.
	PrivateIP pulumi.StringOutput `pulumi:"privateIp"`
	// SecurityGroupID is the instance's security group.
	SecurityGroupID pulumi.StringOutput `pulumi:"securityGroupId"`
	// Host is the instance as a Host.
	Host *host.Host
}

func (a *InstanceArgs) validate() error {
	switch {
	case a == nil || a.Name == "":
		return errors.New("InstanceArgs.Name: required: the Name tag, such as mysql_server")
	case a.KeyName == nil:
		return errors.New("InstanceArgs.KeyName: required: an EC2 key pair name")
	case a.PrivateKey == nil:
		return errors.New("InstanceArgs.PrivateKey: required: the key pair's private key, as a secret")
	case a.OperatorCIDR == nil:
		return errors.New("InstanceArgs.OperatorCIDR: required: the CIDR allowed to SSH, such as 203.0.113.7/32")
	case (a.SubnetID == nil) != (a.VpcID == nil):
		return errors.New("InstanceArgs.SubnetID, VpcID: expected both or neither (the security group must be in the subnet's VPC)")
	}
	if a.InstanceType == nil {
		a.InstanceType = pulumi.String(DefaultInstanceType)
		a.defaultType = true
	}
	if a.User == nil {
		a.User = pulumi.String(DefaultUser)
	}
	return nil
}

// NewInstance creates an Instance.
func NewInstance(ctx *pulumi.Context, name string, args *InstanceArgs, opts ...pulumi.ResourceOption) (*Instance, error) {
	if args != nil {
		a := *args // defaults are filled in on a copy, never in the caller's Args
		args = &a
	}
	if err := args.validate(); err != nil {
		return nil, err
	}
	inst := &Instance{}
	if err := ctx.RegisterComponentResource(InstanceType, name, inst, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(inst)
	// What is looked up is kept: a newer image or another default subnet
	// later must not replace the instance (with the server's data). So is
	// the default type: a new default never stops a running instance to
	// change it (an explicit instanceType does).
	var ignore []string
	if args.defaultType {
		ignore = append(ignore, "instanceType")
	}
	ami := args.AMI
	if ami == nil {
		arch := args.InstanceType.ToStringOutput().ApplyT(Architecture).(pulumi.StringOutput)
		nameFilter := arch.ApplyT(func(a string) string {
			if a == "arm64" {
				return JammyArm64NameFilter
			}
			return JammyNameFilter
		}).(pulumi.StringOutput)
		ami = ec2.LookupAmiOutput(ctx, ec2.LookupAmiOutputArgs{
			Owners:     pulumi.StringArray{pulumi.String(CanonicalOwnerID)},
			MostRecent: pulumi.Bool(true),
			Filters: ec2.GetAmiFilterArray{
				ec2.GetAmiFilterArgs{Name: pulumi.String("name"), Values: pulumi.StringArray{nameFilter}},
				ec2.GetAmiFilterArgs{Name: pulumi.String("architecture"), Values: pulumi.StringArray{arch}},
				ec2.GetAmiFilterArgs{Name: pulumi.String("virtualization-type"), Values: pulumi.StringArray{pulumi.String("hvm")}},
			},
		}, parent).Id()
		ignore = append(ignore, "ami")
	}
	subnetID, vpcID := args.SubnetID, args.VpcID
	if subnetID == nil {
		// Without a subnet, EC2 ignores AssociatePublicIpAddress: the
		// default VPC's subnet is named explicitly.
		def := ec2.LookupVpcOutput(ctx, ec2.LookupVpcOutputArgs{Default: pulumi.Bool(true)}, parent)
		vpcID = def.Id()
		subnetID = ec2.GetSubnetsOutput(ctx, ec2.GetSubnetsOutputArgs{Filters: ec2.GetSubnetsFilterArray{
			ec2.GetSubnetsFilterArgs{Name: pulumi.String("vpc-id"), Values: pulumi.StringArray{def.Id()}},
			ec2.GetSubnetsFilterArgs{Name: pulumi.String("default-for-az"), Values: pulumi.StringArray{pulumi.String("true")}},
		}}, parent).Ids().ApplyT(func(ids []string) (string, error) {
			if len(ids) == 0 {
				return "", errors.New("subnetId: the default VPC has no default subnet: expected subnetId and vpcId to be set")
			}
			ids = append([]string(nil), ids...)
			sort.Strings(ids)
			return ids[0], nil
		}).(pulumi.StringOutput)
		ignore = append(ignore, "subnetId")
	}
	tags := pulumi.StringMap{"Name": pulumi.String(args.Name)}
	sgOpts := []pulumi.ResourceOption{parent}
	if args.VpcID == nil {
		sgOpts = append(sgOpts, pulumi.IgnoreChanges([]string{"vpcId"}))
	}
	sg, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		Description: pulumi.Sprintf("%s: SSH from the operator; MySQL rules are added per client", args.Name),
		VpcId:       vpcID.ToStringOutput().ToStringPtrOutput(),
		Tags:        tags,
	}, sgOpts...)
	if err != nil {
		return nil, err
	}
	if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-ssh", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId: sg.ID(),
		Description:     pulumi.String("SSH from the operator"),
		IpProtocol:      pulumi.String("tcp"),
		FromPort:        pulumi.Int(22),
		ToPort:          pulumi.Int(22),
		CidrIpv4:        args.OperatorCIDR,
	}, parent); err != nil {
		return nil, err
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-egress", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: sg.ID(),
		Description:     pulumi.String("all outbound (package installs)"),
		IpProtocol:      pulumi.String("-1"),
		CidrIpv4:        pulumi.String("0.0.0.0/0"),
	}, parent); err != nil {
		return nil, err
	}
	// The instance's SSH host key: generated once by the program, handed to
	// cloud-init in the user data (a secret in the state), and pinned by
	// every SSH connection, so that a man in the middle on first contact
	// gets no password. cloud-init installs it at the first boot only.
	hostKey, err := generate.Once(ctx, name+"-host-key", generate.SSHKey, parent)
	if err != nil {
		return nil, err
	}
	// The public half is no secret: hostKeys is read by make ssh and make
	// client (pulumi stack output --json would print "[secret]").
	hostPublic := pulumi.Unsecret(hostKey.ApplyT(func(k string) (string, error) {
		signer, err := ssh.ParsePrivateKey([]byte(k))
		if err != nil {
			return "", fmt.Errorf("the generated host key: %w", err)
		}
		return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))), nil
	})).(pulumi.StringOutput)
	userData := pulumi.ToSecret(pulumi.All(hostKey, hostPublic).ApplyT(func(v []interface{}) string {
		return CloudConfig(v[0].(string), v[1].(string))
	})).(pulumi.StringOutput)
	vmOpts := []pulumi.ResourceOption{parent, pulumi.Protect(args.Protect)}
	if len(ignore) > 0 {
		vmOpts = append(vmOpts, pulumi.IgnoreChanges(ignore))
	}
	vm, err := ec2.NewInstance(ctx, name, &ec2.InstanceArgs{
		Ami:                      ami,
		InstanceType:             args.InstanceType,
		KeyName:                  args.KeyName,
		UserData:                 userData,
		SubnetId:                 subnetID.ToStringOutput().ToStringPtrOutput(),
		VpcSecurityGroupIds:      pulumi.StringArray{sg.ID()},
		AssociatePublicIpAddress: pulumi.Bool(true),
		MetadataOptions: ec2.InstanceMetadataOptionsArgs{
			HttpTokens:   pulumi.String("required"), // IMDSv2 only
			HttpEndpoint: pulumi.String("enabled"),
		},
		RootBlockDevice: ec2.InstanceRootBlockDeviceArgs{Encrypted: pulumi.Bool(true)},
		Tags:            tags,
	}, vmOpts...)
	if err != nil {
		return nil, err
	}
	inst.InstanceID = vm.ID().ToStringOutput()
	inst.AMI = vm.Ami
	inst.PublicIP = vm.PublicIp
	inst.PrivateIP = vm.PrivateIp
	inst.SecurityGroupID = sg.ID().ToStringOutput()
	inst.Host = &host.Host{
		Name:           args.Name,
		Role:           args.Role,
		PublicAddress:  vm.PublicIp,
		PrivateAddress: vm.PrivateIp,
		SSHPort:        pulumi.Int(22).ToIntOutput(),
		User:           args.User.ToStringOutput(),
		PrivateKey:     pulumi.ToSecret(args.PrivateKey).(pulumi.StringOutput),
		HostKey:        hostPublic,
		// Ready is this component: depending on it waits for all its
		// children, the instance and the rules that let the operator in
		// and the host out, not the instance alone.
		Ready: inst,
	}
	return inst, ctx.RegisterResourceOutputs(inst, pulumi.Map{
		"instanceId":      inst.InstanceID,
		"ami":             inst.AMI,
		"publicIp":        inst.PublicIP,
		"privateIp":       inst.PrivateIP,
		"securityGroupId": inst.SecurityGroupID,
	})
}

// CloudConfig is the instance's user data: cloud-init replaces the image's
// host keys with the given ed25519 key (private in OpenSSH form, public in
// authorized_keys form) at the first boot, and makes no others.
func CloudConfig(private, public string) string {
	var b strings.Builder
	b.WriteString("#cloud-config\n# Managed by mysql-client-server: the SSH host key the stack pins.\n")
	b.WriteString("ssh_deletekeys: true\nssh_genkeytypes: []\nssh_keys:\n  ed25519_private: |\n")
	for _, line := range strings.Split(strings.TrimSpace(private), "\n") {
		b.WriteString("    " + line + "\n")
	}
	b.WriteString("  ed25519_public: " + public + "\n")
	return b.String()
}
