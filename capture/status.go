package capture

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
)

// memberSlot is one member the capture polls. Its fields are guarded by
// Session.mu, except the poller, which its poll loop owns.
type memberSlot struct {
	name        string
	service     string
	containerID string
	endpoint    string
	static      bool // from Options.Endpoints or ConfigEndpoints
	unnamed     bool // name is a placeholder until the member tells its own
	id          uint64
	etcdName    string
	version     string
	last        capdir.StatusRecord
	polled      bool
	askedNames  time.Time // when the member was last asked for the members' names

	pmu       sync.Mutex
	poller    statusPoller
	pollerFor string
}

func (m *memberSlot) closePoller() {
	m.pmu.Lock()
	defer m.pmu.Unlock()
	if m.poller != nil {
		m.poller.Close()
		m.poller = nil
	}
}

// addMemberLocked adds m and starts polling it.
func (s *Session) addMemberLocked(m *memberSlot) {
	s.members = append(s.members, m)
	s.metaDirty = true
	ctx := s.runCtx
	s.wg.Go(func() { s.pollLoop(ctx, m) })
	if s.scrape != nil {
		s.wg.Go(func() { every(ctx, s.opts.MetricsInterval, func() { s.scrapeMetrics(ctx, m) }) })
	}
}

// scrapeMetrics scrapes m's /metrics once and writes the record, failure
// included; a member with no client URL yet is skipped (its status records
// say why).
func (s *Session) scrapeMetrics(ctx context.Context, m *memberSlot) {
	s.mu.Lock()
	name, endpoint, id := m.name, m.endpoint, hexID(m.id)
	s.mu.Unlock()
	if endpoint == "" {
		return
	}
	line, _, ok := scrapeRecord(ctx, s.scrape, statusTimeout(s.opts.MetricsInterval), name, id, endpoint)
	if !ok {
		return
	}
	if err := s.metrics.Add(line); err != nil {
		s.fail(err)
	}
}

// containerEndpoint is the client URL of a container's published port:
// https when the capture has a TLS configuration.
func (s *Session) containerEndpoint(c containerInfo) string {
	if s.opts.TLS != nil {
		if rest, ok := strings.CutPrefix(c.Endpoint, "http://"); ok {
			return "https://" + rest
		}
	}
	return c.Endpoint
}

// updateMemberLocked binds a member container to its slot: the one of its
// name, else a static one polling its endpoint, else (unless the endpoints
// were given) a new one.
func (s *Session) updateMemberLocked(ctx context.Context, c containerInfo) {
	if !c.Member || ctx.Err() != nil {
		return
	}
	name := c.member()
	c.Endpoint = s.containerEndpoint(c)
	var slot *memberSlot
	for _, m := range s.members {
		if !m.static && m.name == name {
			slot = m
			break
		}
	}
	if slot == nil && c.Endpoint != "" {
		for _, m := range s.members {
			if m.static && m.endpoint == c.Endpoint && (m.containerID == "" || m.containerID == c.ID || m.service == c.Service) {
				slot = m
				break
			}
		}
	}
	switch {
	case slot != nil:
		if slot.containerID != c.ID || slot.service != c.Service || slot.unnamed {
			s.metaDirty = true
		}
		slot.containerID, slot.service = c.ID, c.Service
		if slot.unnamed || slot.static {
			slot.name, slot.unnamed = name, false
		}
		if !slot.static && c.Endpoint != "" {
			slot.endpoint = c.Endpoint
		}
	case len(s.opts.Endpoints) == 0:
		s.addMemberLocked(&memberSlot{name: name, service: c.Service, containerID: c.ID, endpoint: c.Endpoint})
	}
}

// pollLoop polls m every interval until ctx ends.
func (s *Session) pollLoop(ctx context.Context, m *memberSlot) {
	every(ctx, s.opts.Interval, func() { s.poll(ctx, m) })
}

// poll asks m for its status once and writes the record, failure included.
func (s *Session) poll(ctx context.Context, m *memberSlot) {
	s.mu.Lock()
	rec := capdir.StatusRecord{Time: time.Now(), Name: m.name, Endpoint: m.endpoint}
	if m.id != 0 {
		rec.Member = hexID(m.id)
	}
	s.mu.Unlock()

	var r statusReply
	var err error
	if rec.Endpoint == "" {
		rec.Error = "no client URL: the container is not running, or does not publish 2379/tcp"
	} else {
		r, err = s.askStatus(ctx, m, rec.Endpoint)
		rec.LatencyMS = float64(time.Since(rec.Time).Microseconds()) / 1000
		if ctx.Err() != nil {
			return // the capture ends: not the member's fault
		}
		if err != nil {
			rec.Error = err.Error()
		}
	}
	if rec.Error != "" {
		s.noteMemberError(m, rec.Name+": "+rec.Error)
	}
	if rec.Error == "" {
		fillStatus(&rec, r)
		s.learn(ctx, m, r, &rec)
	}

	line, _ := json.Marshal(&rec)
	if err := s.status.Add(line); err != nil {
		s.fail(err)
	}
	s.mu.Lock()
	m.last, m.polled = rec, true
	s.mu.Unlock()
}

func (s *Session) askStatus(ctx context.Context, m *memberSlot, endpoint string) (statusReply, error) {
	m.pmu.Lock()
	defer m.pmu.Unlock()
	if m.poller != nil && m.pollerFor != endpoint {
		m.poller.Close()
		m.poller = nil
	}
	if m.poller == nil {
		p, err := s.dial(endpoint)
		if err != nil {
			return statusReply{}, err
		}
		m.poller, m.pollerFor = p, endpoint
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return m.poller.Status(cctx)
}

// learn keeps what a reply tells of m: its ID, version and, for a member
// known by its endpoint only, its name.
func (s *Session) learn(ctx context.Context, m *memberSlot, r statusReply, rec *capdir.StatusRecord) {
	s.mu.Lock()
	if m.id != r.ID || m.version != r.Version {
		m.id, m.version = r.ID, r.Version
		s.metaDirty = true
	}
	_, named := s.names[r.ID]
	ask := !named && time.Since(m.askedNames) > 5*time.Second
	if ask {
		m.askedNames = time.Now()
	}
	s.mu.Unlock()
	if ask {
		m.pmu.Lock()
		p := m.poller
		m.pmu.Unlock()
		if p != nil {
			cctx, cancel := context.WithTimeout(ctx, s.timeout)
			names, err := p.Members(cctx)
			cancel()
			if err == nil {
				s.mu.Lock()
				for id, n := range names {
					if n != "" {
						s.names[id] = n
					}
				}
				s.metaDirty = true
				s.mu.Unlock()
			}
		}
	}
	s.mu.Lock()
	m.etcdName = s.names[r.ID]
	if m.unnamed && m.etcdName != "" {
		m.name, m.unnamed = m.etcdName, false
		s.metaDirty = true
	}
	rec.Name = m.name
	s.mu.Unlock()
}

func hexID(id uint64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatUint(id, 16)
}

// raftStateName turns raft's "StatePreCandidate" into "pre-candidate".
func raftStateName(s string) string {
	switch s {
	case "StateFollower":
		return "follower"
	case "StatePreCandidate":
		return "pre-candidate"
	case "StateCandidate":
		return "candidate"
	case "StateLeader":
		return "leader"
	}
	return strings.ToLower(strings.TrimPrefix(s, "State"))
}

func hostOf(endpoint string) string {
	_, rest, ok := strings.Cut(endpoint, "://")
	if !ok {
		return endpoint
	}
	return rest
}
