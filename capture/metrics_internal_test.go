package capture

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
)

// readMetricsText returns the real /metrics page of capture's testdata.
func readMetricsText(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "metrics", "etcd-3.6.16-leader.txt.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if _, err := bufio.NewReader(zr).WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// sample finds the value of a sample line "name{labels} value" in a page, by text.
func sample(t *testing.T, page, series string) float64 {
	t.Helper()
	for _, l := range strings.Split(page, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("no %s in the page", series)
	return 0
}

// TestParseMetrics parses a real etcd 3.6.16 leader's /metrics (recorded by
// TestScrapeMetricsRestart -update-metrics) and checks the kept series against
// the page's own lines.
func TestParseMetrics(t *testing.T) {
	page := readMetricsText(t)
	mm, err := parseMetrics(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]float64{
		"etcd_server_has_leader":                    mm.HasLeader,
		"etcd_server_is_leader":                     mm.IsLeader,
		"etcd_server_leader_changes_seen_total":     mm.LeaderChanges,
		"etcd_server_heartbeat_send_failures_total": mm.HeartbeatSendFailures,
		"etcd_server_proposals_failed_total":        mm.ProposalsFailed,
	} {
		if want := sample(t, page, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if mm.IsLeader != 1 || mm.HasLeader != 1 {
		t.Errorf("the leader's page: has_leader %v, is_leader %v", mm.HasLeader, mm.IsLeader)
	}
	check := func(name, labels string, h *capdir.Histogram) {
		t.Helper()
		if h == nil {
			t.Fatalf("%s{%s}: missing", name, labels)
		}
		braces := func(extra string) string {
			if labels == "" && extra == "" {
				return ""
			}
			return "{" + strings.Trim(labels+","+extra, ",") + "}"
		}
		if want := sample(t, page, name+"_count"+braces("")); float64(h.Count) != want {
			t.Errorf("%s count %d, want %v", name, h.Count, want)
		}
		if want := sample(t, page, name+"_sum"+braces("")); h.Sum != want {
			t.Errorf("%s sum %v, want %v", name, h.Sum, want)
		}
		for _, b := range h.Buckets {
			le := strconv.FormatFloat(b.LE, 'g', -1, 64)
			if want := sample(t, page, name+"_bucket"+braces(`le="`+le+`"`)); float64(b.Count) != want {
				t.Errorf("%s bucket le=%s: %d, want %v", name, le, b.Count, want)
			}
		}
		n := 0
		for _, l := range strings.Split(page, "\n") {
			if strings.HasPrefix(l, name+"_bucket{") && strings.Contains(l, labels) {
				n++
			}
		}
		if n != len(h.Buckets)+1 {
			t.Errorf("%s{%s}: %d buckets kept, the page has %d with +Inf", name, labels, len(h.Buckets), n)
		}
	}
	check("etcd_disk_wal_fsync_duration_seconds", "", mm.WALFsync)
	check("etcd_disk_backend_commit_duration_seconds", "", mm.BackendCommit)
	if len(mm.PeerRTT) != 2 {
		t.Fatalf("peer RTT of %d peers, want 2", len(mm.PeerRTT))
	}
	for to, h := range mm.PeerRTT {
		check("etcd_network_peer_round_trip_time_seconds", `To="`+to+`"`, h)
	}
	if _, err := parseMetrics(strings.NewReader("etcd_server_has_leader{ 1\n")); err == nil {
		t.Error("a broken page parsed")
	}
}

// TestSessionMetrics: a capture scrapes every member every MetricsInterval
// into metrics.jsonl, a member that does not answer as a record with the
// error, and counts them in meta.json.
func TestSessionMetrics(t *testing.T) {
	page := readMetricsText(t)
	e := newFakeEngine()
	fc := &fakeCluster{members: map[string]*fakeMember{
		"http://127.0.0.1:12379": {id: 0xa1, leader: 0xa1, term: 4, name: "infra1", up: true},
		"http://127.0.0.1:22379": {id: 0xa2, leader: 0xa1, term: 4, name: "infra2", up: false},
	}}
	scrape := func(ctx context.Context, endpoint string) (*capdir.MemberMetrics, error) {
		if endpoint != "http://127.0.0.1:12379" {
			return nil, errors.New("dial tcp: connection refused")
		}
		return parseMetrics(strings.NewReader(page))
	}
	opts := Options{Out: filepath.Join(t.TempDir(), "out"), Project: "demo", Interval: 20 * time.Millisecond, MetricsInterval: 30 * time.Millisecond,
		Endpoints: []string{"http://127.0.0.1:12379", "http://127.0.0.1:22379"}}
	s, err := newSession(t.Context(), opts, e, fc.dial, scrape)
	if err != nil {
		t.Fatal(err)
	}
	s.flushEvery = 20 * time.Millisecond
	stop := runSession(t, s)
	eventually(t, "scrapes", func() bool { n, _ := s.metrics.Counts(); return n >= 6 })
	sum, err := stop()
	if err != nil {
		t.Fatal(err)
	}
	capt, err := capdir.Read(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(capt.Metrics) != 2 {
		t.Fatalf("%d metrics series, want 2", len(capt.Metrics))
	}
	var n int64
	for _, ms := range capt.Metrics {
		n += int64(len(ms.Scrapes))
		for _, r := range ms.Scrapes {
			switch ms.Endpoint {
			case "http://127.0.0.1:12379":
				if !r.OK || r.Metrics == nil || r.Metrics.IsLeader != 1 {
					t.Errorf("%s: %+v, want the page's metrics", ms.Endpoint, r)
				}
			default:
				if r.OK || !strings.Contains(r.Error, "connection refused") {
					t.Errorf("%s: %+v, want the error", ms.Endpoint, r)
				}
			}
		}
	}
	meta, err := capdir.ReadMeta(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if sum.MetricsRecords != n || meta.Counts.MetricsRecords != n || meta.MetricsInterval != "30ms" {
		t.Errorf("%d records read; summary says %d, meta.json %d at %q", n, sum.MetricsRecords, meta.Counts.MetricsRecords, meta.MetricsInterval)
	}

	// Without metrics there is no file.
	opts.Out, opts.MetricsInterval = filepath.Join(t.TempDir(), "out"), -1
	s, err = newSession(t.Context(), opts, e, fc.dial, scrape)
	if err != nil {
		t.Fatal(err)
	}
	stop = runSession(t, s)
	if _, err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), capdir.MetricsFile)); !os.IsNotExist(err) {
		t.Errorf("metrics.jsonl with --metrics-interval 0: %v", err)
	}
}

// TestSessionTLSContainers: with a TLS configuration the containers' published
// ports are polled, and scraped, as https.
func TestSessionTLSContainers(t *testing.T) {
	e := newFakeEngine()
	fc := &fakeCluster{members: map[string]*fakeMember{
		"https://127.0.0.1:12379": {id: 0x11, leader: 0x11, term: 2, name: "etcd1", up: true},
	}}
	e.add("demo", "etcd1", 1, "http://127.0.0.1:12379", true)
	var scraped sync.Map
	scrape := func(ctx context.Context, endpoint string) (*capdir.MemberMetrics, error) {
		scraped.Store(endpoint, true)
		return &capdir.MemberMetrics{HasLeader: 1}, nil
	}
	opts := Options{Out: filepath.Join(t.TempDir(), "out"), Project: "demo", Interval: 20 * time.Millisecond,
		MetricsInterval: 20 * time.Millisecond, TLS: &tls.Config{}}
	s, err := newSession(t.Context(), opts, e, fc.dial, scrape)
	if err != nil {
		t.Fatal(err)
	}
	stop := runSession(t, s)
	eventually(t, "polls", func() bool { n, _ := s.status.Counts(); s.status.Flush(); return n >= 3 })
	if _, err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, l := range readLines(t, filepath.Join(s.Dir(), capdir.StatusFile)) {
		if !strings.Contains(l, `"endpoint":"https://127.0.0.1:12379","ok":true`) {
			t.Errorf("status record %s, want https://127.0.0.1:12379 answering", l)
		}
	}
	if _, ok := scraped.Load("https://127.0.0.1:12379"); !ok {
		t.Error("/metrics not scraped over https")
	}
}
