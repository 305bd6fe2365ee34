package backup

import (
	"embed"

	"github.com/mysql-client-server/mysql-client-server/components/host/stage"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

//go:embed scripts/*.sh
var scripts embed.FS

// body returns scripts/<name> without its shebang line.
func body(name string) string {
	b, err := scripts.ReadFile("scripts/" + name)
	if err != nil {
		panic(err)
	}
	return stage.WithoutShebang(string(b))
}

// HostScripts are the backup scripts that run on the server.
var HostScripts = []string{"backup-install.sh", "backup-run.sh", "backup-verify.sh", "backup-prune.sh",
	"backup-proof.sh", "backup-schedule.sh", "backup-remove.sh", "backup-binlogs.sh", "backup-restore.sh",
	"backup-restore-server.sh"}

// ScriptsDir is where the server keeps the backup scripts, one directory per
// version of them (host/stage), beside the MySQL scripts.
const ScriptsDir = "/etc/mysql/mysql-client-server-backup-scripts"

// hostSet is HostScripts as staged: their lib.sh is the MySQL scripts'
// lib.sh followed by the backup's own.
var hostSet = &stage.Set{Dir: ScriptsDir, Lib: mysql.Library() + "\n" + body("lib.sh"), Names: HostScripts,
	Body: body, Name: "scripts"}
