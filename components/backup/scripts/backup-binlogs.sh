#!/usr/bin/env bash
# backup-binlogs.sh: archives the server's binary logs to the store, on the
# server, as root: it closes the current binary log where it has grown
# since the last run (FLUSH BINARY LOGS, kept out of the binary log itself)
# and uploads every closed one the store does not have yet, under
# binlog/<stream>/ (the stream is this server's: binlog file names start
# again on a new server). Run every half recovery-point bound by the
# scheduler, so that at most that bound of commits is lost with the server.
# Stdout: the names uploaded.
set -euo pipefail
use_dialect
store_env
exec 7>"$MCS_BACKUP_DIR/binlogs.lock"
flock -w 600 7 || die "another binlog upload has held the lock for ten minutes"
store_answers || die "archiving the binary logs failed: the store at $RCLONE_CONFIG_STORE_ENDPOINT does not answer"
stream=$(cat "$MCS_BACKUP_DIR/stream")
base=$(admin -e 'SELECT @@GLOBAL.log_bin_basename')
index=$(admin -e 'SELECT @@GLOBAL.log_bin_index')
if [ -z "$base" ] || [ "$base" = NULL ]; then die "the binary log is off: point-in-time restore needs it"; fi
position() { admin -e "$(sql_binlog_status)" | awk '{print $1, $2}'; }
if [ "$(position)" != "$(cat "$MCS_BACKUP_DIR/binlog-rotated" 2>/dev/null || true)" ]; then
	admin -e 'FLUSH NO_WRITE_TO_BINLOG BINARY LOGS'
	position >"$MCS_BACKUP_DIR/binlog-rotated"
fi
current=$(position | awk '{print $1}')
have=$(store lsf --files-only "vault:binlog/$stream/" 2>/dev/null || true)
while IFS= read -r f; do
	name=${f##*/}
	if [ -z "$name" ] || [ "$name" = "$current" ]; then continue; fi
	grep -qxF -- "$name" <<<"$have" && continue
	[ -f "${base%/*}/$name" ] || continue # purged by the server's own expiry
	store copyto "${base%/*}/$name" "vault:binlog/$stream/$name" || die "upload of binlog/$stream/$name failed: the store did not take it"
	printf '%s\n' "$name"
done <"$index"
date -u +%FT%TZ >"$MCS_BACKUP_DIR/binlogs-archived"
