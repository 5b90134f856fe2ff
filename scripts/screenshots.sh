#!/bin/sh
# screenshots.sh renders, from the current code, the HTML reports of four
# incidents and saves the first screen of each (1400x900, headless Chromium)
# as docs/report-*.png:
#
#   demo       the demo's own logs (testdata/shared/seed/etcd-demo-compose-logs.txt)
#   quorum     a real etcd 3.6.16 quorum loss (testdata/real/3.6.16-quorum-loss-prevote-off)
#   capture    a capture of the compose recipe (capture/testdata/recipe-prevote-off:
#              logs, status polls and Docker events)
#   storm      a long storm: 26 minutes of a 5-member cluster's logs with a quorum
#              loss of 254 campaigns, made by tools/genlogs (20 MiB, seed 1)
#
#   slow-disk  a real slow-disk reproduction (testdata/slow/slow-disk), 1400x2600: the
#              page down to the metrics chart (WAL fsync p99 above the heartbeat interval)
#
# and docs/report-metrics.png, the charts of a capture with metrics
# (testdata/metrics/leader-pause), scrolled to the term chart and the
# metrics chart under it: headless Chromium's --screenshot cannot scroll, so
# report's TestBrowserMetrics shoots it (chromedp) and -update keeps it.
#
# Usage: scripts/screenshots.sh [OUTDIR]   (default docs/; the HTML reports stay in a
# temporary directory, kept with KEEP=1). Needs Go and Chromium ($ETCDPM_CHROMIUM,
# else chromium or chromium-browser on PATH).
set -eu

cd "$(dirname "$0")/.."
out=${1:-docs}
browser=${ETCDPM_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$browser" ]; then
	echo "screenshots.sh: no chromium: apt-get install chromium, or set ETCDPM_CHROMIUM" >&2
	exit 1
fi
tmp=$(mktemp -d)
if [ "${KEEP:-}" = 1 ]; then
	echo "reports kept in $tmp"
else
	trap 'rm -rf "$tmp"' EXIT
fi
mkdir -p "$out"

go build -o "$tmp/etcdpm" ./cmd/etcdpm
go build -o "$tmp/genlogs" ./tools/genlogs
"$tmp/genlogs" --format zap-json --size 20MiB --members 5 --seed 1 -o "$tmp/storm.log" >/dev/null

shot() { # name input...  (HEIGHT: the window's height, default 900)
	name=$1
	shift
	"$tmp/etcdpm" analyze -o "$tmp/report-$name.html" "$@" 2>/dev/null || {
		rc=$?
		# analyze exits non-zero on a critical verdict; the report is written anyway.
		[ -s "$tmp/report-$name.html" ] || { echo "screenshots.sh: analyze $* failed ($rc)" >&2; exit 1; }
	}
	# The page draws its charts on load; give it time, then shoot.
	"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--window-size=1400,${HEIGHT:-900} --virtual-time-budget=10000 \
		--screenshot="$tmp/report-$name.png" "file://$tmp/report-$name.html" >/dev/null 2>&1
	cp "$tmp/report-$name.png" "$out/report-$name.png"
	echo "$out/report-$name.png ($(wc -c <"$tmp/report-$name.html") bytes of HTML)"
}

shot demo testdata/shared/seed/etcd-demo-compose-logs.txt
shot quorum testdata/real/3.6.16-quorum-loss-prevote-off
shot capture capture/testdata/recipe-prevote-off
shot storm "$tmp/storm.log"
# A real slow disk (testdata/slow/slow-disk: the leader's writes throttled), the whole page down
# to the metrics chart under the term chart.
HEIGHT=2600 shot slow-disk testdata/slow/slow-disk
ETCDPM_CHROMIUM=$browser CI=true go test -count=1 ./report -run '^TestBrowserMetrics$' -update >/dev/null
[ "$out" = docs ] || cp docs/report-metrics.png "$out/report-metrics.png"
echo "$out/report-metrics.png"
