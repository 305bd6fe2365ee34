#!/usr/bin/env bash
# user-delete.sh: drops one MySQL account. Its database and data are kept.
# Succeeds when the account is already gone, or no server was ever installed
# here. A server that is installed but does not answer fails the delete: it
# cannot tell whether the account is gone, so it never guesses.
# Env: MCS_USER, MCS_USER_HOST.
set -euo pipefail
: "${MCS_USER:?}" "${MCS_USER_HOST:?}"

if ! server_version >/dev/null; then
	log "no MySQL or MariaDB server is installed here; nothing to drop"
	exit 0
fi
if ! server_running; then
	die "the server does not answer on its socket, so the account ${MCS_USER}@${MCS_USER_HOST} may still exist: start the server and run pulumi up (or destroy) again; if the server is gone for good, remove the account's resource from the state with pulumi state delete"
fi
printf 'DROP USER IF EXISTS %s@%s;\n' "$(sql_str "$MCS_USER")" "$(sql_str "$MCS_USER_HOST")" | admin
# The mark of its last grant (user-apply.sh) goes with it.
rm -f "$(grant_mark "$MCS_USER" "$MCS_USER_HOST")"
fault_point user-delete:dropped
