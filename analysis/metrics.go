package analysis

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/parser"
)

// MetricsSeries is a capture's scraped metrics of one member (metrics.jsonl),
// an input of Analyze through Options.Metrics.
type MetricsSeries = capdir.MetricsSeries

// MemberMetrics is what the report draws of a member's scraped metrics: a
// point per interval between two scrapes, at most maxMetricsPoints of them
// (consecutive intervals merged, keeping their peaks).
type MemberMetrics struct {
	Member parser.ID      `json:"member"`
	Name   string         `json:"name"`
	Points []MetricsPoint `json:"points"`
	// Merged is how many intervals each point stands for at most (1 when
	// none was merged).
	Merged int `json:"merged,omitempty"`
}

// MetricsPoint is one interval of a member's metrics, or several merged: the
// highest p99s, the sum of the heartbeat send failures.
type MetricsPoint struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// WALFsyncP99 and BackendCommitP99 are in seconds; 0 without observations.
	WALFsyncP99      float64 `json:"wal_fsync_p99_seconds"`
	BackendCommitP99 float64 `json:"backend_commit_p99_seconds"`
	// PeerRTTP99 is the highest p99 over the member's peers, PeerRTTTo that peer (hex).
	PeerRTTP99 float64 `json:"peer_rtt_p99_seconds"`
	PeerRTTTo  string  `json:"peer_rtt_to,omitempty"`
	// HeartbeatFailures counts etcd_server_heartbeat_send_failures_total's increase.
	HeartbeatFailures float64 `json:"heartbeat_send_failures"`
	IsLeader          bool    `json:"is_leader,omitempty"`
	// Reset says the member restarted within the point's span.
	Reset bool `json:"reset,omitempty"`
}

// maxMetricsPoints bounds the points of one member in Result.Metrics.
const maxMetricsPoints = 2000

// heartbeatInterval is etcd's default --heartbeat-interval: a leader whose
// disk syncs take longer cannot send its heartbeats on time.
const heartbeatInterval = 100 * time.Millisecond

// metricsResult is Result.Metrics: each series' intervals as points, bounded.
func metricsResult(series []MetricsSeries) []MemberMetrics {
	var out []MemberMetrics
	for _, s := range series {
		if len(s.Intervals) == 0 {
			continue
		}
		per := (len(s.Intervals) + maxMetricsPoints - 1) / maxMetricsPoints
		mm := MemberMetrics{Member: s.Member, Name: s.Name, Points: make([]MetricsPoint, 0, (len(s.Intervals)+per-1)/per)}
		if per > 1 {
			mm.Merged = per
		}
		for ivs := range slices.Chunk(s.Intervals, per) {
			p := MetricsPoint{Start: ivs[0].Start, End: ivs[len(ivs)-1].End}
			for _, iv := range ivs {
				p.WALFsyncP99 = max(p.WALFsyncP99, iv.WALFsync.P99)
				p.BackendCommitP99 = max(p.BackendCommitP99, iv.BackendCommit.P99)
				if to, rtt := peakRTT(iv); rtt > p.PeerRTTP99 {
					p.PeerRTTP99, p.PeerRTTTo = rtt, to
				}
				p.HeartbeatFailures += iv.HeartbeatSendFailures
				p.IsLeader = p.IsLeader || iv.IsLeader
				p.Reset = p.Reset || iv.Reset
			}
			mm.Points = append(mm.Points, p)
		}
		out = append(out, mm)
	}
	return out
}

// peakRTT is the peer with the highest RTT p99 in the interval, the first by
// ID among equals.
func peakRTT(iv capdir.MetricsInterval) (string, float64) {
	var to string
	var rtt float64
	for _, peer := range slices.Sorted(maps.Keys(iv.PeerRTT)) {
		if l := iv.PeerRTT[peer]; l.P99 > rtt {
			to, rtt = peer, l.P99
		}
	}
	return to, rtt
}

// metricsGap is how far apart two slow intervals of a member may be and
// still make one episode.
const metricsGap = 5 * time.Second

// slowMetrics is an episode of a leader's metrics past the heartbeat
// interval: its disk syncs, its heartbeats sent late, its peers' RTT.
type slowMetrics struct {
	series     *MetricsSeries
	start, end time.Time
	// The peaks, and when each was reached (the interval's end).
	fsync, commit, rtt       float64
	fsyncAt, commitAt, rttAt time.Time
	rttTo                    string
	heartbeatFailures        float64
	intervals                int
}

