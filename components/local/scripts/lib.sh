#!/usr/bin/env bash
# lib.sh: what the local platform's scripts share. Each script runs as this
# file followed by the script's own body (script() in platform.go), with
# bash, as root, on the operator's machine; the script sets ME first.
set -euo pipefail
# Root's PATH may lack the sbin directories (e.g. after a non-login su).
export PATH="${PATH:+$PATH:}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# The lock every host change takes, the marks of what host-create made (a
# host dir, the state dir it made, a bridge), read by host-delete and Sweep.
# shellcheck disable=SC2034 # the scripts that follow read them
readonly LOCK_FILE=/run/lock/mysql-client-server.lock \
	MARKER=.mysql-client-server-host \
	STATE_MARKER=.mysql-client-server-state \
	BRIDGE_ALIAS=mysql-client-server

log() { echo "${ME:-mysql-client-server}: $*" >&2; }
die() {
	echo "${ME:-mysql-client-server}: error: $*" >&2
	exit 1
}

# require_env VAR... fails naming the first unset one; require_root fails
# unless the script runs as root.
require_env() {
	local v
	for v in "$@"; do [[ -n ${!v:-} ]] || die "$v is not set"; done
}
require_root() { ((EUID == 0)) || die "must run as root"; }

# fault NAME fails here when a test asked NAME to fail (MCS_FAULT, which
# only the tests set): the injection point of the fault tests.
fault() {
	[[ ${MCS_FAULT:-} != "$1" ]] || die "injected fault at $1 (a test's: MCS_FAULT)"
}

valid_ip4() {
	local o='(0|[1-9][0-9]{0,2})' i
	[[ $1 =~ ^$o\.$o\.$o\.$o$ ]] || return 1
	for i in 1 2 3 4; do ((BASH_REMATCH[i] <= 255)) || return 1; done
}
ip4_int() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo $(((a << 24) | (b << 16) | (c << 8) | d))
}
valid_ifname() { [[ ${#1} -le 15 && $1 =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]]; }
valid_netns() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ ]]; }
valid_prefix() { [[ $1 =~ ^[0-9]{1,2}$ ]] && (($1 >= 8 && $1 <= 30)); }
valid_port() { [[ $1 =~ ^[1-9][0-9]{0,4}$ ]] && (($1 <= 65535)); }
# valid_host_dir: a normalised absolute path at least three levels deep, of
# plain characters (host-delete removes it).
valid_host_dir() { [[ $1 =~ ^(/[A-Za-z0-9_.@+-]+){3,}$ && ! $1 =~ /\.\.?(/|$) ]]; }
