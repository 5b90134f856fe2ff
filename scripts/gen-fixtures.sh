#!/usr/bin/env bash
# gen-fixtures.sh regenerates the real-etcd fixtures under testdata/real/: it builds etcd 3.5, 3.6
# and 3.7 with scripts/build-etcd.sh, then runs every scenario of cluster/scenario against a
# 3-member cluster of each, with pre-vote on and off, plus two runs of 3.6 with --log-format=console.
# Runs are sequential (they are timing-sensitive); each replaces its own directory.
#
#   scripts/gen-fixtures.sh             regenerate everything (about 15 minutes on 2 cores)
#   scripts/gen-fixtures.sh -verify     only re-check the signatures of what is committed
#
# Extra arguments go to every run of the generator (go run ./tools/fixtures -h).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
versions=(3.5.35 3.6.16 3.7.3)
out=testdata/real

for v in "${versions[@]}"; do
	scripts/build-etcd.sh "$v"
done
go build -o .cache/fixtures ./tools/fixtures

status=0
for v in "${versions[@]}"; do
	.cache/fixtures -etcd ".cache/etcd/v$v/etcd" -out "$out" "$@" || status=1
done
.cache/fixtures -etcd .cache/etcd/v3.6.16/etcd -out "$out" -log-format console \
	-scenarios quorum-loss -prevote off "$@" || status=1
.cache/fixtures -etcd .cache/etcd/v3.6.16/etcd -out "$out" -log-format console \
	-scenarios follower-partition -prevote on "$@" || status=1
exit "$status"
