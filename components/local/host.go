package local

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
)

// HostType is the type token of Host.
const HostType = "mysql-client-server:local:Host"

// HostArgs configures a Host. The platform fills it in.
type HostArgs struct {
	// Spec names the host and its role.
	Spec host.Spec
	// Netns is the network namespace's name.
	Netns string
	// Bridge is the bridge all hosts and the operator share.
	Bridge string
	// Veth is the root-namespace end of the host's veth pair (≤15 chars).
	Veth string
	// Address is the host's IPv4 address.
	Address string
	// PrefixLength is the subnet's prefix length.
	PrefixLength int
	// OperatorAddress is the operator's address on the bridge.
	OperatorAddress string
	// HostDir holds the host's private directories and its sshd's files.
	HostDir string
	// PublicKey is the one key the host's sshd accepts.
	PublicKey pulumi.StringInput
	// PrivateKey is its private half (a secret), for the Host's connection.
	PrivateKey pulumi.StringInput
	// Image is the root filesystem the host runs in (Image.Path); nil: this
	// machine's own root.
	Image pulumi.StringInput
}

// Host is one namespace host with its own sshd, which accepts only the
// stack's key pair. Deleting it stops its processes and removes its
// namespace, its directories and, with the last host, the bridge.
type Host struct {
	pulumi.ResourceState

	// Address is the host's address on the bridge.
	Address pulumi.StringOutput `pulumi:"address"`
	// Netns is the host's network namespace.
	Netns pulumi.StringOutput `pulumi:"netns"`
	// HostKey is the host's SSH host key, which every connection pins.
	HostKey pulumi.StringOutput `pulumi:"hostKey"`
	// Host is the namespace host as a Host.
	Host *host.Host
	// NetnsName is Netns as a plain string, for other local components.
	NetnsName string
}

func (a *HostArgs) validate() error {
	switch {
	case a == nil || a.Spec.Name == "":
		return errors.New("HostArgs.Spec.Name: required: the host's name")
	case a.Netns == "" || a.Bridge == "" || a.Veth == "" || a.Address == "" || a.OperatorAddress == "" || a.HostDir == "":
		return errors.New("HostArgs: Netns, Bridge, Veth, Address, OperatorAddress and HostDir are required (the platform fills them in)")
	case len(a.Veth) > 15 || len(a.Bridge) > 15:
		return fmt.Errorf("HostArgs.Veth/Bridge: %q/%q: expected interface names of at most 15 characters", a.Veth, a.Bridge)
	case a.PublicKey == nil || a.PrivateKey == nil:
		return errors.New("HostArgs.PublicKey and PrivateKey: required: the stack's key pair")
	}
	return nil
}

// hostname turns a logical name (mysql_server) into a hostname (mysql-server).
func hostname(name string) string {
	b := []byte(name)
	for i, c := range b {
		if c == '_' {
			b[i] = '-'
		}
	}
	return string(b)
}

// NewHost creates a Host.
func NewHost(ctx *pulumi.Context, name string, args *HostArgs, opts ...pulumi.ResourceOption) (*Host, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	h := &Host{NetnsName: args.Netns}
	if err := ctx.RegisterComponentResource(HostType, name, h, opts...); err != nil {
		return nil, err
	}
	env := pulumi.StringMap{
		"MCS_NETNS":            pulumi.String(args.Netns),
		"MCS_HOSTNAME":         pulumi.String(hostname(args.Spec.Name)),
		"MCS_BRIDGE":           pulumi.String(args.Bridge),
		"MCS_VETH":             pulumi.String(args.Veth),
		"MCS_ADDRESS":          pulumi.String(args.Address),
		"MCS_PREFIX":           pulumi.String(fmt.Sprint(args.PrefixLength)),
		"MCS_OPERATOR_ADDRESS": pulumi.String(args.OperatorAddress),
		"MCS_HOST_DIR":         pulumi.String(args.HostDir),
		"MCS_SSH_PORT":         pulumi.String("22"),
		"MCS_AUTHORIZED_KEY":   args.PublicKey,
	}
	if args.Image != nil {
		env["MCS_IMAGE"] = args.Image
	}
	create := script("host-create.sh")
	cmd, err := local.NewCommand(ctx, name+"-namespaces", &local.CommandArgs{
		Create:      create,
		Delete:      script("host-delete.sh"),
		Environment: env,
		Interpreter: bashC,
		// A host is its namespace, address and directory: a replacement
		// removes the old host before it makes the new one.
	}, pulumi.Parent(h), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, err
	}
	h.Address = pulumi.String(args.Address).ToStringOutput()
	h.Netns = pulumi.String(args.Netns).ToStringOutput()
	h.HostKey = cmd.Stdout
	h.Host = &host.Host{
		Name:           args.Spec.Name,
		Role:           args.Spec.Role,
		PublicAddress:  h.Address,
		PrivateAddress: h.Address,
		SSHPort:        pulumi.Int(22).ToIntOutput(),
		User:           pulumi.String("root").ToStringOutput(),
		PrivateKey:     pulumi.ToSecret(args.PrivateKey).(pulumi.StringOutput),
		HostKey:        cmd.Stdout,
		Ready:          cmd,
		ProbeTimeout:   ProbeTimeout,
		Engine:         args.Spec.Engine,
	}
	return h, ctx.RegisterResourceOutputs(h, pulumi.Map{
		"address": h.Address, "netns": h.Netns, "hostKey": h.HostKey,
	})
}

// ProbeTimeout bounds a TCP probe of a namespace host: the operator reaches
// it over a bridge on this machine, with round trips well under a
// millisecond, so a connection unanswered after a second was dropped.
const ProbeTimeout = 1

// bashC runs the embedded scripts with bash.
var bashC = pulumi.StringArray{pulumi.String("/bin/bash"), pulumi.String("-c")}
