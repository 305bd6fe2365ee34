#!/usr/bin/env bash
# backup-install.sh: installs the backups on the server, as root: the backup
# tools where they are missing, the store's settings and credentials
# (root-only), and the schedule: a systemd timer where systemd runs, else a
# scheduler process of the host's own (backup-schedule.sh). The new settings
# are checked against the store before they replace the old ones, so a
# failed install leaves the previous ones working.
# Env: MCS_STORE_ENDPOINT (https://...), MCS_STORE_REGION, MCS_STORE_BUCKET,
# MCS_STORE_PREFIX, MCS_STORE_CA (PEM; empty: the system's CAs),
# MCS_SCHEDULE_SECONDS, MCS_RETENTION_SECONDS, MCS_BINLOG_SECONDS (how often
# the binary logs are archived), MCS_BACKUP_READER=yes on the restore host:
# it installs the engine's server package (MCS_ENGINE) where it is missing,
# the settings with the host's read-only credentials, and no schedule.
# Stdin: three lines: the store's access key and secret key (both empty:
# the host's own credentials, an EC2 instance profile), then the passphrase
# that encrypts every object.
set -euo pipefail
: "${MCS_STORE_ENDPOINT:?}" "${MCS_STORE_REGION:?}" "${MCS_STORE_BUCKET:?}" "${MCS_STORE_PREFIX:?}"
: "${MCS_SCHEDULE_SECONDS:?}" "${MCS_RETENTION_SECONDS:?}" "${MCS_BINLOG_SECONDS:?}"
[[ $MCS_SCHEDULE_SECONDS =~ ^[0-9]+$ && $MCS_RETENTION_SECONDS =~ ^[0-9]+$ && $MCS_BINLOG_SECONDS =~ ^[0-9]+$ ]] ||
	die "the schedule, the retention and the binlog interval must be seconds"
IFS= read -r access || true
IFS= read -r secret || true
IFS= read -r passphrase || true
[ -n "$passphrase" ] || die "no encryption passphrase on stdin"

reader=${MCS_BACKUP_READER:-no}
if [ "$reader" = yes ] && ! server_version >/dev/null; then
	apt_install "$(package_for server)"
	# The restore host's restores run servers of their own: the packaged one stays off.
	if has_systemd; then systemctl disable --now mysql.service mariadb.service >/dev/null 2>&1 || true; fi
fi
use_dialect
missing=()
for tool in $(backup_tools); do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi

