#!/usr/bin/env bash
# client-login.sh: writes the login user's ~/.my.cnf (mode 0600) so that a
# plain `mysql` on the client logs in to the server, over TLS that verifies
# the server's identity. Idempotent; used for create and update.
# Env: MCS_LOGIN_USER (the OS user), MCS_SERVER, MCS_PORT, MCS_USER,
# MCS_DATABASE, MCS_CA_CERT (PEM; empty: no TLS settings).
# Stdin: the account's password (written only into the 0600 file).
# Stdout: the path of the file.
set -euo pipefail
: "${MCS_LOGIN_USER:?}" "${MCS_SERVER:?}" "${MCS_PORT:?}" "${MCS_USER:?}" "${MCS_DATABASE:?}"
marker="# Managed by mysql-client-server"

password=
IFS= read -r -d '' password || true
[ -n "$password" ] || die "no password on standard input"

home=$(getent passwd "$MCS_LOGIN_USER" | cut -d: -f6)
if [ -z "$home" ] || [ ! -d "$home" ]; then
	die "login user $MCS_LOGIN_USER has no home directory"
fi
group=$(id -gn "$MCS_LOGIN_USER")
cnf="$home/.my.cnf"
ca="$home/.mysql-client-server-ca.pem"
if [ -e "$cnf" ] && ! grep -qF "$marker" "$cnf"; then
	die "$cnf exists and is not managed by mysql-client-server: move it away and run again"
fi

tls=""
if [ -n "${MCS_CA_CERT:-}" ]; then
	printf '%s\n' "$MCS_CA_CERT" | install -m 0644 -o "$MCS_LOGIN_USER" -g "$group" /dev/stdin "$ca"
	tls=$(printf 'ssl-ca = %s\n%s' "$ca" "$(client_verify_option)")
fi

tmp=$(mktemp "$home/.my.cnf.XXXXXX")
# The file as it was comes back if this run fails after replacing it: a
# failed update leaves its old inputs in the state, and the file must agree.
previous=$(mktemp "$home/.my.cnf.previous.XXXXXX")
had=no
if [ -f "$cnf" ]; then cp -p "$cnf" "$previous" && had=yes; fi
restore_cnf() {
	local rc=$?
	trap - EXIT
	if [ "$rc" -ne 0 ] && [ "$had" = yes ]; then
		log "writing ~/.my.cnf failed: putting the previous one back"
		mv -f "$previous" "$cnf"
	elif [ "$rc" -ne 0 ]; then
		rm -f "$cnf" # a failed create is recorded nowhere: no password file stays
	fi
	rm -f "$tmp" "$previous"
	exit "$rc"
}
trap restore_cnf EXIT
{
	printf '%s: how mysql on this host logs in to the server.\n' "$marker"
	printf '[client]\nhost = %s\nport = %s\n' "$MCS_SERVER" "$MCS_PORT"
	printf 'user = %s\n' "$(opt_str "$MCS_USER")"
	printf 'password = %s\n' "$(opt_str "$password")"
	[ -z "$tls" ] || printf '%s\n' "$tls"
	printf '[mysql]\ndatabase = %s\n' "$(opt_str "$MCS_DATABASE")"
} >"$tmp"
chown "$MCS_LOGIN_USER:$group" "$tmp"
chmod 0600 "$tmp"
mv "$tmp" "$cnf"
fault_point client-login:written
rm -f "$previous"
trap - EXIT
printf '%s\n' "$cnf"
