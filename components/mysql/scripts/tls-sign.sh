#!/usr/bin/env bash
# tls-sign.sh: on the primary, signs a replica's certificate request with the
# stack's CA (whose key never leaves the primary). The certificate names the
# replica's address, whatever the request asks for.
# Env: MCS_CSR (PEM), MCS_CERT_ADDRESS (the replica's private address).
# Stdout: the certificate (PEM).
set -euo pipefail
: "${MCS_CSR:?}" "${MCS_CERT_ADDRESS:?}"

[ -s "$MCS_TLS_DIR/ca-key.pem" ] || die "no CA on this host: the primary's install makes it"
csr=$(mktemp)
trap 'rm -f "$csr"' EXIT
printf '%s\n' "$MCS_CSR" >"$csr"
openssl req -in "$csr" -noout -verify >/dev/null 2>&1 || die "the certificate request is not a valid, self-signed PEM request"
log "signing the server certificate for ${MCS_CERT_ADDRESS}"
issue_server_cert "$csr" "$MCS_CERT_ADDRESS" || die "openssl could not sign the request"
