#!/usr/bin/env bash
# lib.sh (backup): the backup scripts' helpers and their dialect, staged
# after the MySQL scripts' lib.sh (log, die, admin, use_dialect, is_mariadb,
# sql_ident, json_str). Every difference between the engines' backup tools
# lives in the functions under "dialect" below, and nowhere else.
# shellcheck disable=SC2034 # the names below are used by the scripts that source this file

# The backup's root-only directory on the server: the store's settings and
# credentials (store.env), the run lock, the scheduler's pid, the state of
# the last attempt and the log.
MCS_BACKUP_DIR=/etc/mysql/mysql-client-server-backup
# Where a backup is made and a restore is checked: on every host a directory
# of its own (on the local hosts, the host's /tmp).
MCS_BACKUP_WORK=${MCS_BACKUP_WORK:-/tmp/mysql-client-server-backup}
MCS_BACKUP_LOG=$MCS_BACKUP_DIR/backup.log

# store_env loads the store's settings: rclone's remotes "store" (the S3
# bucket) and "vault" (the encrypted prefix in it, where every object goes).
store_env() {
	[ -s "$MCS_BACKUP_DIR/store.env" ] || die "no backup settings on this host: pulumi up installs them"
	set -a
	# shellcheck source=/dev/null
	. "$MCS_BACKUP_DIR/store.env"
	set +a
	# rclone reads a CA bundle from this variable and fails on it; the
	# store's CA is passed with --ca-cert instead.
	unset AWS_CA_BUNDLE
}

# store ARGS... runs rclone against the store, quietly, with short timeouts:
# an unreachable store fails in seconds, not minutes. MCS_STORE_LIMIT, when
# set, bounds the whole run, in seconds. An object up to 1 GiB goes in one
# PUT, a larger one in 64 MiB parts, two at a time (128 MiB of buffers):
# with rclone's 5 MiB parts a 600 MB upload to the local store took 40 s,
# 10 s with 64 MiB parts, 7 s in one PUT. rclone's MD5 of the whole file
# is skipped: the manifest's SHA-256 checks the object.
store() {
	local ca=()
	if [ -s "$MCS_BACKUP_DIR/store-ca.pem" ]; then ca=(--ca-cert "$MCS_BACKUP_DIR/store-ca.pem"); fi
	RCLONE_CONFIG=$MCS_BACKUP_DIR/rclone.conf timeout "${MCS_STORE_LIMIT:-0}" rclone "${ca[@]}" --contimeout 5s --timeout 60s \
		--retries 2 --low-level-retries 2 --s3-upload-cutoff 1G --s3-chunk-size 64M --s3-upload-concurrency 2 \
		--s3-disable-checksum -q "$@"
}

