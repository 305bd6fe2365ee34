#!/usr/bin/env bash
# replication-proof.sh: the replicas' proof, run on a client as its login
# user with the ~/.my.cnf client-login.sh wrote. For each replica it opens a
# session to the replica (TLS that verifies the replica's certificate names
# its address), writes a new row on the primary, and reads the replica until
# the row is there: the lag is the time from the primary's commit returning
# to the row being read on the replica. It then checks that the replica
# refuses the account's writes (read-only).
# Env: MCS_REPLICAS ("name=address ..."), MCS_WAIT (the bound, seconds,
# default 30).
# Stdout: one JSON object: by replica name, {address, lagMs, readOnly}.
# On failure it exits 1 with a diagnosis that names the layer.
set -euo pipefail
: "${MCS_REPLICAS:?}"
wait_s=${MCS_WAIT:-30}
table=mysql_client_server_replication_proof

fail() {
	printf 'diagnosis: %s\n' "$1" >&2
	exit 1
}

# stop_poll ends the polling session: mysql ignores SIGPIPE and would run
# the rest of its queries, so the session's processes are stopped. (bash
# unsets POLL and POLL_PID once the coproc has ended: poll_fd and poll_pid
# keep them.)
stop_poll() {
	pkill -P "$poll_pid" 2>/dev/null || true
	exec {poll_fd}<&-
	wait "$poll_pid" 2>/dev/null || true
}

# The table lives in the account's own database, the only one it may write.
out=$(mysql --connect-timeout=10 --batch -e "CREATE TABLE IF NOT EXISTS $table (
	replica VARCHAR(64) PRIMARY KEY, token CHAR(32) NOT NULL, written_at TIMESTAMP(6) NOT NULL)" 2>&1) ||
	fail "the primary refused the proof's table: $out"

# poll_session NAME ADDRESS: one session to the replica that answers "ready",
# then polls the replica's row about every millisecond (--unbuffered: each
# answer as soon as it is there), for at most the bound.
poll_session() {
	{
		printf "SELECT 'ready';\n"
		for ((i = 0; i < wait_s * 1000; i++)); do
			printf "SELECT token FROM %s WHERE replica = '%s'; DO SLEEP(0.001);\n" "$table" "$1"
		done
	} | mysql -h "$2" --connect-timeout=10 --batch --skip-column-names --unbuffered 2>&1
}

json="{"
sep=""
for entry in $MCS_REPLICAS; do
	name=${entry%%=*} address=${entry#*=}
	token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	# The session to the replica is open, TLS verified, before the write.
	coproc POLL { poll_session "$name" "$address"; }
	# shellcheck disable=SC2153 # bash sets POLL_PID for the coproc
	poll_pid=$POLL_PID
	exec {poll_fd}<&"${POLL[0]}"
	line=""
	IFS= read -r -t 20 line <&"$poll_fd" || true
	if [ "$line" != ready ]; then
		stop_poll
		case $line in
		*1045* | *"Access denied"*) layer="the account on the replica (accounts replicate from the primary)" ;;
		*2026* | *SSL* | *TLS* | *certificate*) layer="TLS: the replica's certificate must verify against the stack's CA and name $address" ;;
		*) layer="network: the replica's firewall or security group must accept TCP from this client, and its mysqld must run" ;;
		esac
		fail "$name ($address): $layer: ${line:-no answer in 20s}"
	fi
	out=$(mysql --connect-timeout=10 --batch -e "REPLACE INTO $table VALUES ('$name', '$token', NOW(6))" 2>&1) ||
		fail "the primary refused the proof's write: $out"
	start=${EPOCHREALTIME/./}
	seen=no
	while IFS= read -r -t "$wait_s" line <&"$poll_fd"; do
		if [ "$line" = "$token" ]; then
			seen=yes
			break
		fi
	done
	ms=$(((${EPOCHREALTIME/./} - start) / 1000))
	stop_poll
	[ "$seen" = yes ] ||
		fail "GTID position or replication stopped: $name ($address) did not show the row written on the primary within ${wait_s}s (last answer: ${line:-none}); see SHOW REPLICA STATUS there (SHOW SLAVE STATUS on MariaDB)"
	# Rolled back, should it ever be accepted: a write that reached a replica's
	# binary log would break its replication.
	out=$(mysql -h "$address" --connect-timeout=10 --batch \
		-e "START TRANSACTION; INSERT INTO $table VALUES ('x', 'x', NOW(6)); ROLLBACK" 2>&1) &&
		fail "$name ($address) accepted a write from this client: it must be read-only"
	case $out in
	*1290* | *read-only* | *read_only*) ;;
	*) fail "$name ($address): the write was refused, but not as read-only: $out" ;;
	esac
	json+=$(printf '%s"%s":{"address":"%s","lagMs":%d,"readOnly":true}' "$sep" "$name" "$address" "$ms")
	sep=","
done
printf '%s}\n' "$json"
