#!/usr/bin/env bash
# server-install.sh: installs and configures the MySQL (Ubuntu) or MariaDB
# (Debian) server. Idempotent: a second run changes nothing and restarts
# nothing unless the configuration changed or the server is down.
# It also makes a CA and a server certificate for the server's private
# address, once, on the server (the CA key never leaves it), and applies the
# mysql_secure_installation steps: no anonymous users, no remote root, no
# test database.
# Env: MCS_BIND_ADDRESS (the address mysqld listens on), MCS_CERT_ADDRESS
# (the server's private address: the certificate's subject alternative
# name), MCS_PORT, MCS_REQUIRE_TLS (ON or OFF: require_secure_transport).
# Env (optional): MCS_RENEW_ISSUED_BEFORE (epoch seconds): renew a server
# certificate issued before then (the start of the renewal period);
# MCS_RENEW_ONLY=yes: do only that (the yearly renewal's run).
# MCS_ENGINE (mysql or mariadb): the engine to install; a server of the other
# engine already here is refused before anything changes.
# MCS_SERVER_ID (default 1): the server's unique server_id.
# MCS_READ_ONLY=yes: a replica (read_only, or super_read_only on MySQL).
# MCS_TLS_CERT and MCS_TLS_CA (PEM): a replica's certificate, signed by the
# primary's CA for the key tls-request.sh made here; this host then makes no
# CA of its own.
# Stdout: the server version on the first line, "certificate-expires:
# <ISO 8601 UTC>" on the second, then the CA certificate.
set -euo pipefail
: "${MCS_BIND_ADDRESS:?}" "${MCS_CERT_ADDRESS:?}" "${MCS_PORT:?}" "${MCS_REQUIRE_TLS:?}"
tls=$MCS_TLS_DIR
MCS_SERVER_ID=${MCS_SERVER_ID:-1}
MCS_READ_ONLY=${MCS_READ_ONLY:-no}
[[ $MCS_SERVER_ID =~ ^[1-9][0-9]{0,8}$ ]] || die "MCS_SERVER_ID: expected a number from 1"

if ! server_version >/dev/null; then
	apt_install "$(package_for server)"
fi
use_dialect
if [ -n "${MCS_ENGINE:-}" ] && [ "$MCS_ENGINE" != "$DIALECT_FLAVOR" ]; then
	die "this server runs $(server_version), and the stack asks for engine ${MCS_ENGINE}: changing the engine would replace the database, so nothing was changed. To keep it: pulumi config set engine ${DIALECT_FLAVOR}. To migrate: dump it, deploy a new stack with engine ${MCS_ENGINE}, load the dump there, then destroy this one"
fi

# The drop-in goes in the directory the distribution's own server config
# lives in, with a name that sorts after it, so our bind-address wins over
# Ubuntu's mysql.conf.d/mysqld.cnf and Debian's mariadb.conf.d/50-server.cnf
# (both set 127.0.0.1).
if [ -d /etc/mysql/mysql.conf.d ]; then
	dropin=/etc/mysql/mysql.conf.d/zz-mysql-client-server.cnf
elif [ -d /etc/mysql/mariadb.conf.d ]; then
	dropin=/etc/mysql/mariadb.conf.d/zz-mysql-client-server.cnf
else
	mkdir -p /etc/mysql/conf.d
	dropin=/etc/mysql/conf.d/zz-mysql-client-server.cnf