# store_answers succeeds when the store's endpoint takes a TCP connection
# within 5 s: rclone, with its retries, takes minutes to give up on a store
# that does not answer at all.
store_answers() {
	local hostport=${RCLONE_CONFIG_STORE_ENDPOINT#*://} port=443
	hostport=${hostport%%/*}
	if [[ $hostport == *:* ]]; then port=${hostport##*:}; fi
	# shellcheck disable=SC2016 # expanded by the inner bash, from its arguments
	timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "${hostport%:*}" "$port" 2>/dev/null
}

# backup_ids prints the complete backups' names, oldest first: a backup is
# complete when its manifest, uploaded last, is in the store.
backup_ids() {
	store lsf --files-only --recursive --include '/full/*/manifest.txt' vault: |
		sed -n 's#^full/\([0-9TZ]*\)/manifest.txt$#\1#p' | sort
}

# id_epoch ID prints a backup name (20261201T163000Z) as epoch seconds.
id_epoch() {
	local id=$1
	date -u -d "${id:0:4}-${id:4:2}-${id:6:2}T${id:9:2}:${id:11:2}:${id:13:2}Z" +%s
}

# id_time ID prints a backup name as an ISO 8601 time.
id_time() {
	local id=$1
	printf '%s-%s-%sT%s:%s:%sZ\n' "${id:0:4}" "${id:4:2}" "${id:6:2}" "${id:9:2}" "${id:11:2}" "${id:13:2}"
}

# since START prints the seconds since START (an $EPOCHREALTIME), to 0.1 s.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b - a}'; }

# lap_begin DIR starts DIR's phase timings (DIR/phases); lap_to DIR NAME
# adds "NAME=<seconds since the last lap>s" to them.
lap_begin() {
	printf '%s' "$EPOCHREALTIME" >"$1/.lap"
	: >"$1/phases"
}
lap_to() {
	local sep=""
	[ ! -s "$1/phases" ] || sep=" "
	printf '%s%s=%ss' "$sep" "$2" "$(since "$(cat "$1/.lap")")" >>"$1/phases"
	printf '%s' "$EPOCHREALTIME" >"$1/.lap"
}

# manifest_get FILE KEY prints KEY's value from a manifest.
manifest_get() { sed -n "s/^$2: //p" "$1" | head -n1; }

# ---------------------------------------------------------------- dialect

# backup_tools prints the packages a backup needs on this server.
backup_tools() {
	if is_mariadb; then echo "rclone zstd mariadb-backup"; else echo "rclone zstd"; fi
}

# take_full DIR makes a consistent physical copy of the running server in
# DIR (which must not exist), ready to start: MySQL's clone plugin (CLONE
# LOCAL DATA DIRECTORY, installed outside the binary log), or MariaDB's
# mariadb-backup, prepared. DIR's parent is the mysql user's.
take_full() {
	local dir=$1
	chown mysql:mysql "${dir%/*}"
	if is_mariadb; then
		mariadb-backup --backup --user=root --target-dir="$dir" >"${dir%/*}/take.log" 2>&1 ||
			die "mariadb-backup --backup failed: $(tail -n 3 "${dir%/*}/take.log")"
		mariadb-backup --prepare --target-dir="$dir" >>"${dir%/*}/take.log" 2>&1 ||
			die "mariadb-backup --prepare failed: $(tail -n 3 "${dir%/*}/take.log")"
		return
	fi
	if [ "$(admin -e "SELECT COUNT(*) FROM information_schema.plugins WHERE plugin_name = 'clone'")" = 0 ]; then
		admin -e "SET SESSION sql_log_bin = 0; INSTALL PLUGIN clone SONAME 'mysql_clone.so'"
	fi
	admin -e "CLONE LOCAL DATA DIRECTORY = $(sql_str "$dir")"
}

# recorded_gtid DIR prints the GTID position a copy was taken at, where the
# copy says it without a server (mariadb-backup's binlog info); empty
# otherwise (the clone's is read from the started copy: scratch_gtid).
recorded_gtid() {
	local f
	is_mariadb || return 0
	for f in "$1/mariadb_backup_binlog_info" "$1/xtrabackup_binlog_info"; do
		if [ -s "$f" ]; then
			awk '{print $3}' "$f"
			return
		fi
	done
}

# scratch_start DIR starts a server of its own on the copy in DIR: no
# network, its own socket (DIR.sock), no binary log, nothing of the live
# server's configuration. It waits, at most 120 s, until it answers.
# Its reads go through the page cache (innodb_flush_method fsync), where
# the copy was just written: with O_DIRECT, the default since MySQL 8.4 and
# MariaDB 10.6, each page came from the disk (the restore check's CHECKSUM
# TABLE of 1.4 GB: 22 s; 3.5 s buffered).
scratch_start() {
	local dir=$1 bin=mysqld opts=() i
	chown -R mysql:mysql "$dir"
	chown mysql:mysql "${dir%/*}"
	if is_mariadb; then
		command -v mariadbd >/dev/null && bin=mariadbd
		# A binary log of its own: the GTIDs a restore replays show in
		# gtid_binlog_pos.
		opts=(--log-bin="$dir-bin" --server-id=1)
	else
		opts=(--disable-log-bin --mysqlx=OFF --gtid-mode=ON --enforce-gtid-consistency=ON)
	fi
	"$bin" --no-defaults --user=mysql --datadir="$dir" --socket="$dir.sock" --pid-file="$dir.pid" \
		--log-error="$dir.err" --skip-networking --innodb-buffer-pool-size=134217728 --innodb-flush-method=fsync "${opts[@]}" \
		</dev/null >"$dir.out" 2>&1 &
	for i in $(seq 600); do
		if mysqladmin --socket="$dir.sock" -uroot ping >/dev/null 2>&1; then return 0; fi
		kill -0 $! 2>/dev/null || break
		[ "$i" -lt 600 ] && sleep 0.2
	done
	return 1
}

# scratch_error DIR prints the last lines a scratch server logged.
scratch_error() { tail -n 3 "$1.err" "$1.out" 2>/dev/null | grep -v '^==>' | grep . | tail -n 2 | paste -sd' ' -; }

# scratch_sql DIR ARGS... runs the mysql client against DIR's scratch server.
scratch_sql() {
	local dir=$1
	shift
	mysql --socket="$dir.sock" -uroot --batch --skip-column-names "$@"
}

# scratch_gtid DIR prints the executed GTID set of DIR's scratch server, on
# one line (MySQL's has a line per source; MariaDB: the GTIDs it applied
# since it started, a restored copy starts with none).
scratch_gtid() {
	if is_mariadb; then scratch_sql "$1" -e 'SELECT @@GLOBAL.gtid_binlog_pos'; else scratch_sql "$1" -e "SELECT REPLACE(@@GLOBAL.gtid_executed, '\n', '')"; fi
}

# scratch_stop DIR shuts DIR's scratch server down and waits until it is gone.
scratch_stop() {
	local dir=$1 pid i
	[ -S "$dir.sock" ] || return 0
	pid=$(cat "$dir.pid" 2>/dev/null || true)
	mysqladmin --socket="$dir.sock" -uroot shutdown >/dev/null 2>&1 || { [ -n "$pid" ] && kill "$pid" 2>/dev/null; } || true
	for i in $(seq 300); do
		{ [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; } || return 0
		[ "$i" -lt 300 ] && sleep 0.2
	done
	kill -9 "$pid" 2>/dev/null || true
}

# checksums DIR prints "schema.table checksum", one a line, sorted, for every
# base table of DIR's scratch server but the system schemas'.
checksums() {
	local dir=$1 list="" s t
	while IFS=$'\t' read -r s t; do
		list+="${list:+, }$(sql_ident "$s").$(sql_ident "$t")"
	done < <(scratch_sql "$dir" -e "SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('mysql', 'sys', 'information_schema', 'performance_schema')
		ORDER BY 1, 2")
	[ -n "$list" ] || return 0
	scratch_sql "$dir" -e "CHECKSUM TABLE $list" | awk -F'\t' '{print $1, ($2 == "" ? "NULL" : $2)}' | sort
}

# keep_local_maint gives Ubuntu's debian-sys-maint account, which restored
# data brings from the backed-up server, this host's password back
# (/etc/mysql/debian.cnf, which the package's scripts log in with), outside
# the binary log. The MySQL scripts' seed-load.sh does the same for a
# replica's dump.
keep_local_maint() {
	local maint
	is_mariadb && return 0
	maint=$(sed -n 's/^password *= *//p' /etc/mysql/debian.cnf 2>/dev/null | head -n 1)
	[ -n "$maint" ] || return 0
	printf "SET SESSION sql_log_bin = 0; ALTER USER IF EXISTS 'debian-sys-maint'@'localhost' IDENTIFIED BY %s;\n" \
		"$(sql_str "$maint")" | admin
}

# ---------------------------------------------------------------- restore

# check_target TARGET dies unless TARGET is a restore's target: latest, a
# backup's name, time=<a time date(1) reads, such as 2026-12-01T16:30:00Z or
# now> or gtid=<GTID set>.
check_target() {
	case $1 in
	latest | [0-9]*T*Z | gtid=?*) ;;
	time=?*) date -u -d "${1#time=}" +%s >/dev/null 2>&1 || die "${1#time=}: expected an ISO 8601 time such as 2026-12-01T16:30:00Z, or now" ;;
	*) die "$1: expected latest, a backup's name such as 20261201T163000Z, time=2026-12-01T16:30:00Z (or time=now) or gtid=<GTID set>" ;;
	esac
}

