package report

import (
	"strconv"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
)

// The metrics a capture scraped, under the term chart: fsync and backend
// commit p99, peer RTT p99 (the highest over the member's peers) and the
// heartbeat send failures, a member a line in its colour, on the term
// chart's time axis.

// heartbeatMS is etcd's default heartbeat interval, the line the p99s are
// drawn against.
const heartbeatMS = 100

// metricsSerie is one member's metrics: points ending at T[i] (ms since
// Base), F the WAL fsync p99, C the backend commit p99, R the peer RTT p99
// (ms), H the heartbeat send failures, L 1 when the member led, X 1 when it
// restarted in the interval.
type metricsSerie struct {
	M int       `json:"m"`
	T []int64   `json:"t"`
	F []float64 `json:"f"`
	C []float64 `json:"c"`
	R []float64 `json:"r"`
	H []float64 `json:"h"`
	L []int     `json:"l"`
	X []int     `json:"x"`
}

// chartMetrics fills d.Metrics from res.Metrics; nothing when the capture
// had none.
func chartMetrics(d *chartData, res *analysis.Result, ms *memberSet, off func(time.Time) int64) {
	for _, s := range res.Metrics {
		m := ms.lookup(s.Member, s.Name)
		if m < 0 || m >= maxChartMembers || len(s.Points) == 0 {
			continue
		}
		ps, dropped := evenly(s.Points, maxStatusPoints)
		d.Omitted.Metrics += dropped
		ser := metricsSerie{M: m}
		for _, p := range ps {
			ser.T = append(ser.T, off(p.End))
			ser.F = append(ser.F, msOf(p.WALFsyncP99))
			ser.C = append(ser.C, msOf(p.BackendCommitP99))
			ser.R = append(ser.R, msOf(p.PeerRTTP99))
			ser.H = append(ser.H, p.HeartbeatFailures)
			ser.L = append(ser.L, b2i(p.IsLeader))
			ser.X = append(ser.X, b2i(p.Reset))
		}
		d.Metrics = append(d.Metrics, ser)
	}
	if len(d.Metrics) > 0 {
		d.HeartbeatMS = heartbeatMS
	}
}

// msOf is seconds in milliseconds, to the microsecond.
func msOf(s float64) float64 {
	return float64(int64(s*1e6+0.5)) / 1e3
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// metricsSummary is one member's numbers for the Markdown report.
type metricsSummary struct {
	Member, Fsync, FsyncAt, Commit, RTT, RTTAt, Heartbeats, Restarts string
}

// summarizeMetrics gives, per member with metrics, its highest fsync,
// commit and RTT p99, when, and its heartbeat send failures in all.
func summarizeMetrics(res *analysis.Result, ms *memberSet, n int) (rows []metricsSummary, omitted int) {
	for i, s := range res.Metrics {
		if i == n {
			return rows, len(res.Metrics) - i
		}
		var fsync, commit, rtt, hb float64
		var fsyncAt, rttAt time.Time
		restarts := 0
		for _, p := range s.Points {
			if p.WALFsyncP99 > fsync {
				fsync, fsyncAt = p.WALFsyncP99, p.End
			}
			commit = max(commit, p.BackendCommitP99)
			if p.PeerRTTP99 > rtt {
				rtt, rttAt = p.PeerRTTP99, p.End
			}
			hb += p.HeartbeatFailures
			restarts += b2i(p.Reset)
		}
		name := s.Name
		if m := ms.lookup(s.Member, s.Name); m >= 0 {
			name = ms.list[m].Label
		}
		rows = append(rows, metricsSummary{
			Member: mdText(name, 80), Fsync: fmtP99(fsync), FsyncAt: peakAt(fsyncAt, fsync),
			Commit: fmtP99(commit), RTT: fmtP99(rtt), RTTAt: peakAt(rttAt, rtt),
			Heartbeats: strconv.FormatFloat(hb, 'f', -1, 64), Restarts: strconv.Itoa(restarts),
		})
	}
	return rows, 0
}

// fmtP99 writes a p99 in seconds for reading: "850 ms", "1.2 ms", "–" for none.
func fmtP99(s float64) string {
	switch {
	case s <= 0:
		return "–"
	case s >= 1:
		return strconv.FormatFloat(s, 'f', 2, 64) + " s"
	case s >= 0.01:
		return strconv.FormatFloat(s*1e3, 'f', 0, 64) + " ms"
	default:
		return strconv.FormatFloat(s*1e3, 'f', 2, 64) + " ms"
	}
}

func peakAt(t time.Time, v float64) string {
	if v <= 0 || t.IsZero() {
		return ""
	}
	return t.UTC().Format(clockLayout)
}

// metricsScaffold is the static option of the metrics chart: three grids
// stacked under one another (the p99s of the disk, the peer RTT, the
// heartbeat failures), each with a time axis that report.js sets to the term
// chart's span, one zoom for the three. Constants only, as in charts.go.
func metricsScaffold() map[string]any {
	grid := func(top, height int) map[string]any {
		return map[string]any{"left": gridLeft, "right": gridRight, "top": top, "height": height}
	}
	xAxis := func(i int, labels bool) map[string]any {
		return map[string]any{
			"type": "time", "gridIndex": i, "splitLine": map[string]any{"show": true},
			"axisLabel": map[string]any{"show": labels, "hideOverlap": true},
		}
	}
	yAxis := func(i int, name string, log bool, min float64) map[string]any {
		y := map[string]any{
			"type": "value", "gridIndex": i, "name": name, "nameLocation": "middle", "nameGap": 52,
			"splitLine": map[string]any{"show": true},
		}
		if log {
			y["type"], y["logBase"], y["min"] = "log", 10, min
		} else {
			y["minInterval"] = 1
		}
		return y
	}
	axes := []int{0, 1, 2}
	return map[string]any{
		"animation": false,
		"legend":    map[string]any{"show": true, "type": "scroll", "top": 4, "left": gridLeft, "width": "72%"},
		"tooltip":   map[string]any{"show": true, "trigger": "item", "enterable": false},
		"grid":      []any{grid(40, 150), grid(232, 100), grid(374, 56)},
		"xAxis":     []any{xAxis(0, false), xAxis(1, false), xAxis(2, true)},
		"yAxis":     []any{yAxis(0, "disk p99 (ms)", true, 0.1), yAxis(1, "peer RTT p99 (ms)", true, 0.01), yAxis(2, "heartbeat fails", false, 0)},
		"dataZoom": []any{
			map[string]any{"type": "inside", "filterMode": "none", "xAxisIndex": axes},
			map[string]any{"type": "slider", "filterMode": "none", "xAxisIndex": axes, "show": false},
		},
	}
}
