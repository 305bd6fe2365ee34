package aws

import (
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// sshAccessEnv are the environment variables ssh-access.sh reads (besides
// PULUMI_COMMAND_STDOUT, and the optional ones it documents).
var sshAccessEnv = []string{"MCS_SSH_ADDRESS", "MCS_SSH_PORT", "MCS_SSH_USER", "MCS_FIRST_HOST_KEY", "MCS_HOST_KEY", "MCS_HOST_SCRIPT"}

// sshAccessArgs configures an instance's ssh-access step.
type sshAccessArgs struct {
	vm         *ec2.Instance
	user       pulumi.StringInput
	privateKey pulumi.StringInput // the stack's current key, a secret
	keys       *hostKeys
}

// newSSHAccess creates <name>-ssh-access, the instance's first step, run
// from the operator's machine with OpenSSH (scripts/ssh-access.sh): it
// logs in with the stack's current private key or one it authorized before,
// authorizes the current key and removes the ones before it, and replaces
// the user-data host key with the pinned one (see hostKeys).
//
// Its standard input (a secret) carries the private keys; its output, the
// record of what it authorized and installed, carries one too: it is a
// secret output, and only its standard error is logged. pulumi-command
// hands that record back to the next run (PULUMI_COMMAND_STDOUT); a failed
// run leaves the previous record in the state, so the next run still holds
// the keys the host accepts. The step runs again whenever its inputs change
// (a new key, a new address), and is replaced with the instance (a new
// instance is a first contact again).
func newSSHAccess(ctx *pulumi.Context, name string, a *sshAccessArgs, opts ...pulumi.ResourceOption) (*local.Command, error) {
	stdin := pulumi.All(a.privateKey, a.keys.pinnedPrivate).ApplyT(func(v []interface{}) string {
		return strings.TrimSpace(v[0].(string)) + "\n" + strings.TrimSpace(v[1].(string)) + "\n"
	}).(pulumi.StringOutput)
	opts = append(opts, pulumi.AdditionalSecretOutputs([]string{"stdout"}))
	return local.NewCommand(ctx, name+"-ssh-access", &local.CommandArgs{
		Create:      pulumi.String(script(sshAccessScript)),
		Interpreter: pulumi.StringArray{pulumi.String("/bin/bash"), pulumi.String("-c")},
		Environment: pulumi.StringMap{
			"MCS_SSH_ADDRESS":    a.vm.PublicIp,
			"MCS_SSH_PORT":       pulumi.String("22"),
			"MCS_SSH_USER":       a.user,
			"MCS_FIRST_HOST_KEY": a.keys.firstPublic,
			"MCS_HOST_KEY":       a.keys.pinnedPublic,
			"MCS_HOST_SCRIPT":    pulumi.String(script(sshAccessHostScript)),
		},
		Stdin:                  pulumi.ToSecret(stdin).(pulumi.StringOutput),
		Logging:                local.LoggingStderr,
		AddPreviousOutputInEnv: pulumi.BoolPtr(true),
		Triggers:               pulumi.Array{a.vm.ID()},
	}, opts...)
}
