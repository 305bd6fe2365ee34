#!/usr/bin/env bash
# store-tls.sh: the backup store's TLS key, made once in its directory on
# this machine (it never leaves it), and a certificate request for the
# store's address, which the stack's CA signs.
# Env: MCS_STORE_DIR, MCS_STORE_ADDRESS.
# Stdout: the certificate request (PEM).
set -euo pipefail
# shellcheck disable=SC2034 # lib.sh's log and die read it
readonly ME=store-tls
require_env MCS_STORE_DIR MCS_STORE_ADDRESS
require_root
valid_ip4 "$MCS_STORE_ADDRESS" || die "MCS_STORE_ADDRESS '$MCS_STORE_ADDRESS' is not an IPv4 address"
valid_host_dir "$MCS_STORE_DIR" || die "MCS_STORE_DIR '$MCS_STORE_DIR' must be a normalised absolute path at least three levels deep"
install -d -m 0700 "$MCS_STORE_DIR" "$MCS_STORE_DIR/tls"
key=$MCS_STORE_DIR/tls/key.pem
if [[ ! -s $key ]]; then
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$key.new" 2>/dev/null)
	mv "$key.new" "$key"
fi
csr=$MCS_STORE_DIR/tls/request.pem
if [[ ! -s $csr ]] || [[ $(openssl req -in "$csr" -noout -subject 2>/dev/null) != "subject=CN = $MCS_STORE_ADDRESS" ]] ||
	[[ $(openssl req -in "$csr" -noout -pubkey 2>/dev/null) != "$(openssl pkey -in "$key" -pubout)" ]]; then
	openssl req -new -key "$key" -subj "/CN=$MCS_STORE_ADDRESS" -out "$csr.new"
	mv "$csr.new" "$csr"
fi
cat "$csr"
