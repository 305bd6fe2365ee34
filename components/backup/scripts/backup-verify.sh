#!/usr/bin/env bash
# backup-verify.sh ID: the restore check of backup ID, on the server, as
# root. It downloads the backup, checks the object against its manifest,
# unpacks it into a scratch data directory, starts a server of its own on it
# and compares every table's checksum with the ones the backup recorded. The
# result goes to the store beside the backup (full/ID/verify.txt):
# "verified: yes" with the restore's seconds, or "verified: no" with the
# diagnosis: download, corrupt object, restore, or checksum mismatch (naming
# the table). Exits 1 when the check fails.
# Stdout: the result.
set -euo pipefail
id=${1:?usage: backup-verify.sh ID}
[[ $id =~ ^[0-9]{8}T[0-9]{6}Z$ ]] || die "$id: expected a backup name such as 20261201T163000Z"

use_dialect
store_env
work=$MCS_BACKUP_WORK/verify-$id
started=$EPOCHREALTIME
cleanup() {
	local rc=$?
	scratch_stop "$work/data"
	rm -rf --one-file-system "$work"
	exit "$rc"
}
trap cleanup EXIT
rm -rf --one-file-system "$work"

# check prints the diagnosis of the restore, or nothing when it is good.
check() {
	local tables
	fetch_backup "$id" "$work" || return 0
	if ! scratch_start "$work/data"; then
		printf 'restore: the restored copy did not start: %s\n' "$(scratch_error "$work/data")"
		return 0
	fi
	lap_to "$work" start
	tables=$(checksum_mismatch "$work/manifest.txt" "$work/data")
	lap_to "$work" checksums
	if [ -n "$tables" ]; then printf 'checksum mismatch: %s\n' "$tables"; fi
}
diagnosis=$(check)
seconds=$(since "$started")
{
	if [ -z "$diagnosis" ]; then
		printf 'verified: yes\nrestoreSeconds: %s\nrestorePhases: %s\n' "$seconds" "$(cat "$work/phases" 2>/dev/null || true)"
	else
		printf 'verified: no\ndiagnosis: %s\n' "$diagnosis"
	fi
	printf 'checked: %s\n' "$(date -u +%FT%TZ)"
} >"$MCS_BACKUP_DIR/verify-$id.txt"
store copyto "$MCS_BACKUP_DIR/verify-$id.txt" "vault:full/$id/verify.txt" ||
	log "backup $id: the store did not take the check's result; it stays in $MCS_BACKUP_DIR/verify-$id.txt"
cat "$MCS_BACKUP_DIR/verify-$id.txt"
rm -f "$MCS_BACKUP_DIR/verify-$id.txt"
if [ -n "$diagnosis" ]; then
	log "backup $id: the restore check failed: $diagnosis"
	exit 1
fi
log "backup $id: restored and verified in $seconds s"
