package aws

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// MySQLIngressType is the type token of MySQLIngress.
const MySQLIngressType = "mysql-client-server:aws:MySQLIngress"

// MySQLIngressArgs configures a MySQLIngress.
type MySQLIngressArgs struct {
	// SecurityGroupID is the server's security group. Required.
	SecurityGroupID pulumi.StringInput
	// ClientAddresses are the clients' private addresses; each gets one rule
	// for its /32. Required, at least one.
	ClientAddresses map[string]pulumi.StringInput
	// Port is the MySQL port. Defaults to 3306.
	Port int
}

// MySQLIngress opens the MySQL port on the server's security group to each
// client's private address /32, and to nothing else.
type MySQLIngress struct {
	pulumi.ResourceState

	// Sources are the CIDRs the port is open to, by client name.
	Sources pulumi.StringMapOutput `pulumi:"sources"`
}

// NewMySQLIngress creates a MySQLIngress.
func NewMySQLIngress(ctx *pulumi.Context, name string, args *MySQLIngressArgs, opts ...pulumi.ResourceOption) (*MySQLIngress, error) {
	if args != nil {
		a := *args // defaults are filled in on a copy, never in the caller's Args
		args = &a
	}
	if args == nil || args.SecurityGroupID == nil {
		return nil, errors.New("MySQLIngressArgs.SecurityGroupID: required: the server's security group")
	}
	if len(args.ClientAddresses) == 0 {
		return nil, errors.New("MySQLIngressArgs.ClientAddresses: required: at least one client address")
	}
	if args.Port == 0 {
		args.Port = 3306
	}
	if args.Port < 1 || args.Port > 65535 {
		return nil, fmt.Errorf("MySQLIngressArgs.Port: %d is out of range: expected 1-65535", args.Port)
	}
	in := &MySQLIngress{}
	if err := ctx.RegisterComponentResource(MySQLIngressType, name, in, opts...); err != nil {
		return nil, err
	}
	sources := pulumi.StringMap{}
	for _, client := range sortedKeys(args.ClientAddresses) {
		cidr := pulumi.Sprintf("%s/32", args.ClientAddresses[client])
		sources[client] = cidr
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-"+client, &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId: args.SecurityGroupID,
			Description:     pulumi.Sprintf("MySQL from %s", client),
			IpProtocol:      pulumi.String("tcp"),
			FromPort:        pulumi.Int(args.Port),
			ToPort:          pulumi.Int(args.Port),
			CidrIpv4:        cidr,
			// EC2 refuses a second identical rule: the old one goes first.
		}, pulumi.Parent(in), pulumi.DeleteBeforeReplace(true)); err != nil {
			return nil, err
		}
	}
	in.Sources = sources.ToStringMapOutput()
	return in, ctx.RegisterResourceOutputs(in, pulumi.Map{"sources": in.Sources})
}
