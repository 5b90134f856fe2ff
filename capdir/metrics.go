package capdir

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// MetricsRecord is one line of metrics.jsonl: one scrape of one member's /metrics.
type MetricsRecord struct {
	Time time.Time `json:"time"`
	// Member is the member's ID in hex, once its status told it.
	Member   string `json:"member,omitempty"`
	Name     string `json:"name"` // the capture's name of the member, as in status.jsonl
	Endpoint string `json:"endpoint"`
	OK       bool   `json:"ok"`
	// Error is why the scrape failed; Metrics is nil then.
	Error     string         `json:"error,omitempty"`
	LatencyMS float64        `json:"latency_ms"`
	Metrics   *MemberMetrics `json:"metrics,omitempty"`
}

// MemberMetrics are the series of a member's /metrics that mark elections and their causes, as
// the member exposed them: gauges, counters (totals since the member's process started) and
// cumulative histograms.
type MemberMetrics struct {
	HasLeader             float64 `json:"has_leader"`                    // etcd_server_has_leader
	IsLeader              float64 `json:"is_leader"`                     // etcd_server_is_leader
	LeaderChanges         float64 `json:"leader_changes_seen_total"`     // etcd_server_leader_changes_seen_total
	HeartbeatSendFailures float64 `json:"heartbeat_send_failures_total"` // etcd_server_heartbeat_send_failures_total
	ProposalsFailed       float64 `json:"proposals_failed_total"`        // etcd_server_proposals_failed_total
	// WALFsync is etcd_disk_wal_fsync_duration_seconds, BackendCommit
	// etcd_disk_backend_commit_duration_seconds; nil when the member did not expose it.
	WALFsync      *Histogram `json:"wal_fsync_duration_seconds,omitempty"`
	BackendCommit *Histogram `json:"backend_commit_duration_seconds,omitempty"`
	// PeerRTT is etcd_network_peer_round_trip_time_seconds by peer (its label To, the peer's ID
	// in hex).
	PeerRTT map[string]*Histogram `json:"peer_round_trip_time_seconds,omitempty"`
}

// Histogram is a Prometheus histogram as scraped: cumulative bucket counts by upper bound, in
// ascending order and without the +Inf bucket (whose count is Count), the sum and the count.
type Histogram struct {
	Buckets []Bucket `json:"buckets"`
	Sum     float64  `json:"sum"`
	Count   uint64   `json:"count"`
}

// Bucket is one cumulative histogram bucket: Count observations were at most LE.
type Bucket struct {
	LE    float64 `json:"le"`
	Count uint64  `json:"count"`
}

// MetricsSeries is a member's scraped metrics over time.
type MetricsSeries struct {
	Member   parser.ID `json:"member"`
	Name     string    `json:"name"`
	Endpoint string    `json:"endpoint"`
	// Scrapes are the records of metrics.jsonl, in time order, failures included.
	Scrapes []MetricsRecord `json:"scrapes"`
	// Intervals are derived from each pair of consecutive successful scrapes.
	Intervals []MetricsInterval `json:"intervals"`
}

// MetricsInterval is what happened on a member between two consecutive successful scrapes, as
// Prometheus' rate() and histogram_quantile() would say it: counter increases and histogram
// deltas, a counter that went down read as a restart from zero (Reset).
type MetricsInterval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Reset says a counter or histogram went down: the member restarted within the interval,
	// and the increases count from zero.
	Reset bool `json:"reset,omitempty"`
	// HasLeader and IsLeader are the gauges at End.
	HasLeader bool `json:"has_leader"`
	IsLeader  bool `json:"is_leader"`
	// The counters' increases over the interval.
	LeaderChanges         float64 `json:"leader_changes"`
	HeartbeatSendFailures float64 `json:"heartbeat_send_failures"`
	ProposalsFailed       float64 `json:"proposals_failed"`
	// The 99th percentiles of the observations made within the interval.
	WALFsync      Latency            `json:"wal_fsync"`
	BackendCommit Latency            `json:"backend_commit"`
	PeerRTT       map[string]Latency `json:"peer_rtt,omitempty"` // by peer ID in hex
}

// Latency is a quantile of a histogram's observations within an interval.
type Latency struct {
	// P99 is the 99th percentile in seconds, interpolated linearly within its bucket as
	// histogram_quantile does; 0 when there was no observation.
	P99 float64 `json:"p99_seconds"`
	// Observations is how many observations the interval holds.
	Observations uint64 `json:"observations"`
}

// metricsSeries groups records by member as statusSeries does, and derives the intervals. A
// member none of whose scrapes knew its ID (stopped before its first status answered, and scraped
// again only after its restart) takes it from its status series, by name, else by endpoint.
func metricsSeries(records []MetricsRecord, status []StatusSeries) []MetricsSeries {
	group, ids := byMember(len(records), func(i int) (string, string, string) {
		return records[i].Member, records[i].Name, records[i].Endpoint
	})
	series := make([]MetricsSeries, len(ids))
	for i, r := range records {
		s := &series[group[i]]
		s.Member = ids[group[i]]
		s.Name, s.Endpoint = cmp.Or(r.Name, s.Name), cmp.Or(r.Endpoint, s.Endpoint)
		s.Scrapes = append(s.Scrapes, r)
	}
	for i := range series {
		if s := &series[i]; s.Member == 0 {
			s.Member = statusID(status, s.Name, s.Endpoint)
		}
	}
	for i := range series {
		s := &series[i]
		slices.SortStableFunc(s.Scrapes, func(a, b MetricsRecord) int { return a.Time.Compare(b.Time) })
		var prev *MetricsRecord
		for j := range s.Scrapes {
			r := &s.Scrapes[j]
			if !r.OK || r.Metrics == nil {
				continue
			}
			if prev != nil {
				s.Intervals = append(s.Intervals, interval(prev, r))
			}
			prev = r
		}
	}
	slices.SortStableFunc(series, func(a, b MetricsSeries) int { return cmp.Compare(a.Name, b.Name) })
	return series
}