install -d -m 0700 "$MCS_BACKUP_DIR"
new=$(mktemp -d "$MCS_BACKUP_DIR/.new.XXXXXX")
trap 'rm -rf "$new"' EXIT
: >"$new/rclone.conf"
printf '%s\n' "${MCS_STORE_CA:-}" | sed '/^$/d' >"$new/store-ca.pem"
obscured=$(printf '%s\n' "$passphrase" | rclone obscure -)
{
	printf 'RCLONE_CONFIG_STORE_TYPE=s3\nRCLONE_CONFIG_STORE_PROVIDER=%s\n' "$(if [[ $MCS_STORE_ENDPOINT == *amazonaws.com* ]]; then echo AWS; else echo Other; fi)"
	printf 'RCLONE_CONFIG_STORE_ENDPOINT=%q\nRCLONE_CONFIG_STORE_REGION=%q\n' "$MCS_STORE_ENDPOINT" "$MCS_STORE_REGION"
	printf 'RCLONE_CONFIG_STORE_FORCE_PATH_STYLE=true\nRCLONE_CONFIG_STORE_NO_CHECK_BUCKET=true\n'
	if [ -n "$access" ]; then
		printf 'RCLONE_CONFIG_STORE_ACCESS_KEY_ID=%q\nRCLONE_CONFIG_STORE_SECRET_ACCESS_KEY=%q\n' "$access" "$secret"
	else
		printf 'RCLONE_CONFIG_STORE_ENV_AUTH=true\n'
	fi
	# The passphrase's own subtree: a stack made anew over a store that
	# kept an earlier one's backups (backupKeepOnDestroy) never mixes them
	# with its own, which another passphrase could not read.
	printf 'RCLONE_CONFIG_VAULT_TYPE=crypt\nRCLONE_CONFIG_VAULT_REMOTE=%q\n' \
		"store:$MCS_STORE_BUCKET/$MCS_STORE_PREFIX/key-$(printf '%s' "$passphrase" | sha256sum | cut -c1-12)"
	printf 'RCLONE_CONFIG_VAULT_PASSWORD=%q\nRCLONE_CONFIG_VAULT_FILENAME_ENCRYPTION=off\n' "$obscured"
	printf 'RCLONE_CONFIG_VAULT_DIRECTORY_NAME_ENCRYPTION=false\n'
	printf 'MCS_SCHEDULE_SECONDS=%s\nMCS_RETENTION_SECONDS=%s\nMCS_BINLOG_SECONDS=%s\n' \
		"$MCS_SCHEDULE_SECONDS" "$MCS_RETENTION_SECONDS" "$MCS_BINLOG_SECONDS"
	if [ "$reader" = yes ]; then printf 'MCS_BACKUP_READER=yes\n'; fi
} >"$new/store.env"
chmod 0600 "$new"/*

# The new settings must reach the store before they go in.
if ! err=$(MCS_BACKUP_DIR=$new store_env && MCS_BACKUP_DIR=$new store lsf --max-depth 1 vault: 2>&1); then
	die "the backup store at $MCS_STORE_ENDPOINT (bucket $MCS_STORE_BUCKET) did not answer with these settings: $(tail -n1 <<<"$err")"
fi
for f in rclone.conf store-ca.pem store.env; do mv -f "$new/$f" "$MCS_BACKUP_DIR/$f"; done
# The scripts in force, for make restore.
runner=${BASH_SOURCE[0]%/*}
ln -sfn "$runner" "$MCS_BACKUP_DIR/scripts"
if [ "$reader" = yes ]; then
	log "backups: this host reads them (make restore restores here), and takes none"
	exit 0
fi
# This server's binlog stream, named once.
[ -s "$MCS_BACKUP_DIR/stream" ] || cat /proc/sys/kernel/random/uuid >"$MCS_BACKUP_DIR/stream"
fault_point backup-install:configured

if has_systemd; then
	# A timer each: the full backups, and the binary logs' archive.
	for unit in backup:backup-run.sh:$MCS_SCHEDULE_SECONDS binlogs:backup-binlogs.sh:$MCS_BINLOG_SECONDS; do
		IFS=: read -r what script every <<<"$unit"
		printf '[Unit]\nDescription=mysql-client-server %s\nAfter=mysql.service mariadb.service\n[Service]\nType=oneshot\nExecStart=/bin/bash %s/%s\n' \
			"$what" "$runner" "$script" >"/etc/systemd/system/mysql-client-server-$what.service"
		printf '[Unit]\nDescription=mysql-client-server %s every %s s\n[Timer]\nOnActiveSec=%ss\nOnUnitActiveSec=%ss\n[Install]\nWantedBy=timers.target\n' \
			"$what" "$every" "$every" "$every" >"/etc/systemd/system/mysql-client-server-$what.timer"
	done
	systemctl daemon-reload
	for what in backup binlogs; do
		systemctl enable "mysql-client-server-$what.timer" >/dev/null 2>&1
		systemctl restart "mysql-client-server-$what.timer"
	done
	log "backups: systemd timers, full every $MCS_SCHEDULE_SECONDS s, binary logs every $MCS_BINLOG_SECONDS s"
else
	stop_scheduler
	setsid -f bash "$runner/backup-schedule.sh" </dev/null >>"$MCS_BACKUP_LOG" 2>&1
	log "backups: scheduler process, full every $MCS_SCHEDULE_SECONDS s, binary logs every $MCS_BINLOG_SECONDS s"
fi
