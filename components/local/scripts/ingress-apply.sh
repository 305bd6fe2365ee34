#!/usr/bin/env bash
# ingress-apply.sh - the local platform's "security group" for the MySQL
# server host: an nftables table in the host's network namespace that lets
# only the client hosts reach the MySQL port and only the SSH sources reach
# the SSH port. Re-applying atomically replaces the whole table.
#
# Env (required): MCS_NETNS
# Env (optional): MCS_PORT (default 3306), MCS_SSH_PORT (default 22),
#   MCS_CLIENT_ADDRESSES (IPv4 addresses or CIDRs, space/comma separated; empty = no
#   client may connect), MCS_SSH_SOURCES (IPv4 addresses or CIDRs, space/comma
#   separated; empty = nobody may SSH in, including the operator)
set -euo pipefail
exec 1>&2

readonly ME=ingress-apply
readonly TABLE=mysql_client_server

require_env MCS_NETNS
require_root
MCS_PORT=${MCS_PORT:-3306}
MCS_SSH_PORT=${MCS_SSH_PORT:-22}
MCS_CLIENT_ADDRESSES=${MCS_CLIENT_ADDRESSES:-}
MCS_SSH_SOURCES=${MCS_SSH_SOURCES:-}

valid_port "$MCS_PORT" || die "MCS_PORT '$MCS_PORT' is not a TCP port"
valid_port "$MCS_SSH_PORT" || die "MCS_SSH_PORT '$MCS_SSH_PORT' is not a TCP port"
((MCS_PORT != MCS_SSH_PORT)) || die "MCS_PORT and MCS_SSH_PORT must differ"

# Prints the CIDR with host bits cleared (nft rejects 10.0.0.1/24 in a set).
normalise_cidr() {
	local addr=${1%/*} len=${1#*/} n
	valid_ip4 "$addr" && [[ $len =~ ^[0-9]{1,2}$ ]] && ((len <= 32)) || return 1
	n=$(($(ip4_int "$addr") & ((0xffffffff << (32 - len)) & 0xffffffff)))
	echo "$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))/$len"
}

clients=()
for a in ${MCS_CLIENT_ADDRESSES//,/ }; do
	if [[ $a == */* ]]; then
		a=$(normalise_cidr "$a") || die "MCS_CLIENT_ADDRESSES: '$a' is not an IPv4 address or CIDR"
	else
		valid_ip4 "$a" || die "MCS_CLIENT_ADDRESSES: '$a' is not an IPv4 address or CIDR"
	fi
	clients+=("$a")
done
ssh_sources=()
for s in ${MCS_SSH_SOURCES//,/ }; do
	if [[ $s == */* ]]; then
		s=$(normalise_cidr "$s") || die "MCS_SSH_SOURCES: '$s' is not an IPv4 address or CIDR"
	else
		valid_ip4 "$s" || die "MCS_SSH_SOURCES: '$s' is not an IPv4 address or CIDR"
	fi
	ssh_sources+=("$s")
done
((${#ssh_sources[@]})) || log "warning: MCS_SSH_SOURCES is empty: nobody, not even the operator, can SSH to $MCS_NETNS"

[[ -e /run/netns/$MCS_NETNS ]] || die "netns $MCS_NETNS does not exist (create the host first)"

# "a, b, c" of the unique elements, or "" if none
elements() {
	(($#)) && printf '%s\n' "$@" | sort -u | paste -sd, - | sed 's/,/, /g'
	return 0
}
client_elems=$(elements "${clients[@]}")
ssh_elems=$(elements "${ssh_sources[@]}")
client_line="" ssh_line=""
if [[ -n $client_elems ]]; then client_line="elements = { $client_elems }"; fi
if [[ -n $ssh_elems ]]; then ssh_line="elements = { $ssh_elems }"; fi

rules=$(mktemp) previous=$(mktemp)
# On a failure after the new rules went in, the previous ones go back: a
# failed update leaves its old inputs in the state, and the host must agree
# with them. A table made by this run stays (it only drops): the host's
# namespace, which the state knows, takes it with it.
restore() {
	local rc=$?
	if ((rc != 0)) && [[ -s $previous ]]; then
		log "the update failed: restoring the previous rules"
		{
			printf 'table inet %s\ndelete table inet %s\n' "$TABLE" "$TABLE"
			cat "$previous"
		} |
			ip netns exec "$MCS_NETNS" nft -f - || log "warning: could not restore the previous rules"
	fi
	rm -f "$rules" "$previous"
	exit "$rc"
}
trap restore EXIT
ip netns exec "$MCS_NETNS" nft list table inet "$TABLE" >"$previous" 2>/dev/null || : >"$previous"
# The first two lines make the file replace the table in one transaction
# (creating it first so that "delete" cannot fail when it does not exist).
cat >"$rules" <<EOF
table inet $TABLE
delete table inet $TABLE
table inet $TABLE {
  set mysql_clients {
    type ipv4_addr
    flags interval
    auto-merge
    $client_line
  }
  set ssh_sources {
    type ipv4_addr
    flags interval
    auto-merge
    $ssh_line
  }
  chain input {
    type filter hook input priority 0; policy accept;
    ct state established,related accept
    iif "lo" accept
    ip saddr @mysql_clients tcp dport $MCS_PORT accept
    tcp dport $MCS_PORT drop
    ip saddr @ssh_sources tcp dport $MCS_SSH_PORT accept
    tcp dport $MCS_SSH_PORT drop
  }
}
EOF

ip netns exec "$MCS_NETNS" nft -f "$rules" || die "nft rejected the ingress rules for $MCS_NETNS"
fault ingress-apply:applied

log "netns $MCS_NETNS: tcp/$MCS_PORT from {${client_elems:-nobody}}, tcp/$MCS_SSH_PORT from {${ssh_elems:-nobody}}, all other tcp/$MCS_PORT and tcp/$MCS_SSH_PORT dropped"
ip netns exec "$MCS_NETNS" nft list table inet "$TABLE" | sed "s/^/$ME: | /" >&2