fi
# ensure_tls makes the CA once and a server certificate whose subject
# alternative name is the server's address; a new address gets a new one.
# A replica installs the certificate the primary's CA signed instead.
ensure_tls() {
	command -v openssl >/dev/null 2>&1 || apt_install openssl
	install -d -m 0750 -o root -g mysql "$tls"
	if [ -n "${MCS_TLS_CERT:-}" ]; then
		install_signed_cert
		return
	fi
	local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	if [ ! -s "$tls/ca.pem" ] || [ ! -s "$tls/ca-key.pem" ]; then
		log "making the CA"
		(umask 077 && openssl req -x509 -new "${ec[@]}" -days 3650 \
			-subj "/CN=mysql-client-server CA" -keyout "$tls/ca-key.pem" -out "$tls/ca.pem" 2>/dev/null)
		rm -f "$tls/server-cert.pem"
	fi
	if [ -s "$tls/server-cert.pem" ] && cert_fits "$tls/server-cert.pem" "$tls/ca.pem"; then
		# A certificate issued before MCS_RENEW_ISSUED_BEFORE (epoch seconds:
		# the start of the current renewal period) is renewed.
		local issued
		issued=$(date -u -d "$(openssl x509 -in "$tls/server-cert.pem" -noout -startdate | cut -d= -f2)" +%s)
		if [ -z "${MCS_RENEW_ISSUED_BEFORE:-}" ] || [ "$issued" -ge "$MCS_RENEW_ISSUED_BEFORE" ]; then
			return 0
		fi
		log "renewing the server certificate (issued $(date -u -d "@$issued" +%F), before this renewal period)"
	fi
	log "making the server certificate for ${MCS_CERT_ADDRESS}"
	(umask 077 && openssl req -new "${ec[@]}" -subj "/CN=${MCS_CERT_ADDRESS}" \
		-keyout "$tls/server-key.pem" -out "$tls/server.csr" 2>/dev/null)
	issue_server_cert "$tls/server.csr" "$MCS_CERT_ADDRESS" >"$tls/server-cert.pem.new"
	mv "$tls/server-cert.pem.new" "$tls/server-cert.pem"
	rm -f "$tls/server.csr"
	tls_owner
	tls_changed=yes
}

# cert_fits CERT CA succeeds when CERT names this server's address and
# verifies against CA.
cert_fits() {
	openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | grep -qx "[[:space:]]*IP Address:${MCS_CERT_ADDRESS}" &&
		openssl verify -CAfile "$2" "$1" >/dev/null 2>&1
}

# tls_owner gives mysqld read access to the key and certificates.
tls_owner() {
	chown root:mysql "$tls/server-key.pem" "$tls/server-cert.pem" "$tls/ca.pem"
	chmod 0640 "$tls/server-key.pem"
	chmod 0644 "$tls/server-cert.pem" "$tls/ca.pem"
}

# install_signed_cert puts MCS_TLS_CERT and MCS_TLS_CA in place, once it has
# checked that the certificate is for this host's key and address and that
# the CA signed it.
install_signed_cert() {
	[ -s "$tls/server-key.pem" ] || die "no server key in $tls: tls-request.sh makes it before the certificate is signed"
	[ -n "${MCS_TLS_CA:-}" ] || die "MCS_TLS_CA: required with MCS_TLS_CERT"
	local new problem=""
	new=$(mktemp -d)
	printf '%s\n' "$MCS_TLS_CERT" >"$new/cert.pem"
	printf '%s\n' "$MCS_TLS_CA" >"$new/ca.pem"
	if [ "$(openssl x509 -in "$new/cert.pem" -noout -pubkey)" != "$(openssl pkey -in "$tls/server-key.pem" -pubout)" ]; then
		problem="is not for this host's key: run pulumi up again to request a new one"
	elif ! cert_fits "$new/cert.pem" "$new/ca.pem"; then
		problem="does not name ${MCS_CERT_ADDRESS} or does not verify against the stack's CA"
	fi
	if [ -n "$problem" ]; then
		rm -rf "$new"
		die "the signed certificate $problem"
	fi
	if ! cmp -s "$new/cert.pem" "$tls/server-cert.pem" || ! cmp -s "$new/ca.pem" "$tls/ca.pem"; then
		mv "$new/cert.pem" "$tls/server-cert.pem"
		mv "$new/ca.pem" "$tls/ca.pem"
		log "installed the server certificate the stack's CA signed for ${MCS_CERT_ADDRESS}"
		tls_changed=yes
	fi
	rm -rf "$new"
	tls_owner
}

# reload_or_restart gives a running server a new certificate: by a reload,
# or by a restart where the reload fails.
reload_or_restart() {
	if admin -e "$(sql_reload_tls)"; then
		log "reloaded the server's TLS certificate"
	else
		log "restarting the server"
		server_ctl restart
	fi
}

