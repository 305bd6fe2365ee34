#!/usr/bin/env bash
# password.sh: prints a new random 32-character password on stdout (letters
# and digits only, so it survives any quoting). It runs once, when the
# password's resource is created.
set -euo pipefail
pw=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32 || true)
[ "${#pw}" -eq 32 ] || {
	echo "error: could not read /dev/urandom" >&2
	exit 1
}
printf '%s\n' "$pw"
