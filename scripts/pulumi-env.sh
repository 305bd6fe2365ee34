#!/usr/bin/env bash
# pulumi-env.sh: sourced by the Makefile. It keeps `make up` a thin wrapper
# over pulumi: a project-local state backend when the user has none, the
# stack created once, the stack's secrets set once, and the SSH key saved for
# `make ssh` and `make client`.
set -euo pipefail

state_dir="$(pwd)/.pulumi-state"

# Use the user's backend when they are logged in; else a local file backend
# with a passphrase generated once (mode 0600) for the stack's secrets. Once
# that backend holds stacks, it stays the project's backend (a later login
# must not hide the stacks deployed here); PULUMI_BACKEND_URL overrides it.
if [ -z "${PULUMI_BACKEND_URL:-}" ] && { [ -d "$state_dir/.pulumi" ] || ! pulumi whoami >/dev/null 2>&1; }; then
	mkdir -p "$state_dir"
	chmod 0700 "$state_dir"
	export PULUMI_BACKEND_URL="file://$state_dir"
	if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
		if [ ! -s "$state_dir/passphrase" ]; then
			(umask 077 && head -c 32 /dev/urandom | base64 >"$state_dir/passphrase")
		fi
		export PULUMI_CONFIG_PASSPHRASE_FILE="$state_dir/passphrase"
	fi
fi

# ensure_stack STACK: selects the stack, creating it once, and sets the
# account password as a secret when it is not set yet.
ensure_stack() {
	local stack=$1
	# One CLI call when the stack is ready (each costs about 0.2 s).
	if [ -n "$(pulumi config get --stack "$stack" password 2>/dev/null || true)" ]; then
		return 0
	fi
	pulumi stack select "$stack" >/dev/null 2>&1 || pulumi stack init "$stack" >/dev/null
	if [ -z "$(pulumi config get --stack "$stack" password 2>/dev/null || true)" ]; then
		# The password reaches pulumi on stdin, not in argv.
		LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32 |
			pulumi config set --stack "$stack" --secret password >/dev/null
		echo "set a generated secret: password (see it with: pulumi config get password)"
	fi
}

# save_key STACK FILE: writes the stack's SSH private key to FILE, mode 0600.
save_key() {
	(umask 077 && pulumi stack output --stack "$1" privateKey --show-secrets >"$2")
}

# keep_backups STACK: before a destroy that keeps the backups, what a later
# up needs to restore them (restoreFrom) goes from the state into the
# stack's config: the generated passphrase, as a secret (on stdin, never in
# argv), and on AWS the kept bucket (backupBucket), which the next up
# adopts. What the config already sets stays as it is.
keep_backups() {
	local stack=$1 passphrase bucket
	[ "$(pulumi config get --stack "$stack" backupKeepOnDestroy 2>/dev/null || true)" != false ] || return 0
	if [ -z "$(pulumi config get --stack "$stack" backupPassphrase 2>/dev/null || true)" ]; then
		passphrase=$(pulumi stack output --stack "$stack" --show-secrets backupPassphrase 2>/dev/null || true)
		if [ -n "$passphrase" ]; then
			printf '%s' "$passphrase" | pulumi config set --stack "$stack" --secret backupPassphrase >/dev/null
			echo "kept the backups' passphrase in the stack's config (backupPassphrase, a secret): restoreFrom reads the backups with it"
		fi
	fi
	bucket=$(pulumi stack export --stack "$stack" 2>/dev/null |
		jq -r '[.deployment.resources[]? | select(.type == "aws:s3/bucketV2:BucketV2") | .outputs.bucket][0] // empty')
	if [ -n "$bucket" ] && [ -z "$(pulumi config get --stack "$stack" backupBucket 2>/dev/null || true)" ]; then
		pulumi config set --stack "$stack" backupBucket "$bucket"
		echo "kept the backup bucket's name in the stack's config (backupBucket: $bucket): the next up adopts it"
	fi
}

# backup_script STACK KEY ENV SCRIPT [ARG]: runs one of the backup scripts
# the server has in force, as root (sudo -n where the login is not root),
# with ENV ("NAME='value' ...") and ARG, quoted. BACKUP_HOST, when set,
# runs it on that host instead (the restore host).
backup_script() {
	local stack=$1 key=$2 env=$3 script=$4 arg=
	[ -z "${5:-}" ] || arg=" '$5'"
	save_key "$stack" "$key" && ssh_to "$stack" "$key" "${BACKUP_HOST:-mysql_server}" \
		"s=; [ \$(id -u) -eq 0 ] || s='sudo -n'; \$s env $env bash /etc/mysql/mysql-client-server-backup/scripts/$script$arg"
}

