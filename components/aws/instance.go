package aws

import (
	"errors"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
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
	// InstanceProfile is the IAM instance profile the instance runs with
	// (the server's, for its backups); nil for none. Adding one to a
	// running instance associates it in place.
	InstanceProfile pulumi.StringInput
	// Role is the host's role.
	Role host.Role
	// KeyName is the EC2 key pair the instance boots with. Required. It is
	// read at create only: another key pair later (a rotated key) does not
	// replace the instance; its ssh-access step moves it to PrivateKey.
	KeyName pulumi.StringInput
	// PrivateKey is the stack's current private key (a secret), carried by
	// the Host for SSH; ssh-access authorizes its public half on the
	// instance. Required.
	PrivateKey pulumi.StringInput
	// OperatorCIDR is the only source SSH (22) is open to. Required.
	OperatorCIDR pulumi.StringInput
	// AMI is the image id. Defaults to the newest Ubuntu 22.04 from
	// Canonical for the instance type's architecture, looked up when the
	// instance is created and kept afterwards (a newer image does not
	// replace the instance; setting AMI does).
	AMI pulumi.StringInput
	// InstanceType defaults to DefaultInstanceType, at create: the default
	// is kept afterwards. Changing it stops the instance, changes its type
	// and starts it again (the host, the server too, is down meanwhile). A
	// type of another architecture is refused before anything changes,
	// unless AMI changes to an image of that architecture (see
	// newArchGuard).
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

// NewInstance creates an Instance: its security group (SSH from the
// operator CIDR only, all outbound), the EC2 instance, and two steps that
// run on the operator's machine around it:
//
//   - <name>-arch-guard, before the instance is created or changed, refuses
//     an instanceType change across architectures that keeps the image
//     (see newArchGuard);
//   - <name>-ssh-access, once the instance runs, is the host's first step
//     (see newSSHAccess): it authorizes PrivateKey and replaces the
//     user-data host key with the pinned one (see hostKeys). Host.Ready is
//     this step, so every remote command on the host waits for it and
//     then connects with that key, pinning that host key.
//
// Rotating the stack's SSH key (a new PrivateKey, with a new key pair
// behind KeyName) replaces no instance: KeyName is ignored after create, so
// each instance keeps the key pair it booted with, and its ssh-access step
// logs in with the key it authorized before, authorizes the new one and
// removes the old one. Every remote command on the host then runs again,
// once, because its connection (the private key) changed. An instance made
// before the ssh-access step existed gets it on its next up and is rekeyed
// in place, without a replacement; its remote commands run again once too,
// their connection now pinning the new host key.
//
// A limit: a replacement keeps the ignored keyName too (the engine creates
// the new instance from the old value), so an instance replaced after a
// rotation (a new ami) would boot with the key pair the rotation deleted,
// and EC2 refuses to create it (the old instance stays).
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
	place := placeInstance(ctx, args, parent)
	sg, rules, err := newInstanceGroup(ctx, name, args, place.vpcID, parent)
	if err != nil {
		return nil, err
	}
	keys, err := newHostKeys(ctx, name, parent)
	if err != nil {
		return nil, err
	}
	guard, err := newArchGuard(ctx, name, args.Name, args.InstanceType, args.AMI, parent)
	if err != nil {
		return nil, err
	}
	vm, err := newEC2Instance(ctx, name, args, place, sg, keys, parent, pulumi.DependsOn([]pulumi.Resource{guard}))
	if err != nil {
		return nil, err
	}
	access, err := newSSHAccess(ctx, name, &sshAccessArgs{vm: vm, user: args.User, privateKey: args.PrivateKey, keys: keys},
		parent, pulumi.DependsOn(rules))
	if err != nil {
		return nil, err
	}
	inst.InstanceID = vm.ID().ToStringOutput()
	inst.AMI = vm.Ami
	inst.PublicIP = vm.PublicIp
	inst.PrivateIP = vm.PrivateIp
	inst.SecurityGroupID = sg.ID().ToStringOutput()
	inst.Host = instanceHost(args, vm, keys, access)
	return inst, ctx.RegisterResourceOutputs(inst, pulumi.Map{
		"instanceId":      inst.InstanceID,
		"ami":             inst.AMI,
		"publicIp":        inst.PublicIP,
		"privateIp":       inst.PrivateIP,
		"securityGroupId": inst.SecurityGroupID,
	})
}

// instanceHost is the Host of an instance. Its Ready is the ssh-access
// step, which runs after the instance and the rules that let the operator
// in and the host out. A resource, not the Instance component: a
// dependency on a component waits only for the children registered by
// then, and the step registers once the instance's address is known.
func instanceHost(args *InstanceArgs, vm *ec2.Instance, keys *hostKeys, access pulumi.Resource) *host.Host {
	return &host.Host{
		Name:           args.Name,
		Role:           args.Role,
		PublicAddress:  vm.PublicIp,
		PrivateAddress: vm.PrivateIp,
		SSHPort:        pulumi.Int(22).ToIntOutput(),
		User:           args.User.ToStringOutput(),
		PrivateKey:     pulumi.ToSecret(args.PrivateKey).(pulumi.StringOutput),
		HostKey:        keys.pinnedPublic,
		Ready:          access,
	}
}

// placement is an instance's image and network, given or looked up, and
// what the instance ignores after create.
type placement struct {
	ami, subnetID, vpcID pulumi.StringInput
	ignore               []string
}

