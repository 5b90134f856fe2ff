package capdir

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	bounds := []float64{0.001, 0.002, 0.004, 0.008}
	hist := func(counts ...uint64) Histogram { // cumulative counts per bound, then the total
		h := Histogram{Count: counts[len(counts)-1]}
		for i, b := range bounds {
			h.Buckets = append(h.Buckets, Bucket{LE: b, Count: counts[i]})
		}
		return h
	}
	for _, tc := range []struct {
		name string
		h    Histogram
		q    float64
		want float64
	}{
		{"empty", hist(0, 0, 0, 0, 0), 0.99, 0},
		// rank 99 falls in (0.002, 0.004], which holds observations 51..100: 0.002 + 0.002×49/50.
		{"interpolated in its bucket", hist(0, 50, 100, 100, 100), 0.99, 0.00396},
		// rank 0.99 in the first bucket: from 0 to 0.001.
		{"first bucket", hist(1, 1, 1, 1, 1), 0.99, 0.00099},
		{"median", hist(10, 20, 30, 40, 40), 0.5, 0.002},
		// beyond the highest finite bound: that bound, as histogram_quantile says.
		{"in +Inf", hist(0, 0, 0, 90, 100), 0.99, 0.008},
		{"no buckets", Histogram{Count: 5, Sum: 1}, 0.99, 0},
	} {
		if got := quantile(tc.q, tc.h); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: quantile(%v) = %v, want %v", tc.name, tc.q, got, tc.want)
		}
	}
}

