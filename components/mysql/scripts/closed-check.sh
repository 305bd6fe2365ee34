#!/usr/bin/env bash
# closed-check.sh: runs on the operator and proves the MySQL port on the
# server is not reachable from there. Fails with a diagnosis if it is.
# Env: MCS_ADDRESS, MCS_PORT, MCS_PROBE_TIMEOUT (seconds; default 5).
# Stdout: "closed (timeout)" or "closed (refused)".
set -euo pipefail
: "${MCS_ADDRESS:?}" "${MCS_PORT:?}"
result=$(tcp_probe "$MCS_ADDRESS" "$MCS_PORT")
case "$result" in
open)
	printf 'diagnosis: ingress or firewall: %s:%s is reachable from the operator: the security group or nftables ruleset must admit the clients only\n' "$MCS_ADDRESS" "$MCS_PORT" >&2
	exit 1
	;;
error:*) echo "closed (${result#error: })" ;;
*) echo "closed ($result)" ;;
esac
