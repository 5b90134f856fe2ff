package analysis

import (
	"cmp"
	"slices"
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

// maxTransfers bounds the transfers kept (a variable for the tests).
var maxTransfers = 10000

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
			a.fill(maxTransfers, "leadership transfers")
			return
		}
		tr = &transfer{from: from.ix, to: toIx, start: t}
		a.transfers = append(a.transfers, tr)
		a.tl.add(ev, m, t, &a.cur)
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
		a.tl.add(ev, m, t, &a.cur)
	case parser.TransferFailed:
		tr.failed = true
		a.tl.add(ev, m, t, &a.cur)
	case parser.TransferAbort:
		tr.aborted = true
	}
	tr.ev.add(ev, t, &a.cur)
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

// detectTransfers reports planned leadership transfers and their outcome;
// those of a whole-cluster stop are told by the shutdown finding.
func (a *Analyzer) detectTransfers(f *facts) []Finding {
	out := make([]Finding, 0, len(a.transfers))
	for _, tr := range a.transfers {
		if a.clusterStop(tr.start) != nil {
			continue
		}
		out = append(out, a.transferFinding(f, tr))
	}
	return out
}

// transferOutcome finds the leadership the transfer led to, if any.
func (a *Analyzer) transferOutcome(tr *transfer) (won *leadership, other *leadership) {
	// The leaderships that started in the transfer's window, in term order.
	x := &a.lix
	var in []*leadership
	last := tr.start.Add(transferWindow)
	for i := x.startsFrom(tr.start.Add(-2 * time.Second)); i < len(x.byStart) && !x.byStart[i].start.After(last); i++ {
		if rec := x.byStart[i]; rec.term > tr.term || tr.term == 0 {
			in = append(in, rec)
		}
	}
	slices.SortFunc(in, func(p, q *leadership) int { return cmp.Compare(p.term, q.term) })
	for _, rec := range in {
		if rec.leader == tr.to {
			return rec, nil
		}
		if other == nil && rec.leader != tr.from {
			other = rec
		}
	}
	return nil, other
}

func (a *Analyzer) transferFinding(f *facts, tr *transfer) Finding {
	from := a.mem[tr.from]
	won, other := a.transferOutcome(tr)
	why := a.transferTrigger(tr)
	to := "another member"
	if tr.to >= 0 {
		to = a.mem[tr.to].label()
	}
	verb := " handed leadership to "
	if won == nil {
		verb = " tried to hand leadership to "
	}
	sum := from.label() + verb + to + " at " + f.at(tr.start)
	if tr.term != 0 {
		sum += " (term " + utoa(tr.term) + ")"
	}
	sum += why
	if tr.to >= 0 && won == nil && tr.to != tr.from {
		if !a.mem[tr.to].stoppedNear(tr.start, 5*time.Second, time.Second).IsZero() {
			sum += ", but " + to + " was shutting down too"
		}
	}
	sev := Info
	end := tr.last
	termTo := tr.term
	switch {
	case won != nil:
		sum += "; " + a.label(won.leader) + " became leader at term " + utoa(won.term)
		if d := won.start.Sub(tr.start); d >= time.Second {
			sum += " " + dur(d) + " later"
		} else if tr.finished && tr.took > 0 {
			sum += " (the handover took " + dur(tr.took) + ")"
		}
		end, termTo = won.start, won.term
	case other != nil:
		sev = Warning
		sum += "; it failed: " + a.label(other.leader) + " was elected instead at term " + utoa(other.term)
		end, termTo = other.start, other.term
	case tr.failed || tr.aborted:
		sev = Warning
		sum += "; it failed"
		if self := a.nextLeader(tr.term, tr.start); self != nil && self.leader == tr.from && self.start.Sub(tr.start) <= transferWindow {
			sum += ", and " + from.label() + " itself won the next election, at term " + utoa(self.term) + " at " + f.at(self.start)
			if from.downAt(self.start) {
				sum += ", while still shutting down"
			}
		}
	default:
		sev = Warning
		sum += "; no new leader followed"
	}
	sum += "."
	members := []int32{tr.from}
	if tr.to >= 0 {
		members = append(members, tr.to)
	}
	var wonEv []evLine
	if won != nil {
		wonEv = one(won.startEv)
	}
	return Finding{
		Kind: LeadershipTransfer, Severity: sev, Members: a.ids(members...),
		Start: tr.start, End: end, Count: 1, TermFrom: tr.term, TermTo: termTo,
		Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, tr.ev.lines(), wonEv),
	}
}

// transferTrigger says what started a transfer: the leader's shutdown, the
// MoveLeader API, or (guessed) a shutdown when the old leader vanished.
func (a *Analyzer) transferTrigger(tr *transfer) string {
	from := a.mem[tr.from]
	if !from.stoppedNear(tr.start, 5*time.Second, time.Second).IsZero() {
		return ", as it was shutting down"
	}
	if tr.server {
		return " on request (MoveLeader)"
	}
	// No line of its own: did it vanish right after?
	for _, e := range a.unreach.closed {
		if e.subject == tr.from && !e.start.Before(tr.start.Add(-time.Second)) && e.start.Sub(tr.start) <= 3*time.Second &&
			(!from.hasLogs || from.lastSeen.Before(e.start.Add(3*time.Second)) || from.downAt(e.start.Add(time.Second))) {
			return ", probably as it was shutting down (its peers lost it right after)"
		}
	}
	return ""
}

func (a *Analyzer) diagTransfer(f *facts, p *Finding) Diagnosis {
	return plain(p, "A leadership transfer did not go through",
		"A transfer (etcdctl move-leader, or a leader's shutdown) asks the transferee to campaign at once; it fails "+
			"when the transferee is behind, unreachable or stopping, and the cluster then falls back to an ordinary election.",
		"Transfer to a member that is up to date and reachable (check `etcdctl endpoint status`), "+
			"and stop members one at a time, waiting for a leader in between.")
}

func transferNoun(w *repeats) (string, string) {
	if w.sev != Info {
		return "A leadership transfer went wrong", " among " + w.names
	}
	return "Leadership was handed over", " among " + w.names
}