// TestMetricsMemberFromStatus: a member whose scrapes never knew its ID (stopped before its
// first status answered, scraped again only after its restart) takes it from its status
// series, by name, else by endpoint; one no status knows keeps none.
func TestMetricsMemberFromStatus(t *testing.T) {
	rec := func(name, endpoint string) MetricsRecord {
		r := scrape(0, 1, 0, 0, 0, 0, 0)
		r.Member, r.Name, r.Endpoint = "", name, endpoint
		return r
	}
	status := []StatusSeries{
		{Member: 0xb2, Name: "etcd2", Endpoint: "http://127.0.0.1:22379"},
		{Member: 0xc3, Name: "etcd3", Endpoint: "http://127.0.0.1:32379"},
	}
	series := metricsSeries([]MetricsRecord{
		rec("etcd2", "http://127.0.0.1:2"), rec("", "http://127.0.0.1:32379"), rec("etcd9", "http://127.0.0.1:9"),
	}, status)
	got := map[string]string{}
	for _, s := range series {
		got[s.Name+s.Endpoint] = s.Member.String()
	}
	want := map[string]string{"etcd2http://127.0.0.1:2": "b2", "http://127.0.0.1:32379": "c3", "etcd9http://127.0.0.1:9": ""}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: member %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

// scrape is a successful scrape at second sec with the given counters and fsync histogram.
func scrape(sec int, leaderChanges, hbFailures float64, fsync ...uint64) MetricsRecord {
	h := &Histogram{Count: fsync[len(fsync)-1]}
	for i, le := range []float64{0.001, 0.002, 0.004} {
		h.Buckets = append(h.Buckets, Bucket{LE: le, Count: fsync[i]})
	}
	return MetricsRecord{
		Time: time.Date(2026, 12, 3, 7, 0, sec, 0, time.UTC), Name: "etcd1", Member: "a1", Endpoint: "http://127.0.0.1:2379", OK: true,
		Metrics: &MemberMetrics{HasLeader: 1, LeaderChanges: leaderChanges, HeartbeatSendFailures: hbFailures, WALFsync: h,
			PeerRTT: map[string]*Histogram{"b2": h}},
	}
}

func TestMetricsIntervals(t *testing.T) {
	down := MetricsRecord{Time: time.Date(2026, 12, 3, 7, 0, 2, 0, time.UTC), Name: "etcd1", Endpoint: "http://127.0.0.1:2379", Error: "connection refused"}
	series := metricsSeries([]MetricsRecord{
		scrape(1, 2, 5, 10, 20, 30, 30), // written out of order: sorted by time
		scrape(0, 1, 3, 0, 10, 20, 20),
		down,                           // the member restarts: no interval ends here
		scrape(3, 1, 0, 1, 2, 2, 2),    // counters below the last scrape's: a reset
		scrape(4, 1, 4, 1, 12, 22, 22), // 20 more fsyncs, all in (0.001, 0.004]
	}, nil)
	if len(series) != 1 || len(series[0].Scrapes) != 5 || series[0].Member.String() != "a1" {
		t.Fatalf("series = %+v", series)
	}
	ivs := series[0].Intervals
	if len(ivs) != 3 {
		t.Fatalf("%d intervals, want 3: %+v", len(ivs), ivs)
	}
	type want struct {
		sec0, sec1        int
		reset             bool
		changes, failures float64
		fsyncs            uint64
		p99               float64
	}
	for i, w := range []want{
		// 10 observations, all ≤ 0.001: rank 9.9 of 10, 0 + 0.001×9.9/10.
		{0, 1, false, 1, 2, 10, 0.00099},
		// From the reset on, the counters count from zero: 1 leader change, 0 heartbeat
		// failures, 2 fsyncs (one ≤ 0.001, one in (0.001, 0.002]).
		{1, 3, true, 1, 0, 2, 0.001 + 0.001*(1.98-1)},
		// 20 observations: 10 in (0.001, 0.002], 10 in (0.002, 0.004]; rank 19.8: 0.002 + 0.002×9.8/10.
		{3, 4, false, 0, 4, 20, 0.00396},
	} {
		iv := ivs[i]
		if iv.Start.Second() != w.sec0 || iv.End.Second() != w.sec1 || iv.Reset != w.reset || iv.LeaderChanges != w.changes ||
			iv.HeartbeatSendFailures != w.failures || iv.WALFsync.Observations != w.fsyncs || math.Abs(iv.WALFsync.P99-w.p99) > 1e-12 {
			t.Errorf("interval %d = %+v, want %+v", i, iv, w)
		}
		if rtt := iv.PeerRTT["b2"]; rtt != iv.WALFsync {
			t.Errorf("interval %d: peer RTT %+v, want %+v (the same histogram)", i, rtt, iv.WALFsync)
		}
		if !iv.HasLeader || iv.IsLeader {
			t.Errorf("interval %d: has leader %v, is leader %v", i, iv.HasLeader, iv.IsLeader)
		}
	}
}

// TestReadMetricsRestart reads a recording of three real etcd 3.6 members scraped every second
// while 100 keys were written, a follower stopped and started again, and 20 more keys written
// (made by capture's TestScrapeMetricsRestart -update-metrics).
func TestReadMetricsRestart(t *testing.T) {
	dir := filepath.Join("testdata", "metrics-restart")
	b, err := os.ReadFile(filepath.Join(dir, "restarted"))
	if err != nil {
		t.Fatal(err)
	}
	restarted := strings.TrimSpace(string(b))
	c, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Metrics) != 3 {
		t.Fatalf("%d series, want 3", len(c.Metrics))
	}
	for _, s := range c.Metrics {
		if s.Member == 0 || !strings.HasPrefix(s.Endpoint, "http://127.0.0.1:") {
			t.Errorf("%s: member %v, endpoint %q", s.Name, s.Member, s.Endpoint)
		}
		var ok []MetricsRecord
		for _, r := range s.Scrapes {
			if r.OK {
				ok = append(ok, r)
			}
		}
		if len(s.Intervals) != len(ok)-1 {
			t.Fatalf("%s: %d intervals from %d successful scrapes", s.Name, len(s.Intervals), len(ok))
		}
		var fsyncs uint64
		resets := 0
		for i, iv := range s.Intervals {
			prev, cur := ok[i].Metrics, ok[i+1].Metrics
			if !iv.Start.Equal(ok[i].Time) || !iv.End.Equal(ok[i+1].Time) {
				t.Errorf("%s interval %d: %v..%v, want the scrapes' times", s.Name, i, iv.Start, iv.End)
			}
			reset := cur.WALFsync.Count < prev.WALFsync.Count
			if iv.Reset != reset {
				t.Errorf("%s interval %d: reset %v, fsyncs %d then %d", s.Name, i, iv.Reset, prev.WALFsync.Count, cur.WALFsync.Count)
			}
			want := cur.WALFsync.Count - prev.WALFsync.Count
			if reset {
				resets++
				want = cur.WALFsync.Count // counted from zero since the restart
				if iv.LeaderChanges != cur.LeaderChanges {
					t.Errorf("%s interval %d: %v leader changes across the restart, want the new process's %v", s.Name, i, iv.LeaderChanges, cur.LeaderChanges)
				}
			}
			if iv.WALFsync.Observations != want {
				t.Errorf("%s interval %d: %d fsyncs, want %d", s.Name, i, iv.WALFsync.Observations, want)
			}
			fsyncs += iv.WALFsync.Observations
			checkP99(t, s.Name, i, "fsync", iv.WALFsync, cur.WALFsync)
			checkP99(t, s.Name, i, "backend commit", iv.BackendCommit, cur.BackendCommit)
			for to, l := range iv.PeerRTT {
				checkP99(t, s.Name, i, "peer RTT to "+to, l, cur.PeerRTT[to])
			}
		}
		if want := map[bool]int{true: 1, false: 0}[s.Name == restarted]; resets != want {
			t.Errorf("%s: %d resets, want %d", s.Name, resets, want)
		}
		if s.Name != restarted {
			if first, last := ok[0].Metrics.WALFsync.Count, ok[len(ok)-1].Metrics.WALFsync.Count; fsyncs != last-first || fsyncs < 100 {
				t.Errorf("%s: %d fsyncs in the intervals, %d..%d scraped (120 keys written)", s.Name, fsyncs, first, last)
			}
		}
	}
}

// checkP99 checks that a p99 lies within the bounds of some bucket of h (the scrape that ends the
// interval) and is 0 exactly when the interval has no observation.
func checkP99(t *testing.T, name string, i int, what string, l Latency, h *Histogram) {
	t.Helper()
	if l.Observations == 0 {
		if l.P99 != 0 {
			t.Errorf("%s interval %d: %s p99 %v with no observation", name, i, what, l.P99)
		}
		return
	}
	if h == nil || l.P99 <= 0 || l.P99 > h.Buckets[len(h.Buckets)-1].LE {
		t.Errorf("%s interval %d: %s p99 %v out of the buckets' range", name, i, what, l.P99)
	}
}
