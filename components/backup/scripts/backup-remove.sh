#!/usr/bin/env bash
# backup-remove.sh: stops the backups on the server, as root: the timer or
# the scheduler process, and the store's settings and credentials. The
# backups in the store stay.
set -euo pipefail
if has_systemd; then
	for what in backup binlogs; do
		[ -f "/etc/systemd/system/mysql-client-server-$what.timer" ] || continue
		systemctl disable --now "mysql-client-server-$what.timer" >/dev/null 2>&1 || true
		rm -f "/etc/systemd/system/mysql-client-server-$what.timer" "/etc/systemd/system/mysql-client-server-$what.service"
	done
	systemctl daemon-reload
fi
stop_scheduler
if [ -d "$MCS_BACKUP_DIR" ]; then
	exec 8>"$MCS_BACKUP_DIR/run.lock"
	flock -w 3600 8 || log "a backup still runs; removing its settings anyway"
	rm -rf --one-file-system "$MCS_BACKUP_DIR"
fi
log "backups stopped on this host; the store keeps what it holds"