# restore_on_host STACK KEY AT STOP: make restore. It restores AT onto the
# restore host, mysql_restore, which may read the backups and write none.
# When the stack has none, restoreHost is set and an up adds it; that up
# runs only when the stack has no other change pending, so it adds the
# host and nothing else. A run that added the host removes it again (its
# restoreHost as before, and an up) when STOP=yes or when it failed. For a
# point in time, the server archives its binary logs first, where it
# answers.
restore_on_host() {
	local stack=$1 key=$2 at=$3 stop=$4 outputs made=no before rc=0
	outputs=$(pulumi stack output --stack "$stack" --json) || return
	if ! jq -e '.sshCommands.mysql_server' <<<"$outputs" >/dev/null; then
		echo "make restore: stack $stack has no server: make up first (or restoreFrom, to fill a new one)" >&2
		return 1
	fi
	if ! jq -e '.sshCommands.mysql_restore' <<<"$outputs" >/dev/null; then
		pulumi preview --expect-no-changes --stack "$stack" >/dev/null 2>&1 || {
			echo "make restore: stack $stack has changes pending (pulumi preview shows them): make up first, so that adding the restore host changes nothing else" >&2
			return 1
		}
		echo "adding the restore host mysql_restore (pulumi config set restoreHost true, then pulumi up)"
		before=$(pulumi config get --stack "$stack" restoreHost 2>/dev/null || true)
		made=yes
		pulumi config set --stack "$stack" restoreHost true && pulumi up --yes --skip-preview --stack "$stack" || rc=$?
	fi
	if [ "$rc" = 0 ] && [[ $at == time=* || $at == gtid=* ]]; then
		echo "archiving the server's binary logs first"
		backup_script "$stack" "$key" "" backup-binlogs.sh >/dev/null ||
			echo "warning: the server did not archive its binary logs: the restore has what the store holds" >&2
	fi
	if [ "$rc" = 0 ]; then
		BACKUP_HOST=mysql_restore backup_script "$stack" "$key" "MCS_RESTORE_STOP='$stop'" backup-restore.sh "$at" || rc=$?
	fi
	if [ "$made" = yes ] && { [ "$stop" = yes ] || [ "$rc" != 0 ]; }; then
		remove_restore_host "$stack" "$before" || return
	elif [ "$stop" != yes ]; then
		echo "the restore host stays; remove it with: pulumi config rm restoreHost && make up"
	fi
	return "$rc"
}

# remove_restore_host STACK BEFORE: puts restoreHost back as it was
# (BEFORE; empty: unset) and runs an up, which removes the restore host.
remove_restore_host() {
	local stack=$1 before=$2 out
	echo "removing the restore host again (restoreHost back to ${before:-unset}, then pulumi up)"
	if [ -n "$before" ]; then
		pulumi config set --stack "$stack" restoreHost "$before"
	else
		pulumi config rm --stack "$stack" restoreHost
	fi || return
	out=$(pulumi up --yes --skip-preview --stack "$stack" 2>&1) || {
		printf '%s\n' "$out" >&2
		return 1
	}
}

# restore_in_place STACK KEY AT: restores the stack's server itself to AT
# (make restore-in-place). The replicas go first (replicas 0, pulumi up),
# since their data is the server's old one, and come back afterwards,
# seeded again from the restored server, also when the restore failed.
restore_in_place() {
	local stack=$1 key=$2 at=$3 replicas rc=0
	replicas=$(pulumi config get --stack "$stack" replicas 2>/dev/null || true)
	if [ -n "$replicas" ] && [ "$replicas" != 0 ]; then
		echo "removing the $replicas replica(s) first: they are seeded again from the restored server"
		pulumi config set --stack "$stack" replicas 0 && pulumi up --yes --skip-preview --stack "$stack" || return
	fi
	backup_script "$stack" "$key" "MCS_RESTORE_IN_PLACE=yes MCS_RESTORE_TARGET='$at'" backup-restore-server.sh || rc=$?
	if [ -n "$replicas" ] && [ "$replicas" != 0 ]; then
		echo "seeding the $replicas replica(s) again from the server"
		pulumi config set --stack "$stack" replicas "$replicas" && pulumi up --yes --skip-preview --stack "$stack" || return
	fi
	return "$rc"
}

# ssh_to STACK KEY HOST [command...]: runs SSH to a host of the stack. The
# host key is pinned where the stack knows it (the local platform's
# hostKeys output); elsewhere it is trusted on first use and kept in
# .pulumi-known-hosts. A terminal gets a TTY; a pipe gets none, so
# `echo 'SELECT 1;' | make client` works.
ssh_to() {
	local stack=$1 key=$2 name=$3
	shift 3
	local outputs target hostkey known="" port addr tty=-T rc=0
	outputs=$(pulumi stack output --stack "$stack" --json)
	# sshCommands[HOST] is "ssh -i KEY -p PORT USER@ADDRESS".
	target=$(jq -r --arg h "$name" '.sshCommands[$h] // empty' <<<"$outputs")
	if [ -z "$target" ]; then
		echo "no host named $name in stack $stack: expected one of: $(jq -r '.sshCommands | keys | join(", ")' <<<"$outputs")" >&2
		return 1
	fi
	read -r _ _ _ _ port target <<<"$target"
	addr=${target#*@}
	hostkey=$(jq -r --arg h "$name" '.hostKeys[$h] // empty' <<<"$outputs")
	local opts=(-i "$key" -p "$port" -o LogLevel=ERROR)
	if [ -n "$hostkey" ]; then
		known=$(mktemp)
		if [ "$port" = 22 ]; then
			echo "$addr $hostkey" >"$known"
		else
			echo "[$addr]:$port $hostkey" >"$known"
		fi
		opts+=(-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$known")
	else
		opts+=(-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="$(pwd)/.pulumi-known-hosts")
	fi
	if [ -t 0 ]; then
		tty=-t
	fi
	# shellcheck disable=SC2029 # the command is meant to run on the host
	ssh "$tty" "${opts[@]}" "$target" "$@" || rc=$?
	[ -z "$known" ] || rm -f "$known"
	return "$rc"
}
