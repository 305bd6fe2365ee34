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
		fix="the replica's position or data is not the primary's: the primary's binary logs must still hold every transaction after the replica's position; re-seed the replica (README › Replicas)"
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
cnf=$(mktemp)
trap 'rm -f "$cnf"' EXIT
chmod 0600 "$cnf"
if is_mariadb; then
	verify="ssl-verify-server-cert"
	source_pos="@@global.gtid_binlog_pos"
else
	verify="ssl-mode = VERIFY_IDENTITY"
	source_pos="REPLACE(@@global.gtid_executed, '\\n', '')"
fi
printf '[client]\nhost = %s\nport = %s\nuser = %s\npassword = %s\nssl-ca = %s\n%s\n' "$MCS_SOURCE" "$MCS_PORT" \
	"$(opt_str "$MCS_REPL_USER")" "$(opt_str "$password")" "$MCS_TLS_DIR/ca.pem" "$verify" >"$cnf"
out=$(mysql --defaults-file="$cnf" --connect-timeout=10 --batch --skip-column-names \
	-e "SHOW SESSION STATUS LIKE 'Ssl_version'; SELECT $source_pos" 2>&1) ||
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
user=$(sql_str "$MCS_REPL_USER") pw=$(sql_str "$password") ca=$(sql_str "$MCS_TLS_DIR/ca.pem") host=$(sql_str "$MCS_SOURCE")
if is_mariadb; then
	status() { admin --column-names -e 'SHOW SLAVE STATUS\G'; }
	# The status fields that say how the channel is set, and what they must say.
	fields=(Master_Host Master_Port Master_User Master_SSL_Allowed Master_SSL_Verify_Server_Cert Using_Gtid)
	want="$MCS_SOURCE/$MCS_PORT/$MCS_REPL_USER/Yes/Yes/Slave_Pos/"
	change="STOP SLAVE; CHANGE MASTER TO MASTER_HOST=$host, MASTER_PORT=$MCS_PORT, MASTER_USER=$user, MASTER_PASSWORD=$pw,
		MASTER_SSL=1, MASTER_SSL_CA=$ca, MASTER_SSL_VERIFY_SERVER_CERT=1, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=2"
	start="START SLAVE"
	io=Slave_IO_Running sql=Slave_SQL_Running
	wait_sql="SELECT MASTER_GTID_WAIT($(sql_str "$source_gtid"), $wait_s)"
	position="SELECT @@global.gtid_slave_pos"
	read_only=read_only
else
	status() { admin --column-names -e 'SHOW REPLICA STATUS\G'; }
	fields=(Source_Host Source_Port Source_User Source_SSL_Allowed Source_SSL_Verify_Server_Cert Auto_Position)
	want="$MCS_SOURCE/$MCS_PORT/$MCS_REPL_USER/Yes/Yes/1/"
	change="STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_HOST=$host, SOURCE_PORT=$MCS_PORT, SOURCE_USER=$user,
		SOURCE_PASSWORD=$pw, SOURCE_SSL=1, SOURCE_SSL_CA=$ca, SOURCE_SSL_VERIFY_SERVER_CERT=1, SOURCE_AUTO_POSITION=1,
		SOURCE_CONNECT_RETRY=2"
	start="START REPLICA"
	io=Replica_IO_Running sql=Replica_SQL_Running
	wait_sql="SELECT WAIT_FOR_EXECUTED_GTID_SET($(sql_str "$source_gtid"), $wait_s)"
	position="SELECT REPLACE(@@global.gtid_executed, '\\n', '')"
	read_only=super_read_only
fi

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
