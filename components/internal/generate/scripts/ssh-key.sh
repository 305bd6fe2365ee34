#!/usr/bin/env bash
# ssh-key.sh: prints a new ed25519 private key, OpenSSH form, on stdout.
# It runs once, when the key's resource is created; the key then lives only
# in the stack state, as a Pulumi secret.
set -euo pipefail
umask 077
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ssh-keygen -q -t ed25519 -N '' -C mysql-client-server -f "$dir/id" </dev/null >/dev/null
cat "$dir/id"
