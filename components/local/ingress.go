package local

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/internal/validate"
)

// MySQLIngressType is the type token of MySQLIngress.
const MySQLIngressType = "mysql-client-server:local:MySQLIngress"

// MySQLIngressArgs configures a MySQLIngress. It mirrors the AWS form: the
// server, and the clients' private addresses.
type MySQLIngressArgs struct {
	// Server is the server host. Required.
	Server *Host
	// ClientAddresses are the clients' addresses, by client name. Required.
	ClientAddresses map[string]pulumi.StringInput
	// ExtraSources are CIDRs the port is open to besides the clients (the
	// tutorial preset's whole subnet). Empty by default.
	ExtraSources []string
	// SSHSources are the addresses or CIDRs allowed to SSH to the server:
	// the operator. Required.
	SSHSources []string
	// Port is the MySQL port. Defaults to 3306.
	Port int
}

// MySQLIngress is the local security group: an nftables table in the
// server's namespace that accepts the MySQL port from each client address,
// SSH from the operator, and drops every other packet to either port.
type MySQLIngress struct {
	pulumi.ResourceState

	// Sources are the addresses the MySQL port is open to, by client name.
	Sources pulumi.StringMapOutput `pulumi:"sources"`
}

// check validates the Args before anything is created and returns them with
// their defaults, on a copy: never the caller's Args.
func (args *MySQLIngressArgs) check() (*MySQLIngressArgs, error) {
	switch {
	case args == nil || args.Server == nil:
		return nil, errors.New("MySQLIngressArgs.Server: required: the server host")
	case len(args.ClientAddresses) == 0:
		return nil, errors.New("MySQLIngressArgs.ClientAddresses: required: at least one client address")
	case len(args.SSHSources) == 0:
		return nil, errors.New("MySQLIngressArgs.SSHSources: required: the operator's address")
	}
	a := *args
	if a.Port == 0 {
		a.Port = 3306
	}
	if err := validate.Port(a.Port); err != nil {
		return nil, fmt.Errorf("MySQLIngressArgs.Port: %w", err)
	}
	return &a, nil
}

// NewMySQLIngress creates a MySQLIngress.
func NewMySQLIngress(ctx *pulumi.Context, name string, args *MySQLIngressArgs, opts ...pulumi.ResourceOption) (*MySQLIngress, error) {
	args, err := args.check()
	if err != nil {
		return nil, err
	}
	in := &MySQLIngress{}
	if err := ctx.RegisterComponentResource(MySQLIngressType, name, in, opts...); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(args.ClientAddresses))
	for n := range args.ClientAddresses {
		names = append(names, n)
	}
	sort.Strings(names)
	sources := pulumi.StringMap{}
	addrs := make([]interface{}, 0, len(names))
	for _, n := range names {
		sources[n] = args.ClientAddresses[n]
		addrs = append(addrs, args.ClientAddresses[n])
	}
	clients := pulumi.All(addrs...).ApplyT(func(v []interface{}) string {
		s := make([]string, len(v))
		for i, a := range v {
			s[i] = a.(string)
		}
		return strings.Join(append(s, args.ExtraSources...), " ")
	}).(pulumi.StringOutput)
	env := pulumi.StringMap{
		"MCS_NETNS":            pulumi.String(args.Server.NetnsName),
		"MCS_PORT":             pulumi.String(fmt.Sprint(args.Port)),
		"MCS_SSH_PORT":         pulumi.String("22"),
		"MCS_CLIENT_ADDRESSES": clients,
		"MCS_SSH_SOURCES":      pulumi.String(strings.Join(args.SSHSources, " ")),
	}
	apply := script("ingress-apply.sh")
	if _, err := local.NewCommand(ctx, name+"-nftables", &local.CommandArgs{
		Create:      apply,
		Delete:      script("ingress-delete.sh"),
		Environment: env,
		Interpreter: bashC,
		// One nftables table per host: the old one goes before the new one
		// is made, never after it.
	}, pulumi.Parent(in), pulumi.DependsOn([]pulumi.Resource{args.Server.Host.Ready}), pulumi.DeleteBeforeReplace(true)); err != nil {
		return nil, err
	}
	in.Sources = sources.ToStringMapOutput()
	return in, ctx.RegisterResourceOutputs(in, pulumi.Map{"sources": in.Sources})
}
