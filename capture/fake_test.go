package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"
)

// fakeEngine is a Docker engine in memory: containers with logs that can be
// stopped and started, and the events that go with it.
type fakeEngine struct {
	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every change
	containers map[string]*fakeContainer
	events     []dockerEvent
	clock      time.Time
	// chunk, when set, cuts the bytes of log streams at random places.
	chunk bool
	// logCalls counts Logs calls, by follow.
	logCalls map[bool]int
}

type fakeContainer struct {
	info  containerInfo
	lines []fakeLine
}

type fakeLine struct {
	ts   time.Time
	text string
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{
		changed:    make(chan struct{}),
		containers: make(map[string]*fakeContainer),
		clock:      time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC),
		logCalls:   make(map[bool]int),
	}
}

// now returns a new daemon time, after every one before.
func (e *fakeEngine) now() time.Time {
	t := time.Now()
	if !t.After(e.clock) {
		t = e.clock.Add(time.Nanosecond)
	}
	e.clock = t
	return t
}

func (e *fakeEngine) notifyLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

func (e *fakeEngine) eventLocked(typ, action string, c *fakeContainer, attrs map[string]string) {
	a := map[string]string{
		"name": c.info.Name, labelProject: c.info.Project, labelService: c.info.Service,
		labelNumber: fmt.Sprint(c.info.Number), "image": c.info.Image,
	}
	for k, v := range attrs {
		a[k] = v
	}
	e.events = append(e.events, dockerEvent{Time: e.now(), Type: typ, Action: action, Container: c.info.ID, Attributes: a})
}

// add creates a container of project, service and number, running or not.
func (e *fakeEngine) add(project, service string, number int, endpoint string, running bool) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := fmt.Sprintf("c%02d-%s-%d", len(e.containers), service, number)
	c := &fakeContainer{info: containerInfo{
		ID: id, Name: fmt.Sprintf("%s_%s_%d", project, service, number), Project: project,
		Service: service, Number: number, Image: "etcdpm/etcd:test", Member: endpoint != "", Endpoint: endpoint,
	}}
	e.containers[id] = c
	e.eventLocked("container", "create", c, nil)
	if running {
		c.info.Running = true
		e.eventLocked("container", "start", c, nil)
	}
	e.notifyLocked()
	return id
}

// log appends lines to a container's log, stamped now (or at ts when not zero).
func (e *fakeEngine) log(id string, ts time.Time, texts ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.containers[id]
	for _, t := range texts {
		at := ts
		if at.IsZero() {
			at = e.now()
		}
		c.lines = append(c.lines, fakeLine{at, t})
	}
	e.notifyLocked()
}

func (e *fakeEngine) stop(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.containers[id]
	e.eventLocked("container", "kill", c, map[string]string{"signal": "15"})
	c.info.Running = false
	e.eventLocked("container", "die", c, map[string]string{"exitCode": "0"})
	e.eventLocked("container", "stop", c, nil)
	e.notifyLocked()
}

func (e *fakeEngine) start(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.containers[id]
	c.info.Running = true
	e.eventLocked("container", "start", c, nil)
	e.notifyLocked()
}

func (e *fakeEngine) action(id, typ, action string, attrs map[string]string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.eventLocked(typ, action, e.containers[id], attrs)
	e.notifyLocked()
}

// allLines returns what `docker logs --timestamps` would print for id.
func (e *fakeEngine) allLines(id string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, l := range e.containers[id].lines {
		out = append(out, l.ts.Format(rfc3339NanoFixed)+" "+l.text)
	}
	return out
}

const rfc3339NanoFixed = "2006-01-02T15:04:05.000000000Z07:00"

func (e *fakeEngine) Version(context.Context) (string, string, error) { return "fake", "1.41", nil }
func (e *fakeEngine) Close() error                                    { return nil }

func (e *fakeEngine) Containers(_ context.Context, project string) ([]containerInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var cs []containerInfo
	for _, c := range e.containers {
		if c.info.Project == project {
			cs = append(cs, c.info)
		}
	}
	return cs, nil
}

