#!/usr/bin/env bash
# ssh-access.sh: an EC2 host's first step, run on the operator's machine (the
# one running pulumi up) before any remote command on that host. It makes the
# host take the stack's current SSH key and the host key the stack pins:
#
#  1. logs in with OpenSSH, pinned to the host keys this step accepts: the
#     one it installs, and the one the host had before, which is the
#     user-data key cloud-init installed on first contact only (no record
#     yet); once its record says the host was rekeyed, the key it recorded.
#     It tries the stack's current private key first, then each key it
#     authorized before;
#  2. adds the current public key to the login user's authorized_keys;
#  3. installs the pinned host key as the host's ed25519 host key (root, via
#     sudo -n) and reloads sshd, keeping the old key file until step 4 proves
#     the new one;
#  4. proves a fresh login with the current key, pinned to the new host key
#     only; only then drops the old host key file and removes the lines of
#     the keys it authorized before (other lines stay);
#  5. prints its record (below), which Pulumi hands to its next run.
#
# A failure undoes what this run changed (host key, added key line) over the
# session it opened first, and Pulumi keeps the previous record, so the next
# run starts from what the host still accepts.
#
# Env: MCS_SSH_ADDRESS, MCS_SSH_PORT, MCS_SSH_USER; MCS_FIRST_HOST_KEY (the
# user-data host key, authorized_keys form: trusted on first contact only);
# MCS_HOST_KEY (the host key to install, pinned from then on);
# MCS_HOST_SCRIPT (ssh-access-host.sh, the host side). Optional:
# MCS_SSH_ATTEMPTS (logins tried while the host does not answer, 40),
# MCS_SSH_RETRY_PAUSE (seconds between them, 5); for tests only,
# MCS_AUTHORIZED_KEYS, MCS_SSHD_CONFIG, MCS_SSHD_HOST_KEY, MCS_SSHD_PID_FILE
# are passed on to the host side.
# PULUMI_COMMAND_STDOUT: the previous record, on an update.
# Stdin (a secret): the stack's current SSH private key, then the private
# half of MCS_HOST_KEY.
# Stdout (a secret, the record):
#   mcs-ssh-access 1
#   host-key <the host key installed>
#   login-key <the authorized private key, base64 on one line>
set -euo pipefail
export LC_ALL=C
# Only the record goes to stdout (fd 3): whatever the host prints goes to
# stderr, so that it can never corrupt the record the next run reads.
exec 3>&1 1>&2
: "${MCS_SSH_ADDRESS:?}" "${MCS_SSH_PORT:?}" "${MCS_SSH_USER:?}" "${MCS_FIRST_HOST_KEY:?}" "${MCS_HOST_KEY:?}" "${MCS_HOST_SCRIPT:?}"

log() { printf 'ssh-access: %s\n' "$*" >&2; }
die() {
	printf 'ssh-access: error: %s\n' "$*" >&2
	exit 1
}
for c in ssh ssh-keygen base64 awk; do
	command -v "$c" >/dev/null 2>&1 || die "$c is needed on this machine (the OpenSSH client reaches the EC2 hosts)"
done
attempts=${MCS_SSH_ATTEMPTS:-40}
pause=${MCS_SSH_RETRY_PAUSE:-5}
dest=$MCS_SSH_USER@$MCS_SSH_ADDRESS

umask 077
dir=$(mktemp -d)
chmod 700 "$dir"
master=no added=no rekeyed=no committed=no proven=no cur_blob=''
cleanup() {
	local rc=$?
	if [ "$rc" -ne 0 ] && [ "$master" = yes ]; then undo; fi
	if [ "$master" = yes ]; then ssh -F /dev/null -o ControlPath="$dir/ctl" -O exit "$dest" >/dev/null 2>&1 || true; fi
	rm -rf "$dir"
}
trap cleanup EXIT

# two_fields prints a key's type and blob, without its comment.
two_fields() { awk '{ print $1, $2 }'; }

