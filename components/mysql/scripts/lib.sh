#!/usr/bin/env bash
# lib.sh: helpers shared by the MySQL scripts. On a host, each staged script
# sources the lib.sh staged beside it (staged.go); a script that runs on the
# operator's machine is this file followed by the script (script() in
# scripts.go).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
export LC_ALL=C

# How long readiness waits may take, in seconds.
MCS_BOOT_TIMEOUT=${MCS_BOOT_TIMEOUT:-900}
MCS_LOCK_TIMEOUT=${MCS_LOCK_TIMEOUT:-600}

log() { printf '%s\n' "$*" >&2; }
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# wait_for_boot waits for cloud-init to finish where it is present, so that
# apt is not racing the image's first-boot package work.
wait_for_boot() {
	command -v cloud-init >/dev/null 2>&1 || return 0
	log "waiting for cloud-init (at most ${MCS_BOOT_TIMEOUT}s)"
	local rc=0
	timeout "$MCS_BOOT_TIMEOUT" cloud-init status --wait >/dev/null || rc=$?
	case $rc in
	0 | 2) ;; # 2: finished with recoverable errors
	124) die "cloud-init did not finish within ${MCS_BOOT_TIMEOUT}s" ;;
	*) log "cloud-init status exited $rc; continuing" ;;
	esac
}

# dpkg_locked succeeds while a process holds one of the dpkg/apt locks.
dpkg_locked() {
	command -v fuser >/dev/null 2>&1 || return 1
	fuser -s /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock 2>/dev/null
}

# wait_for_dpkg_lock waits, within MCS_LOCK_TIMEOUT, until no process holds
# the dpkg or apt locks (unattended-upgrades on a fresh instance, say).
wait_for_dpkg_lock() {
	local waited=0
	while dpkg_locked; do
		if [ "$waited" -ge "$MCS_LOCK_TIMEOUT" ]; then
			die "the dpkg/apt lock is still held after ${MCS_LOCK_TIMEOUT}s (another apt or dpkg is running)"
		fi
		[ "$waited" -gt 0 ] || log "waiting for the dpkg/apt lock (at most ${MCS_LOCK_TIMEOUT}s)"
		sleep 2
		waited=$((waited + 2))
	done
}

# installed succeeds when the named package is installed.
installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# apt_install installs the packages that are not installed yet, once the
# first boot is done and the dpkg lock is free.
apt_install() {
	local missing=() p
	for p in "$@"; do installed "$p" || missing+=("$p"); done
	[ "${#missing[@]}" -gt 0 ] || return 0
	# Only apt needs the boot finished and the dpkg lock free: a host that
	# has the packages skips both (fuser scans every process).
	wait_for_boot
	wait_for_dpkg_lock
	log "installing ${missing[*]}"
	local apt=(apt-get -q -o "DPkg::Lock::Timeout=$MCS_LOCK_TIMEOUT")
	apt_update "${apt[@]}"
	"${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
}

# apt_update runs "$@ update". DPkg::Lock::Timeout does not cover the lists
# lock, which apt-daily may take between the lock check and this update: a
# failure on that lock is retried every $MCS_APT_RETRY_SECONDS (default 5)
# within MCS_LOCK_TIMEOUT; any other failure stops at once.
apt_update() {
	local out rc waited=0 every=${MCS_APT_RETRY_SECONDS:-5}
	while :; do
		rc=0
		out=$("$@" update 2>&1 >/dev/null) || rc=$?
		[ "$rc" -ne 0 ] || return 0
		case $out in
		*"Could not get lock"* | *"Unable to lock directory"*) ;;
		*)
			printf '%s\n' "$out" >&2
			die "apt-get update failed (exit $rc)"
			;;
		esac
		if [ "$waited" -ge "$MCS_LOCK_TIMEOUT" ]; then
			printf '%s\n' "$out" >&2
			die "the apt lists lock is still held after ${MCS_LOCK_TIMEOUT}s"
		fi
		log "the apt lists are locked by another apt (apt-daily?); retrying in ${every}s"
		sleep "$every"
		waited=$((waited + ${every%.*} + 1))
	done
}

