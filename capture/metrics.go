package capture

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/cluster"
)

// DefaultMetricsInterval is how often each member's /metrics is scraped by
// default.
const DefaultMetricsInterval = time.Second

// scrapeFunc scrapes one member's /metrics (the client URL's); the
// error is the evidence when it does not answer. metricsScraper implements
// it over HTTP; tests use a fake.
type scrapeFunc func(ctx context.Context, endpoint string) (*capdir.MemberMetrics, error)

// metricsScraper scrapes members' /metrics over HTTP: one client, with the
// capture's TLS, one connection kept per member.
type metricsScraper struct{ web *http.Client }

func newMetricsScraper(tc *tls.Config) *metricsScraper {
	return &metricsScraper{web: newWebClient(tc)}
}

func (s *metricsScraper) scrape(ctx context.Context, endpoint string) (*capdir.MemberMetrics, error) {
	base, ok := httpBase(endpoint)
	if !ok {
		return nil, fmt.Errorf("no /metrics at %s: not an http or https URL", endpoint)
	}
	var mm *capdir.MemberMetrics
	err := getPage(ctx, s.web, base+"/metrics", func(body io.Reader) error {
		var err error
		mm, err = parseMetrics(io.LimitReader(body, 32<<20))
		return err
	})
	if err != nil {
		return nil, cluster.ExplainPlain(endpoint, err, probeTimeout)
	}
	return mm, nil
}

func (s *metricsScraper) close() { s.web.CloseIdleConnections() }

// parseMetrics reads Prometheus' text exposition format with the Prometheus
// client libraries and keeps the series that mark elections and their
// causes (see capdir.MemberMetrics).
func parseMetrics(r io.Reader) (*capdir.MemberMetrics, error) {
	var p expfmt.TextParser
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("reading /metrics: %w", err)
	}
	mm := &capdir.MemberMetrics{}
	for name, dst := range map[string]*float64{
		"etcd_server_has_leader":                    &mm.HasLeader,
		"etcd_server_is_leader":                     &mm.IsLeader,
		"etcd_server_leader_changes_seen_total":     &mm.LeaderChanges,
		"etcd_server_heartbeat_send_failures_total": &mm.HeartbeatSendFailures,
		"etcd_server_proposals_failed_total":        &mm.ProposalsFailed,
	} {
		if f := families[name]; f != nil {
			*dst = sum(f)
		}
	}
	if f := families["etcd_disk_wal_fsync_duration_seconds"]; f != nil && len(f.GetMetric()) > 0 {
		mm.WALFsync = histogram(f.GetMetric()[0].GetHistogram())
	}
	if f := families["etcd_disk_backend_commit_duration_seconds"]; f != nil && len(f.GetMetric()) > 0 {
		mm.BackendCommit = histogram(f.GetMetric()[0].GetHistogram())
	}
	if f := families["etcd_network_peer_round_trip_time_seconds"]; f != nil {
		for _, m := range f.GetMetric() {
			to := label(m, "To")
			if to == "" || m.GetHistogram() == nil {
				continue
			}
			if mm.PeerRTT == nil {
				mm.PeerRTT = map[string]*capdir.Histogram{}
			}
			mm.PeerRTT[to] = histogram(m.GetHistogram())
		}
	}
	return mm, nil
}

// sum adds the values of a gauge's or counter's series (one, unlabeled, in
// etcd).
func sum(f *dto.MetricFamily) float64 {
	var v float64
	for _, m := range f.GetMetric() {
		switch {
		case m.GetGauge() != nil:
			v += m.GetGauge().GetValue()
		case m.GetCounter() != nil:
			v += m.GetCounter().GetValue()
		case m.GetUntyped() != nil:
			v += m.GetUntyped().GetValue()
		}
	}
	return v
}

func histogram(h *dto.Histogram) *capdir.Histogram {
	if h == nil {
		return nil
	}
	out := &capdir.Histogram{Sum: h.GetSampleSum(), Count: h.GetSampleCount(), Buckets: []capdir.Bucket{}}
	for _, b := range h.GetBucket() {
		if math.IsInf(b.GetUpperBound(), 1) {
			continue // its count is Count
		}
		out.Buckets = append(out.Buckets, capdir.Bucket{LE: b.GetUpperBound(), Count: b.GetCumulativeCount()})
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// scrapeRecord scrapes endpoint once, within timeout, into a metrics.jsonl
// line; ok is false when ctx ended meanwhile (the capture stops: nothing to
// record).
func scrapeRecord(ctx context.Context, scrape scrapeFunc, timeout time.Duration, name, member, endpoint string) (line []byte, rec capdir.MetricsRecord, ok bool) {
	rec = capdir.MetricsRecord{Time: time.Now().UTC(), Name: name, Member: member, Endpoint: endpoint}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	mm, err := scrape(cctx, endpoint)
	cancel()
	rec.LatencyMS = float64(time.Since(rec.Time).Microseconds()) / 1000
	if ctx.Err() != nil {
		return nil, rec, false
	}
	if err != nil {
		rec.Error = err.Error()
	} else {
		rec.OK, rec.Metrics = true, mm
	}
	line, _ = json.Marshal(&rec)
	return line, rec, true
}
