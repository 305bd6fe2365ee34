#!/usr/bin/env bash
# lib.sh: helpers shared by the MySQL host scripts. The Go code prepends this
# file to each script before sending it to a host, so every script is one
# self-contained bash program.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
export LC_ALL=C

# How long readiness waits may take, in seconds.
MCS_BOOT_TIMEOUT=${MCS_BOOT_TIMEOUT:-900}
MCS_LOCK_TIMEOUT=${MCS_LOCK_TIMEOUT:-600}

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

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

# package_for prints the package for role "server" or "client": Oracle MySQL
# 8.0 on Ubuntu, MariaDB on Debian.
package_for() {
	case "$(os_id)/$1" in
	ubuntu/server) echo mysql-server ;;
	ubuntu/client) echo mysql-client ;;
	debian/server) echo mariadb-server ;;
	debian/client) echo mariadb-client ;;
	*) die "unsupported distribution '$(os_id)': expected Ubuntu or Debian" ;;
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

# is_mariadb succeeds on a MariaDB server host (Debian), fails on MySQL's.
is_mariadb() { command -v mariadbd >/dev/null 2>&1; }

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