// placeInstance looks up what the args leave out. What is looked up is
// kept: a newer image or another default subnet later must not replace the
// instance (with the server's data). So is the default type: a new default
// never stops a running instance to change it (an explicit instanceType
// does). So is the key pair: a rotated key must not replace the instance.
func placeInstance(ctx *pulumi.Context, args *InstanceArgs, parent pulumi.ResourceOrInvokeOption) placement {
	p := placement{ami: args.AMI, subnetID: args.SubnetID, vpcID: args.VpcID, ignore: []string{"keyName"}}
	if args.defaultType {
		p.ignore = append(p.ignore, "instanceType")
	}
	if p.ami == nil {
		p.ami = lookupUbuntu(ctx, args.InstanceType, parent)
		p.ignore = append(p.ignore, "ami")
	}
	if p.subnetID == nil {
		// Without a subnet, EC2 ignores AssociatePublicIpAddress: the
		// default VPC's subnet is named explicitly.
		def := ec2.LookupVpcOutput(ctx, ec2.LookupVpcOutputArgs{Default: pulumi.Bool(true)}, parent)
		p.vpcID = def.Id()
		p.subnetID = ec2.GetSubnetsOutput(ctx, ec2.GetSubnetsOutputArgs{Filters: ec2.GetSubnetsFilterArray{
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
		p.ignore = append(p.ignore, "subnetId")
	}
	return p
}

// lookupUbuntu is the newest Ubuntu 22.04 image from Canonical for the
// instance type's architecture.
func lookupUbuntu(ctx *pulumi.Context, instanceType pulumi.StringInput, parent pulumi.ResourceOrInvokeOption) pulumi.StringOutput {
	arch := instanceType.ToStringOutput().ApplyT(Architecture).(pulumi.StringOutput)
	nameFilter := arch.ApplyT(func(a string) string {
		if a == "arm64" {
			return JammyArm64NameFilter
		}
		return JammyNameFilter
	}).(pulumi.StringOutput)
	return ec2.LookupAmiOutput(ctx, ec2.LookupAmiOutputArgs{
		Owners:     pulumi.StringArray{pulumi.String(CanonicalOwnerID)},
		MostRecent: pulumi.Bool(true),
		Filters: ec2.GetAmiFilterArray{
			ec2.GetAmiFilterArgs{Name: pulumi.String("name"), Values: pulumi.StringArray{nameFilter}},
			ec2.GetAmiFilterArgs{Name: pulumi.String("architecture"), Values: pulumi.StringArray{arch}},
			ec2.GetAmiFilterArgs{Name: pulumi.String("virtualization-type"), Values: pulumi.StringArray{pulumi.String("hvm")}},
		},
	}, parent).Id()
}

// newInstanceGroup creates the instance's security group with its SSH rule
// (from the operator CIDR) and its egress rule, and returns the group and
// the SSH rule.
func newInstanceGroup(ctx *pulumi.Context, name string, args *InstanceArgs, vpcID pulumi.StringInput, parent pulumi.ResourceOption) (*ec2.SecurityGroup, []pulumi.Resource, error) {
	sgOpts := []pulumi.ResourceOption{parent}
	if args.VpcID == nil {
		sgOpts = append(sgOpts, pulumi.IgnoreChanges([]string{"vpcId"}))
	}
	sg, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		Description: pulumi.Sprintf("%s: SSH from the operator; MySQL rules are added per client", args.Name),
		VpcId:       vpcID.ToStringOutput().ToStringPtrOutput(),
		Tags:        pulumi.StringMap{"Name": pulumi.String(args.Name)},
	}, sgOpts...)
	if err != nil {
		return nil, nil, err
	}
	sshRule, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-ssh", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId: sg.ID(),
		Description:     pulumi.String("SSH from the operator"),
		IpProtocol:      pulumi.String("tcp"),
		FromPort:        pulumi.Int(22),
		ToPort:          pulumi.Int(22),
		CidrIpv4:        args.OperatorCIDR,
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	egress, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-egress", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: sg.ID(),
		Description:     pulumi.String("all outbound (package installs)"),
		IpProtocol:      pulumi.String("-1"),
		CidrIpv4:        pulumi.String("0.0.0.0/0"),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	return sg, []pulumi.Resource{sshRule, egress}, nil
}

// newEC2Instance creates the EC2 instance itself.
func newEC2Instance(ctx *pulumi.Context, name string, args *InstanceArgs, place placement, sg *ec2.SecurityGroup,
	keys *hostKeys, opts ...pulumi.ResourceOption) (*ec2.Instance, error) {
	opts = append(opts, pulumi.Protect(args.Protect), pulumi.IgnoreChanges(place.ignore))
	return ec2.NewInstance(ctx, name, &ec2.InstanceArgs{
		IamInstanceProfile:       args.InstanceProfile,
		Ami:                      place.ami,
		InstanceType:             args.InstanceType,
		KeyName:                  args.KeyName,
		UserData:                 keys.userData(),
		SubnetId:                 place.subnetID.ToStringOutput().ToStringPtrOutput(),
		VpcSecurityGroupIds:      pulumi.StringArray{sg.ID()},
		AssociatePublicIpAddress: pulumi.Bool(true),
		MetadataOptions: ec2.InstanceMetadataOptionsArgs{
			HttpTokens:   pulumi.String("required"), // IMDSv2 only
			HttpEndpoint: pulumi.String("enabled"),
		},
		RootBlockDevice: ec2.InstanceRootBlockDeviceArgs{Encrypted: pulumi.Bool(true)},
		Tags:            pulumi.StringMap{"Name": pulumi.String(args.Name)},
	}, opts...)
}
