package analysis

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/parser"
)

// metricsFixture is a real capture with metrics: three embedded etcd 3.6
// members scraped every second, n2 leading, n1 restarted part way.
const metricsFixture = "../capdir/testdata/metrics-restart"

// analyzeMetrics analyzes the capture in dir, its logs if it has any, as
// `etcdpm analyze DIR` does; without its metrics when metrics is false.
func analyzeMetrics(t *testing.T, dir string, metrics ...bool) *Result {
	t.Helper()
	c, err := capdir.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	var srcs []parser.Source
	for i, p := range c.Logs {
		if _, err := os.Stat(p); err != nil && len(c.Logs) == 1 {
			break // logs.txt, named by default: a capture of metrics only
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		srcs = append(srcs, parser.Source{R: f, Opts: parser.Options{Name: filepath.Base(p), Input: i, TZ: time.UTC}})
	}
	if len(metrics) > 0 && !metrics[0] {
		c.Metrics = nil
	}
	res, _, err := Analyze(context.Background(), srcs, c.Faults, c.Status, Options{Start: c.Start, End: c.End, Metrics: c.Metrics})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestMetricsRealCapture(t *testing.T) {
	r := analyzeMetrics(t, metricsFixture)
	if len(r.Metrics) != 3 {
		t.Fatalf("%d members' metrics, want 3", len(r.Metrics))
	}
	points := map[string]int{}
	resets := 0
	for _, m := range r.Metrics {
		points[m.Name] = len(m.Points)
		for _, p := range m.Points {
			if p.Reset {
				resets++
				if m.Name != "n1" {
					t.Errorf("%s restarted at %s: only n1 did", m.Name, p.End)
				}
			}
			if p.IsLeader != (m.Name == "n2") {
				t.Errorf("%s at %s: is_leader %v, only n2 led", m.Name, p.End, p.IsLeader)
			}
			if p.WALFsyncP99 > 0.05 || p.PeerRTTP99 > 0.05 {
				t.Errorf("%s at %s: fsync p99 %g, rtt p99 %g: a healthy local run", m.Name, p.End, p.WALFsyncP99, p.PeerRTTP99)
			}
		}
	}
	if points["n1"] != 9 || points["n2"] != 12 || points["n3"] != 12 || resets != 1 {
		t.Errorf("points %v, %d resets; want n1 9 (a restart), n2 12, n3 12, 1 reset", points, resets)
	}
	if fs := findings(r, SlowLeader); len(fs) != 0 {
		t.Errorf("slow-leader on a healthy capture: %+v", fs)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"metrics":[{"member":"`)) || !bytes.Contains(b, []byte(`"wal_fsync_p99_seconds":`)) {
		t.Errorf("the JSON carries no metrics: %.300s", b)
	}
}

// scaledCapture copies the fixture with the WAL fsync histogram (or, with
// rtt, the peer RTT histograms) of member name scaled by k: every
// observation k times slower (bounds and sums times k, counts kept), as a
// disk (a network) k times slower would have made them.
func scaledCapture(t *testing.T, name string, k float64, rtt ...bool) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"meta.json"} {
		b, err := os.ReadFile(filepath.Join(metricsFixture, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in, err := os.Open(filepath.Join(metricsFixture, capdir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var out bytes.Buffer
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r capdir.MetricsRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if m := r.Metrics; r.Name == name && m != nil {
			hs := []*capdir.Histogram{m.WALFsync}
			if len(rtt) > 0 && rtt[0] {
				hs = slices.Collect(maps.Values(m.PeerRTT))
			}
			for _, h := range hs {
				for i := range h.Buckets {
					h.Buckets[i].LE *= k
				}
				h.Sum *= k
			}
		}
		b, _ := json.Marshal(r)
		out.Write(append(b, '\n'))
	}
	if err := os.WriteFile(filepath.Join(dir, capdir.MetricsFile), out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestMetricsSlowFsyncLeader(t *testing.T) {
	r := analyzeMetrics(t, scaledCapture(t, "n2", 400))
	// Two episodes: n2's first interval (its start-up's 100 syncs) and the
	// writes at 07:03:39-40.
	fs := findings(r, SlowLeader)
	if len(fs) != 2 {
		t.Fatalf("%d slow-leader findings, want 2\n%s", len(fs), dump(r))
	}
	f := fs[1]
	if f.Severity != Warning || len(f.Members) != 1 || f.Members[0].String() != "7fd3d23880746377" {
		t.Errorf("severity %s, members %v; want a warning about n2 (7fd3d23880746377)", f.Severity, f.Members)
	}
	// n2's highest p99 is in the interval to 07:03:39 (15 syncs, the slowest
	// in the 1-2 ms bucket, times 400). The logs are not there to say the
	// day, so it is said.
	for _, want := range []string{"n2 (leader) was slow", "n2's WAL fsync p99 reached 795ms at Dec 3 07:03:39, above the 100ms heartbeat interval"} {
		if !strings.Contains(f.Summary, want) {
			t.Errorf("summary %q\nwants %q", f.Summary, want)
		}
	}
	if len(f.Evidence) == 0 || f.Evidence[0].Input != capdir.MetricsFile ||
		!strings.Contains(f.Evidence[0].Text, "etcd_disk_wal_fsync_duration_seconds p99 795ms") {
		t.Errorf("evidence %+v: want the metric named", f.Evidence)
	}
	if r.Diagnosis.Verdict != SlowLeader {
		t.Errorf("verdict %s, want %s", r.Diagnosis.Verdict, SlowLeader)
	}
	// A follower's slow disk is not a slow leader.
	if fs := findings(analyzeMetrics(t, scaledCapture(t, "n3", 400)), SlowLeader); len(fs) != 0 {
		t.Errorf("a follower's slow fsync raised %+v", fs)
	}
}

func TestMetricsBounded(t *testing.T) {
	c, err := capdir.Read(metricsFixture)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Metrics[1] // n2, 12 intervals
	long := MetricsSeries{Member: s.Member, Name: s.Name}
	t0 := s.Intervals[0].Start
	for i := range 5000 {
		iv := s.Intervals[i%len(s.Intervals)]
		iv.Start, iv.End = t0.Add(time.Duration(i)*time.Second), t0.Add(time.Duration(i+1)*time.Second)
		if i == 4321 {
			iv.WALFsync.P99, iv.HeartbeatSendFailures = 0.9, 3
		}
		long.Intervals = append(long.Intervals, iv)
	}
	ms := metricsResult([]MetricsSeries{long})
	if len(ms) != 1 || len(ms[0].Points) > maxMetricsPoints || ms[0].Merged != 3 {
		t.Fatalf("%d points merged by %d, want at most %d by 3", len(ms[0].Points), ms[0].Merged, maxMetricsPoints)
	}
	var peak, hb float64
	for _, p := range ms[0].Points {
		peak, hb = max(peak, p.WALFsyncP99), hb+p.HeartbeatFailures
	}
	if peak != 0.9 || hb != 3 {
		t.Errorf("peak %g, heartbeat failures %g after merging; want 0.9 and 3 kept", peak, hb)
	}
}

// TestMetricsStrengthenLogs: a real capture with logs and metrics (`etcdpm
// repro -s leader-pause --hold 20s`, etcd 3.6.16, etcd1 frozen 20 s). etcd3,
// the new leader, logged late heartbeats and its metrics say it failed to
// send 2 on time: the slow-leader finding from its logs carries the
// metrics' numbers and evidence, and no second finding is raised for it.
func TestMetricsStrengthenLogs(t *testing.T) {
	const dir = "../testdata/metrics/leader-pause"
	without, with := analyzeMetrics(t, dir, false), analyzeMetrics(t, dir)
	if n, m := len(findings(without, SlowLeader)), len(findings(with, SlowLeader)); n != m || n == 0 {
		t.Fatalf("%d slow-leader findings without metrics, %d with: want the same, some\n%s", n, m, dump(with))
	}
	var got *Finding
	for i, f := range findings(with, SlowLeader) {
		if strings.Contains(f.Summary, "Metrics:") {
			if got != nil {
				t.Errorf("two findings strengthened: %q", f.Summary)
			}
			got = &findings(with, SlowLeader)[i]
		}
	}
	if got == nil {
		t.Fatalf("no finding carries the metrics\n%s", dump(with))
	}
	if want := "etcd3 failed to send 2 heartbeats on time (etcd_server_heartbeat_send_failures_total)"; !strings.Contains(got.Summary, want) {
		t.Errorf("summary %q\nwants %q", got.Summary, want)
	}
	if !strings.HasPrefix(got.Summary, "etcd3 (leader) was slow at ") || !strings.Contains(got.Summary, "heartbeats late by up to") {
		t.Errorf("summary %q: want the logs' words first", got.Summary)
	}
	last := got.Evidence[len(got.Evidence)-1]
	if last.Input != capdir.MetricsFile || !strings.Contains(last.Text, "etcd_server_heartbeat_send_failures_total rose by 2") {
		t.Errorf("last evidence %+v: want the metric", last)
	}
	if len(with.Metrics) != 3 {
		t.Errorf("%d members' metrics in the result, want 3", len(with.Metrics))
	}
}

// TestMetricsSlowNetwork: the leader's peer RTT p99 past the heartbeat
// interval, its disk fast, points at the network.
func TestMetricsSlowNetwork(t *testing.T) {
	r := analyzeMetrics(t, scaledCapture(t, "n2", 2000, true))
	fs := findings(r, SlowLeader)
	if len(fs) != 1 {
		t.Fatalf("%d slow-leader findings, want 1\n%s", len(fs), dump(r))
	}
	// n2's probes of 07:03:34 (2 a peer, up to 0.1 ms, times 2000).
	want := "the peer round-trip time p99 from n2 to n3 reached 198ms at Dec 3 07:03:34, above the 100ms heartbeat interval: the network, not the disk, delayed its heartbeats"
	if !strings.Contains(fs[0].Summary, want) {
		t.Errorf("summary %q\nwants %q", fs[0].Summary, want)
	}
	if ev := fs[0].Evidence; len(ev) != 1 || !strings.Contains(ev[0].Text, `etcd_network_peer_round_trip_time_seconds{To="21ccae04e3bd2d67"} p99 198ms`) {
		t.Errorf("evidence %+v: want the RTT metric", ev)
	}
}
