// Package generate makes secrets that are generated once, on the operator's
// machine, and then kept stable in the stack state as Pulumi secrets.
package generate

import (
	"embed"
	"strings"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

//go:embed scripts/*.sh
var scripts embed.FS

// Script names.
const (
	// SSHKey generates an ed25519 private key in OpenSSH form.
	SSHKey = "ssh-key.sh"
	// Password generates a 32-character alphanumeric password.
	Password = "password.sh"
)

// CommandInputs are every input of a pulumi-command local.Command (v1.2.1).
// Once ignores changes to all of them.
var CommandInputs = []string{"create", "update", "delete", "dir", "environment", "interpreter", "logging",
	"stdin", "triggers", "addPreviousOutputInEnv", "assetPaths", "archivePaths"}

// Once runs the named generator once, at create, and returns what it printed
// as a secret; it is not logged. pulumi-command runs a command's create
// again whenever one of its inputs changes (there is no update command), so
// the resource ignores changes to every input: a later release of this
// library with another generator script, interpreter or logging setting
// keeps the value the stack already has. Only a replace (`pulumi up
// --replace <urn>`) or a new stack generates a new one.
func Once(ctx *pulumi.Context, name, generator string, opts ...pulumi.ResourceOption) (pulumi.StringOutput, error) {
	body, err := scripts.ReadFile("scripts/" + generator)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	opts = append(opts, pulumi.AdditionalSecretOutputs([]string{"stdout"}), pulumi.IgnoreChanges(CommandInputs))
	cmd, err := local.NewCommand(ctx, name, &local.CommandArgs{
		Create:      pulumi.String(string(body)),
		Interpreter: pulumi.StringArray{pulumi.String("/bin/bash"), pulumi.String("-c")},
		Logging:     local.LoggingNone,
	}, opts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	out := cmd.Stdout.ApplyT(func(s string) string {
		s = strings.TrimSpace(s)
		if generator == SSHKey {
			s += "\n" // OpenSSH refuses a private key without its final newline
		}
		return s
	}).(pulumi.StringOutput)
	return pulumi.ToSecret(out).(pulumi.StringOutput), nil
}
