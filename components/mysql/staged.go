package mysql

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/names"
	"github.com/mysql-client-server/mysql-client-server/components/internal/shell"
)

// HostScripts are the scripts that run on the hosts (closed-check.sh and
// replica-seed.sh run on the operator's machine).
var HostScripts = []string{"client-install.sh", "client-login.sh", "server-install.sh", "user-apply.sh",
	"user-delete.sh", "verify.sh", "tls-request.sh", "tls-sign.sh", "seed-dump.sh", "seed-load.sh",
	"replica-start.sh", "replication-proof.sh"}

// ScriptsDir is where a host keeps this library's scripts: one directory per
// version of them, named by their hash, so that a command always runs the
// scripts it was created with (a delete included, after an upgrade). It is in
// /etc/mysql, which each local host has of its own.
const ScriptsDir = "/etc/mysql/mysql-client-server-scripts"

// scriptsVersion is the hash of lib.sh and HostScripts, computed once: every
// command line names it.
var scriptsVersion = sync.OnceValue(func() string {
	h := sha256.New()
	fmt.Fprintf(h, "lib.sh\x00%s\x00", raw("lib.sh"))
	for _, name := range HostScripts {
		fmt.Fprintf(h, "%s\x00%s\x00", name, stagedScript(name))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
})

// stagedScript is a host script as staged: it sources the lib.sh staged
// beside it, so lib.sh travels once per host rather than once per script.
func stagedScript(name string) string {
	return "#!/usr/bin/env bash\n# shellcheck source=/dev/null\nsource \"${BASH_SOURCE[0]%/*}/lib.sh\"\n" + body(name)
}

// scriptPath is where a host script is on every host.
func scriptPath(name string) string { return ScriptsDir + "/" + scriptsVersion() + "/" + name }

// stager is the program that puts HostScripts on a host: into a new
// directory, renamed into place whole, so a directory that exists is
// complete. Files are world-readable (the proof runs as the login user).
func stager() string {
	var b strings.Builder
	b.WriteString("set -euo pipefail\numask 022\n")
	fmt.Fprintf(&b, "d=%s\n", shell.Quote(ScriptsDir+"/"+scriptsVersion()))
	b.WriteString("if [ ! -d \"$d\" ]; then\n")
	fmt.Fprintf(&b, "\tinstall -d -m 0755 %s\n", shell.Quote(ScriptsDir))
	fmt.Fprintf(&b, "\tt=$(mktemp -d %s)\n", shell.Quote(ScriptsDir+"/.new.XXXXXX"))
	fmt.Fprintf(&b, "\tprintf '%%s' %s >\"$t/lib.sh\"\n", shell.Quote(raw("lib.sh")))
	for _, name := range HostScripts {
		fmt.Fprintf(&b, "\tprintf '%%s' %s >\"$t/%s\"\n", shell.Quote(stagedScript(name)), name)
	}
	b.WriteString("\tchmod 0755 \"$t\"\n\tmv -T \"$t\" \"$d\" 2>/dev/null || rm -rf \"$t\" # another run put it there first\nfi\n")
	b.WriteString("printf '%s\\n' \"$d\"\n")
	return b.String()
}

// stagedScripts returns the command that puts HostScripts on h. The first
// component that runs a command on h creates it, as its own child: it
// belongs to the host, and every later command on h, of any component,
// waits for it. A failing command's error then shows a short command line,
// the script's own messages and its diagnosis, not the script. (An earlier
// version made it with no parent, as "<host>-mysql-scripts".)
func stagedScripts(ctx *pulumi.Context, parent pulumi.Resource, h *host.Host) (pulumi.Resource, error) {
	return h.Shared("mysql-scripts", func() (pulumi.Resource, error) {
		return remote.NewCommand(ctx, names.Of(parent, "scripts"), &remote.CommandArgs{
			Connection:             h.Connection(),
			AddPreviousOutputInEnv: pulumi.BoolPtr(false),
			Create:                 pulumi.String(shell.AsRoot("mysql-client-server/stage-scripts", stager(), nil)),
		}, pulumi.Parent(parent), pulumi.DependsOn([]pulumi.Resource{h.Ready}), names.WasTopLevel(h.Name+"-mysql-scripts"))
	})
}
