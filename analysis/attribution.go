package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// source is one (input, envelope name) pair: the lines of one stream in one
// input. The parser says of each line only what the line itself says; the
// source decides who wrote the lines that name no member: the member of its
// last line that did. Lines before the first such line wait in pending and
// are given to that member once it is known.
type source struct {
	input        int
	name         string
	member       int32 // the first member its lines named: -1 while unknown, -2 when several
	cur          int32 // the member its last self-naming line named, -1 before one
	preVote      int8
	version      string
	ident        string // a name its identity lines announced
	said         string // a name its other lines announced (a server start's)
	pending      []parser.Event
	pendingBytes int
}

// attribute returns the member that logged ev, or nil when not known yet.
func (a *Analyzer) attribute(ev *parser.Event) *member {
	s := a.findSource(ev.Input, ev.Source)
	var m *member
	switch {
	case s != nil && s.cur >= 0 && (ev.Member == 0 || a.mem[s.cur].id == ev.Member):
		m = a.mem[s.cur] // the member the source's last self-naming line named
	case ev.Member != 0:
		m = a.member(ev.Member)
		if ev.Name != "" {
			m.setName(ev.Name, nameFrom(ev))
		}
		a.bind(s, ev.Input, ev.Source, m)
		return m
	default:
		return nil
	}
	if ev.Name != "" {
		m.setName(ev.Name, nameFrom(ev))
	}
	return m
}

func nameFrom(ev *parser.Event) nameRank {
	if ev.Kind == parser.MemberIdentity {
		return nameIdentity
	}
	return nameEnvelope
}

func (a *Analyzer) findSource(input int, name string) *source {
	if i := a.lastSrc; i < len(a.sources) && a.sources[i].input == input && a.sources[i].name == name {
		return &a.sources[i]
	}
	if i, ok := a.srcIx[srcKey{input, name}]; ok {
		a.lastSrc = i
		return &a.sources[i]
	}
	return nil
}

// srcKey finds a source in Analyzer.srcIx: many members, each its own
// source, cost no scan of the sources per line.
type srcKey struct {
	input int
	name  string
}

// newSource adds the source (input, name), or returns nil past maxSources.
func (a *Analyzer) newSource(input int, name string, member int32) *source {
	if len(a.sources) >= maxSources {
		return nil
	}
	a.sources = append(a.sources, source{input: input, name: name, member: member, cur: member})
	a.lastSrc = len(a.sources) - 1
	if a.srcIx == nil {
		a.srcIx = make(map[srcKey]int)
	}
	a.srcIx[srcKey{input, name}] = a.lastSrc
	return &a.sources[a.lastSrc]
}

// bind ties the source s (input, name), nil when new, to m, the member its
// current line names; the first time, it hands m what the source learned
// before and the lines that waited for it.
func (a *Analyzer) bind(s *source, input int, name string, m *member) {
	if s == nil {
		if a.newSource(input, name, m.ix) != nil {
			m.setName(name, nameEnvelope)
		}
		return
	}
	s.cur = m.ix
	switch {
	case s.member == m.ix || s.member == -2:
		return
	case s.member >= 0:
		// One source holding several members' lines: an input that
		// interleaves them with nothing naming the member on each line.
		s.member = -2
		a.interleaved[input] = true
		return
	}
	s.member = m.ix
	s.handTo(m)
	m.setName(name, nameEnvelope)
	pending := s.pending
	a.pendingBytes -= s.pendingBytes
	s.pending, s.pendingBytes = nil, 0
	for i := range pending { // s may move: a.sources can grow meanwhile
		a.Add(&pending[i])
	}
}

// maxSources bounds the (input, name) pairs kept.
const maxSources = 4096

// maxPending bounds the lines kept waiting for their member, per source and
// in all (their texts' bytes).
const (
	maxPending      = 256
	maxPendingBytes = 4 << 20
)

// addUnattributed keeps what a line of a not yet known member says: what a
// start or identity line says, and the other lines themselves until their
// member is known. An unreachable peer is noted at once.
func (a *Analyzer) addUnattributed(ev *parser.Event, t time.Time) {
	switch ev.Kind {
	case parser.StreamLost, parser.PeerInactive, parser.ProberUnhealthy, parser.PeerURLUnreachable:
		a.unreachableHint(nil, ev, t)
		return
	}
	s := a.findSource(ev.Input, ev.Source)
	if s == nil {
		if s = a.newSource(ev.Input, ev.Source, -1); s == nil {
			return
		}
	}
	switch ev.Kind {
	case parser.ServerStart, parser.MemberIdentity:
		if ev.PreVote != 0 {
			s.preVote = ev.PreVote
		}
		if ev.Version != "" {
			s.version = ev.Version
		}
		if ev.Name != "" && ev.Kind == parser.MemberIdentity {
			s.ident = ev.Name
		} else if ev.Name != "" {
			s.said = ev.Name
		}
		return
	}
	if ev.Name != "" {
		s.said = ev.Name
	}
	if len(s.pending) < maxPending && a.pendingBytes+len(ev.Text) <= maxPendingBytes {
		s.pending = append(s.pending, ev.Clone())
		s.pendingBytes += len(ev.Text)
		a.pendingBytes += len(ev.Text)
	}
}

// settleSources gives the members what unbound sources learned, when their
// input holds a single member.
func (a *Analyzer) settleSources() {
	for i := range a.sources {
		s := &a.sources[i]
		if s.member != -1 {
			continue
		}
		only := int32(-1)
		for j := range a.sources {
			o := &a.sources[j]
			if o.input != s.input || o.member == -1 {
				continue
			}
			if o.member < 0 || (only >= 0 && o.member != only) {
				only = -2
				break
			}
			only = o.member
		}
		if only < 0 {
			continue
		}
		s.handTo(a.mem[only])
	}
}

// handTo gives m what the source's lines said before m was known.
func (s *source) handTo(m *member) {
	if s.preVote != 0 && m.preVote == 0 {
		m.preVote = s.preVote
	}
	if s.version != "" && m.version == "" {
		m.version = s.version
	}
	if s.ident != "" {
		m.setName(s.ident, nameIdentity)
	}
	if s.said != "" {
		m.setName(s.said, nameEnvelope)
	}
}