# os_id prints the distribution id from /etc/os-release (ubuntu, debian, ...).
os_id() {
	local ID="" ID_LIKE=""
	# shellcheck disable=SC1091
	[ -r /etc/os-release ] && . /etc/os-release
	case " $ID $ID_LIKE " in
	*" ubuntu "*) echo ubuntu ;;
	*" debian "*) echo debian ;;
	*) echo "${ID:-unknown}" ;;
	esac
}

# package_for ROLE prints the package of the "server" or "client" of the
# engine MCS_ENGINE (mysql or mariadb; unset: the distribution's own, MySQL
# on Ubuntu and MariaDB on Debian).
package_for() {
	local os engine=${MCS_ENGINE:-}
	os=$(os_id)
	if [ -z "$engine" ]; then
		case $os in
		ubuntu) engine=mysql ;;
		*) engine=mariadb ;;
		esac
	fi
	case "$os/$engine" in
	ubuntu/mysql) echo "mysql-$1" ;;
	ubuntu/mariadb | debian/mariadb) echo "mariadb-$1" ;;
	debian/mysql) die "Debian's stable releases have no mysql-$1 (the local platform runs engine mysql in an image of Debian unstable): expected engine mariadb here" ;;
	*) die "unsupported distribution '$os': expected Ubuntu or Debian" ;;
	esac
}

