package mysql

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/host/stage"
	"github.com/mysql-client-server/mysql-client-server/components/internal/names"
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

// hostSet is HostScripts as staged on every host (host/stage).
// An earlier version made the staging command with no parent, as
// "<host>-mysql-scripts".
var hostSet = &stage.Set{Dir: ScriptsDir, Lib: raw("lib.sh"), Names: HostScripts, Body: body, Name: "scripts",
	Was: func(h *host.Host) pulumi.ResourceOption { return names.WasTopLevel(h.Name + "-mysql-scripts") }}

// scriptsVersion is the hash of lib.sh and HostScripts: every command line
// names it.
func scriptsVersion() string { return hostSet.Version() }

// stagedScript is a host script as staged: it sources the lib.sh staged
// beside it.
func stagedScript(name string) string { return hostSet.Script(name) }

// scriptPath is where a host script is on every host.
func scriptPath(name string) string { return hostSet.Path(name) }

// stager is the program that puts HostScripts on a host.
func stager() string { return hostSet.Program() }

// Library is lib.sh, the MySQL scripts' helpers and dialect, for the
// components whose host scripts build on it (backup).
func Library() string { return raw("lib.sh") }

// stagedScripts returns the command that puts HostScripts on h.
func stagedScripts(ctx *pulumi.Context, parent pulumi.Resource, h *host.Host) (pulumi.Resource, error) {
	return hostSet.Stage(ctx, parent, h)
}
