// Package aws is the AWS EC2 platform: it makes Ubuntu 22.04 instances as
// hosts and opens the MySQL port between them with security group rules.
package aws

import (
	"errors"
	"fmt"
	"regexp"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/names"
	"github.com/mysql-client-server/mysql-client-server/components/internal/validate"
)

var (
	amiPattern          = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)
	instanceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9-]+$`)
	subnetPattern       = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	vpcPattern          = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)
	bucketPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// MinOperatorPrefix is the widest operatorCidr accepted outside the tutorial
// preset: a /16 (65,536 addresses), an office or VPN range at most.
const MinOperatorPrefix = 16

// Platform makes EC2 hosts. Its fields come from stack configuration; the
// config key names are given in each comment.
type Platform struct {
	// OperatorCIDR (operatorCidr) is the only source SSH is open to. Required.
	OperatorCIDR string
	// AllowSSHFromAnywhere permits an OperatorCIDR of 0.0.0.0/0. Only the
	// tutorial preset sets it.
	AllowSSHFromAnywhere bool
	// AllowServerDelete (allowServerDelete) lifts the server instance's
	// protection, so that `pulumi destroy` (or a change that replaces it)
	// may delete it with its data. By default it is protected.
	AllowServerDelete bool
	// AMI (ami) overrides the Ubuntu 22.04 lookup. Setting it (or changing
	// it) replaces the instances with that image: how an upgrade is asked
	// for. Unset, the image looked up at create is kept.
	AMI string
	// InstanceType (instanceType) defaults to DefaultInstanceType. Changing
	// it stops each instance, changes its type and starts it again: the
	// host (the server too) is down meanwhile. A type of the other
	// architecture (t3.micro to t4g.micro) is refused before any instance
	// is touched, unless AMI is set to an image of that architecture too,
	// which replaces the instances (the server only with AllowServerDelete,
	// losing its data).
	InstanceType string
	// SubnetID (subnetId) defaults to the default VPC's default subnet.
	SubnetID string
	// VpcID (vpcId) defaults to the default VPC. Give it with SubnetID.
	VpcID string
	// BackupBucket (backupBucket) is a bucket an earlier stack kept, whose
	// backups this stack adopts (imports) as its store instead of making
	// a new one: restoreFrom then finds them. A stack never deletes a
	// bucket it adopted.
	BackupBucket string

	instances map[*host.Host]*Instance
	// roles are the IAM roles of the hosts that write backups.
	roles map[*host.Host]*iam.Role
}

var _ host.Platform = (*Platform)(nil)

// Validate checks the platform settings before anything is created.
func (p *Platform) Validate() error {
	if p.OperatorCIDR == "" {
		return errors.New("operatorCidr: required: the CIDR allowed to SSH to the hosts, such as 203.0.113.7/32 (your address)")
	}
	cidr, err := validate.IPv4CIDR(p.OperatorCIDR)
	if err != nil {
		return fmt.Errorf("operatorCidr: %w", err)
	}
	if cidr.Bits() == 0 && !p.AllowSSHFromAnywhere {
		return errors.New("operatorCidr: 0.0.0.0/0 would open SSH to the whole internet: expected your own address, such as 203.0.113.7/32")
	}
	if cidr.Bits() > 0 && cidr.Bits() < MinOperatorPrefix && !p.AllowSSHFromAnywhere {
		return fmt.Errorf("operatorCidr: %s would open SSH to %d addresses: expected a /%d or narrower prefix, your own address such as 203.0.113.7/32",
			cidr, uint64(1)<<(32-cidr.Bits()), MinOperatorPrefix)
	}
	if p.AMI != "" && !amiPattern.MatchString(p.AMI) {
		return fmt.Errorf("ami: %q is not an AMI id: expected ami- and 8 or 17 hex digits, such as ami-0abcdef1234567890", p.AMI)
	}
	if p.InstanceType != "" && !instanceTypePattern.MatchString(p.InstanceType) {
		return fmt.Errorf("instanceType: %q is not an instance type: expected family.size, such as t3.micro", p.InstanceType)
	}
	if p.SubnetID != "" && !subnetPattern.MatchString(p.SubnetID) {
		return fmt.Errorf("subnetId: %q is not a subnet id: expected subnet- and 8 or 17 hex digits", p.SubnetID)
	}
	if p.VpcID != "" && !vpcPattern.MatchString(p.VpcID) {
		return fmt.Errorf("vpcId: %q is not a VPC id: expected vpc- and 8 or 17 hex digits", p.VpcID)
	}
	if p.BackupBucket != "" && !bucketPattern.MatchString(p.BackupBucket) {
		return fmt.Errorf("backupBucket: %q is not a bucket name: expected 3 to 63 lowercase letters, digits, dots and hyphens, "+
			"such as mysql-client-server-backups-20261201000000000000000001", p.BackupBucket)
	}
	if p.SubnetID != "" && p.VpcID == "" {
		return errors.New("subnetId: given without vpcId: expected both or neither (the security groups must be in the subnet's VPC)")
	}
	if p.VpcID != "" && p.SubnetID == "" {
		return errors.New("vpcId: given without subnetId: expected both or neither (the instances must be in the VPC's subnet)")
	}
	return nil
}

func optional(s string) pulumi.StringInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}

// NewHosts registers the key pair with EC2 and creates one instance per spec.
//
// A new stack key (sshPrivateKey imported or rotated) replaces the EC2 key
// pair, under a new name from its prefix, and no instance: each keeps the
// key pair it booted with, and its ssh-access step authorizes the new key
// over SSH and removes the old one (see NewInstance). Instances created
// afterwards boot with the new key pair.
func (p *Platform) NewHosts(ctx *pulumi.Context, parent pulumi.Resource, keys host.KeyMaterial, specs []host.Spec) ([]*host.Host, error) {
	// The EC2 name keeps the prefix it always had, so that a component
	// renamed by the naming rule keeps its key pair.
	kpName := names.Of(parent, "client-server")
	kp, err := NewKeyPair(ctx, kpName, &KeyPairArgs{PublicKey: keys.PublicKey, NamePrefix: "mysql-client-server-"},
		pulumi.Parent(parent), names.Was(kpName, "mysql-client-server"))
	if err != nil {
		return nil, err
	}
	if p.instances == nil {
		p.instances = map[*host.Host]*Instance{}
	}
	hosts := make([]*host.Host, 0, len(specs))
	for _, s := range specs {
		name := names.Host(parent, s.Name)
		var role *iam.Role
		var profile pulumi.StringInput
		if s.Backups || s.ReadsBackups {
			r, ip, err := p.backupRole(ctx, parent, s.Name)
			if err != nil {
				return nil, err
			}
			role, profile = r, ip.Name
		}
		inst, err := NewInstance(ctx, name, &InstanceArgs{
			InstanceProfile: profile,
			Name:            s.Name,
			Role:            s.Role,
			KeyName:         kp.KeyName,
			PrivateKey:      keys.PrivateKey,
			OperatorCIDR:    pulumi.String(p.OperatorCIDR),
			AMI:             optional(p.AMI),
			InstanceType:    optional(p.InstanceType),
			SubnetID:        optional(p.SubnetID),
			VpcID:           optional(p.VpcID),
			Protect:         s.Role == host.RoleServer && !p.AllowServerDelete,
		}, pulumi.Parent(parent), names.Was(name, s.Name))
		if err != nil {
			return nil, err
		}
		inst.Host.Engine = s.Engine // the install picks Ubuntu's package for it
		p.instances[inst.Host] = inst
		if role != nil {
			if p.roles == nil {
				p.roles = map[*host.Host]*iam.Role{}
			}
			p.roles[inst.Host] = role
		}
		hosts = append(hosts, inst.Host)
	}
	return hosts, nil
}

// NewIngress adds one security group rule per client to the server's group
// (a replica's: to its own group, under a name of its own).
// open changes nothing on AWS: the tutorial this replaces also opened 3306
// to the client's private address only.
func (p *Platform) NewIngress(ctx *pulumi.Context, parent pulumi.Resource, server *host.Host, clients []*host.Host, port int, open bool) (pulumi.Resource, error) {
	inst, ok := p.instances[server]
	if !ok {
		return nil, errors.New("aws.Platform.NewIngress: the server host was not made by this platform")
	}
	addrs := map[string]pulumi.StringInput{}
	for _, c := range clients {
		addrs[c.Name] = c.PrivateAddress
	}
	name, was := host.IngressName(parent, server)
	return NewMySQLIngress(ctx, name, &MySQLIngressArgs{
		SecurityGroupID: inst.SecurityGroupID,
		ClientAddresses: addrs,
		Port:            port,
	}, pulumi.Parent(parent), was)
}

// MaxInboundRules is how many inbound rules one security group takes by
// default (an account's quota may be raised).
const MaxInboundRules = 60

// CheckSpecs counts the server's inbound rules: SSH from the operator and
// the MySQL port from each client and replica.
// The restore host gets no rule: the MySQL port is not open to it.
func (p *Platform) CheckSpecs(specs []host.Spec) error {
	rules := 0 // SSH, then one per client and replica
	for _, s := range specs {
		if s.Role != host.RoleRestore {
			rules++
		}
	}
	if rules > MaxInboundRules {
		return fmt.Errorf("clients: %d clients and replicas together need %d inbound rules on the server's security group: "+
			"expected at most %d clients and replicas (the default quota of %d rules, one of them SSH)",
			rules-1, rules, MaxInboundRules-1, MaxInboundRules)
	}
	return nil
}

// DeployedEngine cannot look into an instance before anything runs: it
// returns "". A server that already runs another engine's packages refuses
// the change in its install, before it changes anything (server-install.sh).
func (p *Platform) DeployedEngine(string) (host.Engine, string) { return "", "" }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
