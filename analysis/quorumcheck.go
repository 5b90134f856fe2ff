package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// noQuorum decides whether the campaigns of streak s, from..to, failed for
// want of a quorum: the members known up then (the campaigner, every peer
// that answered it, granted or refused, since a refusal proves the peer
// runs, and every member whose own lines run then, or whose vote requests
// a peer logged then, unless peers could not reach it) are fewer than a
// quorum, and the peers neither answering nor shown down or unreachable could not
// have elected a leader without it either. A member alone whose silent peers
// would make a quorum may be cut off from a working majority: that is a
// loop, not a quorum loss. The cluster's size must be known from a campaign
// round the logs show whole (a cut round lists only some peers).
func (a *Analyzer) noQuorum(f *facts, s *streak, responders uint64, from, to time.Time) bool {
	m := a.mem[s.member]
	if !s.fullRound && a.logged() < 2 {
		return false
	}
	n := len(m.peers) + 1
	if f.n > n {
		n = f.n
	}
	q := n/2 + 1
	up := bit(m.ix) | responders
	for _, x := range a.mem {
		if (a.aliveDuring(x, from, to) || a.askedDuring(x, from, to)) && (x == m || !a.shownOut(x, from, to)) {
			up |= bit(x.ix)
		}
	}
	if popcount(up) >= q {
		return false // enough ran: split votes, refused candidacies
	}
	silent := 0
	for _, id := range m.peers {
		p := a.member(id)
		if up&bit(p.ix) == 0 && !a.shownOut(p, from, to) {
			silent++
		}
	}
	return silent < q
}

// askedDuring reports whether a peer logged x's vote request during (from,
// to), or shortly after: x ran then, whether or not it has lines of its own.
func (a *Analyzer) askedDuring(x *member, from, to time.Time) bool {
	return !x.askedAt.IsZero() && !x.askedAt.Before(from) && !x.askedAt.After(to.Add(unreachSlack))
}

// logged counts the members with lines of their own.
func (a *Analyzer) logged() int {
	n := 0
	for _, m := range a.mem {
		if m.hasLogs {
			n++
		}
	}
	return n
}

// shownOut reports whether lines show p down or unreachable during
// from..to: its own shutdown or kill, or peers failing to reach it (stream
// lost, prober or health-check failures, peer URL unreachable, inactive)
// while the window runs, or shortly before it and with no link to it back
// (a stream established, a peer become active) by the window's start: a
// partition healed before the election does not keep p out of it.
func (a *Analyzer) shownOut(p *member, from, to time.Time) bool {
	if p.downAt(from) || p.downAt(to) || (p.hasLogs && (p.lastSeen.Before(from) || p.firstSeen.After(to))) {
		return true
	}
	for _, sp := range p.unrSpans {
		if sp.from.After(to.Add(unreachSlack)) || sp.to.Before(from.Add(-episodeGap)) {
			continue // reports of another time
		}
		if !sp.to.Before(from) || sp.back.IsZero() || sp.back.After(from) {
			return true
		}
	}
	return false
}

// unreachSlack is how long after a campaign a report of a peer unreachable
// still speaks of it (probers report every few seconds).
const unreachSlack = 5 * time.Second

// unrSpan is a span of reports of a member unreachable, and when a link with
// it came back after the last of them.
type unrSpan struct {
	span
	back time.Time // the first link established after sp.to; zero if none (yet)
}

// noteUnreach records a report of m unreachable at t, joining reports less
// than episodeGap apart; true when the report begins a new span. A report
// after the link came back makes the span hold again.
func (m *member) noteUnreach(t time.Time) bool {
	const maxSpans = 64
	if n := len(m.unrSpans); n > 0 {
		last := &m.unrSpans[n-1]
		if t.Sub(last.to) < episodeGap {
			if t.After(last.to) {
				last.to = t
			}
			if !last.back.IsZero() && !last.back.After(t) {
				last.back = time.Time{}
			}
			return false
		}
		if n == maxSpans {
			copy(m.unrSpans, m.unrSpans[1:])
			m.unrSpans = m.unrSpans[:n-1]
		}
	}
	m.unrSpans = append(m.unrSpans, unrSpan{span: span{t, t}})
	return true
}

// sentBy tells the kinds whose line is of a raft message that Peer sent
// and the logging member received: the two were linked then.
func sentBy(k parser.Kind) bool {
	switch k {
	case parser.VoteGranted, parser.VoteRejected, parser.VoteCast, parser.VoteRefused, parser.VoteIgnoredLease,
		parser.HigherTermMessage, parser.LowerTermMessage, parser.TimeoutNowReceived:
		return true
	}
	return false
}

// heardFrom notes that m received a raft message from peer at t: peer ran
// then, and the link between them was up, as when a stream between them is
// established (noteBack on both). A peer that is no member yet (a message
// the analysis keeps no record of) has the time kept for when it becomes
// one.
func (a *Analyzer) heardFrom(m *member, peer parser.ID, t time.Time) {
	const maxHeard = 64
	if peer == m.id {
		return // its own vote
	}
	m.noteBack(t)
	ix := a.lookup(peer)
	if ix < 0 {
		if a.heard == nil {
			a.heard = make(map[parser.ID]time.Time)
		}
		if _, ok := a.heard[peer]; ok || len(a.heard) < maxHeard {
			a.heard[peer] = t
		}
		return
	}
	p := a.mem[ix]
	p.heardAt = t
	p.noteBack(t)
}

// noteBack records a link with m established at t (its stream with a peer,
// or a peer's "became active"): the reports of m unreachable before t no
// longer hold.
func (m *member) noteBack(t time.Time) {
	if n := len(m.unrSpans); n > 0 {
		last := &m.unrSpans[n-1]
		if !t.Before(last.to) && (last.back.IsZero() || t.Before(last.back)) {
			last.back = t
		}
	}
}