# print_outputs prints what the install reports: the version, the server
# certificate's expiry, the CA certificate.
print_outputs() {
	admin -e 'SELECT VERSION()'
	printf 'certificate-expires: %s\n' "$(date -u -d "$(openssl x509 -in "$tls/server-cert.pem" -noout -enddate | cut -d= -f2)" +%FT%TZ)"
	cat "$tls/ca.pem"
}

tls_changed=no
ensure_tls
# MCS_RENEW_ONLY=yes is the renewal's run: the certificate only, then the
# outputs; the rest of the install ran when the server was installed.
if [ "${MCS_RENEW_ONLY:-no}" = yes ]; then
	if [ "$tls_changed" = yes ]; then
		if server_running; then
			reload_or_restart
		else
			log "starting the server"
			server_ctl start
		fi
	fi
	print_outputs
	exit 0
fi

# The engine's own names for GTIDs and read-only.
engine_cnf=$(cnf_gtid)
read_only=$(read_only_var)
# Without systemd, mysqld_safe runs the server, and when the server dies it
# kill -9s every mysqld whose command line names the same pid file. Hosts
# that share a process table (the local platform's) must not share one.
pid_file=/run/mysqld/mysqld.pid
if ! has_systemd && [ "$MCS_SERVER_ID" != 1 ]; then
	pid_file=/run/mysqld/mysqld-${MCS_SERVER_ID}.pid
fi
engine_cnf="pid-file = ${pid_file}
$engine_cnf"
if [ "$MCS_READ_ONLY" = yes ]; then
	# A replica: read-only for every account but replication, and it
	# notices a lost source within 10 s (heartbeats every 5 s).
	engine_cnf="$engine_cnf
${read_only} = ON
slave_net_timeout = 10"
fi
want=$(
	cat <<CNF
# Managed by mysql-client-server. Read after the distribution's own config.
[mysqld]
bind-address = ${MCS_BIND_ADDRESS}
port = ${MCS_PORT}
# The X protocol (MySQL 8) listens on loopback only; MariaDB ignores this.
loose-mysqlx-bind-address = 127.0.0.1
ssl-ca = ${tls}/ca.pem
ssl-cert = ${tls}/server-cert.pem
ssl-key = ${tls}/server-key.pem
require_secure_transport = ${MCS_REQUIRE_TLS}
local_infile = 0
# Replication: a unique server_id, a binary log with GTIDs (the primary's is
# its replicas' source; a replica's lets it be promoted), 7 days of it.
server_id = ${MCS_SERVER_ID}
relay_log = mysql-relay-bin
binlog_format = ROW
binlog_expire_logs_seconds = 604800
${engine_cnf}
CNF
)
# restore_dropin is armed once the drop-in has changed: however the install
# fails after that (a value only the server rejects, a restart that does not
# come up), the previous configuration comes back and the server runs with
# it. Pulumi keeps a failed update's old inputs, so the host then agrees with
# the state again, and the next good pulumi up converges.
restore_dropin() {
	local rc=$?
	[ "$rc" -ne 0 ] || return 0
	trap - EXIT
	log "the install failed (exit $rc) after it changed $dropin: restoring the previous configuration"
	if [ -f "$dropin.previous" ]; then mv -f "$dropin.previous" "$dropin"; else rm -f "$dropin"; fi
	if (server_ctl restart); then
		log "the server runs again with the previous configuration"
	else
		log "the server did not start with the previous configuration either: see /var/log/mysql/error.log"
	fi
	exit "$rc"
}
changed=no
if [ ! -f "$dropin" ] || [ "$(cat "$dropin")" != "$want" ]; then
	rm -f "$dropin.previous"
	if [ -f "$dropin" ]; then cp -p "$dropin" "$dropin.previous"; fi
	printf '%s\n' "$want" >"$dropin.tmp"
	chmod 0644 "$dropin.tmp"
	mv "$dropin.tmp" "$dropin"
	changed=yes
	trap restore_dropin EXIT
	log "wrote $dropin"
fi

