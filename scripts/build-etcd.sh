#!/usr/bin/env bash
# build-etcd.sh builds static etcd and etcdctl binaries of one etcd release from the Go module proxy.
#
#   scripts/build-etcd.sh <version> [outdir]      e.g. scripts/build-etcd.sh 3.6.16
#
# The binaries land in <outdir> (default: .cache/etcd/v<version>/ under the repository root) as
# `etcd` and `etcdctl`. Building is skipped when both exist and `etcd --version` reports <version>.
# The build happens in a throw-away module whose main.go calls etcdmain.Main(os.Args) from
# go.etcd.io/etcd/server/v3@v<version>; etcdctl comes from go.etcd.io/etcd/etcdctl/v3@v<version>,
# declared as a `tool` of the same module so both resolve to one consistent dependency graph.
# Environment: GO (default `go`) picks the toolchain; the proxy is whatever `go env GOPROXY` says.
set -euo pipefail

version="${1:?usage: build-etcd.sh <version> [outdir]   e.g. 3.6.16}"
version="${version#v}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
outdir="${2:-$repo_root/.cache/etcd/v$version}"
go="${GO:-go}"

have_version() {
	[[ -x "$outdir/etcd" && -x "$outdir/etcdctl" ]] || return 1
	local out # not piped into grep -q: with pipefail, an early grep exit would fail the pipe
	out="$("$outdir/etcd" --version 2>/dev/null)" || return 1
	grep -qx "etcd Version: $version" <<<"$out"
}

if have_version; then
	echo "build-etcd: etcd $version already in $outdir"
	exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/build-etcd-$version.XXXXXX")"
trap 'rm -rf "$work"' EXIT

cat >"$work/main.go" <<'EOF'
// Command etcd is an unmodified etcd server, built from the Go module proxy by scripts/build-etcd.sh.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF

cd "$work"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod"
"$go" mod init etcdpm.local/build-etcd >/dev/null 2>&1
# Require the server and etcdctl at exactly this release first, so that tidy resolves every
# other dependency against what these two modules' own go.mod files list.
"$go" get "go.etcd.io/etcd/server/v3@v$version"
"$go" get -tool "go.etcd.io/etcd/etcdctl/v3@v$version"
"$go" mod tidy

# The release's own versions must survive tidy (MVS may only raise shared dependencies).
for mod in go.etcd.io/etcd/server/v3 go.etcd.io/etcd/etcdctl/v3 go.etcd.io/etcd/api/v3 go.etcd.io/etcd/client/v3; do
	got="$("$go" list -m -f '{{.Version}}' "$mod")"
	if [[ "$got" != "v$version" ]]; then
		echo "build-etcd: $mod resolved to $got, want v$version" >&2
		exit 1
	fi
done

mkdir -p "$outdir"
"$go" build -trimpath -ldflags='-s -w' -o "$work/etcd" .
"$go" build -trimpath -ldflags='-s -w' -o "$work/etcdctl" go.etcd.io/etcd/etcdctl/v3
mv "$work/etcd" "$work/etcdctl" "$outdir/"
cp go.mod "$outdir/build.go.mod"

if ! have_version; then
	echo "build-etcd: $outdir/etcd --version does not report $version:" >&2
	"$outdir/etcd" --version >&2 || true
	exit 1
fi
"$outdir/etcd" --version
echo "build-etcd: built etcd $version in $outdir"
