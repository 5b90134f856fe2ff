package analysis

import "time"

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
// lost, prober or health-check failures, peer URL unreachable, inactive).
func (a *Analyzer) shownOut(p *member, from, to time.Time) bool {
	if p.downAt(from) || p.downAt(to) || (p.hasLogs && (p.lastSeen.Before(from) || p.firstSeen.After(to))) {
		return true
	}
	for _, sp := range p.unrSpans {
		if !sp.from.After(to.Add(unreachSlack)) && !sp.to.Before(from.Add(-episodeGap)) {
			return true
		}
	}
	return false
}

// unreachSlack is how long after a campaign a report of a peer unreachable
// still speaks of it (probers report every few seconds).
const unreachSlack = 5 * time.Second

// noteUnreach records a report of m unreachable at t, joining reports less
// than episodeGap apart; true when the report begins a new span.
func (m *member) noteUnreach(t time.Time) bool {
	const maxSpans = 64
	if n := len(m.unrSpans); n > 0 {
		last := &m.unrSpans[n-1]
		if t.Sub(last.to) < episodeGap {
			if t.After(last.to) {
				last.to = t
			}
			return false
		}
		if n == maxSpans {
			copy(m.unrSpans, m.unrSpans[1:])
			m.unrSpans = m.unrSpans[:n-1]
		}
	}
	m.unrSpans = append(m.unrSpans, span{t, t})
	return true
}
