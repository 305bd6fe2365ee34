#!/usr/bin/env bash
# client-install.sh: installs the client of the engine MCS_ENGINE (mysql or
# mariadb; unset: the distribution's own). A client already here is kept:
# either speaks to both servers. Idempotent. Stdout: the client's version.
set -euo pipefail

if ! command -v mysql >/dev/null 2>&1; then
	apt_install "$(package_for client)"
fi
fault_point client-install:installed
mysql --version
