#!/usr/bin/env bash
# server-install.sh: installs and configures the MySQL (Ubuntu) or MariaDB
# (Debian) server. Idempotent: a second run changes nothing and restarts
# nothing unless the configuration changed or the server is down.
# Env: MCS_BIND_ADDRESS (the server's private address), MCS_PORT.
# Stdout: the server version, on one line.
set -euo pipefail
: "${MCS_BIND_ADDRESS:?}" "${MCS_PORT:?}"

wait_for_boot
wait_for_dpkg_lock
if ! command -v mysqld >/dev/null 2>&1 && ! command -v mariadbd >/dev/null 2>&1; then
	apt_install "$(package_for server)"
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
want=$(
	cat <<CNF
# Managed by mysql-client-server. Read after the distribution's own config.
[mysqld]
bind-address = ${MCS_BIND_ADDRESS}
port = ${MCS_PORT}
# The X protocol (MySQL 8) listens on loopback only; MariaDB ignores this.
loose-mysqlx-bind-address = 127.0.0.1
CNF
)
changed=no
if [ ! -f "$dropin" ] || [ "$(cat "$dropin")" != "$want" ]; then
	printf '%s\n' "$want" >"$dropin.tmp"
	chmod 0644 "$dropin.tmp"
	mv "$dropin.tmp" "$dropin"
	changed=yes
	log "wrote $dropin"
fi

# A data directory that is still empty (a fresh local host) is initialised.
if [ ! -d /var/lib/mysql/mysql ]; then
	log "initialising the data directory"
	install -d -o mysql -g mysql /var/lib/mysql /run/mysqld
	if command -v mariadb-install-db >/dev/null 2>&1; then
		mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
	else
		mysqld --initialize-insecure --user=mysql --datadir=/var/lib/mysql
	fi
fi

running() { mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1; }

# restart restarts (or starts) the server through systemd or service(8).
# service(8) output goes to a file: the SysV script leaves a logger running on
# its stdout, which would hold the SSH channel open.
restart() {
	local action=$1
	if has_systemd; then
		local unit
		for unit in mysql mariadb; do
			if systemctl cat "$unit.service" >/dev/null 2>&1; then
				systemctl enable "$unit.service" >/dev/null 2>&1 || true
				systemctl "$action" "$unit.service"
				return
			fi
		done
		die "no mysql.service or mariadb.service unit found"
	fi
	local svc out
	for svc in mysql mariadb; do
		[ -x "/etc/init.d/$svc" ] || continue
		out=$(mktemp)
		if ! service "$svc" "$action" </dev/null >"$out" 2>&1; then
			cat "$out" >&2
			rm -f "$out"
			die "service $svc $action failed"
		fi
		rm -f "$out"
		return
	done
	die "no /etc/init.d/mysql or /etc/init.d/mariadb script found"
}

if [ "$changed" = yes ] && running; then
	log "restarting the server"
	restart restart
elif ! running; then
	log "starting the server"
	restart start
fi

for _ in $(seq 1 60); do
	running && break
	sleep 1
done
running || die "the server did not answer on its socket within 60s after (re)start"
admin -e 'SELECT VERSION()'
