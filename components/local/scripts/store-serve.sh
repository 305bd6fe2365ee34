#!/usr/bin/env bash
# store-serve.sh: runs the backup store, an S3 gateway (versitygw) over a
# directory of this machine, in the store host's network namespace, on TLS
# with the certificate the stack's CA signed, and makes its bucket. The
# credentials come on stdin and stay in a root-only file: never in argv.
# Running again restarts it with the new certificate or credentials.
# Env: MCS_NETNS, MCS_STORE_DIR, MCS_STORE_ADDRESS, MCS_STORE_PORT,
#   MCS_STORE_BUCKET, MCS_TLS_CERT (PEM), MCS_TLS_CA (PEM), MCS_VERSITYGW
#   (the binary).
# Stdin: the access key, then the secret key, a line each.
set -euo pipefail
# shellcheck disable=SC2034 # lib.sh's log and die read it
readonly ME=store-serve
require_env MCS_NETNS MCS_STORE_DIR MCS_STORE_ADDRESS MCS_STORE_PORT MCS_STORE_BUCKET MCS_TLS_CERT MCS_TLS_CA MCS_VERSITYGW
require_root
valid_port "$MCS_STORE_PORT" || die "MCS_STORE_PORT '$MCS_STORE_PORT' is not a TCP port"
[[ $MCS_STORE_BUCKET =~ ^[a-z0-9][a-z0-9-]{2,62}$ ]] || die "MCS_STORE_BUCKET '$MCS_STORE_BUCKET' is not a bucket name"
[[ -x $MCS_VERSITYGW ]] || die "$MCS_VERSITYGW is not executable: make tools builds versitygw into .tools/bin"
[[ -e /run/netns/$MCS_NETNS ]] || die "netns $MCS_NETNS does not exist (create the store host first)"
IFS= read -r access || true
IFS= read -r secret || true
[[ -n $access && -n $secret ]] || die "no credentials on stdin"
dir=$MCS_STORE_DIR
install -d -m 0700 "$dir/data" "$dir/tls"
(
	umask 077
	printf '%s\n' "$MCS_TLS_CERT" >"$dir/tls/cert.pem"
	printf '%s\n' "$MCS_TLS_CA" >"$dir/tls/ca.pem"
	printf 'ROOT_ACCESS_KEY_ID=%q\nROOT_SECRET_ACCESS_KEY=%q\n' "$access" "$secret" >"$dir/credentials.env"
)
openssl verify -CAfile "$dir/tls/ca.pem" "$dir/tls/cert.pem" >/dev/null || die "the store's certificate is not signed by the stack's CA"

stop_store "$dir"
(
	set -a
	# shellcheck source=/dev/null
	. "$dir/credentials.env"
	set +a
	exec ip netns exec "$MCS_NETNS" setsid -f "$MCS_VERSITYGW" --port "$MCS_STORE_ADDRESS:$MCS_STORE_PORT" \
		--cert "$dir/tls/cert.pem" --key "$dir/tls/key.pem" --quiet posix "$dir/data" \
		</dev/null >>"$dir/versitygw.log" 2>&1
)
# The gateway's pid: the process in the namespace that serves this dir.
for i in $(seq 100); do
	pid=$(pgrep -f -x -- "$MCS_VERSITYGW --port $MCS_STORE_ADDRESS:$MCS_STORE_PORT .*posix $dir/data" || true)
	if [[ -n $pid ]] && ip netns exec "$MCS_NETNS" bash -c "exec 3<>/dev/tcp/$MCS_STORE_ADDRESS/$MCS_STORE_PORT" 2>/dev/null; then break; fi
	((i < 100)) || die "versitygw did not listen on $MCS_STORE_ADDRESS:$MCS_STORE_PORT: $(tail -n 3 "$dir/versitygw.log")"
	sleep 0.1
done
printf '%s\n' "$pid" >"$dir/versitygw.pid"
# The bucket, through the S3 API (a directory made by hand has no bucket
# metadata), from inside the namespace: the store's port is the server's only.
(
	set -a
	# shellcheck source=/dev/null
	. "$dir/credentials.env"
	set +a
	unset AWS_CA_BUNDLE
	export RCLONE_CONFIG=/dev/null RCLONE_CONFIG_S_TYPE=s3 RCLONE_CONFIG_S_PROVIDER=Other \
		RCLONE_CONFIG_S_ENDPOINT="https://$MCS_STORE_ADDRESS:$MCS_STORE_PORT" RCLONE_CONFIG_S_FORCE_PATH_STYLE=true \
		RCLONE_CONFIG_S_ACCESS_KEY_ID="$ROOT_ACCESS_KEY_ID" RCLONE_CONFIG_S_SECRET_ACCESS_KEY="$ROOT_SECRET_ACCESS_KEY"
	ip netns exec "$MCS_NETNS" rclone --ca-cert "$dir/tls/ca.pem" -q mkdir "s:$MCS_STORE_BUCKET"
) || die "the store did not make its bucket $MCS_STORE_BUCKET: $(tail -n 3 "$dir/versitygw.log")"
log "backup store on https://$MCS_STORE_ADDRESS:$MCS_STORE_PORT, bucket $MCS_STORE_BUCKET, data in $dir/data"
