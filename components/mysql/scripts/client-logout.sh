#!/usr/bin/env bash
# client-logout.sh: removes the ~/.my.cnf and CA file client-login.sh wrote.
# A file it did not write is left alone. Succeeds when they are gone.
# Env: MCS_LOGIN_USER.
set -euo pipefail
: "${MCS_LOGIN_USER:?}"
home=$(getent passwd "$MCS_LOGIN_USER" | cut -d: -f6 || true)
[ -n "$home" ] || exit 0
if [ -f "$home/.my.cnf" ] && grep -qF "# Managed by mysql-client-server" "$home/.my.cnf"; then
	rm -f "$home/.my.cnf"
fi
rm -f "$home/.mysql-client-server-ca.pem"
