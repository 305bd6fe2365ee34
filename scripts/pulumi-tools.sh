#!/usr/bin/env bash
# pulumi-tools.sh: makes the Pulumi CLI, its Go language host and the
# `command` and `mysql` provider plugins available to `make up` and `make test`.
#
# - A `pulumi` already on PATH is used as it is.
# - Otherwise the pinned CLI (scripts/pulumi-cli/go.mod) and Go language host
#   (scripts/pulumi-language-go/go.mod) are built with Go into .tools/bin,
#   once; later runs reuse them. The host sits behind a shim
#   (scripts/pulumi-language-go.sh) that passes it Pulumi.yaml's
#   runtime.options.binary. Nothing outside this checkout is written but
#   Go's own caches.
# - The local platform's S3 store, versitygw (scripts/versitygw/go.mod),
#   is built into .tools/bin the same way, once.
# - The `command` and `mysql` plugins at the versions go.mod pins are
#   installed into the Pulumi plugin cache from plugin tarballs when they are
#   missing: $PULUMI_PLUGIN_TARBALLS (default ../shared/pulumi-plugins) is
#   searched for pulumi-resource-<name>-v<version>-linux-<arch>.tar.gz.
#
# - With --language-hosts, the YAML and Node.js language hosts too
#   (scripts/pulumi-language-yaml, scripts/pulumi-language-nodejs), for
#   programs that use the package (make provider): once each.
#
# It prints the directory to put on PATH (.tools/bin) on stdout, and its
# progress on stderr. With CI=true, or with --require-plugin (the real-engine
# tests), a plugin that cannot be installed is an error; elsewhere Pulumi
# downloads it on first use when it can.
set -euo pipefail

require_plugin=${CI:-}
language_hosts=
for arg in "$@"; do
	case "$arg" in
	--require-plugin) require_plugin=true ;;
	--language-hosts) language_hosts=true ;;
	*)
		echo "usage: pulumi-tools.sh [--require-plugin] [--language-hosts]" >&2
		exit 2
		;;
	esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$root/.tools/bin"
export PATH="$PATH:$bin"

step() { printf '==> %s\n' "$*" >&2; }
die() {
	printf 'pulumi-tools: %s\n' "$*" >&2
	exit 1
}

command -v go >/dev/null || die "Go is not installed: install Go >= 1.26 (https://go.dev/dl/) and run again"

# pinned MODULE_DIR MODULE: the version of MODULE that MODULE_DIR's go.mod pins.
pinned() {
	go -C "$1" list -m -f '{{.Version}}' "$2"
}

# build NAME MODULE_DIR PACKAGE VERSION ESTIMATE: builds PACKAGE from the
# module in MODULE_DIR into $bin/NAME, stamping VERSION into it.
build() {
	local name=$1 dir=$2 pkg=$3 version=$4 estimate=$5 start tmp
	step "building $name $version into .tools/bin (first run only; about $estimate on 2 cores)"
	start=$(date +%s)
	mkdir -p "$bin"
	tmp=$(mktemp "$bin/.$name.XXXXXX")
	if ! go -C "$dir" build -o "$tmp" \
		-ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" "$pkg"; then
		rm -f "$tmp"
		die "building $name failed (see above)"
	fi
	mv -f "$tmp" "$bin/$name"
	step "built $name in $(($(date +%s) - start)) s"
}

# The CLI and the language host.
if cli=$(command -v pulumi) && [ "$cli" != "$bin/pulumi" ]; then
	step "using the Pulumi CLI on PATH: $cli ($(pulumi version))"
