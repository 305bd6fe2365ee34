#!/usr/bin/env bash
# closed-check.sh: runs on the operator and proves the MySQL port on the
# server is not reachable from there. Fails with a diagnosis if it is, or
# if the probe cannot tell. Only a timeout counts as closed: the firewalls
# (the security group, the nftables ruleset) drop packets, so a refusal
# means a packet reached the host and only mysqld was not listening.
# Runs on the operator's machine: bash, sleep and mktemp are all it needs.
# Env: MCS_ADDRESS, MCS_PORT, MCS_PROBE_TIMEOUT (seconds; default 5).
# Stdout: "closed (timeout)".
set -euo pipefail
: "${MCS_ADDRESS:?}" "${MCS_PORT:?}"
result=$(tcp_probe "$MCS_ADDRESS" "$MCS_PORT")
case "$result" in
open)
	printf 'diagnosis: ingress or firewall: %s:%s is reachable from the operator: the security group or nftables ruleset must admit the clients only\n' "$MCS_ADDRESS" "$MCS_PORT" >&2
	exit 1
	;;
timeout) echo "closed (timeout)" ;;
refused)
	printf 'diagnosis: ingress or firewall: %s:%s answered with a refusal: the packet reached the host, so its firewall let it through (it drops what it refuses); only mysqld was not listening\n' "$MCS_ADDRESS" "$MCS_PORT" >&2
	exit 1
	;;
*)
	# Only an unanswered connection proves the port filtered.
	printf 'diagnosis: the probe itself failed, so nothing is proven about %s:%s: %s\n' "$MCS_ADDRESS" "$MCS_PORT" "${result#error: }" >&2
	exit 1
	;;
esac
