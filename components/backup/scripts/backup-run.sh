#!/usr/bin/env bash
# backup-run.sh: one scheduled backup, on the server, as root. It makes a
# consistent physical copy of the running server (take_full), starts the
# copy on its own to read its GTID position and a checksum of every table,
# compresses it and uploads it, then the manifest: the object that makes the
# backup complete, so a failed upload never counts. It then restores the
# backup from the store (backup-verify.sh), and removes the backups older
# than the retention, keeping the newest verified one. Runs one at a time.
# Stdout: the new backup's name, or nothing.
set -euo pipefail

use_dialect
store_env
# The copy's work (its scratch server, tar, zstd, rclone and the restore
# check) yields the CPU and the disk to the live server's clients.
renice -n 10 -p $$ >/dev/null
ionice -c 2 -n 7 -p $$ 2>/dev/null || true
install -d -m 0700 "$MCS_BACKUP_DIR"
exec 8>"$MCS_BACKUP_DIR/run.lock"
flock -w 3600 8 || die "another backup has held the lock for an hour"

id=$(date -u +%Y%m%dT%H%M%SZ)
work=$MCS_BACKUP_WORK/take-$id
started=$EPOCHREALTIME
complete="" uploading=""
attempt() { printf 'id: %s\nresult: %s\nat: %s\n' "$id" "$1" "$(date -u +%FT%TZ)" >"$MCS_BACKUP_DIR/last-attempt"; }
cleanup() {
	local rc=$? err
	scratch_stop "$work/data"
	rm -rf --one-file-system "$work"
	if [ "$rc" -ne 0 ] && [ -z "$complete" ]; then
		err=$(tail -n1 "$MCS_BACKUP_DIR/run.err" 2>/dev/null || true)
		attempt "failed: ${err:-exit $rc}"
		# Nothing of a failed backup stays: without its manifest it is not a
		# backup, and its data object goes too where the upload began (within
		# a minute: an unreachable store fails, and the prune's sweep of
		# unfinished uploads takes what is left).
		if [ -n "$uploading" ]; then MCS_STORE_LIMIT=60 store purge "vault:full/$id" >/dev/null 2>&1 || true; fi
	fi
	exit "$rc"
}
trap cleanup EXIT
# The last error is kept for the proof (lastError).
: >"$MCS_BACKUP_DIR/run.err"
die() {
	printf 'error: %s\n' "$*" >&2
	printf '%s\n' "$*" >"$MCS_BACKUP_DIR/run.err"
	exit 1
}
mkdir -p "$work"
log "backup $id: taking a physical copy ($DIALECT_FLAVOR)"
# The manifest's phases: lap_to adds each one's seconds to $work/phases.
lap_begin "$work"
take_full "$work/data"
lap_to "$work" copy
gtid=$(recorded_gtid "$work/data")
scratch_start "$work/data" || die "the copy did not start: $(scratch_error "$work/data")"
lap_to "$work" start
[ -n "$gtid" ] || gtid=$(scratch_gtid "$work/data")
version=$(scratch_sql "$work/data" -e 'SELECT VERSION()')
checksums "$work/data" >"$work/checksums"
lap_to "$work" checksums
scratch_stop "$work/data"
lap_to "$work" stop
rm -f "$work/data.sock" "$work/data.pid" "$work/data.err" "$work/data.out"
raw=$(du -sb "$work/data" | awk '{print $1}')
fault_point backup-run:copied
tar -C "$work/data" -cf - . | zstd -q -T0 -1 -o "$work/data.tar.zst"
lap_to "$work" compress
log "backup $id: uploading $(du -h "$work/data.tar.zst" | awk '{print $1}')"
store_answers || die "upload of full/$id/data.tar.zst failed: the store at $RCLONE_CONFIG_STORE_ENDPOINT does not answer"
uploading=yes
store copyto "$work/data.tar.zst" "vault:full/$id/data.tar.zst" || die "upload of full/$id/data.tar.zst failed: the store did not take it"
lap_to "$work" upload
fault_point backup-run:uploaded
{
	printf 'name: %s\nengine: %s\nversion: %s\ngtid: %s\nstream: %s\n' "$id" "$DIALECT_FLAVOR" "$version" "$gtid" \
		"$(cat "$MCS_BACKUP_DIR/stream")"
	printf 'rawBytes: %s\nsizeBytes: %s\n' "$raw" "$(stat -c %s "$work/data.tar.zst")"
	printf 'sha256: %s\nseconds: %s\nphases: %s\n' "$(sha256_of "$work/data.tar.zst")" \
		"$(since "$started")" "$(cat "$work/phases")"
	sed 's/^/checksum: /' "$work/checksums"
} >"$work/manifest.txt"
store copyto "$work/manifest.txt" "vault:full/$id/manifest.txt" || die "upload of full/$id/manifest.txt failed: the store did not take it"
complete=yes
log "backup $id: complete at GTID ${gtid:-none}"
attempt complete
printf '%s\n' "$id"
rm -rf --one-file-system "$work"
# The restore check and the retention: a failed check is recorded in the
# store beside the backup (verify.txt), never hidden.
bash "${BASH_SOURCE[0]%/*}/backup-verify.sh" "$id" >/dev/null || log "backup $id: the restore check failed (see its verify.txt)"
bash "${BASH_SOURCE[0]%/*}/backup-prune.sh"