# ---------------------------------------------------------------- inputs
awk -v d="$dir" '/^-----BEGIN /{ n++; f = d "/stdin" n } n { print > f }'
[ -s "$dir/stdin1" ] || die "no SSH private key on standard input"
[ -s "$dir/stdin2" ] || die "no host private key on standard input, after the SSH private key"
mv "$dir/stdin1" "$dir/current"
mv "$dir/stdin2" "$dir/hostkey"
cur_pub=$(ssh-keygen -y -f "$dir/current" | two_fields) || die "the SSH private key on standard input is not an unencrypted private key"
cur_blob=${cur_pub#* }
want=$(printf '%s\n' "$MCS_HOST_KEY" | two_fields)
[ "$(ssh-keygen -y -f "$dir/hostkey" | two_fields)" = "$want" ] || die "the host private key on standard input is not the private half of MCS_HOST_KEY"
first=$(printf '%s\n' "$MCS_FIRST_HOST_KEY" | two_fields)
[ "$first" != "$want" ] || die "MCS_HOST_KEY is the user-data host key: expected a key that is not in the user data"

# The previous record: the host key installed, the keys authorized. (Empty
# arrays are expanded as ${a[@]+"${a[@]}"}: macOS's bash 3.2 calls them
# unbound.)
recorded='' n=0 previous_blobs=()
if [ -n "${PULUMI_COMMAND_STDOUT:-}" ]; then
	printf '%s\n' "$PULUMI_COMMAND_STDOUT" >"$dir/record"
	[ "$(head -n 1 "$dir/record")" = "mcs-ssh-access 1" ] || die "this step's previous output is not an ssh-access record: expected 'mcs-ssh-access 1' first"
	while read -r tag value; do
		case $tag in
		host-key) recorded=$(printf '%s\n' "$value" | two_fields) ;;
		login-key)
			n=$((n + 1))
			if ! printf '%s\n' "$value" | base64 --decode >"$dir/previous$n" 2>/dev/null ||
				! b=$(ssh-keygen -y -f "$dir/previous$n" 2>/dev/null | two_fields); then
				die "the record's login key $n is not a base64 private key"
			fi
			previous_blobs+=("${b#* }")
			;;
		esac
	done <"$dir/record"
	[ -n "$recorded" ] || die "the previous ssh-access record names no host key"
fi

# Pins: known_new holds the host key to install; known_old the key the host
# may present before it: the user-data key on first contact only.
known_name=$MCS_SSH_ADDRESS
[ "$MCS_SSH_PORT" = 22 ] || known_name="[$MCS_SSH_ADDRESS]:$MCS_SSH_PORT"
printf '%s %s\n' "$known_name" "$want" >"$dir/known_new"
old=$first
[ -z "$recorded" ] || old=$recorded
: >"$dir/known_old"
[ "$old" = "$want" ] || printf '%s %s\n' "$known_name" "$old" >"$dir/known_old"

opts=(-F /dev/null -p "$MCS_SSH_PORT" -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none
	-o PreferredAuthentications=publickey -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no
	-o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null -o HostKeyAlgorithms=ssh-ed25519
	-o UpdateHostKeys=no -o CheckHostIP=no -o ConnectTimeout=15 -o ServerAliveInterval=15 -o LogLevel=ERROR)

# try_login KEY KNOWN_HOSTS TRIES: 0 logged in, 1 the key was refused, 2 the
# host key was refused, 3 no answer after TRIES tries.
try_login() {
	local try=1
	while :; do
		if ssh "${opts[@]}" -o ControlPath=none -i "$1" -o UserKnownHostsFile="$2" "$dest" true </dev/null 2>"$dir/ssh.err"; then
			return 0
		fi
		if grep -q 'Host key verification failed' "$dir/ssh.err"; then return 2; fi
		if grep -q 'Permission denied' "$dir/ssh.err"; then return 1; fi
		if [ "$try" -ge "$3" ]; then
			sed 's/^/ssh-access: ssh: /' "$dir/ssh.err" >&2
			return 3
		fi
		[ "$try" -gt 1 ] || log "waiting for sshd on $dest port $MCS_SSH_PORT (at most $3 tries)"
		try=$((try + 1))
		sleep "$pause"
	done
}

# on_host runs a command line over the session opened first.
on_host() { ssh "${opts[@]}" -o UserKnownHostsFile=/dev/null -o ControlMaster=no -o ControlPath="$dir/ctl" "$dest" "$1"; }

