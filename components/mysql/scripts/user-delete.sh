#!/usr/bin/env bash
# user-delete.sh: drops one MySQL account. Its database and data are kept.
# Succeeds when the account or the server is already gone.
# Env: MCS_USER, MCS_USER_HOST.
set -euo pipefail
: "${MCS_USER:?}" "${MCS_USER_HOST:?}"

if ! command -v mysql >/dev/null 2>&1 || ! mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1; then
	log "server not running; nothing to drop"
	exit 0
fi
printf 'DROP USER IF EXISTS %s@%s;\n' "$(sql_str "$MCS_USER")" "$(sql_str "$MCS_USER_HOST")" | admin
