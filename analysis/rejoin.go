package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

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

// validRejoin checks a rejoin at Finish: the deposed leader's followers still
// followed it when the higher term arrived (a stalled leader's followers had
// already left it: that is a leader change, not a rejoin).
func (a *Analyzer) validRejoin(r *rejoin) bool {
	rec := a.lead.byTerm[r.term]
	if rec == nil || rec.leader != r.leader {
		return true
	}
	d := rec.decisiveLoss()
	return d.IsZero() || !d.Before(r.t)
}

func (a *Analyzer) detectRejoins(f *facts) []Finding {
	var out []Finding
	for _, r := range a.rejoins {
		if !a.validRejoin(r) {
			continue
		}
		by, l := a.mem[r.by], a.mem[r.leader]
		sum := by.label() + " came back with term " + utoa(r.peerTerm)
		if r.failed > 0 {
			sum += " (raised by " + plural(r.failed, "failed election", "failed elections") + " while it was cut off"
			if !r.isolatedFrom.IsZero() {
				sum += " since " + f.at(r.isolatedFrom)
			}
			sum += ")"
		}
		sum += " and deposed the working leader " + l.label() + " (term " + utoa(r.term) + ") at " + f.at(r.t) +
			" with a " + r.msg.String() + "; pre-vote would have kept its term."
		fd := Finding{
			Kind: DisruptiveRejoin, Severity: Warning, Members: a.ids(r.by, r.leader),
			Start: r.t, End: r.t, Count: 1, TermFrom: r.term, TermTo: r.peerTerm,
			Summary: sum, Evidence: a.evidenceOf(a.opts.MaxEvidence, one(r.ev), r.byEv),
		}
		fd.detail.rejoin = r
		out = append(out, fd)
	}
	return mergeFindings(out, 5*time.Second)
}

func (a *Analyzer) diagRejoin(f *facts, p *Finding) Diagnosis {
	rj := p.detail.rejoin
	if rj == nil {
		return Diagnosis{Headline: p.Summary, Explanation: p.Summary, Remedies: []string{remedyPreVote}}
	}
	by, l := a.mem[rj.by], a.mem[rj.leader]
	d := Diagnosis{Headline: by.label() + " came back with a higher term and deposed the working leader " + l.label()}
	var ex para
	s := by.label() + " was cut off from the others"
	if !rj.isolatedFrom.IsZero() {
		s += " from " + f.at(rj.isolatedFrom)
	}
	s += " while " + l.label() + " went on leading the rest of the cluster at term " + utoa(rj.term) + "."
	ex.add(s)
	if rj.failed > 0 {
		ex.add("Without pre-vote, each election it started raised its term: " + plural(rj.failed, "failed election", "failed elections") +
			" took it to term " + utoa(rj.peerTerm) + ".")
	}
	ex.add("When it could reach the cluster again at " + f.at(rj.t) + ", its higher term made " + l.label() +
		" step down (Raft makes a leader yield to any higher term), and the cluster had to elect a leader again.")
	if next := a.nextLeader(rj.term, rj.t); next != nil {
		ex.add(a.label(next.leader) + " was elected at term " + utoa(next.term) + " at " + f.at(next.start) + ".")
	}
	ex.br()
	ex.add("The cluster worked before and after; the interruption is the price of running without pre-vote, " +
		"which etcd 3.5 and later turn on by default.")
	d.Explanation = ex.String()
	d.Remedies = []string{remedyPreVote, remedyNetwork}
	return d
}

func rejoinNoun(w *repeats) (string, string) {
	if w.pair {
		return w.a.label(w.ixs[0]) + " came back with a higher term and deposed the leader " + w.a.label(w.ixs[1]), ""
	}
	return "A member that came back with a higher term deposed the leader", " (" + w.names + ")"
}
