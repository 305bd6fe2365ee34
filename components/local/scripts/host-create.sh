#!/usr/bin/env bash
# host-create.sh - create (or converge) one host of the local platform.
#
# A host is a Linux network namespace attached to a bridge in the root
# namespace, plus an sshd running inside that network namespace and inside
# private mount and UTS namespaces, in which per-host directories are bind
# mounted over /etc/mysql, /var/lib/mysql, /run/mysqld, /var/log/mysql,
# /root and /tmp, /run is a fresh tmpfs (so /run/systemd does not exist:
# scripts on the host see "no systemd", like in a container) and the
# hostname is MCS_HOSTNAME.
#
# Env (required): MCS_NETNS MCS_HOSTNAME MCS_BRIDGE MCS_VETH MCS_ADDRESS
#   MCS_PREFIX MCS_OPERATOR_ADDRESS MCS_HOST_DIR MCS_AUTHORIZED_KEY
# Env (optional): MCS_SSH_PORT (default 22); MCS_IMAGE: a root filesystem
#   that image-build.sh made. The host then runs inside it, read-only: its
#   sshd, shell and MySQL are the image's, and only the per-host directories
#   above (and the host dir, at /var/lib/mysql-client-server-host) are
#   writable. Without it, the host runs on this machine's own root.
#
# Stdout: exactly one line, the host's public host key ("ssh-ed25519 AAAA...").
# Progress goes to stderr. Idempotent: re-running converges.
# Everything written to stdout goes to stderr, except the final key line (fd 3).
set -euo pipefail
exec 3>&1 1>&2

readonly ME=host-create
readonly SSHD=/usr/sbin/sshd
readonly WAIT_SECONDS=20

# ---------------------------------------------------------------- validation
require_env MCS_NETNS MCS_HOSTNAME MCS_BRIDGE MCS_VETH MCS_ADDRESS MCS_PREFIX \
	MCS_OPERATOR_ADDRESS MCS_HOST_DIR MCS_AUTHORIZED_KEY
MCS_SSH_PORT=${MCS_SSH_PORT:-22}
require_root

