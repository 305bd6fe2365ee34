#!/usr/bin/env bash
# image-build.sh - build (once per machine) the root filesystem that the
# local platform's hosts of the mysql engine run in: Debian unstable with
# Oracle's mysql-server, mysql-client and openssh-server, made by
# debootstrap. Every host shares it read-only; each host's writable paths
# are its own (see host-create.sh).
#
# The image lives in MCS_IMAGE_CACHE/images/<name>, where <name> follows from
# the suite, the package list and the image format, so a changed package
# list builds a new image and hosts move to it on their next create. A build
# is done under a lock, into a directory of its own that is renamed into
# place only when it is complete: two stacks that start at once build it
# once, and a failed or killed build leaves nothing that counts as an image.
#
# Env (required): MCS_IMAGE_CACHE MCS_IMAGE_NAME MCS_IMAGE_SUITE
#   MCS_IMAGE_PACKAGES (space-separated)
# Env (optional): MCS_IMAGE_MIRROR (a Debian mirror URL; default: the
#   machine's own Debian mirror from its apt sources, else debootstrap's)
#
# Stdout: two lines, "path=<image dir>" and "version=<mysqld --version>".
# Progress, with the time and size of a build, goes to stderr.
set -euo pipefail
exec 3>&1 1>&2

readonly ME=image-build
require_env MCS_IMAGE_CACHE MCS_IMAGE_NAME MCS_IMAGE_SUITE MCS_IMAGE_PACKAGES
((EUID == 0)) || die "must run as root (debootstrap)"
[[ $MCS_IMAGE_CACHE =~ ^(/[A-Za-z0-9_.@+-]+)+$ && ! $MCS_IMAGE_CACHE =~ /\.\.?(/|$) ]] ||
	die "MCS_IMAGE_CACHE '$MCS_IMAGE_CACHE' must be a normalised absolute path"
[[ $MCS_IMAGE_NAME =~ ^[a-z0-9][a-z0-9.-]*$ ]] || die "MCS_IMAGE_NAME '$MCS_IMAGE_NAME' is not a plain name"
[[ $MCS_IMAGE_SUITE =~ ^[a-z]+$ ]] || die "MCS_IMAGE_SUITE '$MCS_IMAGE_SUITE' is not a suite name"
[[ $MCS_IMAGE_PACKAGES =~ ^[a-z0-9][a-z0-9.+\ -]*$ ]] || die "MCS_IMAGE_PACKAGES: expected package names"

images=$MCS_IMAGE_CACHE/images
image=$images/$MCS_IMAGE_NAME
# The template data directory the image carries (server-install.sh copies
# it instead of running mysqld --initialize on every new server), and the
# mount point each host's own directory is bound to.
readonly TEMPLATE=var/lib/mysql-client-server-template
readonly HOST_MOUNT=var/lib/mysql-client-server-host

# report prints the image's outputs.
report() {
	local version
	version=$(chroot "$image" mysqld --version 2>/dev/null) || die "the image $image has no working mysqld: remove it (make clean-image) and run again"
	printf 'path=%s\nversion=%s\n' "$image" "$version" >&3
}

if [[ -f $image/.complete ]]; then
	report
	exit 0
fi

command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install -y debootstrap debian-archive-keyring (or run make deps)"
install -d -m 0755 "$images"
exec 9>"$images/.lock"
log "waiting for the image lock (another stack may be building it)"
flock -w 1800 9 || die "timed out waiting for $images/.lock"
if [[ -f $image/.complete ]]; then
	report
	exit 0
fi

