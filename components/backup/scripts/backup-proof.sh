#!/usr/bin/env bash
# backup-proof.sh: the backups' proof, on the server, as root, from the
# store: one JSON line with the newest complete backup whose restore check
# is done (last, name, sizeBytes, gtidPosition, verified, restoreSeconds,
# diagnosis), the oldest one kept, how many there are, and the last
# attempt's error where it failed.
set -euo pipefail
store_env
mapfile -t ids < <(backup_ids)
[ "${#ids[@]}" -gt 0 ] || die "the store has no complete backup"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
# The newest backup whose restore check is done: the one being checked now
# is not reported until it has a result, good or bad.
checked=$(store lsf --files-only --recursive --include '/full/*/verify.txt' vault: | sed -n 's#^full/\([0-9TZ]*\)/verify.txt$#\1#p' | sort)
id=${ids[-1]}
for ((i = ${#ids[@]} - 1; i >= 0; i--)); do
	if grep -qxF -- "${ids[i]}" <<<"$checked"; then
		id=${ids[i]}
		break
	fi
done
store copyto "vault:full/$id/manifest.txt" "$t/manifest.txt"
store copyto "vault:full/$id/verify.txt" "$t/verify.txt" 2>/dev/null || true
[ -s "$t/verify.txt" ] || printf 'verified: no\ndiagnosis: the restore check has not run yet\n' >"$t/verify.txt"
last_error=""
if [ -s "$MCS_BACKUP_DIR/last-attempt" ] && grep -q '^result: failed' "$MCS_BACKUP_DIR/last-attempt"; then
	last_error="$(manifest_get "$MCS_BACKUP_DIR/last-attempt" at): $(manifest_get "$MCS_BACKUP_DIR/last-attempt" result)"
fi
printf '{"last":%s,"name":%s,"engine":%s,"sizeBytes":%s,"gtidPosition":%s,"verified":%s,"restoreSeconds":%s,"diagnosis":%s,"oldest":%s,"count":%s,"lastError":%s}\n' \
	"$(json_str "$(id_time "$id")")" "$(json_str "$id")" "$(json_str "$(manifest_get "$t/manifest.txt" engine)")" \
	"$(manifest_get "$t/manifest.txt" sizeBytes)" "$(json_str "$(manifest_get "$t/manifest.txt" gtid)")" \
	"$(if grep -qx 'verified: yes' "$t/verify.txt"; then echo true; else echo false; fi)" \
	"$(manifest_get "$t/verify.txt" restoreSeconds | grep . || echo 0)" \
	"$(json_str "$(manifest_get "$t/verify.txt" diagnosis)")" "$(json_str "$(id_time "${ids[0]}")")" \
	"${#ids[@]}" "$(json_str "$last_error")"
