#!/usr/bin/env bash
# store-stop.sh: stops the backup store. Its data stays unless MCS_KEEP is
# "no": backups outlive the stack, as an S3 bucket would.
# Env: MCS_STORE_DIR, MCS_KEEP (yes or no).
set -euo pipefail
# shellcheck disable=SC2034 # lib.sh's log and die read it
readonly ME=store-stop
require_env MCS_STORE_DIR MCS_KEEP
require_root
valid_host_dir "$MCS_STORE_DIR" || die "MCS_STORE_DIR '$MCS_STORE_DIR' must be a normalised absolute path at least three levels deep"
stop_store "$MCS_STORE_DIR"
if [[ $MCS_KEEP == no ]]; then
	log "removing the backup store's data in $MCS_STORE_DIR"
	rm -rf --one-file-system -- "$MCS_STORE_DIR"
	rmdir -- "${MCS_STORE_DIR%/*}" 2>/dev/null || true
else
	rm -f -- "$MCS_STORE_DIR/credentials.env"
	log "the backups stay in $MCS_STORE_DIR/data (pulumi config set backupKeepOnDestroy false removes them with the stack)"
fi
