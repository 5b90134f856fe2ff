package capture

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
)

// Poller writes status.jsonl for a fixed set of members that are not
// containers (repro's local members): every DefaultInterval one record per
// member, failures included, as a capture polls its members.
type Poller struct {
	file    *capdir.LineFile
	metrics *capdir.LineFile // nil: no scraping
	timeout time.Duration
	members []*polledMember
	scraper *metricsScraper

	mu     sync.Mutex // guards each polledMember's last and polled, and metrics
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// polledMember is one member's status client and its last record.
type polledMember struct {
	name, endpoint string
	poller         statusPoller
	last           capdir.StatusRecord
	polled         bool
}

// PollerOptions configure a Poller beyond its status file.
type PollerOptions struct {
	// TLS is every connection's to the members; nil is none.
	TLS *tls.Config
	// MetricsPath, when set, is the metrics.jsonl to create: each member's
	// /metrics is scraped every MetricsInterval (DefaultMetricsInterval when
	// zero) into it.
	MetricsPath     string
	MetricsInterval time.Duration
}

// StartPoller creates path and polls the members (names[i] at endpoints[i])
// until Stop.
func StartPoller(path string, names, endpoints []string, opts PollerOptions) (*Poller, error) {
	p, err := startPoller(path, names, endpoints, etcdDialer(opts.TLS))
	if err != nil || opts.MetricsPath == "" {
		return p, err
	}
	mf, err := capdir.CreateLineFile(opts.MetricsPath)
	if err != nil {
		p.Stop()
		return nil, err
	}
	p.mu.Lock()
	p.metrics = mf
	p.mu.Unlock()
	interval := cmp.Or(opts.MetricsInterval, DefaultMetricsInterval)
	p.scraper = newMetricsScraper(opts.TLS)
	for _, m := range p.members {
		p.wg.Go(func() { every(p.ctx, interval, func() { p.scrape(p.ctx, m, statusTimeout(interval)) }) })
	}
	return p, nil
}

func startPoller(path string, names, endpoints []string, dial dialFunc) (*Poller, error) {
	file, err := capdir.CreateLineFile(path)
	if err != nil {
		return nil, err
	}
	p := &Poller{file: file, timeout: statusTimeout(DefaultInterval)}
	for i, name := range names {
		sp, err := dial(endpoints[i])
		if err != nil {
			p.closeClients()
			file.Close()
			return nil, fmt.Errorf("client of %s: %w", name, err)
		}
		p.members = append(p.members, &polledMember{name: name, endpoint: endpoints[i], poller: sp})
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	for _, m := range p.members {
		p.wg.Go(func() { every(p.ctx, DefaultInterval, func() { p.poll(p.ctx, m) }) })
	}
	p.wg.Go(func() {
		every(p.ctx, time.Second, func() {
			file.Flush()
			if m := p.metricsFile(); m != nil {
				m.Flush()
			}
		})
	})
	return p, nil
}

// metricsFile is p.metrics, read under the lock (StartPoller sets it after
// the flusher started).
func (p *Poller) metricsFile() *capdir.LineFile {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.metrics
}

// scrape scrapes m's /metrics once and writes the record.
func (p *Poller) scrape(ctx context.Context, m *polledMember, timeout time.Duration) {
	p.mu.Lock()
	member := m.last.Member
	p.mu.Unlock()
	if line, _, ok := scrapeRecord(ctx, p.scraper.scrape, timeout, m.name, member, m.endpoint); ok {
		p.metrics.Add(line) // an error stays in the file, for Stop
	}
}

// poll asks m for its status once and writes the record.
func (p *Poller) poll(ctx context.Context, m *polledMember) {
	p.mu.Lock()
	rec := capdir.StatusRecord{Time: time.Now().UTC(), Name: m.name, Endpoint: m.endpoint, Member: m.last.Member}
	p.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, p.timeout)
	r, err := m.poller.Status(cctx)
	cancel()
	rec.LatencyMS = float64(time.Since(rec.Time).Microseconds()) / 1000
	if ctx.Err() != nil {
		return // the capture ends: not the member's doing
	}
	if err != nil {
		rec.Error = err.Error()
	} else {
		fillStatus(&rec, r)
	}
	line, _ := json.Marshal(&rec)
	p.file.Add(line) // an error stays in the file, for Stop
	p.mu.Lock()
	m.last, m.polled = rec, true
	p.mu.Unlock()
}

// Snapshot returns the members' states as their last polls tell, and the
// records written so far.
func (p *Poller) Snapshot() Snapshot {
	p.mu.Lock()
	views := make([]memberView, len(p.members))
	for i, m := range p.members {
		views[i] = memberView{name: m.name, id: m.last.Member, last: m.last, polled: m.polled}
	}
	p.mu.Unlock()
	var sn Snapshot
	sn.Leader, sn.Members = memberStates(views, 2*DefaultInterval+p.timeout)
	sn.StatusRecords, _ = p.file.Counts()
	return sn
}

// Last returns each member's last record, by name.
func (p *Poller) Last() map[string]capdir.StatusRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]capdir.StatusRecord, len(p.members))
	for _, m := range p.members {
		out[m.name] = m.last
	}
	return out
}

// Stop ends the polling, and flushes, syncs and closes the files; it returns
// how many records status.jsonl holds (MetricsRecords tells metrics.jsonl's).
func (p *Poller) Stop() (int64, error) {
	p.cancel()
	p.wg.Wait()
	p.closeClients()
	err := p.file.Close()
	if p.metrics != nil {
		err = errors.Join(err, p.metrics.Close())
		p.scraper.close()
	}
	n, _ := p.file.Counts()
	return n, err
}

// MetricsRecords is how many records metrics.jsonl holds; 0 without one.
func (p *Poller) MetricsRecords() int64 {
	m := p.metricsFile()
	if m == nil {
		return 0
	}
	n, _ := m.Counts()
	return n
}

func (p *Poller) closeClients() {
	for _, m := range p.members {
		m.poller.Close()
	}
}

// every calls f now and then every d until ctx ends.
func every(ctx context.Context, d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		f()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// maxStatusTimeout bounds one status call whatever the interval: a member
// that takes longer is recorded as not answering.
const maxStatusTimeout = 5 * time.Second

// statusTimeout bounds one status call of a poll every interval: a member
// that takes longer is recorded as not answering.
func statusTimeout(interval time.Duration) time.Duration {
	return min(max(interval/2, 20*time.Millisecond), maxStatusTimeout)
}