valid_netns "$MCS_NETNS" || die "MCS_NETNS '$MCS_NETNS' is not a valid netns name"
[[ ${#MCS_HOSTNAME} -le 64 && $MCS_HOSTNAME =~ ^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$ ]] ||
	die "MCS_HOSTNAME '$MCS_HOSTNAME' is not a valid hostname"
valid_ifname "$MCS_BRIDGE" || die "MCS_BRIDGE '$MCS_BRIDGE' is not a valid interface name (max 15 chars)"
valid_ifname "$MCS_VETH" || die "MCS_VETH '$MCS_VETH' is not a valid interface name (max 15 chars)"
[[ $MCS_VETH != "$MCS_BRIDGE" ]] || die "MCS_VETH and MCS_BRIDGE must differ"
valid_ip4 "$MCS_ADDRESS" || die "MCS_ADDRESS '$MCS_ADDRESS' is not an IPv4 address"
valid_ip4 "$MCS_OPERATOR_ADDRESS" || die "MCS_OPERATOR_ADDRESS '$MCS_OPERATOR_ADDRESS' is not an IPv4 address"
valid_prefix "$MCS_PREFIX" ||
	die "MCS_PREFIX '$MCS_PREFIX' must be a number between 8 and 30"
valid_port "$MCS_SSH_PORT" ||
	die "MCS_SSH_PORT '$MCS_SSH_PORT' is not a TCP port"
[[ $MCS_ADDRESS != "$MCS_OPERATOR_ADDRESS" ]] || die "MCS_ADDRESS and MCS_OPERATOR_ADDRESS must differ"
mask=$(((0xffffffff << (32 - MCS_PREFIX)) & 0xffffffff))
((($(ip4_int "$MCS_ADDRESS") & mask) == ($(ip4_int "$MCS_OPERATOR_ADDRESS") & mask))) ||
	die "MCS_ADDRESS $MCS_ADDRESS and MCS_OPERATOR_ADDRESS $MCS_OPERATOR_ADDRESS are not in the same /$MCS_PREFIX"

# The host dir is used by sshd *inside* the host's mount namespace, so it must
# not live below a directory that is replaced there.
valid_host_dir "$MCS_HOST_DIR" ||
	die "MCS_HOST_DIR '$MCS_HOST_DIR' must be a normalised absolute path at least three levels deep (letters, digits, ._@+- only)"
for shadowed in /etc/mysql /var/lib/mysql /run /var/run /var/log/mysql /root /tmp /proc /sys /dev; do
	case $MCS_HOST_DIR/ in
	"$shadowed"/*) die "MCS_HOST_DIR '$MCS_HOST_DIR' must not be below $shadowed (it is replaced inside the host)" ;;
	esac
done
[[ $MCS_AUTHORIZED_KEY != *$'\n'* ]] || die "MCS_AUTHORIZED_KEY must be a single line"
IMAGE=${MCS_IMAGE:-}
if [[ -n $IMAGE ]]; then
	[[ $IMAGE =~ ^(/[A-Za-z0-9_.@+-]+)+$ && -f $IMAGE/.complete ]] ||
		die "MCS_IMAGE '$IMAGE' is not an image that image-build.sh completed"
fi
[[ -x $IMAGE$SSHD ]] || die "$IMAGE$SSHD not found (apt-get install -y openssh-server)"

HOST_DIR=$MCS_HOST_DIR
SSH_DIR=$HOST_DIR/ssh
CFG=$SSH_DIR/sshd_config
PIDFILE=$SSH_DIR/sshd.pid
HOSTKEY=$SSH_DIR/ssh_host_ed25519_key
AUTH_KEYS=$SSH_DIR/authorized_keys
NS_FILE=/run/netns/$MCS_NETNS
# The host dir as the host's sshd sees it: in an image, at its mount point.
IN_DIR=$HOST_DIR
if [[ -n $IMAGE ]]; then IN_DIR=/var/lib/mysql-client-server-host; fi
IMAGE_CFG=/var/lib/mysql-client-server-host/ssh/sshd_config
SSHD_LOG=$HOST_DIR/sshd.log

locked=false
lock() {
	mkdir -p "${LOCK_FILE%/*}"
	exec 9>"$LOCK_FILE"
	flock -w 120 9 || die "timed out waiting for $LOCK_FILE"
	locked=true
}
unlock() {
	flock -u 9
	exec 9>&-
	locked=false
}

# What this run made, so that a failure removes it again: a failed create
# is recorded in no state, and nothing else would ever remove it. A host
# that existed before the run keeps everything it had.
made=()
undo() {
	local rc=$? item p
	((rc != 0 && ${#made[@]} > 0)) || return 0
	trap - EXIT
	$locked || lock
	for ((i = ${#made[@]} - 1; i >= 0; i--)); do
		item=${made[i]}
		log "the create failed: removing the $item it made"
		case $item in
		sshd) # with the netns it made, every process in it; else its sshd
			for p in $(ip netns pids "$MCS_NETNS" 2>/dev/null); do
				if [[ " ${made[*]} " == *" netns "* ]] || sshd_of_host "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
			done ;;
		netns) ip netns delete "$MCS_NETNS" 2>/dev/null || true ;;
		veth) ip link del dev "$MCS_VETH" 2>/dev/null || true ;;
		hostdir)
			rm -rf --one-file-system -- "$HOST_DIR"
			rmdir -- "${HOST_DIR%/*}" 2>/dev/null || true
			;;
		esac
	done
	# The state dir goes with its last host dir, and the bridge with its
	# last port, whichever host's create made them (hosts made in parallel
	# that all fail leave them empty).
	if [[ -f ${state_dir:-}/$STATE_MARKER && $(ls -A "$state_dir") == "$STATE_MARKER" ]]; then
		rm -f -- "$state_dir/$STATE_MARKER"
		rmdir -- "$state_dir"
	fi
	if [[ -d /sys/class/net/$MCS_BRIDGE/brif && -z $(ls -A "/sys/class/net/$MCS_BRIDGE/brif") &&
	$(cat "/sys/class/net/$MCS_BRIDGE/ifalias" 2>/dev/null) == "$BRIDGE_ALIAS" ]]; then
		log "the create failed: removing the bridge $MCS_BRIDGE, which has no hosts"
		ip link del dev "$MCS_BRIDGE" 2>/dev/null || true
	fi
	exit "$rc"
}
trap undo EXIT

# Write $2 to file $1 (mode $3) only if the content differs; atomic rename.
# Returns 0 if the file was (re)written, 1 if it was already up to date.
write_if_changed() {
	local file=$1 content=$2 mode=$3 tmp
	if [[ -f $file ]] && [[ $(<"$file") == "$content" ]]; then
		chmod "$mode" "$file"
		return 1
	fi
	tmp=$file.tmp.$$
	(umask 077 && printf '%s\n' "$content" >"$tmp")
	chmod "$mode" "$tmp"
	mv -f "$tmp" "$file"
	return 0
}

is_veth() { ip -d -o link show dev "$1" 2>/dev/null | grep -qw veth; }

# ------------------------------------------- network + host dir (under lock)
lock

# bridge
if [[ ! -e /sys/class/net/$MCS_BRIDGE ]]; then
	log "creating bridge $MCS_BRIDGE"
	ip link add name "$MCS_BRIDGE" type bridge
	made+=(bridge) # undo removes it with its last port
	# Mark the bridge as ours: host-delete only removes bridges with this alias.
	ip link set dev "$MCS_BRIDGE" alias "$BRIDGE_ALIAS"
	if [[ -r /proc/sys/net/bridge/bridge-nf-call-iptables && $(</proc/sys/net/bridge/bridge-nf-call-iptables) == 1 ]]; then
		log "note: net.bridge.bridge-nf-call-iptables=1: traffic between hosts on $MCS_BRIDGE also passes the operator's iptables FORWARD chain"
	fi
elif [[ ! -d /sys/class/net/$MCS_BRIDGE/bridge ]]; then
	die "interface $MCS_BRIDGE exists and is not a bridge"
fi
# A bridge whose address was never set takes the lowest address of its ports,
# so a host that joins later can change it: the hosts' neighbour entries for
# the operator then point at an address nobody has, and their packets to the
# operator are lost until the entries expire (a stall of ~25 s in an SSH
# session). An address set once stays.
if [[ $(</sys/class/net/"$MCS_BRIDGE"/addr_assign_type) != 3 ]]; then
	ip link set dev "$MCS_BRIDGE" address "$(</sys/class/net/"$MCS_BRIDGE"/address)"
fi
ip link set dev "$MCS_BRIDGE" up
br_addrs=$(ip -4 -o addr show dev "$MCS_BRIDGE")
if ! grep -qF " inet $MCS_OPERATOR_ADDRESS/$MCS_PREFIX " <<<"$br_addrs"; then
	if grep -qF " inet $MCS_OPERATOR_ADDRESS/" <<<"$br_addrs"; then
		die "bridge $MCS_BRIDGE has $MCS_OPERATOR_ADDRESS with a prefix other than /$MCS_PREFIX"
	fi
	log "adding $MCS_OPERATOR_ADDRESS/$MCS_PREFIX to $MCS_BRIDGE"
	ip addr add "$MCS_OPERATOR_ADDRESS/$MCS_PREFIX" dev "$MCS_BRIDGE"
fi

# netns (a file left from before a reboot, when /run is not a tmpfs, is stale)
if [[ -e $NS_FILE ]] && ! mountpoint -q "$NS_FILE"; then
	log "removing stale netns file $NS_FILE"
	ip netns delete "$MCS_NETNS" 2>/dev/null || rm -f "$NS_FILE"
fi
if [[ ! -e $NS_FILE ]]; then
	log "creating netns $MCS_NETNS"
	ip netns add "$MCS_NETNS"
	made+=(netns)
fi

# veth pair: $MCS_VETH in the root ns, its peer is eth0 in the host's ns
veth_ok=false
if [[ -e /sys/class/net/$MCS_VETH ]]; then
	is_veth "$MCS_VETH" || die "interface $MCS_VETH exists and is not a veth"
	peer_index=$(ip netns exec "$MCS_NETNS" cat /sys/class/net/eth0/ifindex 2>/dev/null || true)
	if [[ -n $peer_index && $(</sys/class/net/"$MCS_VETH"/iflink) == "$peer_index" ]] &&
		ip -o link show dev "$MCS_VETH" | grep -qF "link-netns $MCS_NETNS"; then
		veth_ok=true
	else
		log "veth $MCS_VETH is not paired with eth0 in $MCS_NETNS; recreating it"
		ip link del dev "$MCS_VETH"
	fi
fi
if ! $veth_ok; then
	if ip -n "$MCS_NETNS" link show dev eth0 >/dev/null 2>&1; then
		ip -n "$MCS_NETNS" link del dev eth0
	fi
	log "creating veth $MCS_VETH <-> $MCS_NETNS:eth0"
	# eth0's MAC address follows from the host's IPv4 address (02: locally
	# administered, then the four bytes), so a host made again at an address
	# (a replica added back) has the MAC the operator and the other hosts
	# still hold for that address in their neighbour tables: a random one
	# would leave their packets to it lost until those entries expired. Only
	# a new pair gets it: an existing host keeps its address.
	IFS=. read -r a b c d <<<"$MCS_ADDRESS"
	ip link add name "$MCS_VETH" type veth peer name eth0 netns "$MCS_NETNS" \
		address "$(printf '02:00:%02x:%02x:%02x:%02x' "$a" "$b" "$c" "$d")"
	made+=(veth)
fi
ip link set dev "$MCS_VETH" master "$MCS_BRIDGE"
ip link set dev "$MCS_VETH" up
ip -n "$MCS_NETNS" link set dev lo up
ip -n "$MCS_NETNS" link set dev eth0 up
if ! ip -n "$MCS_NETNS" -4 -o addr show dev eth0 | grep -qF " inet $MCS_ADDRESS/$MCS_PREFIX "; then
	log "setting $MCS_NETNS:eth0 address $MCS_ADDRESS/$MCS_PREFIX"
	ip -n "$MCS_NETNS" addr flush dev eth0 scope global
	ip -n "$MCS_NETNS" addr add "$MCS_ADDRESS/$MCS_PREFIX" dev eth0
fi

# host dir (its parent is removed by host-delete under the same lock, and the
# state dir too when this script made it: it leaves a marker there)
state_dir=${HOST_DIR%/*/*}
if [[ ! -d $state_dir ]]; then
	(umask 022 && mkdir -p "$state_dir")
	: >"$state_dir/$STATE_MARKER"
fi
(umask 022 && mkdir -p "${HOST_DIR%/*}")
if [[ -d $HOST_DIR ]]; then
	if [[ ! -e $HOST_DIR/$MARKER && -n $(ls -A "$HOST_DIR") ]]; then
		die "$HOST_DIR exists, is not empty and is not a host dir (no $MARKER)"
	fi
else
	log "creating host dir $HOST_DIR"
	mkdir -m 0755 "$HOST_DIR"
	made+=(hostdir)
fi
# The marker records what host-delete needs, so a host whose Pulumi state is
# lost can still be removed (local.Sweep reads it).
printf 'MCS_NETNS=%s\nMCS_BRIDGE=%s\nMCS_VETH=%s\nMCS_IMAGE=%s\n' "$MCS_NETNS" "$MCS_BRIDGE" "$MCS_VETH" "$IMAGE" >"$HOST_DIR/$MARKER"

fault host-create:network
unlock

# ------------------------------------------------------------ host dir layout
chmod 0755 "$HOST_DIR"
# The mysql account of the root the host runs on (an image's has its own ids).
mysql_owner=$(awk -F: '$1 == "mysql" { print $3 ":" $4 }' "$IMAGE/etc/passwd")
if [[ -z $mysql_owner ]]; then
	mysql_owner=0:0
	log "note: no mysql user in $IMAGE/etc/passwd; mysql dirs stay owned by root"
fi

if [[ ! -d $HOST_DIR/etc-mysql ]]; then
	rm -rf --one-file-system "$HOST_DIR/etc-mysql.tmp"
	mkdir -m 0755 "$HOST_DIR/etc-mysql.tmp"
	if [[ -d $IMAGE/etc/mysql ]]; then
		log "seeding etc-mysql from $IMAGE/etc/mysql"
		cp -a "$IMAGE/etc/mysql/." "$HOST_DIR/etc-mysql.tmp/"
	else
		log "note: /etc/mysql does not exist here; etc-mysql starts empty"
	fi
	mv "$HOST_DIR/etc-mysql.tmp" "$HOST_DIR/etc-mysql"
fi
# dir mode owner (install -d: one process a directory, also when it exists)
while read -r d mode owner; do
	install -d -m "$mode" -o "${owner%:*}" -g "${owner#*:}" "$HOST_DIR/$d"
done <<EOF
var-lib-mysql 0755 $mysql_owner
run-mysqld 0755 $mysql_owner
log-mysql 0750 $mysql_owner
root-home 0700 root:root
tmp 1777 root:root
ssh 0700 root:root
EOF

write_if_changed "$HOST_DIR/etc-hosts" "127.0.0.1	localhost
$MCS_ADDRESS	$MCS_HOSTNAME
::1	localhost ip6-localhost ip6-loopback
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters" 0644 || true

# host key: generated once
if [[ ! -s $HOSTKEY ]]; then
	log "generating host key"
	rm -f "$HOSTKEY.tmp" "$HOSTKEY.tmp.pub"
	ssh-keygen -q -t ed25519 -N '' -C "root@$MCS_HOSTNAME" -f "$HOSTKEY.tmp" </dev/null >/dev/null
	mv -f "$HOSTKEY.tmp.pub" "$HOSTKEY.pub"
	mv -f "$HOSTKEY.tmp" "$HOSTKEY"
fi
if [[ ! -s $HOSTKEY.pub ]]; then
	ssh-keygen -y -f "$HOSTKEY" >"$HOSTKEY.pub"
fi
chmod 0600 "$HOSTKEY"
chmod 0644 "$HOSTKEY.pub"

# authorized_keys
ssh-keygen -l -f - <<<"$MCS_AUTHORIZED_KEY" >/dev/null 2>&1 || die "MCS_AUTHORIZED_KEY is not a valid OpenSSH public key line"
if write_if_changed "$AUTH_KEYS" "$MCS_AUTHORIZED_KEY" 0600; then
	log "wrote authorized_keys"
fi

cfg_changed=false
if write_if_changed "$CFG" "# generated by host-create.sh for host $MCS_HOSTNAME (netns $MCS_NETNS)
ListenAddress $MCS_ADDRESS:$MCS_SSH_PORT
HostKey $IN_DIR/ssh/${HOSTKEY##*/}
PidFile $IN_DIR/ssh/${PIDFILE##*/}
AuthorizedKeysFile $IN_DIR/ssh/${AUTH_KEYS##*/}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
AcceptEnv MCS_* LANG LC_*
PermitUserEnvironment no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
MaxStartups 64:30:128
MaxSessions 32
Subsystem sftp internal-sftp
LogLevel INFO" 0600; then
	cfg_changed=true
	log "wrote sshd_config"
fi

# StrictModes: sshd refuses authorized_keys if any directory above it is
# group/world writable or not owned by root. Say so now rather than failing
# logins later.
ancestors=() d=$SSH_DIR
while [[ -n $d ]]; do
	ancestors+=("$d")
	d=${d%/*}
done
while read -r d_uid d_mode d; do
	[[ $d_uid == 0 ]] || die "$d is not owned by root (sshd StrictModes would refuse authorized_keys)"
	(((8#$d_mode & 8#022) == 0)) || die "$d is group/world writable (sshd StrictModes would refuse authorized_keys)"
done < <(stat -L -c '%u %a %n' "${ancestors[@]}")

# ------------------------------------------------------------------- sshd
# sshd_of_host PID succeeds when PID is an sshd with this host's config, as
# this machine's root or an image's sees it.
sshd_of_host() {
	local c
	[[ $(cat "/proc/$1/comm" 2>/dev/null) == sshd ]] || return 1
	c=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
	[[ $c == *" -f $CFG "* || $c == *" -f $IMAGE_CFG "* ]]
}
# Prints the pid of the sshd listener of this host if it runs (in any netns).
our_sshd_pid() {
	local pid
	[[ -s $PIDFILE ]] || return 1
	read -r pid <"$PIDFILE" || return 1
	[[ $pid =~ ^[0-9]+$ ]] && sshd_of_host "$pid" || return 1
	echo "$pid"
}
in_netns() { ip netns identify "$1" 2>/dev/null | grep -qxF "$MCS_NETNS"; }
# in_root PID succeeds when PID runs in the root this host should have.
in_root() { [[ $(readlink "/proc/$1/root" 2>/dev/null) == "${IMAGE:-/}" ]]; }

# TCP check from the operator: connect and read the SSH banner.
sshd_answers() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 3 bash -c 'exec 4<>"/dev/tcp/$0/$1" && IFS= read -r -t 2 line <&4 && [[ $line == SSH-* ]]' \
		"$MCS_ADDRESS" "$MCS_SSH_PORT" 2>/dev/null
}

# Runs inside the host netns + a new mount ns + a new UTS ns, then becomes sshd.
# $1 host dir, $2 hostname, $3 sshd config (as sshd sees it), $4 sshd log
# (likewise), $5 the image ("" for this machine's root).
INNER=$(
	cat <<'EOF'
set -euo pipefail
hostdir=$1 hostname=$2 cfg=$3 sshdlog=$4 root=${5:-}
# This mount ns starts as a copy of the root one: drop its copies of the
# /run/netns/* mounts (they would keep other hosts' network namespaces alive).
if mountpoint -q /run/netns; then umount -l /run/netns; fi
if [[ -n $root ]]; then
  # The image, read-only, with the kernel's file systems and the host's own
  # directories mounted in it.
  mount --bind "$root" "$root"
  mount -o remount,bind,ro "$root"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount --bind "$hostdir" "$root/var/lib/mysql-client-server-host"
fi
# The host's own /run (no /run/systemd, its own /run/sshd).
mount -t tmpfs -o mode=0755,nosuid,nodev,size=64m mcs-run "$root/run"
mkdir -m 0755 "$root/run/sshd" "$root/run/mysqld"
mkdir -m 1777 "$root/run/lock"
bind() {
  [[ -e $root$2 ]] || mkdir -p "$root$2"
  mount --bind "$1" "$root$2"
}
bind "$hostdir/run-mysqld" /run/mysqld
bind "$hostdir/etc-mysql" /etc/mysql
bind "$hostdir/var-lib-mysql" /var/lib/mysql
bind "$hostdir/log-mysql" /var/log/mysql
bind "$hostdir/root-home" /root
bind "$hostdir/tmp" /tmp
if [[ -f $root/etc/hosts ]]; then mount --bind "$hostdir/etc-hosts" "$root/etc/hosts"; fi
echo "$hostname" >/proc/sys/kernel/hostname
run=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
if [[ -n $root ]]; then run=(chroot "$root" "${run[@]}"); fi
"${run[@]}" /usr/sbin/sshd -t -f "$cfg"
exec "${run[@]}" /usr/sbin/sshd -f "$cfg" -E "$sshdlog" </dev/null >/dev/null 2>>"$hostdir/sshd.log"
EOF
)

show_log() {
	if [[ -f $SSHD_LOG ]]; then tail -n 5 "$SSHD_LOG" | sed "s/^/$ME: sshd.log: /" >&2; fi
}

start_sshd() {
	log "starting sshd in $MCS_NETNS on $MCS_ADDRESS:$MCS_SSH_PORT"
	rm -f "$PIDFILE"
	made+=(sshd)
	local cmd=(ip netns exec "$MCS_NETNS" unshare --mount --uts --propagation private --
		/bin/bash -c "$INNER" mcs-host-init "$HOST_DIR" "$MCS_HOSTNAME" "$IN_DIR/ssh/sshd_config" "$IN_DIR/sshd.log" "$IMAGE")
	# fd 3 (our stdout) and fd 9 must not leak into the daemon: callers wait for
	# EOF on stdout. Where systemd runs, start the host in a scope of its own so
	# that it does not belong to the caller's cgroup (a service or session that
	# ends would otherwise take the host's processes with it).
	if [[ -d /run/systemd/system ]] && command -v systemd-run >/dev/null; then
		if systemd-run --scope --quiet --collect \
			--description="mysql-client-server host $MCS_HOSTNAME (netns $MCS_NETNS)" -- \
			"${cmd[@]}" </dev/null 3>&- 9>&-; then
			return 0
		fi
		log "systemd-run --scope failed; starting the host directly"
	fi
	"${cmd[@]}" </dev/null 3>&- 9>&- || {
		show_log
		die "could not start sshd for $MCS_HOSTNAME (see messages above and $SSHD_LOG)"
	}
}

if pid=$(our_sshd_pid); then
	if in_netns "$pid" && in_root "$pid"; then
		if $cfg_changed; then
			log "sshd_config changed; reloading sshd (pid $pid)"
			kill -HUP "$pid"
		else
			log "sshd already running (pid $pid)"
		fi
	else
		log "stale sshd (pid $pid) is not in netns $MCS_NETNS or root ${IMAGE:-/}; stopping it"
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		start_sshd
	fi
else
	# An sshd with our config may still hold the port without a pid file.
	for p in $(ip netns pids "$MCS_NETNS"); do
		if sshd_of_host "$p"; then
			log "stopping orphaned sshd listener (pid $p)"
			kill -TERM "$p" 2>/dev/null || true
		fi
	done
	start_sshd
fi

# ------------------------------------------------------------------- wait
# True while some process in the netns runs sshd with our config (the
# listener, also during a SIGHUP re-exec); false once it has died.
sshd_in_netns() {
	local p
	for p in $(ip netns pids "$MCS_NETNS"); do
		sshd_of_host "$p" && return 0
	done
	return 1
}
deadline=$((SECONDS + WAIT_SECONDS))
until pid=$(our_sshd_pid) && in_netns "$pid" && in_root "$pid" && sshd_answers; do
	if ! sshd_in_netns; then
		show_log
		die "sshd for $MCS_HOSTNAME exited (see $SSHD_LOG)"
	fi
	if ((SECONDS >= deadline)); then
		show_log
		die "sshd for $MCS_HOSTNAME did not accept TCP on $MCS_ADDRESS:$MCS_SSH_PORT within ${WAIT_SECONDS}s"
	fi
	sleep 0.2
done
log "host $MCS_HOSTNAME is up: sshd pid $pid on $MCS_ADDRESS:$MCS_SSH_PORT"
fault host-create:sshd

read -r key_type key_data _ <"$HOSTKEY.pub"
printf '%s %s\n' "$key_type" "$key_data" >&3