# After a reboot, mysqld may start before the private address is on the
# interface (the unit is ordered only after network.target), and a bind to
# an address the host does not have yet fails. With ip_nonlocal_bind the
# bind succeeds and the socket answers once the address arrives; where
# systemd runs (EC2), that is made permanent and the unit also waits for
# network-online.target. A local host has its own network namespace, whose
# sysctl lives as long as the host (its /etc/sysctl.d is the machine's).
case ${MCS_BIND_ADDRESS} in
0.* | 127.* | localhost) ;; # every address, or loopback: always there
*)
	if [ "$(cat /proc/sys/net/ipv4/ip_nonlocal_bind)" != 1 ]; then
		sysctl -q -w net.ipv4.ip_nonlocal_bind=1
		log "set net.ipv4.ip_nonlocal_bind=1 (mysqld may bind ${MCS_BIND_ADDRESS} before the address is up)"
	fi
	if has_systemd; then
		sysctl_conf=/etc/sysctl.d/60-mysql-client-server.conf
		want_sysctl="# Managed by mysql-client-server: mysqld binds the private address at boot.
net.ipv4.ip_nonlocal_bind = 1"
		if [ "$(cat "$sysctl_conf" 2>/dev/null)" != "$want_sysctl" ]; then
			printf '%s\n' "$want_sysctl" >"$sysctl_conf"
		fi
		for unit in mysql mariadb; do
			systemctl cat "$unit.service" >/dev/null 2>&1 || continue
			unit_dropin=/etc/systemd/system/$unit.service.d/mysql-client-server.conf
			want_unit="# Managed by mysql-client-server: start once the network is up.
[Unit]
Wants=network-online.target
After=network-online.target"
			if [ "$(cat "$unit_dropin" 2>/dev/null)" != "$want_unit" ]; then
				mkdir -p "${unit_dropin%/*}"
				printf '%s\n' "$want_unit" >"$unit_dropin"
				systemctl daemon-reload
			fi
		done
	fi
	;;
esac

# A data directory that is still empty (a fresh local host) is initialised:
# from the template an image carries (made when the image was built, so no
# host waits for mysqld --initialize), else by the engine's own tool. The
# mysql directory is the mark of a complete one, so it is put in last.
template=/var/lib/mysql-client-server-template
if [ ! -d /var/lib/mysql/mysql ]; then
	log "initialising the data directory"
	install -d -o mysql -g mysql /var/lib/mysql /run/mysqld
	if [ -d "$template/mysql" ]; then
		# Each server makes its own UUID and its own TLS and RSA keys.
		find "$template" -mindepth 1 -maxdepth 1 ! -name mysql ! -name auto.cnf ! -name '*.pem' \
			-exec cp -a -t /var/lib/mysql {} +
		rm -rf /var/lib/mysql/mysql.new
		cp -a "$template/mysql" /var/lib/mysql/mysql.new
		mv /var/lib/mysql/mysql.new /var/lib/mysql/mysql
	elif command -v mariadb-install-db >/dev/null 2>&1; then
		mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
	else
		mysqld --initialize-insecure --user=mysql --datadir=/var/lib/mysql
	fi
fi

if [ "$changed" = yes ] && server_running; then
	log "restarting the server"
	server_ctl restart
elif [ "$tls_changed" = yes ] && server_running; then
	reload_or_restart
elif ! server_running; then
	log "starting the server"
	server_ctl start
fi

await_server || die "the server did not answer on its socket within 60s after (re)start"
fault_point server-install:configured

# mysql_secure_installation: drop anonymous users and remote root, and the
# test database with its wildcard grants. This host's own housekeeping stays
# out of the binary log. A replica's accounts and databases are the
# primary's, secured there, and read-only refuses the statements.
if [ "$MCS_READ_ONLY" = yes ]; then
	rm -f "$dropin.previous"
	print_outputs
	exit 0
fi
admin -e "SELECT CONCAT(QUOTE(user), '@', QUOTE(host)) FROM mysql.user
	WHERE user = '' OR (user = 'root' AND host NOT IN ('localhost', '127.0.0.1', '::1'))" |
	while IFS= read -r account; do
		log "dropping $account"
		printf 'SET SESSION sql_log_bin = 0; DROP USER %s;\n' "$account" | admin
	done
admin -e "SET SESSION sql_log_bin = 0; DROP DATABASE IF EXISTS test; DELETE FROM mysql.db WHERE Db = 'test' OR Db LIKE 'test\\_%'; FLUSH PRIVILEGES;"

rm -f "$dropin.previous"
print_outputs
