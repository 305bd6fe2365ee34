#!/usr/bin/env bash
# user-apply.sh: creates or updates one MySQL account and its database, over
# the server's local admin socket. Idempotent; used for create and update.
# Env: MCS_USER, MCS_USER_HOST (the client's address, or % for any),
# MCS_DATABASE, MCS_REQUIRE_TLS (ON: the account must use TLS),
# MCS_PRIVILEGES (database: ALL on its own database; all: ALL on *.*;
# replication: REPLICATION SLAVE only, a replica's account, no database),
# MCS_GRANT_OPTION (yes or no), MCS_READ_ONLY_ADMIN (keep, or revoke, the
# default: MariaDB's ALL ON *.* without READ_ONLY ADMIN), MCS_AUTH_PLUGIN (empty for the server's
# default, or mysql_native_password where the server has it).
# Stdin: the account's password (never in argv, never printed).
set -euo pipefail
: "${MCS_USER:?}" "${MCS_USER_HOST:?}" "${MCS_REQUIRE_TLS:?}" "${MCS_PRIVILEGES:?}" "${MCS_GRANT_OPTION:?}"
[ "$MCS_PRIVILEGES" = replication ] || : "${MCS_DATABASE:?}"

password=
IFS= read -r -d '' password || true
[ -n "$password" ] || die "no password on standard input"

account="$(sql_str "$MCS_USER")@$(sql_str "$MCS_USER_HOST")"
db=$(sql_ident "${MCS_DATABASE:-}")
grant_db=$(sql_grant_db "${MCS_DATABASE:-}")
pw=$(sql_str "$password")

case "$MCS_REQUIRE_TLS" in
ON) require="REQUIRE SSL" ;;
OFF) require="REQUIRE NONE" ;;
*) die "MCS_REQUIRE_TLS: expected ON or OFF" ;;
esac
privileges="ALL PRIVILEGES"
case "$MCS_PRIVILEGES" in
database) scope="${grant_db}.*" ;;
all) scope="*.*" ;;
replication) scope="*.*" privileges="REPLICATION SLAVE" ;;
*) die "MCS_PRIVILEGES: expected database, all or replication" ;;
esac
case "$MCS_GRANT_OPTION" in
yes) with=" WITH GRANT OPTION" ;;
no) with="" ;;
*) die "MCS_GRANT_OPTION: expected yes or no" ;;
esac
use_dialect
native=no
case ${MCS_AUTH_PLUGIN:-} in
"") ;;
mysql_native_password) native=yes ;;
*) die "MCS_AUTH_PLUGIN: expected empty or mysql_native_password" ;;
esac
identified=$(sql_identified "$pw" "$native")
mariadb=no
if is_mariadb; then mariadb=yes; fi

# escapes makes the session's backslashes escape, as sql_str writes them.
escapes() { printf "SET SESSION sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '');\n"; }

# q runs one statement over the admin socket.
q() {
	{
		escapes
		printf '%s\n' "$1"
	} | admin
}

# The grant is changed only when it differs from the one applied last (a
# root-only mark per account): REVOKE then GRANT would leave the account
# without privileges for a moment, on the replicas too, at every re-run (an
# upgrade, a password rotation). A missing account, or one without its
# grant, is granted again whatever the mark says.
mark=$(grant_mark "$MCS_USER" "$MCS_USER_HOST")
want_grant="$privileges ON $scope$with/${MCS_READ_ONLY_ADMIN:-revoke}"
regrant=yes
if [ "$(cat "$mark" 2>/dev/null)" = "$want_grant" ] &&
	[ "$(q "SELECT COUNT(*) FROM mysql.user WHERE user = $(sql_str "$MCS_USER") AND host = $(sql_str "$MCS_USER_HOST")")" = 1 ] &&
	q "SHOW GRANTS FOR $account" | grep -qv '^GRANT USAGE ON \*\.\* '; then
	regrant=no
fi

# What the account is now, to put back if this run fails after it changed
# it: a failed update leaves its old inputs in the state, and the account
# must agree with them (the password as a hash, never the password).
exists=$(q "SELECT COUNT(*) FROM mysql.user WHERE user = $(sql_str "$MCS_USER") AND host = $(sql_str "$MCS_USER_HOST")") ||
	die "could not read whether the account ${MCS_USER}@${MCS_USER_HOST} exists (does the server answer on its socket?)"
before=""
if [ "$exists" = 1 ]; then
	before=$({
		escapes
		sql_exact_accounts
		printf 'SHOW CREATE USER %s;\nSHOW GRANTS FOR %s;\n' "$account" "$account"
	} | admin --raw) || die "could not read the account ${MCS_USER}@${MCS_USER_HOST} as it is"
fi
mark_before=$(cat "$mark" 2>/dev/null || true)
# restore_account puts the account (and its grant mark) back as it was, or
# drops it when this run made it.
restore_account() {
	local rc=$?
	trap - EXIT
	[ "$rc" -ne 0 ] || return 0
	log "the change failed: putting the account ${MCS_USER}@${MCS_USER_HOST} back as it was"
	{
		escapes
		if [ -z "$before" ]; then
			printf 'DROP USER IF EXISTS %s;\n' "$account"
		else
			sed -n '1s/^CREATE USER /ALTER USER /p' <<<"$before" | sed 's/$/;/'
			# The grants only where this run changed them: a revoke
			# leaves the account without privileges for a moment.
			if [ "$regrant" = yes ]; then
				printf 'REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s;\n' "$account"
				sed -n '2,$s/$/;/p' <<<"$before"
			fi
		fi
		printf 'FLUSH PRIVILEGES;\n'
	} | admin >/dev/null 2>&1 || log "warning: could not put the account back: run pulumi up again"
	if [ -n "$mark_before" ]; then (umask 077 && printf '%s' "$mark_before" >"$mark"); else rm -f "$mark"; fi
	exit "$rc"
}
trap restore_account EXIT

# The SQL reaches mysql on stdin; printf is a shell builtin, so the password
# is never in any process's argv. mysql's own messages are scrubbed of it.
err=$(
	{
		escapes
		[ "$MCS_PRIVILEGES" = replication ] || printf 'CREATE DATABASE IF NOT EXISTS %s;\n' "$db"
		printf 'CREATE USER IF NOT EXISTS %s %s %s;\n' "$account" "$identified" "$require"
		printf 'ALTER USER %s %s %s;\n' "$account" "$identified" "$require"
		if [ "$regrant" = yes ]; then
			printf 'REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s;\n' "$account"
			printf 'GRANT %s ON %s TO %s%s;\n' "$privileges" "$scope" "$account" "$with"
			# MariaDB's ALL ON *.* includes READ_ONLY ADMIN, which writes
			# through read_only: a client could then write on a replica and
			# break its replication. MySQL's super_read_only stops every account.
			[ "$MCS_PRIVILEGES/$mariadb/${MCS_READ_ONLY_ADMIN:-revoke}" != all/yes/revoke ] || printf 'REVOKE READ_ONLY ADMIN ON *.* FROM %s;\n' "$account"
		fi
		printf 'FLUSH PRIVILEGES;\n'
	} | admin 2>&1 >/dev/null
) || {
	printf '%s\n' "$(scrub_secret "$err" "$password")" >&2
	die "could not create or update the account for ${MCS_USER}@${MCS_USER_HOST}"
}
if [ "$regrant" = yes ]; then
	install -d -m 0700 "${mark%/*}"
	(umask 077 && printf '%s' "$want_grant" >"$mark")
fi
fault_point user-apply:applied
trap - EXIT
printf '%s@%s\n' "$MCS_USER" "$MCS_USER_HOST"
