package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// transfer is one planned leadership handover (MoveLeader, or a leader's
// shutdown), from the lines of the old leader, the server and the transferee.
type transfer struct {
	from, to   int32 // to is -1 when no line named the transferee
	term       uint64
	start      time.Time
	last       time.Time
	server     bool // the server side logged it ("leadership transfer starting")
	timeoutNow bool
	finished   bool
	failed     bool
	aborted    bool
	took       time.Duration
	ev         evidence
}

const maxTransfers = 10000

// transferEvent records a line of a leadership transfer.
func (a *Analyzer) transferEvent(m *member, ev *parser.Event, t time.Time) {
	from, to := m, (*member)(nil)
	term := ev.Term
	switch ev.Kind {
	case parser.TimeoutNowSent, parser.TransferStart, parser.TransferAbort:
		to = a.member(ev.Peer)
	case parser.TransferStarting:
		if ev.Peer2 != 0 {
			from = a.member(ev.Peer2)
		}
		to = a.member(ev.Peer)
	case parser.TransferFinished:
		if ev.Peer2 != 0 {
			from = a.member(ev.Peer2)
		}
		to = a.member(ev.Peer)
	case parser.TimeoutNowReceived:
		from, to = a.member(ev.Peer), m
	}
	if from == nil {
		return
	}
	if term == 0 && ev.Kind != parser.TimeoutNowReceived {
		term = from.term
	}
	from.marks.add(t)
	toIx := int32(-1)
	if to != nil {
		toIx = to.ix
	}
	tr := a.findTransfer(from.ix, toIx, t)
	if tr == nil {
		if len(a.transfers) >= maxTransfers {
			return
		}
		tr = &transfer{from: from.ix, to: toIx, start: t}
		a.transfers = append(a.transfers, tr)
		a.tl.add(ev, m, t, a.seq)
	}
	if tr.to < 0 {
		tr.to = toIx
	}
	if tr.term == 0 || (term != 0 && term < tr.term) {
		tr.term = term
	}
	if t.Before(tr.start) {
		tr.start = t
	}
	if t.After(tr.last) {
		tr.last = t
	}
	switch ev.Kind {
	case parser.TransferStarting:
		tr.server = true
	case parser.TimeoutNowSent, parser.TimeoutNowReceived:
		tr.timeoutNow = true
	case parser.TransferFinished:
		tr.finished, tr.took = true, ev.Duration
		a.tl.add(ev, m, t, a.seq)
	case parser.TransferFailed:
		tr.failed = true
		a.tl.add(ev, m, t, a.seq)
	case parser.TransferAbort:
		tr.aborted = true
	}
	tr.ev.add(ev, t, a.seq)
}

// transferWindow joins the lines of one transfer.
const transferWindow = 10 * time.Second

func (a *Analyzer) findTransfer(from, to int32, t time.Time) *transfer {
	for i := len(a.transfers) - 1; i >= 0 && i >= len(a.transfers)-8; i-- {
		tr := a.transfers[i]
		if tr.from != from || (to >= 0 && tr.to >= 0 && tr.to != to) {
			continue
		}
		if d := t.Sub(tr.last); d <= transferWindow && d >= -transferWindow {
			return tr
		}
	}
	return nil
}

// transferring reports whether a transfer from l to p was under way at t.
func (a *Analyzer) transferring(l, p int32, t time.Time) bool {
	for i := len(a.transfers) - 1; i >= 0 && i >= len(a.transfers)-8; i-- {
		tr := a.transfers[i]
		if tr.from == l && (tr.to == p || tr.to < 0) && t.Sub(tr.last) <= transferWindow {
			return true
		}
	}
	return false
}

// rejoin is a working leader deposed by a member that came back with a term
// raised by its own failed elections.
type rejoin struct {
	leader, by     int32
	term, peerTerm uint64
	t              time.Time
	msg            parser.MsgType
	failed         int
	ev             evLine
	byEv           []evLine
	isolatedFrom   time.Time
}

// rejoinCheck runs when leader l receives a message with a higher term.
func (a *Analyzer) rejoinCheck(l *member, ev *parser.Event, t time.Time) {
	if ev.Peer == 0 || ev.PeerTerm <= ev.Term || len(a.rejoins) >= maxStreaks {
		return
	}
	if a.lead.maxTerm > ev.Term {
		return // a leader was elected at a higher term: l was no longer the cluster's leader
	}
	p := a.member(ev.Peer)
	r := &rejoin{leader: l.ix, by: p.ix, term: ev.Term, peerTerm: ev.PeerTerm, t: t, msg: ev.Msg}
	if p.hasLogs {
		s := p.streak
		if s == nil || s.failed == 0 {
			return // its term comes from an election under way, not from failed ones
		}
		r.failed, r.isolatedFrom = s.failed, s.start
		r.byEv = cloneLines(s.ev.lines())
	}
	if a.transferring(l.ix, p.ix, t) {
		return
	}
	r.ev.set(ev, t, a.seq)
	r.ev.text = append([]byte(nil), r.ev.text...)
	a.rejoins = append(a.rejoins, r)
}

func cloneLines(ls []evLine) []evLine {
	out := make([]evLine, len(ls))
	for i, l := range ls {
		out[i] = l
		out[i].text = append([]byte(nil), l.text...)
	}
	return out
}

// stepDown is a leader's "stepped down to follower since quorum is not active".
type stepDown struct {
	member int32
	term   uint64
	t      time.Time
	ev     evLine
}

func (a *Analyzer) checkQuorumStepDown(m *member, ev *parser.Event, t time.Time) {
	if len(a.stepDowns) < maxStreaks {
		sd := &stepDown{member: m.ix, term: m.term, t: t}
		sd.ev.set(ev, t, a.seq)
		a.stepDowns = append(a.stepDowns, sd)
	}
	m.pendReason = endCheckQuorum
	a.ownEnd(m, t, ev, endCheckQuorum)
	a.tl.add(ev, m, t, a.seq)
}
