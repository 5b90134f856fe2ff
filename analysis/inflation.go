package analysis

import (
	"slices"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// inflation tracks how far a member's term ran ahead of its log's last term
// (the term-inflation signature: terms spent on failed elections).
type inflation struct {
	maxGap        uint64
	logTerm, term uint64
	first, last   time.Time
	ev            evidence
	dragged       []int32 // members that had to adopt the inflated term
	dragEv        evLine
}

// inflationGap is the term lead over the log's last term that counts as
// inflation: that many elections failed since the last entry was written.
const inflationGap = 10

// request reads a vote request of the member: a term further ahead of its
// log than before is recorded.
func (in *inflation) request(ev *parser.Event, t time.Time, c *adding) {
	if ev.Term > ev.LogTerm && ev.Term-ev.LogTerm > max(inflationGap-1, in.maxGap) { // inlined: mostly no record
		in.record(ev, t, c)
	}
}

// record keeps a request whose term lead over its log is the largest yet.
func (in *inflation) record(ev *parser.Event, t time.Time, c *adding) {
	gap := ev.Term - ev.LogTerm
	if in.maxGap == 0 {
		in.first = t
		in.logTerm = ev.LogTerm
	}
	in.maxGap, in.term, in.last = gap, ev.Term, t
	in.ev.add(ev, t, c)
}

// drag records that m received a message from a member whose term ran far
// ahead of its own, and so had to adopt it.
func (a *Analyzer) drag(m *member, ev *parser.Event, t time.Time) {
	if ev.Peer == 0 || ev.PeerTerm < ev.Term+inflationGap {
		return
	}
	in := &a.member(ev.Peer).infl
	for _, ix := range in.dragged {
		if ix == m.ix {
			return
		}
	}
	if len(in.dragged) < 64 {
		in.dragged = append(in.dragged, m.ix)
	}
	if in.dragEv.empty() {
		in.dragEv.set(ev, t, &a.cur)
	}
}

func (a *Analyzer) detectInflation(f *facts) []Finding {
	var out []Finding
	for _, m := range a.mem {
		in := &m.infl
		if in.maxGap < inflationGap {
			continue
		}
		sum := m.label() + "'s term reached " + utoa(in.term) + " while the last entry of its log is from term " +
			utoa(in.logTerm) + ": " + utoa(in.maxGap) + " terms spent on elections that failed"
		switch {
		case m.preVote < 0:
			sum += " (pre-vote off: each attempt raises the term)"
		case m.preVote == 0 && m.sawPlain && !m.sawPre:
			sum += " (its elections show no pre-vote round: without pre-vote each attempt raises the term)"
		}
		if len(in.dragged) > 0 {
			sum += "; " + a.names(in.dragged) + " had to adopt it on return"
		}
		sum += "."
		out = append(out, Finding{
			Kind: TermInflation, Severity: Warning, Members: a.ids(append([]int32{m.ix}, in.dragged...)...),
			Start: in.first, End: in.last, Count: int(in.maxGap), TermFrom: in.logTerm, TermTo: in.term,
			Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, in.ev.lines(), one(in.dragEv)),
		})
	}
	return out
}

func (a *Analyzer) diagInflation(f *facts, p *Finding) Diagnosis {
	return plain(p, "Term inflation: term "+utoa(p.TermTo)+" with a log at term "+utoa(p.TermFrom),
		"A term is spent on every election; a gap this large means many elections failed, which only happens "+
			"without pre-vote. It does no harm by itself, but the member deposes any leader with a lower term when it "+
			"gets through.",
		a.preVoteRemedies(f, remedyNetwork)...)
}

// preVoteShown reports whether the logs show pre-vote on: stated at start,
// or a pre-candidate in some member's elections.
func (a *Analyzer) preVoteShown(f *facts) bool {
	if f.preVote > 0 {
		return true
	}
	for _, m := range a.mem {
		if m.sawPre || m.preVote > 0 {
			return true
		}
	}
	return false
}

// preVoteRemedies returns rs with the advice to turn pre-vote on first,
// unless the logs show it on already.
func (a *Analyzer) preVoteRemedies(f *facts, rs ...string) []string {
	if a.preVoteShown(f) {
		return rs
	}
	return append([]string{remedyPreVote}, rs...)
}

// demoteInflation leaves term inflation out of the verdict when another
// finding about the same member tells its cause (a quorum loss, a cluster
// that never formed, a loop, a rejoin, a member unreachable, a degraded
// cluster): it is then kept as information.
func demoteInflation(fs []Finding) {
	for i := range fs {
		if fs[i].Kind != TermInflation || fs[i].Severity == Info || len(fs[i].Members) == 0 {
			continue
		}
		m := fs[i].Members[0]
		for j := range fs {
			switch fs[j].Kind {
			case QuorumLoss, NoQuorumAtStart, CandidacyLoop, PreVoteLoop, DisruptiveRejoin, PeerUnreachable, Degraded:
				if slices.Contains(fs[j].Members, m) {
					fs[i].Severity = Info
				}
			}
		}
	}
}

func inflationNoun(w *repeats) (string, string) {
	return w.names + "'s term ran far ahead of its log", ""
}