# restore_scratch TARGET DIR restores TARGET from the store into DIR/data
# (DIR made anew) and starts a scratch server there. A full backup is
# checked table by table against its manifest; for a point in time, the
# binary logs are replayed up to it. It sets RESTORED_ID, the backup
# restored from, and RESTORED_GTID, its position.
restore_scratch() {
	local target=$1 dir=$2 at="" id diagnosis tables
	if [[ $target == time=* ]]; then at=$(date -u -d "${target#time=}" +%s); fi
	id=$(choose_backup "$target" "$at") || die "no complete backup in the store fits $target"
	scratch_stop "$dir/data"
	rm -rf --one-file-system "$dir"
	log "restoring backup $id into $dir"
	if ! diagnosis=$(fetch_backup "$id" "$dir"); then die "backup $id: $diagnosis"; fi
	scratch_start "$dir/data" || die "backup $id: the restored copy did not start: $(scratch_error "$dir/data")"
	RESTORED_ID=$id
	RESTORED_GTID=$(manifest_get "$dir/manifest.txt" gtid)
	case $target in
	time=* | gtid=*) replay_binlogs "$dir" "$target" "$RESTORED_GTID" ;;
	*)
		tables=$(checksum_mismatch "$dir/manifest.txt" "$dir/data")
		[ -z "$tables" ] || die "backup $id: checksum mismatch after the restore: $tables"
		log "backup $id: every table's checksum matches its manifest"
		;;
	esac
}

