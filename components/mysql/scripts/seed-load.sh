#!/usr/bin/env bash
# seed-load.sh: on a replica. MCS_SEED_MODE=check prints "replicating" when
# the replica already has a source configured (it has been seeded; it
# catches up by itself), else "empty". MCS_SEED_MODE=load loads the dump
# seed-dump.sh made, from stdin, with the GTID position it carries, outside
# the replica's binary log; a failed load is loaded again from the start.
set -euo pipefail
: "${MCS_SEED_MODE:?}"

use_dialect

# source_host prints the replica's configured source, or nothing. A status
# that cannot be read fails the script: a replica is never taken for empty
# because its server did not answer.
source_host() {
	local st
	st=$(replica_status) || die "could not read the replication status"
	sed -n "s/^ *$(replica_field host): *//p" <<<"$st"
}

case $MCS_SEED_MODE in
check)
	src=$(source_host)
	if [ -n "$src" ]; then echo replicating; else echo empty; fi
	;;
load)
	src=$(source_host)
	[ -z "$src" ] || die "this replica already follows $src: it is not loaded again"
	if is_mariadb; then
		{
			printf 'SET SESSION sql_log_bin = 0;\n'
			cat
		} | admin
	else
		# GTID_PURGED can only be set on an empty GTID history, and
		# super_read_only refuses even root: both for the load only, and
		# super_read_only comes back however the load ends.
		trap "admin -e 'SET GLOBAL super_read_only = ON;'" EXIT
		admin -e "SET GLOBAL super_read_only = OFF; $(sql_reset_binlogs);"
		admin || die "loading the dump failed (exit $?)"
		# The dump brought the primary's accounts, debian-sys-maint's too:
		# it gets this host's password back (/etc/mysql/debian.cnf, which
		# Ubuntu's package scripts log in with), outside the binary log.
		maint=$(sed -n 's/^password *= *//p' /etc/mysql/debian.cnf 2>/dev/null | head -n 1)
		if [ -n "$maint" ]; then
			printf "SET SESSION sql_log_bin = 0; ALTER USER IF EXISTS 'debian-sys-maint'@'localhost' IDENTIFIED BY %s;\n" \
				"$(sql_str "$maint")" | admin
		fi
	fi
	log "loaded the primary's dump"
	fault_point seed-load:loaded
	;;
*) die "MCS_SEED_MODE: expected check or load" ;;
esac
