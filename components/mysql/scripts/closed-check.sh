#!/usr/bin/env bash
# closed-check.sh: runs on the operator and proves the MySQL port on the
# server is not reachable from there. Fails with a diagnosis if it is.
# Env: MCS_ADDRESS, MCS_PORT.
# Stdout: "closed (timeout)" or "closed (refused)".
set -euo pipefail
: "${MCS_ADDRESS:?}" "${MCS_PORT:?}"
rc=0
# shellcheck disable=SC2016 # $0 and $1 expand in the inner bash
err=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$MCS_ADDRESS" "$MCS_PORT" 2>&1) || rc=$?
case $rc in
0)
	printf 'diagnosis: ingress or firewall: %s:%s is reachable from the operator: the security group or nftables ruleset must admit the clients only\n' "$MCS_ADDRESS" "$MCS_PORT" >&2
	exit 1
	;;
124) echo "closed (timeout)" ;;
*)
	case "$err" in
	*refused*) echo "closed (refused)" ;;
	*) echo "closed ($err)" ;;
	esac
	;;
esac
