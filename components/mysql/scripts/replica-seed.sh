#!/usr/bin/env bash
# replica-seed.sh: runs on the operator's machine (the one running pulumi
# up), which reaches every host over SSH. It seeds a new replica with the
# primary's data: seed-dump.sh on the primary piped, over the two SSH
# sessions, into seed-load.sh on the replica. A replica that already follows
# a source is left alone (it catches up by itself), so this is idempotent.
# Env: MCS_PRIMARY_SSH and MCS_REPLICA_SSH ("user address port"),
# MCS_PRIMARY_HOST_KEY and MCS_REPLICA_HOST_KEY (authorized_keys form; empty:
# not pinned), MCS_DUMP_COMMAND, MCS_CHECK_COMMAND, MCS_LOAD_COMMAND (the
# command lines that run the staged scripts as root on each host).
# Stdin: the hosts' SSH private key, or the primary's then the replica's
# (each written to a 0600 file, removed at exit).
# Stdout: "seeded from <address>" or "already replicating".
set -euo pipefail
: "${MCS_PRIMARY_SSH:?}" "${MCS_REPLICA_SSH:?}" "${MCS_DUMP_COMMAND:?}" "${MCS_CHECK_COMMAND:?}" "${MCS_LOAD_COMMAND:?}"

die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}
command -v ssh >/dev/null 2>&1 || die "ssh (the OpenSSH client) is needed on this machine to seed a replica"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
(umask 077 && awk -v d="$dir" '/^-----BEGIN /{n++} n{print > (d "/key" n)}')
[ -s "$dir/key1" ] || die "no SSH private key on standard input"
read -r p_user p_addr p_port <<<"$MCS_PRIMARY_SSH"
read -r r_user r_addr r_port <<<"$MCS_REPLICA_SSH"
# known_hosts names a host on port 22 by its address, on another port as
# [address]:port.
known() { if [ "$2" = 22 ]; then printf '%s' "$1"; else printf '[%s]:%s' "$1" "$2"; fi; }
check=yes
for pin in "$(known "$p_addr" "$p_port") ${MCS_PRIMARY_HOST_KEY:-}" "$(known "$r_addr" "$r_port") ${MCS_REPLICA_HOST_KEY:-}"; do
	if [ -z "${pin#* }" ]; then
		check=no # a platform that does not know the host key
	else
		printf '%s\n' "$pin" >>"$dir/known_hosts"
	fi
done
opts=(-o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=15 -o LogLevel=ERROR
	-o UserKnownHostsFile="$dir/known_hosts" -o GlobalKnownHostsFile=/dev/null -o ServerAliveInterval=15)
for key in "$dir"/key*; do opts+=(-i "$key"); done
if [ "$check" = yes ]; then
	opts+=(-o StrictHostKeyChecking=yes)
else
	opts+=(-o StrictHostKeyChecking=accept-new)
fi
on_primary() { ssh "${opts[@]}" -p "$p_port" "$p_user@$p_addr" "$@"; }
on_replica() { ssh "${opts[@]}" -p "$r_port" "$r_user@$r_addr" "$@"; }

state=$(on_replica "$MCS_CHECK_COMMAND" </dev/null) || die "could not ask the replica $r_addr whether it is seeded"
case $state in
replicating)
	echo "already replicating"
	exit 0
	;;
empty) ;;
*) die "the replica $r_addr answered '$state': expected replicating or empty" ;;
esac
printf 'seeding the replica %s from the primary %s\n' "$r_addr" "$p_addr" >&2
on_primary "$MCS_DUMP_COMMAND" </dev/null | on_replica "$MCS_LOAD_COMMAND" ||
	die "seeding $r_addr from $p_addr failed: see the messages above"
# The fault tests' injection point (lib.sh's fault_point; MCS_FAULT is set
# by no one else).
[ "${MCS_FAULT:-}" != replica-seed:seeded ] || die "injected fault at replica-seed:seeded (a test's: MCS_FAULT)"
echo "seeded from $p_addr"
