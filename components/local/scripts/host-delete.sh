#!/usr/bin/env bash
# host-delete.sh - destroy one host of the local platform (see host-create.sh).
#
# Env (required): MCS_NETNS MCS_BRIDGE MCS_VETH MCS_HOST_DIR
# Env (accepted, unused): the rest of host-create.sh's variables.
#
# Kills every process of the host (its network namespace and the mount
# namespace of its sshd), deletes the netns and the veth, removes the host dir,
# then the bridge if no ports are left on it (and it was made by
# host-create.sh), then the host dir's parent if it is empty, and the state
# dir above it if host-create.sh made it and nothing else is left in it.
# Succeeds if the host is already partly or wholly gone.
set -euo pipefail
exec 1>&2

# shellcheck disable=SC2034 # lib.sh's log and die read it
readonly ME=host-delete
# SIGTERM's grace is short: the host's directories, its data among them, go
# right after, so a clean shutdown buys nothing. (MySQL's primary, whose
# binary log dump thread still writes to a replica deleted at the same time,
# takes about 10 s to stop by itself.)
readonly TERM_SECONDS=3
readonly KILL_SECONDS=5

require_env MCS_NETNS MCS_BRIDGE MCS_VETH MCS_HOST_DIR
require_root

valid_netns "$MCS_NETNS" || die "MCS_NETNS '$MCS_NETNS' is not a valid netns name"
valid_ifname "$MCS_BRIDGE" || die "MCS_BRIDGE '$MCS_BRIDGE' is not a valid interface name (max 15 chars)"
valid_ifname "$MCS_VETH" || die "MCS_VETH '$MCS_VETH' is not a valid interface name (max 15 chars)"
valid_host_dir "$MCS_HOST_DIR" ||
	die "MCS_HOST_DIR '$MCS_HOST_DIR' must be a normalised absolute path at least three levels deep (letters, digits, ._@+- only)"

HOST_DIR=$MCS_HOST_DIR
CFG=$HOST_DIR/ssh/sshd_config
# The same config as an image host's sshd sees it (host-create.sh).
IMAGE_CFG=/var/lib/mysql-client-server-host/ssh/sshd_config
PIDFILE=$HOST_DIR/ssh/sshd.pid
NS_FILE=/run/netns/$MCS_NETNS

# ------------------------------------------------------------- processes
# The namespaces that identify the host's processes: its network namespace
# (if it still has a name) and the network + mount namespaces of its sshd
# (found through the pid file even if the netns name is already gone).
self_net=$(readlink /proc/self/ns/net)
self_mnt=$(readlink /proc/self/ns/mnt)
targets=()
add_target() {
	[[ -n $1 && $1 != "$self_net" && $1 != "$self_mnt" ]] && targets+=("$1")
	return 0
}
if [[ -e $NS_FILE ]] && mountpoint -q "$NS_FILE"; then
	add_target "net:[$(stat -L -c %i "$NS_FILE")]"
fi
if [[ -s $PIDFILE ]] && read -r pid <"$PIDFILE" && [[ $pid =~ ^[0-9]+$ ]] &&
	[[ $(cat "/proc/$pid/comm" 2>/dev/null) == sshd ]] &&
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) &&
	[[ $cmdline == *" -f $CFG "* || $cmdline == *" -f $IMAGE_CFG "* ]]; then
	add_target "$(readlink "/proc/$pid/ns/net" 2>/dev/null || true)"
	add_target "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null || true)"
fi