// slowFromMetrics finds the leaders' slow episodes in the metrics: an
// interval in which the member led (etcd_server_is_leader at its end) and its
// WAL fsync or backend commit p99, or its peer RTT p99, exceeded the
// heartbeat interval, or it failed to send heartbeats on time.
func slowFromMetrics(series []MetricsSeries) []*slowMetrics {
	var eps []*slowMetrics
	limit := heartbeatInterval.Seconds()
	for i := range series {
		s := &series[i]
		var cur *slowMetrics
		for _, iv := range s.Intervals {
			to, rtt := peakRTT(iv)
			if !iv.IsLeader || (iv.WALFsync.P99 <= limit && iv.BackendCommit.P99 <= limit && rtt <= limit && iv.HeartbeatSendFailures <= 0) {
				continue
			}
			if cur == nil || iv.Start.Sub(cur.end) > metricsGap {
				cur = &slowMetrics{series: s, start: iv.Start}
				eps = append(eps, cur)
			}
			cur.end = iv.End
			cur.intervals++
			cur.heartbeatFailures += iv.HeartbeatSendFailures
			if iv.WALFsync.P99 > cur.fsync {
				cur.fsync, cur.fsyncAt = iv.WALFsync.P99, iv.End
			}
			if iv.BackendCommit.P99 > cur.commit {
				cur.commit, cur.commitAt = iv.BackendCommit.P99, iv.End
			}
			if rtt > cur.rtt {
				cur.rtt, cur.rttAt, cur.rttTo = rtt, iv.End, to
			}
		}
	}
	return eps
}

// disk reports whether the episode's disk syncs were past the heartbeat interval.
func (e *slowMetrics) disk() bool {
	l := heartbeatInterval.Seconds()
	return e.fsync > l || e.commit > l
}

// sentences says what the metrics showed, with the numbers: "etcd1's WAL
// fsync p99 reached 850 ms at 10:02:03, above the 100 ms heartbeat interval".
func (e *slowMetrics) sentences(f *facts, name string, peer func(string) string, faulted func(string) bool) string {
	l := heartbeatInterval.Seconds()
	hb := dur(heartbeatInterval) + " heartbeat interval"
	var ss []string
	if e.fsync > l {
		ss = append(ss, fmt.Sprintf("%s's WAL fsync p99 reached %s at %s, above the %s (a slow disk)", name, secs(e.fsync), f.at(e.fsyncAt), hb))
	}
	if e.commit > l {
		ss = append(ss, fmt.Sprintf("%s's backend commit p99 reached %s at %s, above the %s", name, secs(e.commit), f.at(e.commitAt), hb))
	}
	if e.heartbeatFailures > 0 {
		n := int(e.heartbeatFailures)
		ss = append(ss, fmt.Sprintf("%s failed to send %s on time (etcd_server_heartbeat_send_failures_total)", name, plural(n, "heartbeat", "heartbeats")))
	}
	if e.rtt > l {
		to := peer(e.rttTo)
		s := fmt.Sprintf("the peer round-trip time p99 from %s to %s reached %s at %s, above the %s", name, to, secs(e.rtt), f.at(e.rttAt), hb)
		switch {
		case faulted(to):
			s += ", while the capture's fault held " + to
		case !e.disk():
			s += ": the network, not the disk, delayed its heartbeats"
		}
		ss = append(ss, s)
	}
	if len(ss) == 0 {
		return ""
	}
	return "Metrics: " + list(ss) + "."
}

// evidence names the metrics behind the episode, one line each.
func (e *slowMetrics) evidence(f *facts) []Evidence {
	var ev []Evidence
	add := func(metric string, v float64, at time.Time) {
		ev = append(ev, Evidence{Input: capdir.MetricsFile, Member: e.series.Member,
			Text: fmt.Sprintf("%s %s %s p99 %s at %s (leader)", e.series.Name, e.series.Endpoint, metric, secs(v), f.at(at))})
	}
	l := heartbeatInterval.Seconds()
	if e.fsync > l {
		add("etcd_disk_wal_fsync_duration_seconds", e.fsync, e.fsyncAt)
	}
	if e.commit > l {
		add("etcd_disk_backend_commit_duration_seconds", e.commit, e.commitAt)
	}
	if e.rtt > l {
		add("etcd_network_peer_round_trip_time_seconds{To=\""+e.rttTo+"\"}", e.rtt, e.rttAt)
	}
	if e.heartbeatFailures > 0 {
		ev = append(ev, Evidence{Input: capdir.MetricsFile, Member: e.series.Member,
			Text: fmt.Sprintf("%s %s etcd_server_heartbeat_send_failures_total rose by %d from %s to %s (leader)",
				e.series.Name, e.series.Endpoint, int(e.heartbeatFailures), f.at(e.start), f.at(e.end))})
	}
	return ev
}