# sha256_of FILE prints FILE's SHA-256, by openssl where the host has it: on
# Debian 12, sha256sum took 3.5 s for 600 MB, openssl 0.7 s.
sha256_of() {
	if command -v openssl >/dev/null; then
		openssl dgst -sha256 -r "$1" | awk '{print $1}'
	else
		sha256sum "$1" | awk '{print $1}'
	fi
}

# checksum_mismatch MANIFEST DIR prints the tables whose checksum on DIR's
# scratch server differs from the manifest's ("a.t, b.u"), or nothing when
# every table matches.
checksum_mismatch() {
	local want got
	want=$(sed -n 's/^checksum: //p' "$1")
	got=$(checksums "$2")
	[ "$want" != "$got" ] || return 0
	# diff exits 1 on the differences it prints.
	{ diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") || true; } |
		sed -n 's/^[<>] \([^ ]*\) .*/\1/p' | sort -u | paste -sd, - | sed 's/,/, /g'
}

# fetch_backup ID DIR downloads backup ID into DIR (made here), checks the
# object against its manifest, and unpacks the copy into DIR/data, timing
# each phase (DIR/phases). On a failure it prints the diagnosis, one line,
# on stdout and returns 1: "download: ..." (the store did not answer) or
# "corrupt object ...".
fetch_backup() {
	local id=$1 dir=$2 obj="full/$1/data.tar.zst" err want got
	mkdir -p "$dir"
	lap_begin "$dir"
	if ! err=$(store copyto "vault:full/$id/manifest.txt" "$dir/manifest.txt" 2>&1); then
		printf 'download: full/%s/manifest.txt: %s\n' "$id" "$(tail -n1 <<<"$err")"
		return 1
	fi
	if ! err=$(store copyto "vault:$obj" "$dir/data.tar.zst" 2>&1); then
		if store lsf "vault:$obj" >/dev/null 2>&1; then
			printf 'corrupt object %s: %s\n' "$obj" "$(tail -n1 <<<"$err")"
		else
			printf 'download: %s: %s\n' "$obj" "$(tail -n1 <<<"$err")"
		fi
		return 1
	fi
	lap_to "$dir" download
	want=$(manifest_get "$dir/manifest.txt" sha256)
	got=$(sha256_of "$dir/data.tar.zst")
	lap_to "$dir" sha256
	if [ "$want" != "$got" ]; then
		printf 'corrupt object %s: its sha256 is %s, the manifest recorded %s\n' "$obj" "$got" "$want"
		return 1
	fi
	mkdir -p "$dir/data"
	if ! err=$(zstd -q -d -c "$dir/data.tar.zst" | tar -x -C "$dir/data" 2>&1); then
		printf 'corrupt object %s: it does not unpack: %s\n' "$obj" "$(tail -n1 <<<"$err")"
		return 1
	fi
	rm -f "$dir/data.tar.zst"
	lap_to "$dir" unpack
}

# stop_scheduler stops the host's scheduler process (backup-schedule.sh),
# where one runs, and waits until it is gone. A backup it runs finishes
# first: the run lock is waited for.
stop_scheduler() {
	local pid i
	pid=$(cat "$MCS_BACKUP_DIR/scheduler.pid" 2>/dev/null || true)
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null || true
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		[ "$i" -lt 100 ] && sleep 0.1
	done
	rm -f "$MCS_BACKUP_DIR/scheduler.pid"
}

# choose_backup TARGET [EPOCH] prints the complete backup a restore starts
# from: the newest; the one named; the newest taken before EPOCH (time=); or
# the newest whose GTID position the target's GTID reaches (gtid=, one
# source: the highest sequence number of uuid:1-N or d-s-N).
choose_backup() {
	local target=$1 at=${2:-} id pick="" want have
	while IFS= read -r id; do
		case $target in
		latest) pick=$id ;;
		time=*) if (($(id_epoch "$id") <= at)); then pick=$id; fi ;;
		gtid=*)
			want=$(gtid_seq "${target#gtid=}")
			have=$(gtid_seq "$(store cat "vault:full/$id/manifest.txt" | sed -n 's/^gtid: //p')")
			if ((have <= want)); then pick=$id; fi
			;;
		*) if [ "$id" = "$target" ]; then pick=$id; fi ;;
		esac
	done < <(backup_ids)
	[ -n "$pick" ] && printf '%s\n' "$pick"
}

