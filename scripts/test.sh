#!/usr/bin/env bash
# test.sh runs every etcdpm test, installing first what the tests need:
# Go modules, a real etcd built from the Go module proxy, and Debian's chromium.
# Under CI=true, tests that need a missing tool fail instead of skipping.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

go mod download

# A real etcd for the cluster tests, built from Go modules (cached in .cache/etcd).
scripts/build-etcd.sh 3.6.16
export ETCDPM_ETCD_BINARY="$PWD/.cache/etcd/v3.6.16/etcd"

# Chromium for the report's browser tests.
if ! command -v chromium >/dev/null 2>&1 && [ -z "${ETCDPM_CHROMIUM:-}" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	else
		echo "test.sh: chromium is missing; install Debian's chromium package (or set ETCDPM_CHROMIUM)" >&2
	fi
fi

go vet ./...
# One package at a time: the cluster, Docker and browser tests run real etcd
# members, containers and Chromium, whose timings should not compete on 2 cores.
go test -count=1 -p 1 -timeout 45m "$@" ./...
