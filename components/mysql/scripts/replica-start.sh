#!/usr/bin/env bash
# replica-start.sh: on a replica, makes it follow the primary by GTID over
# TLS that verifies the primary's certificate against the stack's CA, starts
# replication, and waits until the replica has applied everything the
# primary had. Idempotent: a replica that already follows the primary as
# asked is not restarted. It also proves the layers on its way: the network
# to the primary, the replication account, TLS, and the GTID position.
# Env: MCS_SOURCE (the primary's private address), MCS_PORT, MCS_REPL_USER,
# MCS_WAIT (seconds, default 60), MCS_REQUIRE_TLS (must be ON: the source
# requires TLS; replication runs over TLS only).
# Stdin: the replication account's password (never in argv or output).
# Stdout: one JSON line: source, tlsVersion (of a session from here to the
# primary as the replication account, with the channel's CA and
# verification), gtidPosition (the replica's), serverVersion.
set -euo pipefail
: "${MCS_SOURCE:?}" "${MCS_PORT:?}" "${MCS_REPL_USER:?}"
wait_s=${MCS_WAIT:-60}
[ "${MCS_REQUIRE_TLS:-ON}" = ON ] || die "MCS_REQUIRE_TLS: the source must require TLS: replication runs over TLS only"

password=
IFS= read -r -d '' password || true
[ -n "$password" ] || die "no password on standard input"

diagnose() {
	local err=$1 layer fix
	case "$err" in
	*"1045"* | *"Access denied"*)
		layer="replication account"
		fix="the account ${MCS_REPL_USER}@$(hostname -I 2>/dev/null | awk '{print $1}') on the primary must exist, unlocked, with this password, REQUIRE SSL and REPLICATION SLAVE; a changed password is applied by pulumi up, a dropped account is made again by pulumi up --replace on this replica's -user-account resource"
		;;
	*"1236"* | *"GTID"* | *"gtid"* | *"1032"* | *"1062"* | *"1146"* | *"1007"* | *"1050"*)
		layer="GTID position"
		fix="the replica's position or data is not the primary's: the primary's binary logs must still hold every transaction after the replica's position; re-seed the replica (docs/replicas.md)"
		;;
	*"2026"* | *SSL* | *TLS* | *certificate*)
		layer="TLS"
		fix="the primary's certificate must verify against ${MCS_TLS_DIR}/ca.pem and name ${MCS_SOURCE}"
		;;
	*"2002"* | *"2003"* | *"2013"* | *"timed out"* | *"connect"*)
		case "$(tcp_probe "$MCS_SOURCE" "$MCS_PORT")" in
		refused) fix="nothing listens on ${MCS_SOURCE}:${MCS_PORT}: the primary's mysqld must run (refused)" ;;
		open) fix="the primary answers now: the connection was lost; see the error below" ;;
		*) fix="the primary's firewall or security group must accept TCP ${MCS_PORT} from this replica (timeout)" ;;
		esac
		layer="network"
		;;
	*)
		layer="unknown"
		fix="see the error below"
		;;
	esac
	printf 'diagnosis: %s: %s\nreplica said: %s\n' "$layer" "$fix" "$(scrub_secret "$err" "$password")" >&2
	exit 1
}

# As the replication account, from here to the primary, over TLS verified as
# the channel verifies it: the network, the account and TLS, each named when
# it fails. Prints the session's TLS version and the primary's GTID position.
use_dialect
cnf=$(mktemp)
trap 'rm -f "$cnf"' EXIT
chmod 0600 "$cnf"
printf '[client]\nhost = %s\nport = %s\nuser = %s\npassword = %s\nssl-ca = %s\n%s\n' "$MCS_SOURCE" "$MCS_PORT" \
	"$(opt_str "$MCS_REPL_USER")" "$(opt_str "$password")" "$MCS_TLS_DIR/ca.pem" "$(client_verify_option)" >"$cnf"
