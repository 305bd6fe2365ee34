#!/usr/bin/env bash
# arch-guard.sh: runs on the operator's machine before an EC2 instance is
# created or changed, and refuses an instanceType change across CPU
# architectures (x86_64 and arm64) that keeps the instance's image: EC2
# would stop the instance, refuse the new type for that image, and leave the
# instance stopped. It changes nothing; it only records what it saw.
#
# Env: MCS_INSTANCE (the instance's name), MCS_INSTANCE_TYPE, MCS_ARCH (the
# type's architecture), MCS_AMI (the image given in the stack configuration;
# empty: the image looked up at create, which the instance keeps).
# PULUMI_COMMAND_STDOUT: the previous record, on an update. There is none on
# the first run, which accepts (as for an instance made before this guard).
# Stdout (the record): instanceType=<type> arch=<arch> ami=<given image>
set -euo pipefail
: "${MCS_INSTANCE:?}" "${MCS_INSTANCE_TYPE:?}" "${MCS_ARCH:?}"
ami=${MCS_AMI:-}

log() { printf 'arch-guard: %s\n' "$*" >&2; }
die() {
	printf 'arch-guard: error: %s\n' "$*" >&2
	exit 1
}
record() { printf 'instanceType=%s arch=%s ami=%s\n' "$MCS_INSTANCE_TYPE" "$MCS_ARCH" "$ami"; }

if [ -z "${PULUMI_COMMAND_STDOUT:-}" ]; then
	record
	exit 0
fi
prev_type='' prev_arch='' prev_ami=''
read -r -a fields <<<"$PULUMI_COMMAND_STDOUT"
for field in "${fields[@]}"; do
	case $field in
	instanceType=*) prev_type=${field#*=} ;;
	arch=*) prev_arch=${field#*=} ;;
	ami=*) prev_ami=${field#*=} ;;
	esac
done
if [ -z "$prev_type" ] || [ -z "$prev_arch" ]; then
	die "the previous output is not an arch-guard record: '$PULUMI_COMMAND_STDOUT'"
fi

if [ "$prev_arch" != "$MCS_ARCH" ]; then
	if [ -z "$ami" ] || [ "$ami" = "$prev_ami" ]; then
		die "instanceType: $prev_type -> $MCS_INSTANCE_TYPE changes the architecture of $MCS_INSTANCE from $prev_arch to $MCS_ARCH," \
			"but its image (${prev_ami:-the one looked up at create}) stays, and EC2 would stop the instance, refuse the new type" \
			"for that image and leave it stopped. Nothing was changed. Expected either an instanceType of the $prev_arch" \
			"architecture, or ami set to an image of $MCS_ARCH, which replaces the instance (the server only with" \
			"allowServerDelete, and its data is lost)."
	fi
	log "instanceType: $prev_type -> $MCS_INSTANCE_TYPE ($prev_arch -> $MCS_ARCH) with a new ami, $ami: $MCS_INSTANCE is replaced with that image"
elif [ "$prev_type" != "$MCS_INSTANCE_TYPE" ]; then
	log "instanceType: $prev_type -> $MCS_INSTANCE_TYPE: EC2 stops $MCS_INSTANCE, changes its type and starts it again;" \
		"it is down meanwhile (on the server, MySQL is unavailable), and its public address changes"
fi
record