// interval derives what happened between scrapes a and b. A counter or histogram that went
// down means the member's process restarted, which resets them all: then every increase counts
// from zero (Prometheus' rate() does so per series; a restart is seen here by any of them).
func interval(a, b *MetricsRecord) MetricsInterval {
	pm, cm := a.Metrics, b.Metrics
	iv := MetricsInterval{Start: a.Time, End: b.Time, HasLeader: cm.HasLeader == 1, IsLeader: cm.IsLeader == 1}
	iv.Reset = cm.LeaderChanges < pm.LeaderChanges || cm.HeartbeatSendFailures < pm.HeartbeatSendFailures ||
		cm.ProposalsFailed < pm.ProposalsFailed || wentDown(pm.WALFsync, cm.WALFsync) || wentDown(pm.BackendCommit, cm.BackendCommit)
	for to, h := range cm.PeerRTT {
		iv.Reset = iv.Reset || wentDown(pm.PeerRTT[to], h)
	}
	if iv.Reset {
		pm = &MemberMetrics{} // the new process counted from zero
	}
	iv.LeaderChanges = cm.LeaderChanges - pm.LeaderChanges
	iv.HeartbeatSendFailures = cm.HeartbeatSendFailures - pm.HeartbeatSendFailures
	iv.ProposalsFailed = cm.ProposalsFailed - pm.ProposalsFailed
	iv.WALFsync = latency(pm.WALFsync, cm.WALFsync)
	iv.BackendCommit = latency(pm.BackendCommit, cm.BackendCommit)
	for to, h := range cm.PeerRTT {
		if iv.PeerRTT == nil {
			iv.PeerRTT = map[string]Latency{}
		}
		iv.PeerRTT[to] = latency(pm.PeerRTT[to], h)
	}
	return iv
}

// wentDown reports whether any count of cur is below prev's: the histogram was reset.
func wentDown(prev, cur *Histogram) bool {
	if prev == nil || cur == nil {
		return false
	}
	if cur.Count < prev.Count {
		return true
	}
	for i, b := range cur.Buckets {
		if i < len(prev.Buckets) && prev.Buckets[i].LE == b.LE && b.Count < prev.Buckets[i].Count {
			return true
		}
	}
	return false
}

// latency is the p99 of the observations between the scrapes of prev and cur.
func latency(prev, cur *Histogram) Latency {
	d := delta(prev, cur)
	return Latency{P99: quantile(0.99, d), Observations: d.Count}
}

// delta is cur minus prev, bucket by bucket: the observations made between the two scrapes. A
// nil histogram is empty; buckets that changed (another etcd) or went down give cur itself.
func delta(prev, cur *Histogram) Histogram {
	if cur == nil {
		return Histogram{}
	}
	if prev == nil || wentDown(prev, cur) || !slices.EqualFunc(prev.Buckets, cur.Buckets, func(p, c Bucket) bool { return p.LE == c.LE }) {
		return *cur
	}
	d := Histogram{Sum: cur.Sum - prev.Sum, Count: cur.Count - prev.Count, Buckets: make([]Bucket, len(cur.Buckets))}
	for i, b := range cur.Buckets {
		d.Buckets[i] = Bucket{LE: b.LE, Count: b.Count - prev.Buckets[i].Count}
	}
	return d
}

// quantile is Prometheus' histogram_quantile of h (cumulative buckets): the bucket holding the
// q-th observation, and a linear interpolation within it, from the bucket below's bound (0 for
// the first) to its own. An observation beyond the highest finite bound gives that bound. 0 for
// an empty histogram.
func quantile(q float64, h Histogram) float64 {
	if h.Count == 0 || len(h.Buckets) == 0 {
		return 0
	}
	rank := q * float64(h.Count)
	i := sort.Search(len(h.Buckets), func(i int) bool { return float64(h.Buckets[i].Count) >= rank })
	if i == len(h.Buckets) {
		return h.Buckets[len(h.Buckets)-1].LE // in the +Inf bucket
	}
	start, below := 0.0, 0.0
	if i > 0 {
		start, below = h.Buckets[i-1].LE, float64(h.Buckets[i-1].Count)
	} else if h.Buckets[0].LE <= 0 {
		return h.Buckets[0].LE
	}
	end, in := h.Buckets[i].LE, float64(h.Buckets[i].Count)-below
	if in <= 0 || math.IsInf(end, 1) {
		return end
	}
	return start + (end-start)*(rank-below)/in
}

// statusID is the ID of the status series of the member named name, else of the one polled at
// endpoint; 0 if none knows it.
func statusID(status []StatusSeries, name, endpoint string) parser.ID {
	for _, by := range []func(*StatusSeries) bool{
		func(st *StatusSeries) bool { return name != "" && st.Name == name },
		func(st *StatusSeries) bool { return endpoint != "" && st.Endpoint == endpoint },
	} {
		for i := range status {
			if st := &status[i]; st.Member != 0 && by(st) {
				return st.Member
			}
		}
	}
	return 0
}
