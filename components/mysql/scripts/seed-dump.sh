#!/usr/bin/env bash
# seed-dump.sh: on the primary, writes a consistent dump of every database
# (accounts included) to stdout, with the GTID position it was taken at, for
# seed-load.sh on a new replica. The engine's own tool: mariadb-dump --gtid
# on MariaDB, mysqldump --set-gtid-purged=ON on MySQL. Nothing is written on
# the primary.
set -euo pipefail

use_dialect
dump_all
log "dumped the primary for a replica"