# gtid_seq SET prints the highest sequence number of a one-source GTID set
# (uuid:1-42 or 0-1-42): 42.
gtid_seq() { grep -oE '[0-9]+$' <<<"$1" || echo 0; }

# replay_binlogs DIR TARGET GTID applies the archived binary logs of the
# backup's stream to DIR's scratch server: the commits after GTID (the
# backup's position), up to TARGET.
replay_binlogs() {
	local dir=$1 target=$2 gtid=$3 stream opts=() tool=mysqlbinlog
	stream=$(manifest_get "$dir/manifest.txt" stream)
	mkdir -p "$dir/binlogs"
	store copy "vault:binlog/$stream/" "$dir/binlogs/" || die "download of binlog/$stream/ failed: the store did not answer"
	if is_mariadb; then
		command -v mariadb-binlog >/dev/null && tool=mariadb-binlog
		[ -z "$gtid" ] || opts+=(--start-position="$gtid")
		case $target in
		time=*) opts+=(--stop-datetime="$(date -u -d "${target#time=}" '+%F %T')") ;;
		gtid=*) opts+=(--stop-position="${target#gtid=}") ;;
		esac
	else
		[ -z "$gtid" ] || opts+=(--exclude-gtids="$gtid")
		case $target in
		time=*) opts+=(--stop-datetime="$(date -u -d "${target#time=}" '+%F %T')") ;;
		gtid=*) opts+=(--include-gtids="${target#gtid=}") ;;
		esac
	fi
	mapfile -t files < <(find "$dir/binlogs" -type f -name '*.[0-9]*' | sort)
	if [ "${#files[@]}" -eq 0 ]; then
		log "no archived binary log after backup's position"
		return 0
	fi
	log "replaying ${#files[@]} archived binary log(s) ($tool ${opts[*]})"
	TZ=UTC "$tool" "${opts[@]}" "${files[@]}" | scratch_sql "$dir/data" || die "replaying the binary logs failed"
}

# row_counts DIR prints "rows: schema.table N" for every base table of DIR's
# scratch server (DIR "live": this host's own server) but the system
# schemas'.
row_counts() {
	local s t sql=(scratch_sql "$1")
	[ "$1" != live ] || sql=(admin)
	while IFS=$'\t' read -r s t; do
		printf 'rows: %s.%s %s\n' "$s" "$t" "$("${sql[@]}" -e "SELECT COUNT(*) FROM $(sql_ident "$s").$(sql_ident "$t")")"
	done < <("${sql[@]}" -e "SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('mysql', 'sys', 'information_schema', 'performance_schema')
		ORDER BY 1, 2")
}