else
	want=$(pinned "$root/scripts/pulumi-cli" github.com/pulumi/pulumi/pkg/v3)
	# The version is kept next to the binary: asking the CLI costs 0.2 s.
	have=$(cat "$bin/.pulumi.version" 2>/dev/null || "$bin/pulumi" version 2>/dev/null || true)
	if [ ! -x "$bin/pulumi" ] || [ "$have" != "$want" ]; then
		build pulumi "$root/scripts/pulumi-cli" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$want" "3 minutes"
	fi
	echo "$want" >"$bin/.pulumi.version"
	want=$(pinned "$root/scripts/pulumi-language-go" github.com/pulumi/pulumi/sdk/v3)
	if [ ! -x "$bin/pulumi-language-go-$want" ]; then
		build "pulumi-language-go-$want" "$root/scripts/pulumi-language-go" github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go "$want" "30 seconds"
	fi
	echo "$want" >"$bin/.pulumi-language-go.version"
	# The engine runs the shim, which hands the host the runtime options it
	# cannot receive from this CLI (see scripts/pulumi-language-go.sh).
	if ! cmp -s "$root/scripts/pulumi-language-go.sh" "$bin/pulumi-language-go"; then
		install -m 0755 "$root/scripts/pulumi-language-go.sh" "$bin/pulumi-language-go"
	fi
fi

# The YAML and Node.js language hosts, for the package's consumers.
if [ "$language_hosts" = true ]; then
	for lang in yaml nodejs; do
		case $lang in
		yaml) module=github.com/pulumi/pulumi-yaml pkg=github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml estimate="a minute" ;;
		nodejs) module=github.com/pulumi/pulumi/sdk/v3 pkg=github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs estimate="10 seconds" ;;
		esac
		want=$(pinned "$root/scripts/pulumi-language-$lang" "$module")
		if [ "$(cat "$bin/.pulumi-language-$lang.version" 2>/dev/null)" != "$want" ] || [ ! -x "$bin/pulumi-language-$lang" ]; then
			build "pulumi-language-$lang" "$root/scripts/pulumi-language-$lang" "$pkg" "$want" "$estimate"
			echo "$want" >"$bin/.pulumi-language-$lang.version"
		fi
	done
fi

# The local platform's backup store: the S3 gateway versitygw, at the
# version scripts/versitygw/go.mod pins (a module of its own: its
# dependencies stay out of the library's go.mod).
want=$(pinned "$root/scripts/versitygw" github.com/versity/versitygw)
if [ "$(cat "$bin/.versitygw.version" 2>/dev/null)" != "$want" ] || [ ! -x "$bin/versitygw" ]; then
	build versitygw "$root/scripts/versitygw" github.com/versity/versitygw/cmd/versitygw "$want" "3 minutes"
	echo "$want" >"$bin/.versitygw.version"
fi

# plugin NAME MODULE: installs the resource plugin NAME at the version of
# its SDK MODULE in go.mod, from a plugin tarball, when it is missing.
plugin() {
	local name=$1 version dir tarball arch
	version=$(pinned "$root" "$2")
	version=${version#v}
	# Where Pulumi keeps it; a .partial marker means an install did not finish.
	dir="${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-$name-v$version"
	if [ -x "$dir/pulumi-resource-$name" ] && [ ! -e "$dir.partial" ]; then
		step "the $name plugin v$version is installed"
		return 0
	fi
	case "$(uname -m)" in
	x86_64) arch=amd64 ;;
	aarch64 | arm64) arch=arm64 ;;
	*) arch=$(uname -m) ;;
	esac
	tarball="${PULUMI_PLUGIN_TARBALLS:-$root/../shared/pulumi-plugins}/pulumi-resource-$name-v$version-linux-$arch.tar.gz"
	if [ -f "$tarball" ]; then
		step "installing the $name plugin v$version from $tarball"
		pulumi plugin install resource "$name" "$version" --file "$tarball" >&2
	elif [ "$require_plugin" = true ]; then
		die "the $name plugin v$version is not installed and $tarball is missing"
	else
		step "the $name plugin v$version is not installed and $tarball is missing: Pulumi will download it on first use (needs internet)"
	fi
}

# command runs every stack's remote steps; mysql, mysql.ProviderUser's
# Database, User and Grant.
plugin command github.com/pulumi/pulumi-command/sdk
plugin mysql github.com/pulumi/pulumi-mysql/sdk/v3

echo "$bin"
