package capture

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
)

// Poller writes status.jsonl for members that are not containers (repro's
// local members, the pods of a Kubernetes capture): every interval one record
// per member, failures included, as a capture polls its members. Members may
// be added, or moved to another endpoint, while it runs (Add, Replace).
type Poller struct {
	file     *capdir.LineFile
	metrics  *capdir.LineFile // nil: no scraping
	interval time.Duration    // of the status polls
	scrapes  time.Duration    // of the metrics scrapes, with metrics
	timeout  time.Duration
	dial     dialFunc
	scraper  *metricsScraper

	mu      sync.Mutex // guards members, each polledMember's last and polled, and metrics
	members []*polledMember
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// polledMember is one member's status client and its last record.
type polledMember struct {
	name, endpoint string
	poller         statusPoller
	last           capdir.StatusRecord
	polled         bool
	ctx            context.Context // ends when the member is replaced or the poller stops
	stop           context.CancelFunc
	done           sync.WaitGroup // its polls and scrapes
}

// PollerOptions configure a Poller beyond its status file.
type PollerOptions struct {
	// TLS is every connection's to the members; nil is none.
	TLS *tls.Config
	// Interval is how often each member's status is polled (DefaultInterval
	// when zero).
	Interval time.Duration
	// MetricsPath, when set, is the metrics.jsonl to create: each member's
	// /metrics is scraped every MetricsInterval (DefaultMetricsInterval when
	// zero) into it.
	MetricsPath     string
	MetricsInterval time.Duration
}

// StartPoller creates path and polls the members (names[i] at endpoints[i])
// until Stop.
func StartPoller(path string, names, endpoints []string, opts PollerOptions) (*Poller, error) {
	p, err := newPoller(path, etcdDialer(opts.TLS), opts.Interval)
	if err != nil {
		return nil, err
	}
	if opts.MetricsPath != "" {
		mf, err := capdir.CreateLineFile(opts.MetricsPath)
		if err != nil {
			p.Stop()
			return nil, err
		}
		p.mu.Lock() // the flusher reads it
		p.metrics, p.scraper = mf, newMetricsScraper(opts.TLS)
		p.scrapes = cmp.Or(opts.MetricsInterval, DefaultMetricsInterval)
		p.mu.Unlock()
	}
	if err := p.addAll(names, endpoints); err != nil {
		return nil, err
	}
	return p, nil
}

// startPoller is StartPoller with dial for the members' clients, and no
// metrics.
func startPoller(path string, names, endpoints []string, dial dialFunc, interval time.Duration) (*Poller, error) {
	p, err := newPoller(path, dial, interval)
	if err != nil {
		return nil, err
	}
	if err := p.addAll(names, endpoints); err != nil {
		return nil, err
	}
	return p, nil
}

func newPoller(path string, dial dialFunc, interval time.Duration) (*Poller, error) {
	file, err := capdir.CreateLineFile(path)
	if err != nil {
		return nil, err
	}
	interval = cmp.Or(interval, DefaultInterval)
	p := &Poller{file: file, interval: interval, timeout: statusTimeout(interval), dial: dial}
	p.ctx, p.cancel = context.WithCancel(context.Background())
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

// addAll adds the members; on an error it stops p, and p is not to be used.
func (p *Poller) addAll(names, endpoints []string) error {
	for i, name := range names {
		if err := p.Add(name, endpoints[i]); err != nil {
			p.Stop()
			return err
		}
	}
	return nil
}

// Add polls one more member, name at endpoint, from now on.
func (p *Poller) Add(name, endpoint string) error {
	sp, err := p.dial(endpoint)
	if err != nil {
		return fmt.Errorf("client of %s: %w", name, err)
	}
	m := &polledMember{name: name, endpoint: endpoint, poller: sp}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil {
		sp.Close()
		return fmt.Errorf("client of %s: the poller stopped", name)
	}
	m.ctx, m.stop = context.WithCancel(p.ctx)
	p.members = append(p.members, m)
	p.run(m)
	return nil
}

// Replace polls the member name at endpoint instead of where it was (a
// pod recreated, forwarded anew), keeping what its polls told; a member not
// polled yet is added. The old endpoint's polls end before the new ones
// start: no record of it comes after one of the new.
func (p *Poller) Replace(name, endpoint string) error {
	sp, err := p.dial(endpoint)
	if err != nil {
		return fmt.Errorf("client of %s: %w", name, err)
	}
	p.mu.Lock()
	i := slices.IndexFunc(p.members, func(m *polledMember) bool { return m.name == name })
	if i < 0 || p.ctx.Err() != nil {
		p.mu.Unlock()
		sp.Close()
		if i < 0 {
			return p.Add(name, endpoint)
		}
		return fmt.Errorf("client of %s: the poller stopped", name)
	}
	old := p.members[i]
	p.mu.Unlock()
	old.stop()
	old.done.Wait()
	old.poller.Close()

	m := &polledMember{name: name, endpoint: endpoint, poller: sp}
	p.mu.Lock()
	defer p.mu.Unlock()
	m.last, m.polled = old.last, old.polled
	m.last.Endpoint = endpoint
	m.ctx, m.stop = context.WithCancel(p.ctx)
	if j := slices.Index(p.members, old); j >= 0 {
		p.members[j] = m
	} else {
		p.members = append(p.members, m)
	}
	if p.ctx.Err() != nil { // stopped meanwhile: Stop closes its client
		return fmt.Errorf("client of %s: the poller stopped", name)
	}
	p.run(m)
	return nil
}

// run starts m's polls, and its scrapes with metrics; p.mu is held.
func (p *Poller) run(m *polledMember) {
	p.goFor(m, func() { every(m.ctx, p.interval, func() { p.poll(m.ctx, m) }) })
	if p.metrics != nil {
		p.goFor(m, func() { every(m.ctx, p.scrapes, func() { p.scrape(m.ctx, m, statusTimeout(p.scrapes)) }) })
	}
}

// goFor runs f for m: Stop waits for it, and so does Replace of m.
func (p *Poller) goFor(m *polledMember, f func()) {
	m.done.Add(1)
	p.wg.Go(func() {
		defer m.done.Done()
		f()
	})
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
	sn.Leader, sn.Members = memberStates(views, 2*p.interval+p.timeout)
	sn.StatusRecords, _ = p.file.Counts()
	return sn
}

// PolledMember is a member a Poller polls, and where.
type PolledMember struct{ Name, Endpoint string }

// Members returns the members polled, in the order they were added.
func (p *Poller) Members() []PolledMember {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]PolledMember, len(p.members))
	for i, m := range p.members {
		out[i] = PolledMember{m.name, m.endpoint}
	}
	return out
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
	p.mu.Lock() // no Add or Replace starts a goroutine after this
	p.cancel()
	p.mu.Unlock()
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
	p.mu.Lock()
	defer p.mu.Unlock()
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
