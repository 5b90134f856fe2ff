package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// Leaderships from before the logs begin. An excerpt often starts after the
// election of the leader its lines then lose: "lost leader Y", "changed
// leader from A to B", a stale MsgApp from Y, or a MsgAppResp that only a
// leader receives. Such a leadership is recorded as led since the first line
// (fromBefore), at the best term the lines give.

// pastLeader records that l led term (a leadership whose election the logs
// do not show) and returns it; nil when the term is unknown or another
// member's leadership holds it.
func (a *Analyzer) pastLeader(l *member, term uint64, ev *parser.Event) *leadership {
	if l == nil || term == 0 {
		return nil
	}
	if rec := a.lead.byTerm[term]; rec != nil {
		if rec.leader != l.ix {
			return nil
		}
		return rec
	}
	rec := a.observeLeader(l, term, a.start, ev, false)
	if rec != nil {
		rec.inferred, rec.fromBefore = true, true
	}
	return rec
}

// formerTerm is the best term the lines of follower m give for the
// leadership it just lost: its own term before the line that raised it, else
// the last log term of its own vote requests (the last entry came from that
// leader); 0 when neither is known.
func (m *member) formerTerm(now uint64) uint64 {
	if m.prevTerm > 0 && m.prevTerm < now {
		return m.prevTerm
	}
	if m.reqLogTerm > 0 && m.reqLogTerm < now {
		return m.reqLogTerm
	}
	return 0
}

// lostPast records that follower m lost leader id at t when no leadership of
// id is known yet: id led until then, since before the logs.
func (a *Analyzer) lostPast(id parser.ID, m *member, t time.Time, ev *parser.Event) {
	l := a.member(id)
	if l == nil || l == m || l.lastLed != nil {
		return
	}
	if rec := a.pastLeader(l, m.formerTerm(ev.Term), ev); rec != nil {
		a.loss(id, rec.term, m, t)
	}
}

// staleLeader reads a message with a lower term that only a leader sends
// (MsgApp, MsgHeartbeat from the peer) or receives (their responses, to m):
// its sender (or m) led that term.
func (a *Analyzer) staleLeader(m *member, ev *parser.Event, t time.Time) {
	switch ev.Msg {
	case parser.MsgApp, parser.MsgHeartbeat:
		if ev.Peer != m.id {
			a.pastLeader(a.member(ev.Peer), ev.PeerTerm, ev)
		}
	case parser.MsgAppResp, parser.MsgHeartbeatResp:
		// m answers at a higher term now: its leadership of PeerTerm is over.
		if rec := a.pastLeader(m, ev.PeerTerm, ev); rec != nil && rec.fromBefore && rec.end.IsZero() && m.term > ev.PeerTerm {
			rec.end, rec.reason = t, endHigherTerm
		}
	}
}
