package aws

import (
	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newArchGuard creates <name>-arch-guard, a local command the instance
// depends on (scripts/arch-guard.sh). Its first run records the instance
// type, its architecture and the given AMI ("" when looked up). A later
// change of those reruns it before the instance is touched, with the
// previous record: an instanceType of another architecture (t3.micro to
// t4g.micro) with the same image fails it, naming instanceType, both
// architectures and what to do, because EC2 would stop the instance and
// then refuse the type, leaving it stopped. A new ami (which replaces the
// instance) lets it through. A change within one architecture passes, and
// the step's log says that EC2 stops and starts the instance for it.
//
// An instance made before this guard existed gets it on the next up, as a
// first run: that one accepts whatever it sees.
func newArchGuard(ctx *pulumi.Context, name, instance string, instanceType, ami pulumi.StringInput, opts ...pulumi.ResourceOption) (*local.Command, error) {
	if ami == nil {
		ami = pulumi.String("")
	}
	return local.NewCommand(ctx, name+"-arch-guard", &local.CommandArgs{
		Create:      pulumi.String(script(archGuardScript)),
		Interpreter: pulumi.StringArray{pulumi.String("/bin/bash"), pulumi.String("-c")},
		Environment: pulumi.StringMap{
			"MCS_INSTANCE":      pulumi.String(instance),
			"MCS_INSTANCE_TYPE": instanceType,
			"MCS_ARCH":          instanceType.ToStringOutput().ApplyT(Architecture).(pulumi.StringOutput),
			"MCS_AMI":           ami,
		},
		AddPreviousOutputInEnv: pulumi.BoolPtr(true),
	}, opts...)
}
