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

// staged holds each host's staging command, per program run.
var staged = struct {
	sync.Mutex
	m map[stageKey]*remote.Command
}{m: map[stageKey]*remote.Command{}}

type stageKey struct {
	ctx *pulumi.Context
	h   *host.Host
}

// stagedScripts returns the command that puts HostScripts on h, creating it
// the first time a command for h asks for it. It belongs to the host rather
// than to any one component, so it has no parent (h.Ready may be a
// component, whose children it would then wait for, itself included). A
// failing command's error then shows a short command line, the script's own
// messages and its diagnosis, not the script.
func stagedScripts(ctx *pulumi.Context, h *host.Host) (*remote.Command, error) {
	staged.Lock()
	defer staged.Unlock()
	key := stageKey{ctx, h}
	if c, ok := staged.m[key]; ok {
		return c, nil
	}
	c, err := remote.NewCommand(ctx, h.Name+"-mysql-scripts", &remote.CommandArgs{
		Connection:             h.Connection(),
		AddPreviousOutputInEnv: pulumi.BoolPtr(false),
		Create:                 pulumi.String(shell.AsRoot("mysql-client-server/stage-scripts", stager(), nil)),
	}, pulumi.DependsOn([]pulumi.Resource{h.Ready}))
	if err != nil {
		return nil, err
	}
	staged.m[key] = c
	return c, nil
}
