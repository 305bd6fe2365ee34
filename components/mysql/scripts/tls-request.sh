#!/usr/bin/env bash
# tls-request.sh: on a replica, makes the server's TLS key once (it never
# leaves the host) and prints a certificate request for it. The primary's CA
# signs it (tls-sign.sh) and server-install.sh installs the certificate.
# Env: MCS_CERT_ADDRESS (the replica's private address).
# Stdout: the certificate request (PEM).
set -euo pipefail
: "${MCS_CERT_ADDRESS:?}"

command -v openssl >/dev/null 2>&1 || apt_install openssl
install -d -m 0750 "$MCS_TLS_DIR"
key=$MCS_TLS_DIR/server-key.pem
if [ ! -s "$key" ]; then
	log "making the server key"
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$key.new" 2>/dev/null)
	mv "$key.new" "$key"
fi
# The request is made once per key and address and kept: a request's
# signature differs each time it is made, and a new one would be signed (and
# the server's TLS reloaded) again for nothing.
csr=$MCS_TLS_DIR/server.csr
if [ ! -s "$csr" ] ||
	[ "$(openssl req -in "$csr" -noout -pubkey 2>/dev/null)" != "$(openssl pkey -in "$key" -pubout)" ] ||
	[ "$(openssl req -in "$csr" -noout -subject 2>/dev/null)" != "subject=CN = ${MCS_CERT_ADDRESS}" ]; then
	openssl req -new -key "$key" -subj "/CN=${MCS_CERT_ADDRESS}" -out "$csr.new"
	mv "$csr.new" "$csr"
fi
fault_point tls-request:made
cat "$csr"
