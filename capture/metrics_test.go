//go:build unix

package capture_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/capture"
	"github.com/etcdpm/etcdpm/cluster"
)

var updateMetrics = flag.Bool("update-metrics", false, "rewrite ../capdir/testdata/metrics-restart from a new recording")

// metricsFixture is the recording TestScrapeMetricsRestart keeps for capdir's tests.
const metricsFixture = "../capdir/testdata/metrics-restart"

// TestScrapeMetricsRestart scrapes three real members every second while keys are written and
// a follower is restarted, and reads the record back with capdir: the restarted member's
// counters went down once (an interval marked Reset), fsync and backend commit p99s come out of
// the writes, every member's peer RTT appears once its prober reported. With -update-metrics
// the recording becomes capdir's fixture.
func TestScrapeMetricsRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := startLocal(t, ctx, nil)
	dir := t.TempDir()
	p, err := capture.StartPoller(filepath.Join(dir, capdir.StatusFile), c.Names(), clientURLs(c),
		capture.PollerOptions{MetricsPath: filepath.Join(dir, capdir.MetricsFile), MetricsInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	t.Cleanup(func() { p.Stop() })
	put := func(n int) {
		t.Helper()
		for i := range n {
			if err := c.Put(ctx, "/k/"+strconv.Itoa(i), "v"); err != nil {
				t.Fatal(err)
			}
		}
	}
	put(100)
	time.Sleep(6 * time.Second) // the probers' first RTT comes 5 s after a peer is added
	leader, _, err := cluster.WaitLeader(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	restarted := c.Names()[0]
	if restarted == leader {
		restarted = c.Names()[1]
	}
	if err := c.Stop(ctx, restarted); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)
	if err := c.StartMember(restarted); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cluster.WaitHealthy(ctx, c); err != nil {
		t.Fatal(err)
	}
	put(20)
	time.Sleep(2500 * time.Millisecond)
	if *updateMetrics {
		writeMetricsText(t, ctx, c.ClientURL(leader)+"/metrics")
	}
	if _, err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	end := time.Now()
	if err := capdir.WriteMeta(dir, &capdir.Meta{Schema: capdir.MetaSchema, Project: "metrics-restart", Interval: capture.DefaultInterval.String(),
		MetricsInterval: time.Second.String(), Start: start.UTC(), End: &end}, false); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, capdir.StatusFile)) // not the fixture's subject
	capt, err := capdir.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(capt.Metrics) != 3 {
		t.Fatalf("%d metrics series, want 3", len(capt.Metrics))
	}
	for _, s := range capt.Metrics {
		resets, fsyncs, rtt, failed := 0, 0, 0, 0
		for _, r := range s.Scrapes {
			if !r.OK {
				failed++
			}
		}
		for _, iv := range s.Intervals {
			if iv.Reset {
				resets++
			}
			if iv.WALFsync.Observations > 0 && iv.WALFsync.P99 > 0 {
				fsyncs++
			}
			if len(iv.PeerRTT) > 0 {
				rtt++
			}
		}
		want := 0
		if s.Name == restarted {
			want = 1
			if failed == 0 {
				t.Errorf("%s: no failed scrape while it was stopped", s.Name)
			}
		}
		if resets != want || fsyncs == 0 || rtt == 0 || s.Member == 0 {
			t.Errorf("%s (%s): %d intervals, %d with a reset (want %d), %d with fsync p99s, %d with peer RTTs", s.Name, s.Member, len(s.Intervals), resets, want, fsyncs, rtt)
		}
	}
	if *updateMetrics {
		if err := os.RemoveAll(metricsFixture); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(metricsFixture, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{capdir.MetricsFile, capdir.MetaFile} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(metricsFixture, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(metricsFixture, "restarted"), []byte(restarted+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// metricsText is a real etcd 3.6.16 leader's /metrics, gzipped, for TestParseMetrics.
const metricsText = "testdata/metrics/etcd-3.6.16-leader.txt.gz"

// writeMetricsText saves url's page as metricsText.
func writeMetricsText(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := io.Copy(zw, resp.Body); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	os.MkdirAll(filepath.Dir(metricsText), 0o755)
	if err := os.WriteFile(metricsText, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestStatusWhatMembersHold polls three real members while keys are written and checks that
// status.jsonl, and capdir's points, hold what tells which member to trust after a quorum
// loss: each member's raft index, applied index, revision and DB size, as the members say them.
func TestStatusWhatMembersHold(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c, dir := startLocal(t, ctx, nil), t.TempDir()
	status := filepath.Join(dir, capdir.StatusFile)
	p, err := capture.StartPoller(status, c.Names(), clientURLs(c), capture.PollerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop() })
	const keys = 25
	for i := range keys {
		if err := c.Put(ctx, "/trust/"+strconv.Itoa(i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := cluster.WaitHealthy(ctx, c); err != nil {
		t.Fatal(err)
	}
	// What the members say themselves, once the last put was applied everywhere.
	want := map[string]int64{}
	for _, name := range c.Names() {
		cli, err := cluster.NewClient(c.ClientURL(name), nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			resp, err := cli.Status(ctx, c.ClientURL(name))
			if err == nil && resp.Header.Revision >= keys+1 {
				want[name] = resp.Header.Revision
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		cli.Close()
	}
	time.Sleep(3 * capture.DefaultInterval) // polls after the last put
	if _, err := p.Stop(); err != nil {
		t.Fatal(err)
	}

	last := map[string]capdir.StatusRecord{}
	for _, r := range readJSONL[capdir.StatusRecord](t, status) {
		if r.OK {
			last[r.Name] = r
		}
	}
	for _, name := range c.Names() {
		r := last[name]
		if r.Revision != want[name] || r.Revision < keys+1 {
			t.Errorf("%s: revision %d, the member says %d (after %d puts)", name, r.Revision, want[name], keys)
		}
		if r.RaftIndex < keys || r.AppliedIndex < keys || r.AppliedIndex > r.RaftIndex || r.DBSize <= 0 {
			t.Errorf("%s: raft index %d, applied index %d, db size %d", name, r.RaftIndex, r.AppliedIndex, r.DBSize)
		}
	}

	meta := capdir.Meta{Schema: capdir.MetaSchema, Start: time.Now().Add(-time.Minute), Services: []capdir.MetaService{}, Members: []capdir.MetaMember{}}
	if err := capdir.WriteMeta(dir, &meta, true); err != nil {
		t.Fatal(err)
	}
	capt, err := capdir.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range capt.Status {
		pt := s.Points[len(s.Points)-1]
		r := last[s.Name]
		if !pt.OK || pt.RaftTerm != r.RaftTerm || pt.RaftIndex != r.RaftIndex || pt.AppliedIndex != r.AppliedIndex || pt.Revision != r.Revision || pt.DBSize != r.DBSize {
			t.Errorf("%s: last point %+v, last record %+v", s.Name, pt, r)
		}
	}
}
