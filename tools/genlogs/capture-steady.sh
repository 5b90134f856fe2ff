#!/usr/bin/env bash
# capture-steady.sh records what a real etcd cluster prints in steady state under load, for
# genlogs' normal-traffic templates (testdata/steady-<version>/). The election fixtures under
# testdata/real/ hold few such lines: they are short runs without traffic.
#
#   tools/genlogs/capture-steady.sh [version] [seconds]     default: 3.6.16, 60
#
# Three members on 127.0.0.1 (zap JSON, heartbeat 100 ms, election 1000 ms, as in testdata/real/),
# with warning thresholds lowered so that ordinary requests are logged as etcd logs slow ones
# (--warning-apply-duration, --warning-unary-request-duration), periodic compaction every 10 s and
# a snapshot every 500 entries. Load: four etcdctl loops of Kubernetes-like requests under
# /registry/ (guarded txn updates, creates, lists, counts, leases, deletes). Then SIGTERM,
# followers first. The lines are kept as printed (genlogs rewrites the temporary data dir).
set -euo pipefail

version="${1:-3.6.16}"
seconds="${2:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$root/.cache/etcd/v$version"
"$root/scripts/build-etcd.sh" "$version" >/dev/null
out="$root/tools/genlogs/testdata/steady-$version"
work="$(mktemp -d /tmp/etcdpm-steady-XXXXXX)"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

base=$((20000 + RANDOM % 20000))
cluster=""
for i in 1 2 3; do
	cluster+="${cluster:+,}n$i=http://127.0.0.1:$((base + i * 10 + 1))"
done
endpoints=""
for i in 1 2 3; do
	endpoints+="${endpoints:+,}http://127.0.0.1:$((base + i * 10))"
done
mkdir -p "$out"
for i in 1 2 3; do
	"$bin/etcd" --name="n$i" --data-dir="$work/n$i.etcd" \
		--listen-client-urls="http://127.0.0.1:$((base + i * 10))" \
		--advertise-client-urls="http://127.0.0.1:$((base + i * 10))" \
		--listen-peer-urls="http://127.0.0.1:$((base + i * 10 + 1))" \
		--initial-advertise-peer-urls="http://127.0.0.1:$((base + i * 10 + 1))" \
		--initial-cluster="$cluster" --initial-cluster-state=new --initial-cluster-token=etcdpm \
		--heartbeat-interval=100 --election-timeout=1000 --pre-vote=true --logger=zap \
		--warning-apply-duration=2ms --warning-unary-request-duration=5ms \
		--auto-compaction-mode=periodic --auto-compaction-retention=10s \
		--snapshot-count=500 >"$out/n$i.log" 2>&1 &
	pids+=($!)
done
ctl() { "$bin/etcdctl" --endpoints="$endpoints" "$@"; }
for _ in $(seq 100); do ctl endpoint health >/dev/null 2>&1 && break; sleep 0.1; done

end=$((SECONDS + seconds))
value="$(head -c 900 /dev/zero | tr '\0' x)"
worker() { # Kubernetes-like traffic: guarded updates (txn), creates, lists, leases, deletes
	local w=$1 n=0 ns key lease rev
	local nss=(default kube-system monitoring ingress-nginx)
	while ((SECONDS < end)); do
		n=$((n + 1))
		ns="${nss[$(((n + w) % 4))]}"
		key="/registry/pods/$ns/web-$(((n * 7 + w) % 40))-7d9f8c6b5-q$w"
		rev="$(ctl get "$key" -w fields 2>/dev/null | awk '/"ModRevision"/ {print $3}')" || true
		if [[ -n "$rev" ]]; then
			printf 'mod("%s") = "%s"\n\nput %s %s\n\nget %s\n\n' "$key" "$rev" "$key" "$value" "$key" | ctl txn >/dev/null 2>&1 || true
		else
			ctl put "$key" "$value" >/dev/null 2>&1 || true
		fi
		case $((n % 6)) in
		0) ctl get --prefix "/registry/pods/$ns/" --limit=500 >/dev/null 2>&1 || true ;;
		1) ctl put "/registry/events/$ns/web.$w.$n" "$value" >/dev/null 2>&1 || true ;;
		2) lease="$(ctl lease grant 5 2>/dev/null | awk '{print $2}')" || true
		   ctl put --lease="${lease:-0}" "/registry/leases/kube-node-lease/node-$w" "$value" >/dev/null 2>&1 || true ;;
		3) ctl get --prefix /registry/events/ --keys-only --limit=1000 >/dev/null 2>&1 || true ;;
		4) ctl get --prefix /registry/ --count-only >/dev/null 2>&1 || true ;;
		5) ctl del --prefix "/registry/events/$ns/web.$w." >/dev/null 2>&1 || true ;;
		esac
	done
}
workers=()
for w in 1 2 3 4; do
	worker "$w" &
	workers+=($!)
done
wait "${workers[@]}" || true
for i in 2 3 1; do
	kill -TERM "${pids[$((i - 1))]}" 2>/dev/null || true
	wait "${pids[$((i - 1))]}" 2>/dev/null || true
done
pids=()
ids="{"
for i in 1 2 3; do
	id="$(grep -o '"local-member-id":"[0-9a-f]*"' "$out/n$i.log" | head -1 | cut -d'"' -f4)"
	ids+="\"n$i\":\"$id\"$([[ $i == 3 ]] || echo ,)"
done
echo "$ids}" >"$out/ids.json"
wc -l "$out"/n*.log
