package repro

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/etcdpm/etcdpm/capture"
)

// statusInterval is how often the local backend polls each member, as capture does by default.
const statusInterval = capture.DefaultInterval

// statusTimeout bounds one poll; a member that does not answer within it is recorded as such.
const statusTimeout = 200 * time.Millisecond

// statusPoller writes status.jsonl for members that are not containers: every statusInterval,
// one capture.StatusRecord per member, failures included (they are the evidence of a member
// that is down or frozen).
type statusPoller struct {
	members []*polledMember

	mu      sync.Mutex
	w       *bufio.Writer
	f       *os.File
	records int64
	err     error

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// polledMember is one member's status client, to that member only, and its last record.
type polledMember struct {
	name, endpoint string
	client         *capture.StatusClient

	last   capture.StatusRecord // guarded by statusPoller.mu
	polled bool
}

// startStatusPoller creates path and polls the members (name to client URL, in order) until
// stop.
func startStatusPoller(path string, names, endpoints []string) (*statusPoller, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	s := &statusPoller{f: f, w: bufio.NewWriterSize(f, 64<<10)}
	for i, name := range names {
		m, err := dialMember(name, endpoints[i])
		if err != nil {
			s.closeClients()
			f.Close()
			return nil, err
		}
		s.members = append(s.members, m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for _, m := range s.members {
		s.wg.Go(func() { s.loop(ctx, m) })
	}
	s.wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.mu.Lock()
				if err := s.w.Flush(); err != nil && s.err == nil {
					s.err = err
				}
				s.mu.Unlock()
			}
		}
	})
	return s, nil
}

func dialMember(name, endpoint string) (*polledMember, error) {
	c, err := capture.DialStatus(endpoint)
	if err != nil {
		return nil, fmt.Errorf("client of %s: %w", name, err)
	}
	return &polledMember{name: name, endpoint: endpoint, client: c}, nil
}

func (s *statusPoller) loop(ctx context.Context, m *polledMember) {
	t := time.NewTicker(statusInterval)
	defer t.Stop()
	for {
		s.poll(ctx, m)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// poll asks m for its status once and writes the record.
func (s *statusPoller) poll(ctx context.Context, m *polledMember) {
	s.mu.Lock()
	rec := capture.StatusRecord{Time: time.Now().UTC(), Name: m.name, Endpoint: m.endpoint, Member: m.last.Member}
	s.mu.Unlock()

	pctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	m.client.Poll(pctx, &rec)
	if ctx.Err() != nil {
		return // the capture ends: not the member's doing
	}
	line, _ := json.Marshal(&rec)
	s.mu.Lock()
	defer s.mu.Unlock()
	m.last, m.polled = rec, true
	if s.err != nil {
		return
	}
	s.w.Write(line)
	if err := s.w.WriteByte('\n'); err != nil {
		s.err = err
		return
	}
	s.records++
}

func (s *statusPoller) snapshot() capture.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sn capture.Snapshot
	nameOf := map[string]string{}
	for _, m := range s.members {
		if m.last.Member != "" {
			nameOf[m.last.Member] = m.name
		}
	}
	votes := map[string]int{}
	for _, m := range s.members {
		term := m.last.Term
		if term == 0 {
			term = m.last.RaftTerm
		}
		ms := capture.MemberState{Name: m.name, Polled: m.polled, OK: m.last.OK, Term: term, Error: m.last.Error}
		if m.last.OK && m.last.Leader != "" {
			ms.Leader = nameOf[m.last.Leader]
			votes[ms.Leader]++
		}
		sn.Members = append(sn.Members, ms)
	}
	for name, n := range votes { // the leader a majority follows, as cluster.Leader decides
		if n > len(s.members)/2 {
			sn.Leader = name
		}
	}
	sn.StatusRecords = s.records
	return sn
}

// stop ends the polling and writes the rest of the file; it returns how many records it wrote.
func (s *statusPoller) stop() (int64, error) {
	s.cancel()
	s.wg.Wait()
	s.closeClients()
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.err
	if ferr := s.w.Flush(); err == nil {
		err = ferr
	}
	if serr := s.f.Sync(); err == nil {
		err = serr
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		err = fmt.Errorf("writing %s: %w", s.f.Name(), err)
	}
	return s.records, err
}

func (s *statusPoller) closeClients() {
	for _, m := range s.members {
		m.client.Close()
	}
}

// last returns each member's last record, by name.
func (s *statusPoller) last() map[string]capture.StatusRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]capture.StatusRecord, len(s.members))
	for _, m := range s.members {
		out[m.name] = m.last
	}
	return out
}

// hexID prints a member ID as etcd does.
func hexID(id uint64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatUint(id, 16)
}
