#!/usr/bin/env bash
# image-tools.sh: puts this machine's backup tools (rclone, zstd) into the
# MySQL image's /usr/local/bin, where the image has none of its own: the
# hosts have no route to a package mirror. Idempotent; the image's own
# packages are not touched.
# Env: MCS_IMAGE.
set -euo pipefail
# shellcheck disable=SC2034 # lib.sh's log and die read it
readonly ME=image-tools
require_env MCS_IMAGE
require_root
[[ -f $MCS_IMAGE/.complete ]] || die "$MCS_IMAGE is not a complete image"
for tool in rclone zstd; do
	src=$(command -v "$tool") || die "$tool is not installed on this machine: apt-get install $tool (make deps does)"
	dst=$MCS_IMAGE/usr/local/bin/$tool
	if ! cmp -s "$src" "$dst"; then
		install -m 0755 "$src" "$dst.new"
		mv -f "$dst.new" "$dst"
		log "copied $src into the image"
	fi
done
chroot "$MCS_IMAGE" zstd --version >/dev/null || die "zstd does not run in the image"
chroot "$MCS_IMAGE" rclone version >/dev/null || die "rclone does not run in the image"
