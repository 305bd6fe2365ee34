#!/usr/bin/env bash
# seed-dump.sh: on the primary, writes a consistent dump of every database
# (accounts included) to stdout, with the GTID position it was taken at, for
# seed-load.sh on a new replica. The engine's own tool: mariadb-dump --gtid
# on MariaDB, mysqldump --set-gtid-purged=ON on MySQL. Nothing is written on
# the primary.
set -euo pipefail

common=(--protocol=socket -uroot --all-databases --single-transaction --routines --events --triggers
	--flush-privileges --hex-blob)
if is_mariadb; then
	# --master-data=1 --gtid: SET GLOBAL gtid_slave_pos to the dump's position.
	# The replica's own replication state is not the primary's to give.
	mariadb-dump "${common[@]}" --master-data=1 --gtid --ignore-table=mysql.gtid_slave_pos
else
	mysqldump "${common[@]}" --set-gtid-purged=ON
fi
log "dumped the primary for a replica"
