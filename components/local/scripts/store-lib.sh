#!/usr/bin/env bash
# store-lib.sh: the backup store scripts' own helper, after lib.sh (kept
# apart from it: every host's commands carry lib.sh, and a change to it
# would run each of them again on the next up).

# stop_store DIR stops the backup store that serves DIR, where one runs, and
# waits until it is gone.
stop_store() {
	local dir=$1 pid i
	pid=$(cat "$dir/versitygw.pid" 2>/dev/null || true)
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null || true
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		((i < 100)) && sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f -- "$dir/versitygw.pid"
}
