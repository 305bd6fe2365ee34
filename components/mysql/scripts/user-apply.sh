#!/usr/bin/env bash
# user-apply.sh: creates or updates one MySQL account and its database, over
# the server's local admin socket. Idempotent; used for create and update.
# Env: MCS_USER, MCS_USER_HOST (the client's address), MCS_DATABASE.
# Stdin: the account's password (never in argv, never printed).
set -euo pipefail
: "${MCS_USER:?}" "${MCS_USER_HOST:?}" "${MCS_DATABASE:?}"

password=
IFS= read -r -d '' password || true
[ -n "$password" ] || die "no password on standard input"

account="$(sql_str "$MCS_USER")@$(sql_str "$MCS_USER_HOST")"
db=$(sql_ident "$MCS_DATABASE")
grant_db=$(sql_grant_db "$MCS_DATABASE")
pw=$(sql_str "$password")

# The SQL reaches mysql on stdin; printf is a shell builtin, so the password
# is never in any process's argv. mysql's own messages are scrubbed of it.
err=$(
	{
		printf "SET SESSION sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '');\n"
		printf 'CREATE DATABASE IF NOT EXISTS %s;\n' "$db"
		printf 'CREATE USER IF NOT EXISTS %s IDENTIFIED BY %s;\n' "$account" "$pw"
		printf 'ALTER USER %s IDENTIFIED BY %s;\n' "$account" "$pw"
		printf 'REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s;\n' "$account"
		printf 'GRANT ALL PRIVILEGES ON %s.* TO %s;\n' "$grant_db" "$account"
		printf 'FLUSH PRIVILEGES;\n'
	} | admin 2>&1 >/dev/null
) || {
	printf '%s\n' "${err//"$password"/***}" >&2
	die "could not create or update the account for ${MCS_USER}@${MCS_USER_HOST}"
}
printf '%s@%s\n' "$MCS_USER" "$MCS_USER_HOST"
