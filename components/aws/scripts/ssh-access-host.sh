#!/usr/bin/env bash
# ssh-access-host.sh: the host side of ssh-access.sh. ssh-access.sh, on the
# operator's machine, sends this program over SSH and runs one subcommand of
# it at a time: the authorized_keys ones as the login user, the host key ones
# as root (sudo -n when the login user is not root).
#
#   authorize TYPE BASE64   adds the key to the login user's authorized_keys
#                           unless a line of that key is there; prints added
#                           or present
#   deauthorize BASE64...   removes the lines of these keys; the others stay
#   rekey PUBLIC            stdin: the new host private key (a secret), whose
#                           public half is PUBLIC ("ssh-ed25519 AAAA...").
#                           Installs it as the ed25519 host key, keeping the
#                           old key file beside it (.mcs-old), and reloads
#                           sshd; prints installed
#   commit                  removes the kept old host key
#   rollback                puts the kept old host key back and reloads sshd
#
# Each change is atomic (a temporary file renamed over the old one, with the
# old one's owner and mode), and a failed rekey restores the old key before
# it exits. Env (tests only; the defaults are Ubuntu's): MCS_AUTHORIZED_KEYS
# (~/.ssh/authorized_keys), MCS_SSHD_CONFIG (/etc/ssh/sshd_config),
# MCS_SSHD_HOST_KEY (/etc/ssh/ssh_host_ed25519_key), MCS_SSHD_PID_FILE
# (unset: systemctl reload ssh || service ssh reload; set: SIGHUP to the sshd
# whose pid it holds).
set -euo pipefail
export LC_ALL=C
export PATH="${PATH:+$PATH:}/usr/sbin:/usr/bin:/sbin:/bin"

log() { printf 'ssh-access: %s\n' "$*" >&2; }
die() {
	printf 'ssh-access: error: %s\n' "$*" >&2
	exit 1
}

keys_file=${MCS_AUTHORIZED_KEYS:-$HOME/.ssh/authorized_keys}
sshd_config=${MCS_SSHD_CONFIG:-/etc/ssh/sshd_config}
host_key=${MCS_SSHD_HOST_KEY:-/etc/ssh/ssh_host_ed25519_key}
kept=$host_key.mcs-old

tmp='' new=''
trap 'rm -f "${tmp:-}" "${new:+$new}" "${new:+$new.pub}"' EXIT

# has_key succeeds when a line of authorized_keys holds the key blob.
has_key() {
	[ -f "$keys_file" ] || return 1
	awk -v blob="$1" '/^[[:space:]]*(#|$)/ { next } { for (i = 1; i <= NF; i++) if ($i == blob) found = 1 }
		END { exit !found }' "$keys_file"
}

# without_keys prints the authorized_keys lines that hold none of the given
# key blobs (comments and blank lines stay).
without_keys() {
	awk -v blobs="$*" 'BEGIN { n = split(blobs, b, " "); for (i = 1; i <= n; i++) drop[b[i]] = 1 }
		/^[[:space:]]*(#|$)/ { print; next }
		{ for (i = 1; i <= NF; i++) if ($i in drop) next; print }' "$keys_file"
}

# replace_keys_file renames $tmp over authorized_keys, with the old file's
# owner and mode (0600 for a new one).
replace_keys_file() {
	if [ -e "$keys_file" ]; then
		chown --reference="$keys_file" "$tmp"
		chmod --reference="$keys_file" "$tmp"
	else
		chmod 600 "$tmp"
	fi
	mv -f "$tmp" "$keys_file"
}

authorize() {
	[ "$#" -eq 2 ] || die "authorize: expected TYPE BASE64"
	local dir
	dir=$(dirname "$keys_file")
	if [ ! -d "$dir" ]; then
		mkdir -p "$dir"
		chmod 700 "$dir"
	fi
	if has_key "$2"; then
		echo present
		return
	fi
	tmp=$(mktemp "$keys_file.XXXXXX")
	if [ -f "$keys_file" ]; then
		cat "$keys_file" >"$tmp"
		[ ! -s "$tmp" ] || [ -z "$(tail -c 1 "$tmp")" ] || echo >>"$tmp"
	fi
	printf '%s %s mysql-client-server\n' "$1" "$2" >>"$tmp"
	replace_keys_file
	echo added
}

deauthorize() {
	[ "$#" -gt 0 ] && [ -f "$keys_file" ] || return 0
	tmp=$(mktemp "$keys_file.XXXXXX")
	without_keys "$@" >"$tmp"
	replace_keys_file
}

reload_sshd() {
	if [ -n "${MCS_SSHD_PID_FILE:-}" ]; then
		kill -HUP "$(cat "$MCS_SSHD_PID_FILE")"
	else
		systemctl reload ssh || service ssh reload
	fi
}

# public_blob prints the key type and blob of a private or public key file.
public_blob() { ssh-keygen -y -f "$1" | awk '{ print $1, $2 }'; }

# restore puts the kept host key back; with "reload", sshd reloads it.
restore() {
	[ -f "$kept" ] || return 0
	mv -f "$kept.pub" "$host_key.pub" 2>/dev/null || true
	mv -f "$kept" "$host_key"
	log "restored the previous host key"
	if [ "$1" = reload ]; then reload_sshd || log "sshd did not reload: it still serves the key it had"; fi
}

# install_host_key puts $new in place of the host key, keeping the old one.
install_host_key() {
	local want=$1
	[ -f "$host_key" ] || die "$host_key: no such file: expected the host's ed25519 key"
	printf '%s mysql-client-server\n' "$want" >"$new.pub"
	chmod 644 "$new.pub"
	cp -p "$host_key" "$kept"
	cp -p "$host_key.pub" "$kept.pub" 2>/dev/null || true
	chown --reference="$host_key" "$new" "$new.pub"
	mv -f "$new.pub" "$host_key.pub"
	mv -f "$new" "$host_key"
}

rekey() {
	[ "$#" -eq 1 ] || die "rekey: expected PUBLIC"
	local want sshd
	want=$(printf '%s\n' "$1" | awk '{ print $1, $2 }')
	sshd=$(command -v sshd || echo /usr/sbin/sshd)
	umask 077
	new=$host_key.mcs-new
	rm -f "$new" "$new.pub"
	cat >"$new"
	[ "$(public_blob "$new" 2>/dev/null)" = "$want" ] || die "the new host key on standard input is not the private half of $want"
	if [ -f "$host_key" ] && [ "$(public_blob "$host_key" 2>/dev/null)" = "$want" ]; then
		log "the host key file holds the new key already: reloading sshd"
	else
		install_host_key "$want"
	fi
	if ! "$sshd" -t -f "$sshd_config" >&2; then
		restore no
		die "sshd refuses its configuration with the new host key: the previous key is back"
	fi
	if ! reload_sshd; then
		restore reload
		die "sshd did not reload with the new host key: the previous key is back"
	fi
	echo installed
}

commit() { rm -f "$kept" "$kept.pub"; }

rollback() { restore reload; }

[ "$#" -gt 0 ] || die "expected a subcommand: authorize, deauthorize, rekey, commit or rollback"
cmd=$1
shift
case $cmd in
authorize | deauthorize | rekey | commit | rollback) "$cmd" "$@" ;;
*) die "$cmd: not a subcommand: expected authorize, deauthorize, rekey, commit or rollback" ;;
esac