# q quotes a word for the host's shell.
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# remote AS SUBCOMMAND [ARGS...] runs ssh-access-host.sh on the host, as
# the login user (AS=user) or as root (AS=root).
remote() {
	local as=$1 line=env v a
	shift
	for v in MCS_AUTHORIZED_KEYS MCS_SSHD_CONFIG MCS_SSHD_HOST_KEY MCS_SSHD_PID_FILE; do
		if [ -n "${!v:-}" ]; then line+=" $v=$(q "${!v}")"; fi
	done
	line+=" bash -c $(q "$MCS_HOST_SCRIPT") ssh-access-host"
	for a in ${1+"$@"}; do line+=" $(q "$a")"; done
	if [ "$as" = root ]; then line="s=; [ \"\$(id -u)\" -eq 0 ] || s='sudo -n'; \$s $line"; fi
	on_host "$line"
}

# undo reverts what this run changed and did not commit: the host key, and
# the key line it added unless a fresh login proved that key (once proved it
# stays: the previous keys may be gone).
undo() {
	if [ "$rekeyed" = yes ] && [ "$committed" = no ]; then
		remote root rollback </dev/null || log "could not put the previous host key back"
	fi
	if [ "$added" = yes ] && [ "$proven" = no ]; then
		remote user deauthorize "$cur_blob" </dev/null || log "could not remove the key line this run added"
	fi
}

# ----------------------------------------------------------------- login
candidates=("$dir/current")
for ((i = 1; i <= n; i++)); do candidates+=("$dir/previous$i"); done
login_key='' pinned=''
for known in "$dir/known_new" "$dir/known_old"; do
	[ -s "$known" ] || continue
	r=1
	for key in "${candidates[@]}"; do
		r=0
		try_login "$key" "$known" "$attempts" || r=$?
		case $r in
		0)
			login_key=$key pinned=$known
			break 2
			;;
		2) break ;;
		3) die "no answer from sshd on $dest port $MCS_SSH_PORT" ;;
		esac
	done
	[ "$r" -eq 2 ] || die "$dest accepted none of the stack's SSH keys (the current one and the $n this step authorized before)"
done
[ -n "$login_key" ] || die "$dest presented a host key this stack does not pin: refusing to log in (once rekeyed, a host never presents its user-data key again)"
ssh "${opts[@]}" -i "$login_key" -o UserKnownHostsFile="$pinned" -o ControlMaster=yes -o ControlPath="$dir/ctl" \
	-o ControlPersist=no -f -N "$dest" </dev/null >/dev/null 2>"$dir/ssh.err" || {
	sed 's/^/ssh-access: ssh: /' "$dir/ssh.err" >&2
	die "could not open an SSH session to $dest"
}
master=yes

# ------------------------------------------------------------ the changes
result=$(remote user authorize "${cur_pub%% *}" "$cur_blob" </dev/null) || die "could not add the current key to authorized_keys on $dest"
[ "$result" != added ] || added=yes
log "the current key: $result in authorized_keys"
if [ "$pinned" != "$dir/known_new" ]; then
	rekeyed=yes
	remote root rekey "$want" <"$dir/hostkey" >/dev/null || die "could not install the pinned host key on $dest"
	log "installed the pinned host key"
fi
r=0
try_login "$dir/current" "$dir/known_new" 6 || r=$?
case $r in
0) ;;
1) die "a fresh login with the current key was refused by $dest" ;;
2) die "$dest does not present the pinned host key after the rekey" ;;
*) die "$dest does not answer a fresh login after the rekey" ;;
esac
proven=yes
remote root commit </dev/null || die "could not remove the previous host key file on $dest"
committed=yes
drop=()
for b in ${previous_blobs[@]+"${previous_blobs[@]}"}; do [ "$b" = "$cur_blob" ] || drop+=("$b"); done
if [ "${#drop[@]}" -gt 0 ]; then
	remote user deauthorize "${drop[@]}" </dev/null || die "could not remove the previous keys from authorized_keys on $dest"
	log "removed ${#drop[@]} previous key(s) from authorized_keys"
fi
printf 'mcs-ssh-access 1\nhost-key %s\nlogin-key %s\n' "$want" "$(base64 <"$dir/current" | tr -d '\n')" >&3
