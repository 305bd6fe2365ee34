#!/usr/bin/env bash
# pack-nodejs-sdk.sh SDK DIST: builds the generated TypeScript SDK in SDK
# (provider/sdk/nodejs) in a scratch copy, with its own dependencies from
# the npm registry, and packs it into DIST as an npm tarball that a
# program installs with `npm install <tarball>`. It prints the tarball's
# path. SDK itself is not written.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: pack-nodejs-sdk.sh SDK DIST" >&2
	exit 2
fi
sdk=$(realpath "$1")
mkdir -p "$2"
dist=$(realpath "$2")
command -v npm >/dev/null || {
	echo "pack-nodejs-sdk: npm is not installed: install Node.js 20 and npm" >&2
	exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cp -r "$sdk/." "$tmp/"
cd "$tmp"
npm install --no-audit --no-fund --loglevel=error >&2
npx tsc >&2
cp package.json README.md bin/
cd bin
tarball=$(npm pack --pack-destination "$dist" --loglevel=error | tail -n 1)
echo "$dist/$tarball"
