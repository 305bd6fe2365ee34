#!/usr/bin/env bash
# store-reader-stop.sh: stops a host's read-only gateway (store-reader.sh)
# and removes its credentials. The store's data is not touched.
# Env: MCS_NETNS (the reader's), MCS_STORE_DIR.
set -euo pipefail
# shellcheck disable=SC2034 # lib.sh's log and die read it
readonly ME=store-reader-stop
require_env MCS_NETNS MCS_STORE_DIR
require_root
valid_host_dir "$MCS_STORE_DIR" || die "MCS_STORE_DIR '$MCS_STORE_DIR' must be a normalised absolute path at least three levels deep"
[[ $MCS_NETNS =~ ^[a-z0-9-]+$ ]] || die "MCS_NETNS '$MCS_NETNS' is not a namespace name"
dir=$MCS_STORE_DIR/readers/$MCS_NETNS
stop_store "$dir"
rm -rf --one-file-system -- "$dir"
rmdir -- "$MCS_STORE_DIR/readers" 2>/dev/null || true
