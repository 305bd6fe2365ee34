#!/usr/bin/env bash
# pulumi-language-go.sh: installed by pulumi-tools.sh as .tools/bin/pulumi-language-go,
# in front of the Go language host it builds (pulumi-language-go-<version>).
#
# That host (sdk/v3 v3.40.0, the newest served here) reads runtime options
# only from its command line, as the CLIs of its day passed them. The pinned
# CLI sends them over gRPC instead, so without this shim the host ignores
# `runtime.options.binary` in Pulumi.yaml and compiles the program on every
# operation. The shim reads that option from the project file in the working
# directory (the engine starts the host in the project's directory) and passes
# it on as -binary, as the CLIs of v3.40.0's day did.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
host=$(cat "$here/.pulumi-language-go.version" 2>/dev/null || true)
host="$here/pulumi-language-go-$host"
[ -x "$host" ] || {
	echo "pulumi-language-go: $host is missing: run make tools" >&2
	exit 1
}

# project_binary FILE: prints runtime.options.binary from a Pulumi.yaml.
project_binary() {
	awk '
		function indent(s) { match(s, /^ */); return RLENGTH }
		/^[[:space:]]*(#.*)?$/ { next }
		{ i = indent($0) }
		i == 0 { rt = ($0 ~ /^runtime:[[:space:]]*(#.*)?$/); opt = -1; next }
		rt && opt >= 0 && i <= opt { opt = -1 }
		rt && opt < 0 && $1 == "options:" && NF == 1 { opt = i; next }
		rt && opt >= 0 && $1 == "binary:" {
			v = $2; gsub(/^["\047]|["\047]$/, "", v); print v; exit
		}' "$1"
}

args=()
for f in Pulumi.yaml Pulumi.yml; do
	if [ -f "$f" ]; then
		binary=$(project_binary "$f")
		if [ -n "$binary" ]; then args=(-binary "$binary"); fi
		break
	fi
done
exec "$host" "${args[@]}" "$@"
