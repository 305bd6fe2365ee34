#!/usr/bin/env bash
# ingress-delete.sh - remove the table written by ingress-apply.sh from the
# MySQL server host's network namespace. Succeeds if the netns or the table
# is already gone.
#
# Env (required): MCS_NETNS
# Env (accepted, unused): the rest of ingress-apply.sh's variables.
set -euo pipefail
exec 1>&2

# shellcheck disable=SC2034 # lib.sh's log and die read it
readonly ME=ingress-delete
readonly TABLE=mysql_client_server

require_env MCS_NETNS
require_root

if [[ ! -e /run/netns/$MCS_NETNS ]] || ! mountpoint -q "/run/netns/$MCS_NETNS"; then
	log "netns $MCS_NETNS does not exist; nothing to do"
	exit 0
fi

# Create-then-delete in one transaction: succeeds whether or not the table exists.
printf 'table inet %s\ndelete table inet %s\n' "$TABLE" "$TABLE" |
	ip netns exec "$MCS_NETNS" nft -f - || die "could not delete table inet $TABLE in netns $MCS_NETNS"
log "netns $MCS_NETNS: table inet $TABLE removed"