out=$(mysql --defaults-file="$cnf" --connect-timeout=10 --batch --skip-column-names \
	-e "SHOW SESSION STATUS LIKE 'Ssl_version'; SELECT $(sql_gtid_position)" 2>&1) ||
	diagnose "$out"
{
	IFS=$'\t' read -r _ tls_version
	read -r source_gtid
} <<<"$out"
[ -n "$tls_version" ] || diagnose "TLS: the session to the primary is not encrypted"

# The channel's password is kept by the engine; a hash of it here (root
# only) tells whether the channel has the current one.
mark_file=$MCS_TLS_DIR/replication-password.sha256
password_mark=$(printf '%s' "$password" | sha256sum | cut -c1-64)
status() { replica_status; }
# The status fields that say how the channel is set, and what they must say.
fields=()
for f in host port user ssl verify gtid; do fields+=("$(replica_field "$f")"); done
want="$MCS_SOURCE/$MCS_PORT/$MCS_REPL_USER/Yes/Yes/$(replica_gtid_value)/"
change="$(sql_stop_replica); $(sql_change_source "$(sql_str "$MCS_SOURCE")" "$MCS_PORT" "$(sql_str "$MCS_REPL_USER")" \
	"$(sql_str "$password")" "$(sql_str "$MCS_TLS_DIR/ca.pem")")"
start=$(sql_start_replica)
io=$(replica_field io) sql=$(replica_field sql)
wait_sql=$(sql_wait_gtid "$(sql_str "$source_gtid")" "$wait_s")
position="SELECT $(sql_applied_position)"
read_only=$(read_only_var)

# Read-only, whatever a seed cut short left: the configuration says so, and
# so does the running server from here on.
admin -e "SET GLOBAL ${read_only} = ON"

# snapshot takes the replication status once; field NAME reads it.
snapshot() { st=$(status); }
field() { sed -n "s/^ *$1: *//p" <<<"$st"; }
snapshot
# The channel as it is set, and the hash of the password it was set with.
have=""
for f in "${fields[@]}"; do have+="$(field "$f")/"; done
have+=$(cat "$mark_file" 2>/dev/null || true)
want+=$password_mark
if [ "$have" != "$want" ]; then
	log "replicating from ${MCS_SOURCE}:${MCS_PORT} as ${MCS_REPL_USER}, by GTID, over verified TLS"
	# The statement holds the password: it reaches mysql on stdin (printf is a
	# builtin), and mysql's messages are scrubbed of it.
	err=$(printf '%s;\n%s;\n' "$change" "$start" | admin 2>&1 >/dev/null) || diagnose "$err"
	(umask 077 && printf '%s' "$password_mark" >"$mark_file")
elif [ "$(field "$io")/$(field "$sql")" != "Yes/Yes" ]; then
	log "starting replication"
	admin -e "$start"
fi

fault_point replica-start:started

# Both threads running (or an error that says why not), then everything the
# primary had, applied here.
for ((i = 0; i < wait_s * 10; i++)); do
	snapshot
	[ "$(field "$io")/$(field "$sql")" = "Yes/Yes" ] && break
	# A stopped thread with an error is final; a connecting one retries.
	if [ "$(field "$sql")" = No ] && [ -n "$(field Last_SQL_Error)" ]; then break; fi
	if [ "$(field "$io")" = No ] && [ -n "$(field Last_IO_Error)" ]; then break; fi
	sleep 0.1
done
if [ "$(field "$io")/$(field "$sql")" != "Yes/Yes" ]; then
	diagnose "$(field Last_IO_Errno) $(field Last_IO_Error) $(field Last_SQL_Errno) $(field Last_SQL_Error)"
fi
[ "$(admin -e "$wait_sql")" = 0 ] || {
	snapshot
	diagnose "GTID position: the replica did not reach the primary's ${source_gtid} within ${wait_s}s: $(field Last_SQL_Error)"
}

printf '{"source":%s,"tlsVersion":%s,"gtidPosition":%s,"serverVersion":%s}\n' "$(json_str "${MCS_SOURCE}:${MCS_PORT}")" \
	"$(json_str "$tls_version")" "$(json_str "$(admin -e "$position")")" "$(json_str "$(admin -e 'SELECT VERSION()')")"
