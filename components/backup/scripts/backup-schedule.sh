#!/usr/bin/env bash
# backup-schedule.sh: the scheduler process of a host without systemd (the
# local hosts). Every MCS_BINLOG_SECONDS it archives the binary logs
# (backup-binlogs.sh), and every MCS_SCHEDULE_SECONDS, counted from the last
# attempt, it takes a full backup (backup-run.sh); both from store.env, read
# again each round. A failed run is logged, recorded, and tried again on the
# next round. backup-install.sh starts it, detached; stop_scheduler stops it.
set -euo pipefail
printf '%s\n' "$$" >"$MCS_BACKUP_DIR/scheduler.pid"
trap 'exit 0' TERM
here=${BASH_SOURCE[0]%/*}
[ -e "$MCS_BACKUP_DIR/last-attempt" ] || touch "$MCS_BACKUP_DIR/last-attempt"
[ -e "$MCS_BACKUP_DIR/binlogs-archived" ] || touch "$MCS_BACKUP_DIR/binlogs-archived"
while :; do
	store_env
	now=$(date +%s)
	due_full=$(($(stat -c %Y "$MCS_BACKUP_DIR/last-attempt") + MCS_SCHEDULE_SECONDS))
	due_binlogs=$(($(stat -c %Y "$MCS_BACKUP_DIR/binlogs-archived") + MCS_BINLOG_SECONDS))
	if [ "$now" -ge "$due_binlogs" ]; then
		bash "$here/backup-binlogs.sh" >/dev/null || log "$(date -u +%FT%TZ) archiving the binary logs failed; the next round tries again"
		touch "$MCS_BACKUP_DIR/binlogs-archived"
	elif [ "$now" -ge "$due_full" ]; then
		log "$(date -u +%FT%TZ) scheduled backup"
		bash "$here/backup-run.sh" >/dev/null || log "$(date -u +%FT%TZ) the scheduled backup failed; the next schedule tries again"
		touch "$MCS_BACKUP_DIR/last-attempt"
	else
		next=$((due_full < due_binlogs ? due_full : due_binlogs))
		# Sleeping in the background lets TERM end the wait at once.
		sleep "$((next - now < 60 ? next - now : 60))" &
		wait $! || true
	fi
done
