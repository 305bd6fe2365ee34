package aws

import (
	"errors"

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
	// DefaultInstanceType is a free-tier size.
	DefaultInstanceType = "t2.micro"
	// DefaultUser is the login user of Ubuntu AMIs.
	DefaultUser = "ubuntu"
)

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
	// AMI is the image id. Defaults to the newest Ubuntu 22.04 from Canonical.
	AMI pulumi.StringInput
	// InstanceType defaults to t2.micro.
	InstanceType pulumi.StringInput
	// SubnetID defaults to the default VPC's default subnet.
	SubnetID pulumi.StringInput
	// VpcID is the security group's VPC. Defaults to the default VPC.
	VpcID pulumi.StringInput
	// User is the SSH login user. Defaults to "ubuntu".
	User pulumi.StringInput
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
	}
	if a.InstanceType == nil {
		a.InstanceType = pulumi.String(DefaultInstanceType)
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
	ami := args.AMI
	if ami == nil {
		ami = ec2.LookupAmiOutput(ctx, ec2.LookupAmiOutputArgs{
			Owners:     pulumi.StringArray{pulumi.String(CanonicalOwnerID)},
			MostRecent: pulumi.Bool(true),
			Filters: ec2.GetAmiFilterArray{
				ec2.GetAmiFilterArgs{Name: pulumi.String("name"), Values: pulumi.StringArray{pulumi.String(JammyNameFilter)}},
				ec2.GetAmiFilterArgs{Name: pulumi.String("virtualization-type"), Values: pulumi.StringArray{pulumi.String("hvm")}},
			},
		}, parent).Id()
	}
	tags := pulumi.StringMap{"Name": pulumi.String(args.Name)}
	var vpcID pulumi.StringPtrInput
	if args.VpcID != nil {
		vpcID = args.VpcID.ToStringOutput().ToStringPtrOutput()
	}
	sg, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		Description: pulumi.Sprintf("%s: SSH from the operator; MySQL rules are added per client", args.Name),
		VpcId:       vpcID,
		Tags:        tags,
	}, parent)
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
	var subnetID pulumi.StringPtrInput
	if args.SubnetID != nil {
		subnetID = args.SubnetID.ToStringOutput().ToStringPtrOutput()
	}
	vm, err := ec2.NewInstance(ctx, name, &ec2.InstanceArgs{
		Ami:                      ami,
		InstanceType:             args.InstanceType,
		KeyName:                  args.KeyName,
		SubnetId:                 subnetID,
		VpcSecurityGroupIds:      pulumi.StringArray{sg.ID()},
		AssociatePublicIpAddress: pulumi.Bool(true),
		MetadataOptions: ec2.InstanceMetadataOptionsArgs{
			HttpTokens:   pulumi.String("required"), // IMDSv2 only
			HttpEndpoint: pulumi.String("enabled"),
		},
		RootBlockDevice: ec2.InstanceRootBlockDeviceArgs{Encrypted: pulumi.Bool(true)},
		Tags:            tags,
	}, parent)
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
		HostKey:        pulumi.String("").ToStringOutput(),
		Ready:          vm,
	}
	return inst, ctx.RegisterResourceOutputs(inst, pulumi.Map{
		"instanceId":      inst.InstanceID,
		"ami":             inst.AMI,
		"publicIp":        inst.PublicIP,
		"privateIp":       inst.PrivateIP,
		"securityGroupId": inst.SecurityGroupID,
	})
}
