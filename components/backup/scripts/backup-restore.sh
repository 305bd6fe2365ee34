#!/usr/bin/env bash
# backup-restore.sh TARGET: restores from the store into a scratch data
# directory on this host, as root, and starts a server of its own there
# (no network; its socket is printed): on the restore host (make restore),
# or on the server, leaving the live server untouched.
# TARGET is "latest", a backup's name (20261201T163000Z), "time=<ISO 8601
# UTC>" (everything committed before that second) or "gtid=<GTID set>"
# (everything up to and including it: MySQL uuid:1-N, MariaDB d-s-N). A
# point in time is the newest full backup before it plus the archived
# binary logs up to it; on the server, the binary logs it has not archived
# yet are archived first (make restore archives them before it restores on
# the restore host). A full backup is checked table by table against its
# manifest; every restore prints its GTID position and each table's rows.
# Env (optional): MCS_RESTORE_DIR (default /tmp/mysql-client-server-restore),
# MCS_RESTORE_STOP=yes stops the scratch server once checked.
set -euo pipefail
target=${1:?usage: backup-restore.sh latest|NAME|time=2026-12-01T16:30:00Z|gtid=SET}
use_dialect
store_env
dir=${MCS_RESTORE_DIR:-/tmp/mysql-client-server-restore}
check_target "$target"
if [[ $target == time=* || $target == gtid=* ]] && [ "${MCS_BACKUP_READER:-}" != yes ] && server_running; then
	log "archiving this server's binary logs first"
	bash "${BASH_SOURCE[0]%/*}/backup-binlogs.sh" >/dev/null
fi
restore_scratch "$target" "$dir"
reached=$(scratch_gtid "$dir/data")
printf 'restored: %s\ntarget: %s\nengine: %s\ngtid: %s\nhost: %s\nsocket: %s\n' "$RESTORED_ID" "$target" "$DIALECT_FLAVOR" "${reached:-$RESTORED_GTID}" "$(uname -n)" "$dir/data.sock"
row_counts "$dir/data"
if [ "${MCS_RESTORE_STOP:-}" = yes ]; then
	scratch_stop "$dir/data"
	rm -rf --one-file-system "$dir"
else
	log "the restored server runs on $dir/data.sock: mysql --socket=$dir/data.sock -uroot; stop it with: mysqladmin --socket=$dir/data.sock -uroot shutdown"
fi
