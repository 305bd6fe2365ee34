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

// Once runs the named generator once, at create, and returns what it printed
// as a secret. The command has no update and no triggers, so the value stays
// the same across `pulumi up`s; it is not logged.
func Once(ctx *pulumi.Context, name, generator string, opts ...pulumi.ResourceOption) (pulumi.StringOutput, error) {
	body, err := scripts.ReadFile("scripts/" + generator)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	opts = append(opts, pulumi.AdditionalSecretOutputs([]string{"stdout"}))
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