# Prints the pids (one a line) of live processes in any target namespace.
# Zombies have no namespace links and are skipped.
host_pids() {
	((${#targets[@]})) || return 0
	{ find /proc/[0-9]*/ns/net /proc/[0-9]*/ns/mnt -maxdepth 0 -printf '%p %l\n' 2>/dev/null || true; } |
		awk -v t="${targets[*]}" -v self="$$" '
      BEGIN { n = split(t, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
      ($2 in want) { split($1, p, "/"); if (p[3] != self) print p[3] }' | sort -un
}

signal_until_gone() {
	local sig=$1 deadline=$((SECONDS + $2)) pids p
	declare -A sent=()
	while pids=$(host_pids) && [[ -n $pids ]]; do
		for p in $pids; do
			if [[ -z ${sent[$p]:-} ]]; then
				kill "-$sig" "$p" 2>/dev/null || true
				sent[$p]=1
			fi
		done
		if ((SECONDS >= deadline)); then
			log "sent SIG$sig to ${#sent[@]} process(es); $(wc -w <<<"$pids") still running after $2s"
			return 1
		fi
		sleep 0.2
	done
	((${#sent[@]} == 0)) || log "stopped ${#sent[@]} process(es) with SIG$sig"
	return 0
}

if ((${#targets[@]})); then
	if ! signal_until_gone TERM "$TERM_SECONDS"; then
		log "sending SIGKILL"
		signal_until_gone KILL "$KILL_SECONDS" ||
			die "processes of host $MCS_NETNS survive SIGKILL: $(host_pids | tr '\n' ' ')"
	fi
fi
rm -f "$PIDFILE"

# ---------------------------------------------------------------- network
if [[ -e /sys/class/net/$MCS_VETH ]]; then
	if ip -d -o link show dev "$MCS_VETH" 2>/dev/null | grep -qw veth; then
		log "deleting veth $MCS_VETH"
		ip link del dev "$MCS_VETH" 2>/dev/null || [[ ! -e /sys/class/net/$MCS_VETH ]] ||
			die "could not delete veth $MCS_VETH"
	else
		log "warning: $MCS_VETH is not a veth; leaving it"
	fi
fi
if [[ -e $NS_FILE ]]; then
	log "deleting netns $MCS_NETNS"
	ip netns delete "$MCS_NETNS"
fi

# ---------------------------------------------------------------- host dir
if [[ -d $HOST_DIR ]]; then
	# Bind mounts live only in the host's mount namespace, which died with its
	# last process; but never let rm descend into anything still mounted here.
	mounted=$(findmnt -rn -o TARGET | awk -v d="$HOST_DIR" '$0 == d || index($0, d "/") == 1' | sort -r)
	for m in $mounted; do
		log "unmounting $m"
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	if [[ -e $HOST_DIR/$MARKER ]]; then
		log "removing $HOST_DIR"
		rm -rf --one-file-system -- "$HOST_DIR"
	elif [[ -z $(ls -A "$HOST_DIR") ]]; then
		rmdir -- "$HOST_DIR"
	else
		die "refusing to remove $HOST_DIR: not a host dir (no $MARKER)"
	fi
fi

# ------------------------------------------------- shared things (locked)
mkdir -p "${LOCK_FILE%/*}"
exec 9>"$LOCK_FILE"
flock -w 120 9 || die "timed out waiting for $LOCK_FILE"

if [[ -d /sys/class/net/$MCS_BRIDGE/bridge ]]; then
	if [[ -n $(ls -A "/sys/class/net/$MCS_BRIDGE/brif") ]]; then
		log "bridge $MCS_BRIDGE still has ports; keeping it"
	elif [[ $(cat "/sys/class/net/$MCS_BRIDGE/ifalias" 2>/dev/null) != "$BRIDGE_ALIAS" ]]; then
		log "bridge $MCS_BRIDGE was not created by host-create.sh; keeping it"
	else
		log "deleting bridge $MCS_BRIDGE"
		ip link del dev "$MCS_BRIDGE" 2>/dev/null || [[ ! -e /sys/class/net/$MCS_BRIDGE ]] ||
			die "could not delete bridge $MCS_BRIDGE"
	fi
fi

parent=${HOST_DIR%/*}
if [[ -d $parent && -z $(ls -A "$parent") ]]; then
	log "removing empty $parent"
	rmdir -- "$parent" 2>/dev/null || true
fi
# The state dir goes too when host-create made it (its marker is all that is
# left in it).
state_dir=${parent%/*}
if [[ -f $state_dir/$STATE_MARKER && $(ls -A "$state_dir") == "$STATE_MARKER" ]]; then
	log "removing $state_dir"
	rm -f -- "$state_dir/$STATE_MARKER"
	rmdir -- "$state_dir" 2>/dev/null || true
fi

flock -u 9
exec 9>&-
log "host $MCS_NETNS is gone"
