package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// episode is a run of server hints about one member (slowness, or being
// unreachable), with gaps shorter than episodeGap.
type episode struct {
	subject    int32
	start, end time.Time
	count      int
	reporters  uint64

	heartbeat, fsync, apply, tick int
	maxHeartbeat, maxFsync        time.Duration
	maxApply                      time.Duration
	failed                        int  // waited: requests that ended in an error
	leader                        bool // the subject was leader during it

	prober, url bool
	afterStop   bool // the subject had shut down when the reports began
	cutOff      bool // the subject could not reach its reporters either (see cutOffFrom)
	cutOffView  bool // its one reporter's view of being cut off: no finding of its own

	ev evidence
}

// maxEpisodes bounds the clock-drift pairs and the shutdowns kept.
const maxEpisodes = 5000

func (a *Analyzer) slowHint(m *member, ev *parser.Event, t time.Time) {
	if ev.Kind == parser.SlowApply && (ev.Failed || m.leaderlessSince(t.Add(-ev.Duration))) {
		a.waitedHint(m, ev, t)
		return
	}
	e := a.episode(&a.slow, &m.slowEp, m.ix, t)
	if t.After(e.end) {
		e.end = t
	}
	e.count++
	d := ev.Duration
	switch ev.Kind {
	case parser.HeartbeatLate:
		e.heartbeat++
		if d > e.maxHeartbeat {
			e.maxHeartbeat = d
		}
	case parser.SlowFdatasync:
		e.fsync++
		if d > e.maxFsync {
			e.maxFsync = d
		}
	case parser.SlowApply:
		e.apply++
		if d > e.maxApply {
			e.maxApply = d
		}
	case parser.TickMissed:
		e.tick++
	}
	if m.state == StateLeader {
		e.leader = true
	}
	if ev.Kind != parser.SlowApply || e.ev.total < evHead {
		e.ev.add(ev, t, a.seq)
	}
	if e.count <= 2 {
		a.tl.add(ev, m, t, a.seq)
	}
}

// leaderlessSince reports whether m had no leader at some time from t on,
// by its own lines: a request it served then waited for an election (a
// ReadIndex or a proposal needs a leader), not on its disk.
func (m *member) leaderlessSince(t time.Time) bool {
	switch {
	case m.state == StateCandidate || m.state == StatePreCandidate:
		return true
	case m.lead == 0:
		return !m.noLeadSince.IsZero()
	}
	return m.leadSince.After(t)
}

// waitedHint records a request that ended in an error (context canceled,
// deadline exceeded) or that took long while its member had no leader: what
// clients saw of an election or a quorum loss. It is no sign of a slow member.
func (a *Analyzer) waitedHint(m *member, ev *parser.Event, t time.Time) {
	e := a.episode(&a.waited, &m.waitEp, m.ix, t)
	if t.After(e.end) {
		e.end = t
	}
	e.count++
	e.apply++
	if ev.Failed {
		e.failed++
	}
	if ev.Duration > e.maxApply {
		e.maxApply = ev.Duration
	}
	if e.ev.total < evHead {
		e.ev.add(ev, t, a.seq)
	}
}

// waitedDuring sums the requests that waited for a leader in [from, to].
func (a *Analyzer) waitedDuring(from, to time.Time) (n, failed int, max time.Duration, who uint64, ev []evLine) {
	for _, e := range a.waited.closed {
		if e.end.Before(from) || e.start.After(to) {
			continue
		}
		n += e.count
		failed += e.failed
		if e.maxApply > max {
			max = e.maxApply
		}
		who |= bit(e.subject)
		if ls := e.ev.lines(); len(ls) > 0 && len(ev) < 2 {
			ev = append(ev, ls[0])
		}
	}
	return n, failed, max, who, ev
}

// unreachableHint records that reporter (nil when unknown) could not reach
// ev.Peer.
func (a *Analyzer) unreachableHint(reporter *member, ev *parser.Event, t time.Time) {
	s := a.member(ev.Peer)
	if s == nil || s == reporter {
		return
	}
	if reporter != nil && !reporter.up {
		return // a stopping member losing its own connections
	}
	conn := ev.Kind == parser.StreamLost || ev.Kind == parser.PeerInactive
	if conn && (s.unreachSince.IsZero() || s.unreachSince.Before(s.lastSeen)) {
		s.unreachSince = t
	}
	stopped := s.hasLogs && !s.up
	if e := s.unrEp; e != nil && stopped && !e.afterStop {
		a.closeEpisode(&a.unreach, e) // reports after its shutdown are a new, expected episode
		s.unrEp = nil
	}
	e := a.episode(&a.unreach, &s.unrEp, s.ix, t)
	if e.count == 0 {
		e.afterStop = stopped
	}
	if t.After(e.end) {
		e.end = t
	}
	e.count++
	if reporter != nil {
		e.reporters |= bit(reporter.ix)
	}
	switch ev.Kind {
	case parser.ProberUnhealthy:
		if !e.prober {
			e.ev.add(ev, t, a.seq)
		}
		e.prober = true
	case parser.PeerURLUnreachable:
		if !e.url {
			e.ev.add(ev, t, a.seq)
		}
		e.url = true
	default:
		if e.ev.total < 2 {
			e.ev.add(ev, t, a.seq)
		}
	}
	if e.count == 1 {
		a.tl.add(ev, reporter, t, a.seq)
	}
}

// drift is the clock difference one member measured against a peer.
type drift struct {
	reporter, subject int32
	first, last       time.Time
	count             int
	max               time.Duration
	ev                evidence
}

func (a *Analyzer) clockDrift(m *member, ev *parser.Event, t time.Time) {
	s := a.member(ev.Peer)
	if s == nil {
		return
	}
	var d *drift
	for _, x := range a.drifts {
		if x.reporter == m.ix && x.subject == s.ix {
			d = x
			break
		}
	}
	if d == nil {
		if len(a.drifts) >= maxEpisodes {
			return
		}
		d = &drift{reporter: m.ix, subject: s.ix, first: t}
		a.drifts = append(a.drifts, d)
		a.tl.add(ev, m, t, a.seq)
	}
	d.last = t
	d.count++
	if ev.Duration > d.max || -ev.Duration > d.max {
		d.max = ev.Duration
		if d.max < 0 {
			d.max = -d.max
		}
	}
	if d.ev.total < evHead {
		d.ev.add(ev, t, a.seq)
	}
}
