package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

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
		sd.ev.keep(ev, t, &a.cur)
		a.stepDowns = append(a.stepDowns, sd)
	} else {
		a.fill(maxStreaks, "check-quorum step-downs")
	}
	m.pendReason = endCheckQuorum
	a.ownEnd(m, t, ev, endCheckQuorum)
	a.tl.add(ev, m, t, &a.cur)
}

func (a *Analyzer) detectStepDowns(f *facts) []Finding {
	var out []Finding
	for _, sd := range a.stepDowns {
		m := a.mem[sd.member]
		sev := Warning
		sum := m.label() + ", leader at term " + utoa(sd.term) + ", stepped down at " + f.at(sd.t) +
			": it had not heard from a quorum (" + itoa(f.q) + " of " + itoa(f.n) + " members) within an election timeout (check-quorum)"
		if g := a.clusterStop(sd.t); g != nil {
			sev = Info
			sum += ", as the cluster was being stopped"
		}
		sum += "."
		var ev [][]evLine
		ev = append(ev, one(sd.ev))
		if rec := a.lead.byTerm[sd.term]; rec != nil && rec.leader == sd.member {
			ev = append(ev, one(rec.startEv))
		}
		fd := Finding{
			Kind: CheckQuorumStepDown, Severity: sev, Members: a.ids(sd.member),
			Start: sd.t, End: sd.t, Count: 1, TermFrom: sd.term, TermTo: sd.term,
			Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, ev...),
		}
		fd.detail.stepDown = sd
		out = append(out, fd)
	}
	return mergeFindings(out, 30*time.Second)
}

func (a *Analyzer) diagStepDown(f *facts, p *Finding) Diagnosis {
	sd := p.detail.stepDown
	if sd == nil {
		return Diagnosis{Headline: p.Summary, Explanation: p.Summary, Remedies: []string{remedyNetwork}}
	}
	m := a.mem[sd.member]
	d := Diagnosis{Headline: "Leader " + m.label() + " lost contact with a quorum and stepped down"}
	var ex para
	ex.add("At " + f.at(sd.t) + " " + m.label() + ", leader at term " + utoa(sd.term) + ", had not heard from a quorum (" +
		itoa(f.q) + " of " + itoa(f.n) + " members) within an election timeout and stepped down. This is etcd's " +
		"check-quorum at work: a leader cut off from the majority stops serving rather than accept writes it cannot commit.")
	if next := a.nextLeader(sd.term, sd.t.Add(-time.Minute)); next != nil && next.leader != sd.member {
		verb := "elected "
		if next.start.Before(sd.t) {
			verb = "had already elected "
		}
		ex.add("The other members " + verb + a.label(next.leader) + " at term " + utoa(next.term) + " at " + f.at(next.start) + ".")
	}
	for _, fd := range f.r.Findings {
		if fd.Kind == DisruptiveRejoin && fd.Start.After(sd.t) && len(fd.Members) > 0 && fd.Members[0] == m.id {
			ex.add("When " + m.label() + " came back, the term its failed elections had raised deposed the new leader: " +
				"a disruptive rejoin, which pre-vote prevents.")
			break
		}
	}
	d.Explanation = ex.String()
	d.Remedies = []string{remedyNetwork}
	if m.preVoteSetting() < 0 {
		d.Remedies = append(d.Remedies, remedyPreVote)
	}
	return d
}

func stepDownNoun(w *repeats) (string, string) {
	return w.names + " stepped down as leader for want of a quorum (check-quorum)", ""
}
