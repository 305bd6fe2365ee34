#!/usr/bin/env bash
# client-install.sh: installs the MySQL (Ubuntu) or MariaDB (Debian) client.
# Idempotent. Stdout: the client's version line.
set -euo pipefail

wait_for_boot
wait_for_dpkg_lock
if ! command -v mysql >/dev/null 2>&1; then
	apt_install "$(package_for client)"
fi
mysql --version
