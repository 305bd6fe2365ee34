#!/usr/bin/env bash
# backup-restore-server.sh: restores the backups into this server's own
# data, as root. By default it fills a new server (restoreFrom), and
# refuses a server that holds data already. MCS_RESTORE_IN_PLACE=yes
# restores a server that does, explicitly (make restore-in-place): writes
# stop first (read-only, kept across the restart by a drop-in), and the
# binary logs are archived, so nothing committed is lost from the store.
# Env: MCS_RESTORE_TARGET, backup-restore.sh's target: latest, a backup's
# name, time=<ISO 8601 UTC, or now> or gtid=<GTID set>.
# The backup is restored, checked and replayed to the target in a scratch
# directory first. Only then is the server stopped, its data moved aside
# (into the data directory's .before-restore) and the restored data put in
# its place. The server is started on it and its rows are compared with the
# scratch server's; the old data is kept until they match, and a server
# that does not start, or does not match, gets it back. A binary log stream
# of its own starts: the restored server's history is a new one.
# Idempotent: a new server restored once is not restored again.
# Stdout: restored, target, gtid, then each table's rows.
set -euo pipefail
target=${MCS_RESTORE_TARGET:?the restore target: latest, NAME, time=2026-12-01T16:30:00Z, time=now or gtid=SET}
in_place=${MCS_RESTORE_IN_PLACE:-no}
use_dialect
store_env
check_target "$target"
datadir=/var/lib/mysql
work=$MCS_BACKUP_WORK/restore-server
marker=$MCS_BACKUP_DIR/restored
# No backup and no binary log archive runs while the data changes hands.
exec 8>"$MCS_BACKUP_DIR/run.lock" 7>"$MCS_BACKUP_DIR/binlogs.lock"
flock -w 3600 8 || die "a backup has held the lock for an hour"
flock -w 600 7 || die "a binary log upload has held the lock for ten minutes"

if [ "$in_place" != yes ]; then
	if [ -s "$marker" ]; then
		log "this server was restored already: $(paste -sd' ' "$marker")"
		cat "$marker"
		exit 0
	fi
	schemas=$(admin -e "SELECT GROUP_CONCAT(schema_name) FROM information_schema.schemata
		WHERE schema_name NOT IN ('mysql', 'sys', 'information_schema', 'performance_schema')")
	if [ -n "$schemas" ] && [ "$schemas" != NULL ]; then
		die "restoreFrom: this server already holds data (databases: $schemas): restoreFrom only fills a new server. Remove it (pulumi config rm restoreFrom); to restore this server itself: make restore-in-place AT=$target (docs/backups.md)"
	fi
fi

swapped="" kept=$datadir/.before-restore readonly=""
# The read-only drop-in sits beside the server's own, and sorts after it.
dropin=$(find /etc/mysql -name zz-mysql-client-server.cnf -print -quit 2>/dev/null || true)
dropin=${dropin:-/etc/mysql/conf.d/zz-mysql-client-server.cnf}
dropin=${dropin%.cnf}-restoring.cnf
# each_entry DIR SKIP CMD... runs CMD on every entry of DIR, hidden ones
# too, but SKIP: the data directory may be a mount point, whose siblings
# cannot be written, so its contents are swapped, not the directory.
each_entry() {
	local dir=$1 skip=$2 e
	shift 2
	for e in "$dir"/* "$dir"/.[!.]*; do
		if [ -e "$e" ] && [ "$e" != "$skip" ]; then "$@" "$e"; fi
	done
}
# move_entries FROM TO moves every entry of FROM into TO (but TO itself).
move_entries() { each_entry "$1" "$2" mv -t "$2"; }
# writable ends the read-only of an in-place restore.
writable() {
	rm -f "$dropin"
	admin -e "SET GLOBAL $(read_only_var) = OFF"
	admin -e "SET GLOBAL read_only = OFF"
}
# cleanup removes the scratch copy; after a failed swap it puts the old
# data back and starts the server on it, and makes it writable again (in
# subshells: a failure there must not end the trap).
cleanup() {
	local rc=$?
	(scratch_stop "$work/data") || true
	if [ "$rc" -ne 0 ] && [ -n "$swapped" ]; then
		log "putting the server's old data back"
		(server_ctl stop) || true
		each_entry "$datadir" "$kept" rm -rf --one-file-system
		move_entries "$kept" "$datadir"
		rmdir "$kept"
		(server_ctl start 7>&- 8>&-) || log "the server did not start on its old data either"
	fi
	if [ "$rc" -ne 0 ] && [ -n "$readonly" ]; then (writable) || log "the server stays read-only: $dropin"; fi
	rm -rf --one-file-system "$work"
	exit "$rc"
}
trap cleanup EXIT
restore_scratch "$target" "$work"
reached=$(scratch_gtid "$work/data")
want=$(row_counts "$work/data")
scratch_stop "$work/data"
# This server keeps its own UUID and its own TLS and RSA keys.
rm -f "$work/data/auto.cnf" "$work/data"/*.pem
chown -R mysql:mysql "$work/data"

if [ "$in_place" = yes ]; then
	log "stopping writes (read-only until the restored data is checked), and archiving the binary logs"
	readonly=yes
	printf '[mysqld]\n%s = ON\n' "$(read_only_var)" >"$dropin"
	admin -e "SET GLOBAL $(read_only_var) = ON"
	flock -u 7
	bash "${BASH_SOURCE[0]%/*}/backup-binlogs.sh" >/dev/null
	flock -w 600 7 || die "a binary log upload has held the lock for ten minutes"
fi
server_ctl stop
rm -rf --one-file-system "$kept"
install -d -o mysql -g mysql -m 0700 "$kept"
swapped=yes
move_entries "$datadir" "$kept"
move_entries "$work/data" "$datadir"
# The server outlives this script: it must not hold the locks.
server_ctl start 7>&- 8>&-
await_server || die "the server did not answer on the restored data: $(tail -n 2 /var/log/mysql/error.log 2>/dev/null | paste -sd' ' -)"
got=$(row_counts live)
[ "$got" = "$want" ] || die "the server's rows differ from the restored copy's: $(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | grep '^[<>]' | head -n 3 | paste -sd' ' -)"
fault_point backup-restore-server:started
keep_local_maint
swapped=""
rm -rf --one-file-system "$kept"
if [ -n "$readonly" ]; then writable; fi
# A new binary log history: a stream of its own, archived from its start.
cat /proc/sys/kernel/random/uuid >"$MCS_BACKUP_DIR/stream"
rm -f "$MCS_BACKUP_DIR/binlog-rotated"
printf 'restored: %s\ntarget: %s\ngtid: %s\n' "$RESTORED_ID" "$target" "${reached:-$RESTORED_GTID}" >"$marker"
cat "$marker"
printf '%s\n' "$got"
log "the server runs on backup $RESTORED_ID, restored to $target"
