package mysql

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
)

// ClosedCheckType is the type token of ClosedCheck.
const ClosedCheckType = "mysql-client-server:mysql:MySQLClosedCheck"

// ClosedCheckArgs configures a ClosedCheck.
type ClosedCheckArgs struct {
	// Address is the server address the operator probes (its SSH address).
	// Required.
	Address pulumi.StringInput
	// Port is the MySQL port. Defaults to 3306.
	Port int
	// Timeout is how many seconds the probe waits for an answer before it
	// counts the port as closed by a drop (the server host's ProbeTimeout).
	// Defaults to host.DefaultProbeTimeout.
	Timeout int
	// Run changes to re-run the check; see VerifyArgs.Run.
	Run pulumi.StringInput
	// After are the resources the check waits for (the ingress, the server).
	After []pulumi.Resource
}

// ClosedCheck proves from the operator (the machine running `pulumi up`)
// that the server's MySQL port is not reachable from there, and fails with
// a diagnosis if it is.
type ClosedCheck struct {
	pulumi.ResourceState

	// Result is "closed (timeout)": only an unanswered connection proves the
	// port filtered (a refusal fails the check).
	Result pulumi.StringOutput `pulumi:"result"`
}

// NewClosedCheck creates a ClosedCheck.
func NewClosedCheck(ctx *pulumi.Context, name string, args *ClosedCheckArgs, opts ...pulumi.ResourceOption) (*ClosedCheck, error) {
	if args == nil || args.Address == nil {
		return nil, errors.New("ClosedCheckArgs.Address: required: the server address to probe")
	}
	port := PortOrDefault(args.Port)
	timeout := args.Timeout
	if timeout == 0 {
		timeout = host.DefaultProbeTimeout
	}
	if timeout < 0 {
		return nil, fmt.Errorf("ClosedCheckArgs.Timeout: %d: expected a number of seconds, at least 1", timeout)
	}
	run := args.Run
	if run == nil {
		run = pulumi.String("")
	}
	c := &ClosedCheck{}
	if err := ctx.RegisterComponentResource(ClosedCheckType, name, c, opts...); err != nil {
		return nil, err
	}
	cmd, err := local.NewCommand(ctx, name+"-probe", &local.CommandArgs{
		Create:      pulumi.String(script("closed-check.sh")),
		Interpreter: pulumi.StringArray{pulumi.String("/bin/bash"), pulumi.String("-c")},
		Environment: pulumi.StringMap{
			"MCS_ADDRESS": args.Address, "MCS_PORT": pulumi.String(fmt.Sprint(port)),
			"MCS_PROBE_TIMEOUT": pulumi.String(fmt.Sprint(timeout)),
		},
		Triggers: pulumi.Array{run},
	}, pulumi.Parent(c), pulumi.DependsOn(args.After))
	if err != nil {
		return nil, err
	}
	c.Result = cmd.Stdout
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"result": c.Result})
}