// secs writes seconds as dur does: "850ms", "1.2s".
func secs(s float64) string { return dur(time.Duration(s * float64(time.Second))) }

// metricsFindings strengthens the slow-leader findings from the logs with
// the metrics of the same member and time, and raises one for each leader's
// slow episode the logs did not show.
func (a *Analyzer) metricsFindings(f *facts, fs []Finding) []Finding {
	peer := func(hex string) string {
		if id, ok := parser.ParseID(hex); ok {
			return a.metricsLabel(id)
		}
		return hex
	}
	n := len(fs)
	for _, e := range slowFromMetrics(a.opts.Metrics) {
		ix := a.metricsMember(e.series)
		name := e.series.Name
		if ix >= 0 {
			name = a.label(ix)
		}
		// A peer a fault stopped, froze or cut off answers late: that is the
		// fault, not the network.
		faulted := func(who string) bool {
			return slices.ContainsFunc(a.faults, func(ft Fault) bool {
				end := ft.End
				if end.IsZero() {
					end = e.rttAt
				}
				return a.faultMember(ft.Target) == who && !ft.Start.After(e.rttAt) && !end.Before(e.rttAt.Add(-metricsGap))
			})
		}
		text := e.sentences(f, name, peer, faulted)
		severity := Info
		if e.disk() || e.heartbeatFailures > 0 || e.rtt > slowHeartbeat.Seconds() {
			severity = Warning
		}
		if i := slices.IndexFunc(fs[:n], func(x Finding) bool { return e.overlaps(x, e.series.Member) }); i >= 0 {
			x := &fs[i]
			x.Summary += " " + text
			x.Evidence = append(x.Evidence, e.evidence(f)...)
			if severity.Rank() < x.Severity.Rank() {
				x.Severity = severity
			}
			continue
		}
		var ids []parser.ID
		if e.series.Member != 0 {
			ids = []parser.ID{e.series.Member}
		}
		sum := name + " (leader) was slow "
		if e.end.Sub(e.start) <= 2*time.Second {
			sum += "at " + f.at(e.end)
		} else {
			sum += "from " + f.at(e.start) + " to " + f.at(e.end)
		}
		fd := Finding{Kind: SlowLeader, Severity: severity, Members: ids, Start: e.start, End: e.end, Count: e.intervals,
			Summary: sum + ". " + text, Evidence: e.evidence(f), weight: max(e.fsync, e.commit, e.rtt)}
		if ix >= 0 {
			m := a.mem[ix]
			fd.TermFrom, fd.TermTo = m.termAt(e.start), m.termAt(e.end)
		}
		fs = append(fs, fd)
	}
	return fs
}

// overlaps reports whether the slow-leader finding x is about the member id
// and overlaps the episode (within metricsGap: the logs and the scrapes do not
// see a stall at the same instant).
func (e *slowMetrics) overlaps(x Finding, id parser.ID) bool {
	return id != 0 && slices.Contains(x.Members, id) &&
		!x.End.Before(e.start.Add(-metricsGap)) && !x.Start.After(e.end.Add(metricsGap))
}

// metricsMember is the analysis' member of a metrics series: by ID, else by
// name; -1 when the logs never showed it.
func (a *Analyzer) metricsMember(s *MetricsSeries) int32 {
	if ix := a.index(s.Member); ix >= 0 {
		return ix
	}
	for ix, m := range a.mem {
		if s.Name != "" && m.name == s.Name {
			return int32(ix)
		}
	}
	return -1
}

// metricsLabel names a member as the logs did, else as the capture's
// metrics did (a member with no line), else by ID.
func (a *Analyzer) metricsLabel(id parser.ID) string {
	if ix := a.index(id); ix >= 0 {
		return a.label(ix)
	}
	for _, s := range a.opts.Metrics {
		if s.Member == id && s.Name != "" {
			return s.Name
		}
	}
	return id.String()
}
