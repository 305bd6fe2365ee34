#!/usr/bin/env bash
# store-reader.sh: runs a read-only S3 gateway (versitygw --readonly) over
# the backup store's directory for one host that may read the backups and
# write nothing (the restore host): in that host's network namespace, on
# its loopback only, so no other host reaches it. It has credentials of its
# own, from stdin, kept in a root-only file: never in argv. The objects are
# encrypted before they reach the store; the gateway never leaves the
# host's loopback, so it serves plain HTTP. Running again restarts it.
# Env: MCS_NETNS (the reader's), MCS_STORE_DIR, MCS_STORE_PORT, MCS_VERSITYGW.
# Stdin: the access key, then the secret key, a line each.
set -euo pipefail
# shellcheck disable=SC2034 # lib.sh's log and die read it
readonly ME=store-reader
require_env MCS_NETNS MCS_STORE_DIR MCS_STORE_PORT MCS_VERSITYGW
require_root
valid_port "$MCS_STORE_PORT" || die "MCS_STORE_PORT '$MCS_STORE_PORT' is not a TCP port"
valid_host_dir "$MCS_STORE_DIR" || die "MCS_STORE_DIR '$MCS_STORE_DIR' must be a normalised absolute path at least three levels deep"
[[ $MCS_NETNS =~ ^[a-z0-9-]+$ && -e /run/netns/$MCS_NETNS ]] || die "netns '$MCS_NETNS' does not exist (create the reader's host first)"
[[ -x $MCS_VERSITYGW ]] || die "$MCS_VERSITYGW is not executable: make tools builds versitygw into .tools/bin"
[[ -d $MCS_STORE_DIR/data ]] || die "$MCS_STORE_DIR/data is not there: the store serves it first"
IFS= read -r access || true
IFS= read -r secret || true
[[ -n $access && -n $secret ]] || die "no credentials on stdin"
dir=$MCS_STORE_DIR/readers/$MCS_NETNS
install -d -m 0700 "$MCS_STORE_DIR/readers" "$dir"
(
	umask 077
	printf 'ROOT_ACCESS_KEY_ID=%q\nROOT_SECRET_ACCESS_KEY=%q\n' "$access" "$secret" >"$dir/credentials.env"
)
stop_store "$dir"
started=no pid=
# A gateway that does not come up is stopped again: no create left it.
trap '[[ $started == yes || -z $pid ]] || { kill "$pid" 2>/dev/null; rm -f "$dir/versitygw.pid"; }' EXIT
(
	set -a
	# shellcheck source=/dev/null
	. "$dir/credentials.env"
	set +a
	exec ip netns exec "$MCS_NETNS" setsid -f "$MCS_VERSITYGW" --readonly --port "127.0.0.1:$MCS_STORE_PORT" \
		--quiet posix "$MCS_STORE_DIR/data" </dev/null >>"$dir/versitygw.log" 2>&1
)
for i in $(seq 100); do
	if [[ -z $pid ]]; then
		pid=$(pgrep -f -x -- "$MCS_VERSITYGW --readonly --port 127.0.0.1:$MCS_STORE_PORT .*posix $MCS_STORE_DIR/data" |
			while read -r p; do [[ $(ip netns identify "$p" 2>/dev/null) == "$MCS_NETNS" ]] && echo "$p"; done | head -n1 || true)
		[[ -z $pid ]] || printf '%s\n' "$pid" >"$dir/versitygw.pid"
	fi
	if [[ -n $pid ]] && ip netns exec "$MCS_NETNS" bash -c "exec 3<>/dev/tcp/127.0.0.1/$MCS_STORE_PORT" 2>/dev/null; then break; fi
	((i < 100)) || die "the read-only gateway did not listen in $MCS_NETNS: $(tail -n 3 "$dir/versitygw.log")"
	sleep 0.1
done
started=yes
log "read-only backup store for $MCS_NETNS on its 127.0.0.1:$MCS_STORE_PORT"
