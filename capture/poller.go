package capture

import (
	"context"
	"encoding/json"
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
	timeout time.Duration
	members []*polledMember

	mu     sync.Mutex // guards each polledMember's last and polled
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

// StartPoller creates path and polls the members (names[i] at endpoints[i])
// until Stop.
func StartPoller(path string, names, endpoints []string) (*Poller, error) {
	return startPoller(path, names, endpoints, dialEtcd)
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
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	for _, m := range p.members {
		p.wg.Go(func() { every(ctx, DefaultInterval, func() { p.poll(ctx, m) }) })
	}
	p.wg.Go(func() { every(ctx, time.Second, func() { file.Flush() }) })
	return p, nil
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
	sn.Leader, sn.Members = memberStates(views)
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

// Stop ends the polling, and flushes, syncs and closes the file; it returns
// how many records it holds.
func (p *Poller) Stop() (int64, error) {
	p.cancel()
	p.wg.Wait()
	p.closeClients()
	err := p.file.Close()
	n, _ := p.file.Counts()
	return n, err
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

// statusTimeout bounds one status call of a poll every interval: a member
// that takes longer is recorded as not answering.
func statusTimeout(interval time.Duration) time.Duration {
	return min(max(interval/2, 20*time.Millisecond), maxStatusTimeout)
}
