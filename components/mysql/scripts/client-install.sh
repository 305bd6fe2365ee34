#!/usr/bin/env bash
# client-install.sh: installs the MySQL (Ubuntu) or MariaDB (Debian) client.
# Idempotent. Stdout: the client's version line.
set -euo pipefail

if ! command -v mysql >/dev/null 2>&1; then
	apt_install "$(package_for client)"
fi
mysql --version
