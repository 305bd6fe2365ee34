package mysql

import (
	"embed"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/host/stage"
	"github.com/mysql-client-server/mysql-client-server/components/internal/shell"
)

//go:embed scripts/*.sh
var scripts embed.FS

// raw returns scripts/<name> as embedded.
func raw(name string) string {
	b, err := scripts.ReadFile("scripts/" + name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// body returns scripts/<name> without its shebang line, to follow other
// lines in one program: only a program's first line may hold one.
func body(name string) string { return stage.WithoutShebang(raw(name)) }

// script returns scripts/lib.sh followed by scripts/<name>, as one program,
// for the scripts that run on the operator's machine.
func script(name string) string { return raw("lib.sh") + "\n" + body(name) }

// runOn returns a remote command line that runs the named host script, as
// staged on the host (see stagedScripts), as root with env set.
func runOn(name string, env map[string]pulumi.StringInput) pulumi.StringOutput {
	return shell.FileAsRootOutput(scriptPath(name), env)
}

// runAsLogin is runOn without elevation: the script runs as the login user.
func runAsLogin(name string, env map[string]pulumi.StringInput) pulumi.StringOutput {
	return shell.FileAsLoginUserOutput(scriptPath(name), env)
}

// onOff renders a secure-by-default switch for the scripts.
func onOff(allowPlaintext bool) pulumi.String {
	if allowPlaintext {
		return "OFF"
	}
	return "ON"
}

// hostCommand creates parent's remote.Command on h, after h is ready and
// its scripts are staged (stage.Set.Command), and after deps.
func hostCommand(ctx *pulumi.Context, parent pulumi.Resource, name string, h *host.Host, args *remote.CommandArgs,
	opts ...pulumi.ResourceOption) (*remote.Command, error) {
	return hostSet.Command(ctx, parent, name, h, args, opts...)
}

// EngineEnv asks an install for the host's engine (MCS_ENGINE); a host of no
// engine in particular gets its distribution's own.
func EngineEnv(env map[string]pulumi.StringInput, h *host.Host) {
	if h.Engine != "" {
		env["MCS_ENGINE"] = pulumi.String(string(h.Engine))
	}
}
