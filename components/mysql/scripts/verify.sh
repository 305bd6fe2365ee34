#!/usr/bin/env bash
# verify.sh: the proof, run on a client as its login user with the
# ~/.my.cnf client-login.sh wrote. It connects like a user would (plain
# `mysql`, no flags) and prints one JSON line: server version, TLS version
# and cipher, CURRENT_USER() and the session's milliseconds (connect, TLS,
# login, queries). On failure it exits 1 with a diagnosis that names the
# layer and the fix, followed by the MySQL error text.
# Env: MCS_EXPECT_ACCOUNT (user@host as CURRENT_USER() shows it),
# MCS_SERVER, MCS_PORT, MCS_REQUIRE_TLS (ON: the session must be TLS).
set -euo pipefail
: "${MCS_EXPECT_ACCOUNT:?}" "${MCS_SERVER:?}" "${MCS_PORT:?}" "${MCS_REQUIRE_TLS:?}"

diagnose() {
	local err=$1 layer fix here
	here=$(hostname -I 2>/dev/null | awk '{print $1}' || true)
	# The codes are matched before the TLS words: under TLS, MariaDB wraps a
	# 1130 in "error packet before completion of TLS handshake".
	case "$err" in
	*"1130"*)
		layer="the user's host"
		fix="the account's host part must be this client's address (${here:-unknown}); check the MySQLUser Host"
		;;
	*"ERROR 1045"* | *"Access denied"*)
		layer="password or auth plugin"
		fix="the password in ~/.my.cnf must match the account's, and the server must accept its auth plugin; re-run pulumi up to rewrite both"
		;;
	*"ERROR 2026"* | *SSL* | *TLS* | *certificate*)
		layer="TLS: CA, certificate or identity"
		fix="the ssl-ca in ${HOME}/.my.cnf must be the server's CA, and the server certificate's subject alternative name must be ${MCS_SERVER}"
		;;
	*"ERROR 2002"* | *"ERROR 2003"* | *"ERROR 2013"* | *"timed out"*)
		# MariaDB's client reports a dropped and a refused connect alike
		# (errno 115), so the diagnosis asks the network itself.
		case "$(tcp_probe "$MCS_SERVER" "$MCS_PORT")" in
		refused)
			layer="bind-address, or the service is down (refused)"
			fix="mysqld must run and listen on ${MCS_SERVER}:${MCS_PORT} (bind-address in the server's drop-in)"
			;;
		*)
			layer="ingress or firewall (timeout)"
			fix="the server's security group or nftables ruleset must accept TCP ${MCS_PORT} from ${here:-this client}"
			;;
		esac
		;;
	*)
		layer="unknown"
		fix="see the MySQL error below"
		;;
	esac
	printf 'diagnosis: %s: %s\nmysql said: %s\n' "$layer" "$fix" "$err" >&2
	exit 1
}

query="SELECT VERSION(), CURRENT_USER(); SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_version', 'Ssl_cipher')"
# One session is the proof and the round trip: connect, TLS handshake, login
# and the queries, timed with bash's clock (no process but mysql).
start=${EPOCHREALTIME/./}
# --raw: batch mode would escape backslashes in CURRENT_USER().
out=$(mysql --connect-timeout=10 --batch --raw --skip-column-names -e "$query" 2>&1) || diagnose "$out"
ms=$(((${EPOCHREALTIME/./} - start) / 1000))
version="" account="" tls_version="" cipher=""
first=true
while IFS=$'\t' read -r a b; do
	if $first; then
		version=$a account=$b first=false
		continue
	fi
	case $a in
	Ssl_version) tls_version=$b ;;
	Ssl_cipher) cipher=$b ;;
	esac
done <<<"$out"

if [ "$account" != "$MCS_EXPECT_ACCOUNT" ]; then
	diagnose "ERROR 1130: logged in as '$account', expected '$MCS_EXPECT_ACCOUNT'"
fi
if [ "$MCS_REQUIRE_TLS" = ON ] && [ -z "$tls_version" ]; then
	diagnose "TLS: the session is not encrypted"
fi

printf '{"serverVersion":%s,"tlsVersion":%s,"cipher":%s,"currentUser":%s,"roundTripMs":%d}\n' \
	"$(json_str "$version")" "$(json_str "$tls_version")" "$(json_str "$cipher")" "$(json_str "$account")" "$ms"
