#!/usr/bin/env bash
# backup-prune.sh: removes the complete backups older than the retention
# (MCS_RETENTION_SECONDS in store.env), on the server, as root. The newest
# backup that passed its restore check always stays, whatever its age, and
# so does the newest backup. An unfinished upload (data without a manifest)
# older than a day goes too.
set -euo pipefail
store_env
: "${MCS_RETENTION_SECONDS:?store.env has no retention}"
now=$(date +%s)
mapfile -t ids < <(backup_ids)
[ "${#ids[@]}" -gt 0 ] || exit 0
keep=${ids[-1]}
for ((i = ${#ids[@]} - 1; i >= 0; i--)); do
	if store cat "vault:full/${ids[i]}/verify.txt" 2>/dev/null | grep -qx 'verified: yes'; then
		keep_verified=${ids[i]}
		break
	fi
done
for id in "${ids[@]}"; do
	[ "$id" = "$keep" ] || [ "$id" = "${keep_verified:-}" ] && continue
	if (($(id_epoch "$id") < now - MCS_RETENTION_SECONDS)); then
		log "backup $id: older than the retention, removed"
		store purge "vault:full/$id"
	fi
done
# Unfinished uploads (no manifest) older than a day.
complete=" ${ids[*]} "
store lsf --dirs-only vault:full/ 2>/dev/null | tr -d / | while IFS= read -r id; do
	if [[ $id =~ ^[0-9]{8}T[0-9]{6}Z$ && $complete != *" $id "* ]] && (($(id_epoch "$id") < now - 86400)); then
		log "backup $id: an unfinished upload, removed"
		store purge "vault:full/$id"
	fi
done
# The binary logs before the oldest full backup kept: an object uploaded
# before that backup began holds only commits the backup has.
oldest=$(backup_ids | head -n1)
[ -n "$oldest" ] || exit 0
cutoff=$(id_epoch "$oldest")
store lsf --files-only --recursive --format tp --separator ';' vault:binlog/ 2>/dev/null |
	while IFS=';' read -r at path; do
		if (($(date -u -d "$at" +%s) < cutoff)); then
			store deletefile "vault:binlog/$path" && log "binlog $path: older than the oldest backup, removed"
		fi
	done