func (e *fakeEngine) Projects(context.Context) (map[string][]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ps := map[string][]string{}
	for _, c := range e.containers {
		ps[c.info.Project] = []string{"/nowhere/" + c.info.Project + "/docker-compose.yml"}
	}
	return ps, nil
}

func (e *fakeEngine) Inspect(_ context.Context, id string) (containerInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.containers[id]
	if !ok {
		return containerInfo{}, errNotFound
	}
	return c.info, nil
}

func (e *fakeEngine) Logs(ctx context.Context, id, since string, follow bool, w io.Writer) error {
	var from time.Time
	if since != "" {
		t, err := time.Parse(time.RFC3339Nano, since)
		if err != nil {
			return err
		}
		from = t
	}
	e.mu.Lock()
	e.logCalls[follow]++
	e.mu.Unlock()
	next := 0
	for {
		e.mu.Lock()
		c, ok := e.containers[id]
		if !ok {
			e.mu.Unlock()
			return errNotFound
		}
		var buf []byte
		for ; next < len(c.lines); next++ {
			l := c.lines[next]
			if !l.ts.Before(from) { // since is inclusive, as the daemon's
				buf = append(buf, l.ts.Format(rfc3339NanoFixed)+" "+l.text+"\n"...)
			}
		}
		running := c.info.Running
		changed := e.changed
		chunk := e.chunk
		e.mu.Unlock()
		for len(buf) > 0 {
			if err := ctx.Err(); err != nil { // as a cancelled request's body read does
				return err
			}
			n := len(buf)
			if chunk {
				n = min(n, 1+rand.IntN(40))
			}
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
			buf = buf[n:]
		}
		if !follow || !running {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

func (e *fakeEngine) Events(ctx context.Context, since, until time.Time) (<-chan dockerEvent, <-chan error) {
	out := make(chan dockerEvent)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		next := 0
		for {
			e.mu.Lock()
			var evs []dockerEvent
			for ; next < len(e.events); next++ {
				ev := e.events[next]
				if !ev.Time.Before(since) && (until.IsZero() || !ev.Time.After(until)) {
					evs = append(evs, ev)
				}
			}
			changed := e.changed
			e.mu.Unlock()
			for _, ev := range evs {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
			if !until.IsZero() {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-changed:
			}
		}
	}()
	return out, errc
}

// fakeCluster answers status polls for members by endpoint.
type fakeCluster struct {
	mu      sync.Mutex
	members map[string]*fakeMember
}

type fakeMember struct {
	id, leader, term uint64
	name             string
	up               bool
}

func (fc *fakeCluster) set(endpoint string, f func(m *fakeMember)) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	f(fc.members[endpoint])
}

func (fc *fakeCluster) dial(endpoint string) (statusPoller, error) {
	return &fakePoller{fc: fc, endpoint: endpoint}, nil
}

type fakePoller struct {
	fc       *fakeCluster
	endpoint string
}

func (p *fakePoller) Status(ctx context.Context) (statusReply, error) {
	p.fc.mu.Lock()
	defer p.fc.mu.Unlock()
	m, ok := p.fc.members[p.endpoint]
	if !ok || !m.up {
		return statusReply{}, errors.New("dial tcp " + hostOf(p.endpoint) + ": connect: connection refused")
	}
	state := "StateFollower"
	switch {
	case m.leader == m.id:
		state = "StateLeader"
	case m.leader == 0:
		state = "StateCandidate"
	}
	return statusReply{ID: m.id, Leader: m.leader, Term: m.term, Index: 10, Applied: 10, DBSize: 20480, Version: "3.6.16",
		Raft: &raftStatus{Term: m.term, State: state, Lead: hexID(m.leader)}}, nil
}

func (p *fakePoller) Members(ctx context.Context) (map[uint64]string, error) {
	p.fc.mu.Lock()
	defer p.fc.mu.Unlock()
	names := map[uint64]string{}
	for _, m := range p.fc.members {
		names[m.id] = m.name
	}
	return names, nil
}

func (p *fakePoller) Close() error { return nil }