# tcp_probe ADDRESS PORT tries a TCP connection for at most
# $MCS_PROBE_TIMEOUT seconds (default 5) and prints "open", "timeout"
# (nothing answered), "refused", or "error: <message>" (anything else,
# including a probe that could not run). It needs bash and sleep only, no
# GNU timeout: the operator's laptop runs it too.
tcp_probe() {
	local limit=${MCS_PROBE_TIMEOUT:-5} errf pid rc=0 err tenths=0
	errf=$(mktemp) || {
		echo "error: mktemp failed"
		return 0
	}
	# shellcheck disable=SC2016 # $0 and $1 expand in the inner bash
	bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>"$errf" </dev/null >/dev/null &
	pid=$!
	# The deadline: the connect either ends by itself or is stopped.
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$tenths" -ge $((limit * 10)) ]; then
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			rm -f "$errf"
			echo timeout
			return 0
		fi
		sleep 0.1
		tenths=$((tenths + 1))
	done
	wait "$pid" || rc=$?
	err=$(cat "$errf")
	rm -f "$errf"
	case "$rc/$err" in
	0/*) echo open ;;
	*"Connection refused"*) echo refused ;;
	*) echo "error: ${err:-exit status $rc}" ;;
	esac
}

# has_systemd succeeds when systemd is the running init (sd_booted(3)).
has_systemd() { [ -d /run/systemd/system ]; }

# The stack's TLS directory on a server host: the CA (on the primary only,
# with its key), the server's key and certificate.
MCS_TLS_DIR=/etc/mysql/mysql-client-server-tls

# issue_server_cert CSR ADDRESS prints a server certificate for ADDRESS
# (its subject alternative name, whatever the request asks for), valid 825
# days, signed with this host's CA.
issue_server_cert() {
	local csr=$1 address=$2 ext rc=0
	ext=$(mktemp)
	printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' "$address" >"$ext"
	openssl x509 -req -in "$csr" -CA "$MCS_TLS_DIR/ca.pem" -CAkey "$MCS_TLS_DIR/ca-key.pem" \
		-set_serial "0x$(openssl rand -hex 8)" -days 825 -extfile "$ext" 2>/dev/null || rc=$?
	rm -f "$ext"
	return "$rc"
}

# scrub_secret MESSAGE SECRET prints a mysql message without any form of the
# secret: as typed, as SQL carries it (sql_str, escaped), and no part of it
# from a parse error, which quotes the statement from where it failed.
scrub_secret() {
	local e=$1 secret=$2 escaped
	escaped=$(sql_str "$secret")
	escaped=${escaped#\'}
	escaped=${escaped%\'}
	e=${e//"$secret"/***}
	e=${e//"$escaped"/***}
	# No process gets the message in its argv: printf is a builtin.
	printf '%s' "$e" | sed -E "s/ near '.*' at line ([0-9]+)/ near (the statement is withheld: it holds the password) at line \1/"
}

# server_running succeeds when the server answers on its socket.
server_running() { mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1; }

# await_server waits, at most 60 s, until the server answers.
await_server() {
	local i
	for ((i = 0; i < 600; i++)); do
		server_running && return 0
		sleep 0.1
	done
	return 1
}

# server_ctl ACTION starts, stops or restarts the server: through systemd,
# else the distribution's init script, else (an image without either, such
# as Debian unstable's MySQL in a local host) mysqld_safe itself, detached.
# service(8) output goes to a file: the SysV script leaves a logger running
# on its stdout, which would hold the SSH channel open.
server_ctl() {
	local action=$1 unit svc out
	if has_systemd; then
		for unit in mysql mariadb; do
			if systemctl cat "$unit.service" >/dev/null 2>&1; then
				systemctl enable "$unit.service" >/dev/null 2>&1 || true
				systemctl "$action" "$unit.service"
				return
			fi
		done
		die "no mysql.service or mariadb.service unit found"
	fi
	for svc in mysql mariadb; do
		[ -x "/etc/init.d/$svc" ] || continue
		out=$(mktemp)
		if ! service "$svc" "$action" </dev/null >"$out" 2>&1; then
			cat "$out" >&2
			rm -f "$out"
			die "service $svc $action failed"
		fi
		rm -f "$out"
		return
	done
	command -v mysqld_safe >/dev/null 2>&1 || die "no systemd unit, init script or mysqld_safe to run the server with"
	case $action in
	stop | restart) safe_stop ;;
	esac
	case $action in
	start | restart) safe_start ;;
	esac
}

# safe_start starts the server under mysqld_safe, detached from this
# session, and waits (at most 60 s) until it answers, as systemctl and
# service(8) do.
safe_start() {
	server_running && return 0
	install -d -m 0755 -o mysql -g mysql /run/mysqld
	setsid mysqld_safe </dev/null >/dev/null 2>&1 &
	await_server && return 0
	tail -n 5 /var/log/mysql/error.log >&2 2>/dev/null || true
	die "the server did not answer on its socket within 60 s of its start"
}

# safe_stop shuts a server that mysqld_safe runs down, and waits until its
# process has gone (mysqld_safe then ends too).
safe_stop() {
	local pid_file pid i
	pid_file=$(my_print_defaults mysqld | sed -n 's/^--pid-file=//p' | tail -n 1)
	pid=$(cat "${pid_file:-/run/mysqld/mysqld.pid}" 2>/dev/null || true)
	server_running || return 0
	mysqladmin --protocol=socket -uroot shutdown
	[ -n "$pid" ] || return 0
	for ((i = 0; i < 600; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	die "the server (pid $pid) did not stop within 60 s"
}

# MCS_FAULT_FILE lists, on a host, one a line, the steps that are to fail
# once they have changed the host: the tests' injection point (nothing else
# writes it).
MCS_FAULT_FILE=/etc/mysql/mysql-client-server-fault

# fault_point NAME fails the script when the tests asked NAME to fail: on a
# host, once, when MCS_FAULT_FILE lists it (the line goes); on the
# operator's machine, while the environment's MCS_FAULT (which only the
# tests set) names it.
fault_point() {
	if [ "${MCS_FAULT:-}" = "$1" ]; then
		die "injected fault at $1 (a test's: MCS_FAULT)"
	fi
	if [ -f "$MCS_FAULT_FILE" ] && grep -qxF -- "$1" "$MCS_FAULT_FILE"; then
		grep -vxF -- "$1" "$MCS_FAULT_FILE" >"$MCS_FAULT_FILE.new" || true
		mv -f "$MCS_FAULT_FILE.new" "$MCS_FAULT_FILE"
		die "injected fault at $1 (a test's: $MCS_FAULT_FILE)"
	fi
}

# grant_mark USER HOST prints the root-only file in which user-apply.sh
# keeps the grant it last applied to that account (user-delete.sh removes it).
grant_mark() {
	printf '/etc/mysql/mysql-client-server-grants/%s' "$(printf '%s' "$1@$2" | sha256sum | cut -c1-32)"
}

# admin runs the mysql client as the server's local admin, over the socket.
admin() { mysql --protocol=socket -uroot --batch --skip-column-names "$@"; }

# opt_str quotes an option-file value: backslash, double quote and line
# breaks are escaped, as the MySQL and MariaDB option parsers expect.
opt_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/\\n}
	s=${s//$'\r'/\\r}
	printf '"%s"' "$s"
}

# json_str prints $1 as a JSON string (line breaks become ", ": the values
# are one-line server answers).
json_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/, }
	printf '"%s"' "$s"
}

# sql_str prints $1 as a MySQL string literal.
sql_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\'/\\\'}
	printf "'%s'" "$s"
}

# sql_grant_db prints $1 as a quoted database name for GRANT/REVOKE, where
# '_' and '%' are wildcards: they are escaped so the grant covers exactly
# that one database.
sql_grant_db() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//_/\\_}
	s=${s//%/\\%}
	sql_ident "$s"
}

# sql_ident prints $1 as a MySQL quoted identifier.
sql_ident() {
	local s=$1
	s=${s//\`/\`\`}
	printf '\140%s\140' "$s"
}

# ------------------------------------------------------------------ dialect
# What differs between MySQL 8.0, MySQL 8.4/9.x and MariaDB 10.11 is chosen
# here, and only here, by the installed server's flavor and version: each
# function below prints the statement, name or option for this server.
# use_dialect reads the version once per script; the functions need it.

# server_version prints the installed server as "FLAVOR VERSION", such as
# "mysql 8.0.39", "mysql 9.7.4" or "mariadb 10.11.6", from `mariadbd
# --version` or `mysqld --version`, which need no running server.
# MCS_SERVER_VERSION, when set, stands in for it (the tests' version stub).
server_version() {
	local line v
	if [ -n "${MCS_SERVER_VERSION:-}" ]; then
		printf '%s\n' "$MCS_SERVER_VERSION"
		return
	fi
	line=$(mariadbd --version 2>/dev/null) || line=$(mysqld --version 2>/dev/null) || return 1
	v=${line#* Ver }
	v=$(printf '%s' "${v%% *}" | grep -oE '^[0-9]+\.[0-9]+\.[0-9]+') || return 1
	case $line in
	*MariaDB*) printf 'mariadb %s\n' "$v" ;;
	*) printf 'mysql %s\n' "$v" ;;
	esac
}

# use_dialect sets DIALECT_FLAVOR (mysql or mariadb) and DIALECT_VERSION
# (major*10000 + minor*100 + patch) from server_version.
use_dialect() {
	local sv v major minor patch
	sv=$(server_version) || die "no MySQL or MariaDB server is installed here"
	DIALECT_FLAVOR=${sv%% *}
	v=${sv#* }
	IFS=. read -r major minor patch <<<"$v"
	DIALECT_VERSION=$((major * 10000 + minor * 100 + patch))
}

# mysql_at_least X.Y succeeds on Oracle's MySQL X.Y or later.
mysql_at_least() {
	local major=${1%.*} minor=${1#*.}
	: "${DIALECT_FLAVOR:?use_dialect first}"
	[ "$DIALECT_FLAVOR" = mysql ] && [ "$DIALECT_VERSION" -ge $((major * 10000 + minor * 100)) ]
}

# is_mariadb succeeds on a MariaDB server.
is_mariadb() {
	: "${DIALECT_FLAVOR:?use_dialect first}"
	[ "$DIALECT_FLAVOR" = mariadb ]
}

# cnf_gtid prints the server options that turn on GTIDs.
cnf_gtid() {
	if is_mariadb; then
		printf 'log_bin = mysql-bin\nlog_slave_updates = ON\ngtid_strict_mode = ON\n'
	else
		printf 'gtid_mode = ON\nenforce_gtid_consistency = ON\n'
	fi
}

# read_only_var prints the variable that makes a replica read-only for every
# account but replication: MySQL's super_read_only stops even root.
read_only_var() { if is_mariadb; then echo read_only; else echo super_read_only; fi; }

# sql_reload_tls prints the statement that reloads the certificate: LOCAL,
# so a replica's reload stays out of its binary log.
sql_reload_tls() { if is_mariadb; then echo 'FLUSH LOCAL SSL'; else echo 'ALTER INSTANCE RELOAD TLS'; fi; }

# sql_reset_binlogs prints the statement that empties the binary log and the
# GTID history: RESET MASTER was renamed in MySQL 8.2 and removed in 8.4.
sql_reset_binlogs() { if mysql_at_least 8.2; then echo 'RESET BINARY LOGS AND GTIDS'; else echo 'RESET MASTER'; fi; }

# sql_binlog_status prints the statement that shows the binary log position:
# SHOW MASTER STATUS became SHOW BINARY LOG STATUS in MySQL 8.2.
sql_binlog_status() { if mysql_at_least 8.2; then echo 'SHOW BINARY LOG STATUS'; else echo 'SHOW MASTER STATUS'; fi; }

# sql_replica_status, sql_start_replica, sql_stop_replica: the replication
# channel's statements (MySQL renamed them in 8.0.22 and removed the old
# ones in 8.4).
sql_replica_status() { if is_mariadb; then echo 'SHOW SLAVE STATUS'; else echo 'SHOW REPLICA STATUS'; fi; }

# replica_status prints the channel's status one "Field: value" a line.
# --vertical, not \G: MySQL 9's client refuses \G in batch mode.
replica_status() { admin --column-names --vertical -e "$(sql_replica_status)"; }
sql_start_replica() { if is_mariadb; then echo 'START SLAVE'; else echo 'START REPLICA'; fi; }
sql_stop_replica() { if is_mariadb; then echo 'STOP SLAVE'; else echo 'STOP REPLICA'; fi; }

# replica_field NAME prints the replica status field for NAME: host, port,
# user, ssl, verify, gtid (the channel uses GTIDs), io, sql.
replica_field() {
	local mariadb mysql
	case $1 in
	host) mariadb=Master_Host mysql=Source_Host ;;
	port) mariadb=Master_Port mysql=Source_Port ;;
	user) mariadb=Master_User mysql=Source_User ;;
	ssl) mariadb=Master_SSL_Allowed mysql=Source_SSL_Allowed ;;
	verify) mariadb=Master_SSL_Verify_Server_Cert mysql=Source_SSL_Verify_Server_Cert ;;
	gtid) mariadb=Using_Gtid mysql=Auto_Position ;;
	io) mariadb=Slave_IO_Running mysql=Replica_IO_Running ;;
	sql) mariadb=Slave_SQL_Running mysql=Replica_SQL_Running ;;
	*) die "replica_field: $1 is not a field" ;;
	esac
	if is_mariadb; then echo "$mariadb"; else echo "$mysql"; fi
}

# replica_gtid_value prints what replica_field gtid shows for a channel that
# follows by GTID.
replica_gtid_value() { if is_mariadb; then echo Slave_Pos; else echo 1; fi; }

# sql_change_source HOST PORT USER PASSWORD CA (each already an SQL literal,
# PORT a number) prints the statement that points the channel at the
# primary, by GTID, over TLS that verifies the primary's certificate.
sql_change_source() {
	if is_mariadb; then
		printf 'CHANGE MASTER TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, MASTER_SSL=1, MASTER_SSL_CA=%s, MASTER_SSL_VERIFY_SERVER_CERT=1, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=2' "$@"
	else
		printf 'CHANGE REPLICATION SOURCE TO SOURCE_HOST=%s, SOURCE_PORT=%s, SOURCE_USER=%s, SOURCE_PASSWORD=%s, SOURCE_SSL=1, SOURCE_SSL_CA=%s, SOURCE_SSL_VERIFY_SERVER_CERT=1, SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=2' "$@"
	fi
}

# sql_gtid_position prints the expression of the GTIDs this server has
# written (on a primary) and sql_applied_position those it has applied (on a
# replica): one set on MySQL, two positions on MariaDB.
sql_gtid_position() { if is_mariadb; then echo '@@global.gtid_binlog_pos'; else printf '%s\n' "REPLACE(@@global.gtid_executed, '\\n', '')"; fi; }
sql_applied_position() { if is_mariadb; then echo '@@global.gtid_slave_pos'; else sql_gtid_position; fi; }

# sql_wait_gtid GTID SECONDS (GTID an SQL literal) prints the query that
# waits until the replica has applied GTID: 0 when it has, else 1 or -1.
sql_wait_gtid() {
	if is_mariadb; then
		printf 'SELECT MASTER_GTID_WAIT(%s, %s)' "$1" "$2"
	else
		printf 'SELECT WAIT_FOR_EXECUTED_GTID_SET(%s, %s)' "$1" "$2"
	fi
}

# dump_all runs the engine's dump tool on every database (accounts included),
# consistent, with the GTID position for a replica to start from.
dump_all() {
	local common=(--protocol=socket -uroot --all-databases --single-transaction --routines --events --triggers
		--flush-privileges --hex-blob)
	if is_mariadb; then
		# --master-data=1 --gtid: SET GLOBAL gtid_slave_pos to the dump's
		# position. The replica's own replication state is not the
		# primary's to give.
		mariadb-dump "${common[@]}" --master-data=1 --gtid --ignore-table=mysql.gtid_slave_pos
	else
		mysqldump "${common[@]}" --set-gtid-purged=ON
	fi
}

# sql_identified PASSWORD NATIVE (PASSWORD an SQL literal; NATIVE yes or no)
# prints the account's IDENTIFIED clause. NATIVE asks for the tutorial's
# mysql_native_password: MariaDB's default already, MySQL 8.0's by name, and
# where MySQL no longer has it (off by default in 8.4, removed in 9.0) the
# default caching_sha2_password, named.
sql_identified() {
	if [ "$2" != yes ] || is_mariadb; then
		printf 'IDENTIFIED BY %s' "$1"
	elif mysql_at_least 8.4; then
		printf 'IDENTIFIED WITH caching_sha2_password BY %s' "$1"
	else
		printf 'IDENTIFIED WITH mysql_native_password BY %s' "$1"
	fi
}

# sql_exact_accounts prints the session setting with which SHOW CREATE USER
# prints an account's password hash as a literal that ALTER USER takes back:
# MySQL's caching_sha2_password hashes hold binary bytes, printed in hex
# from 8.0.17; MariaDB's are printable already.
sql_exact_accounts() {
	if ! is_mariadb; then echo 'SET SESSION print_identified_with_as_hex = ON;'; fi
}

# client_verify_option prints the option-file line with which this host's
# mysql client verifies the server's certificate and that it names the
# server's address: the client's own dialect, whichever server it talks to.
client_verify_option() {
	if mysql --version 2>/dev/null | grep -q MariaDB; then
		echo 'ssl-verify-server-cert'
	else
		echo 'ssl-mode = VERIFY_IDENTITY'
	fi
}