# mirror prints the machine's own Debian mirror (not its security archive),
# from its deb822 or one-line apt sources, or nothing.
mirror() {
	[[ -z ${MCS_IMAGE_MIRROR:-} ]] || {
		echo "$MCS_IMAGE_MIRROR"
		return
	}
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		awk '/^URIs:/ { u = $2 } /^Suites:/ && $0 !~ /-security/ { s = 1 }
			/^$/ { if (u != "" && s) { print u; exit } u = ""; s = 0 }
			END { if (u != "" && s) print u }' "$f"
	done | grep -m1 -E '^https?://.*/debian/?$' && return
	sed -n -E 's|^deb +(\[[^]]*\] +)?(https?://[^ ]*/debian/?) .*|\2|p' /etc/apt/sources.list 2>/dev/null | grep -v security | head -n 1 || true
}

tmp=$images/.build-$MCS_IMAGE_NAME-$$
cleanup() {
	# debootstrap mounts /proc and /sys inside its target; it runs in a
	# mount namespace of its own, but be sure before removing the tree.
	local m
	awk -v d="$tmp/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
		while IFS= read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

url=$(mirror)
start=$SECONDS
log "building the MySQL image $MCS_IMAGE_NAME: debootstrap $MCS_IMAGE_SUITE (${url:-the default mirror of debootstrap}) with ${MCS_IMAGE_PACKAGES} (about 60 s and 730 MB, once per machine)"
rm -rf --one-file-system "$tmp"
blog=$images/.build-$MCS_IMAGE_NAME.log
# progress keeps debootstrap's whole output in $blog and shows its steps.
progress() {
	local line
	tee "$blog" | while IFS= read -r line; do
		case $line in
		"I: Retrieving"* | "I: Validating"* | "I: Unpacking the base"* | "I: Configuring mysql"* | "I: Base system"* | "E: "*)
			log "[$((SECONDS - start)) s] $line"
			;;
		esac
	done
}
if [[ -e $image ]]; then
	log "removing $image: it has no .complete mark (an unfinished image)"
	rm -rf --one-file-system "$image"
fi
# The pipeline's status is debootstrap's: progress always succeeds.
if ! unshare --mount --propagation private -- debootstrap --variant=minbase \
	--include="${MCS_IMAGE_PACKAGES// /,}" "$MCS_IMAGE_SUITE" "$tmp" ${url:+"$url"} 2>&1 | progress; then
	tail -n 15 "$blog" | sed "s/^/$ME: debootstrap: /" >&2
	die "Debian $MCS_IMAGE_SUITE could not provide the image (${MCS_IMAGE_PACKAGES}); see $blog. The mariadb engine needs no image: pulumi config set engine mariadb"
fi
version=$(chroot "$tmp" mysqld --version 2>&1) ||
	die "the image has no working mysqld: $version"
case $version in
*MariaDB*) die "Debian $MCS_IMAGE_SUITE's mysql-server is MariaDB ($version), not Oracle's MySQL" ;;
esac

# The data directory the package initialised becomes the template; the
# image keeps empty mount points for each host's own directories. The
# package's host keys would be every host's: each host makes its own.
mv "$tmp/var/lib/mysql" "$tmp/$TEMPLATE"
install -d -m 0700 -o "$(stat -c %u "$tmp/$TEMPLATE")" -g "$(stat -c %g "$tmp/$TEMPLATE")" "$tmp/var/lib/mysql"
install -d -m 0755 "$tmp/$HOST_MOUNT"
rm -f "$tmp"/etc/ssh/ssh_host_*
[[ -e $tmp/etc/hosts ]] || : >"$tmp/etc/hosts"
rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*
size=$(du -sm --one-file-system "$tmp" | cut -f1)
printf 'suite=%s\npackages=%s\nversion=%s\nbuilt=%s\nseconds=%s\nmegabytes=%s\n' "$MCS_IMAGE_SUITE" \
	"$MCS_IMAGE_PACKAGES" "$version" "$(date -u +%FT%TZ)" "$((SECONDS - start))" "$size" >"$tmp/.complete"
mv -T "$tmp" "$image"
rm -f "$blog"
log "built the image $image in $((SECONDS - start)) s, $size MB: $version"
report
