package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// election-unresolved: a member campaigned or lost its leader, and the logs
// end before any leader followed, with nothing else to say what happened.
// One election with no outcome is no outage yet, and no loop either; but a
// cluster whose members campaign is not healthy as far as the logs go.

// detectUnresolved runs last: when no finding above info came up, the latest
// campaign or loss of a leader that no leadership followed or held across is
// an election the logs leave unresolved.
func (a *Analyzer) detectUnresolved(f *facts) []Finding {
	for i := range f.found {
		if f.found[i].Severity != Info {
			return nil
		}
	}
	var who *member
	var at time.Time
	what := 0 // 1 it campaigned, 2 it lost its leader, 3 peers answered its vote requests
	for _, m := range a.mem {
		if m.campaigns > 0 && (who == nil || m.camp.start.After(at)) {
			who, at, what = m, m.camp.start, 1
		}
		if !m.lostAt.IsZero() && (who == nil || m.lostAt.After(at)) {
			who, at, what = m, m.lostAt, 2
		}
		if !m.askedAt.IsZero() && (who == nil || m.askedAt.After(at)) {
			who, at, what = m, m.askedAt, 3
		}
	}
	if who == nil || a.clusterStop(at) != nil || who.stoppingAt(at) {
		return nil // the tail of a stop: the last member alone for a moment
	}
	term := who.camp.term
	switch what {
	case 2:
		term = who.lostTerm
	case 3:
		term = who.askedTerm
	}
	for _, rec := range a.lead.list {
		followed := !rec.fromBefore && (!rec.start.Before(at) || rec.term >= term)
		heldAcross := rec.start.Before(at) && rec.until.After(at) && rec.leader != who.ix
		if followed || heldAcross {
			return nil // a leader followed it, or another held across it
		}
	}
	var sum string
	switch what {
	case 2:
		sum = who.label() + " lost its leader"
		if who.lostID != 0 {
			sum = who.label() + " lost leader " + a.label(a.index(who.lostID))
		}
		sum += " at " + f.at(at) + " (term " + utoa(term) + ")"
	case 3:
		sum = who.label() + " asked its peers for votes at term " + utoa(term) + " at " + f.at(at)
	default:
		what := " started an election at term "
		if who.camp.pre && !who.camp.cand {
			what = " asked for pre-votes at term "
		}
		sum = who.label() + what + utoa(term) + " at " + f.at(at)
	}
	sum += "; the logs end " + dur(f.end.Sub(at)) + " later, before any leader was elected."
	fd := Finding{
		Kind: ElectionUnresolved, Severity: Warning, Members: a.ids(who.ix),
		Start: at, End: f.end, Count: 1, TermFrom: term, TermTo: term, Summary: sum,
		lines: a.evidenceOf(a.opts.MaxEvidence, one(who.electionEv)),
	}
	return []Finding{fd}
}

func (a *Analyzer) diagUnresolved(f *facts, p *Finding) Diagnosis {
	return plain(p, "An election without an outcome: "+p.Summary,
		"etcd elects a leader within an election timeout or two when a quorum of members is up and can reach "+
			"one another, so one election is no outage by itself; but these logs stop before it was decided, and "+
			"no other line says whether the cluster had a leader again.",
		"Collect every member's logs past "+f.at(f.end)+" (`journalctl -u etcd --since`, `kubectl logs --prefix`, "+
			"`docker compose logs`): whether a leader followed, and how soon, decides between a blip and an outage.",
		remedyNetwork)
}

func unresolvedNoun(w *repeats) (string, string) {
	return w.names + " started an election that the logs leave undecided", ""
}

// asked records that a peer logged candidate's vote request for term at t.
func (a *Analyzer) asked(candidate parser.ID, term uint64, ev *parser.Event, t time.Time) {
	c := a.member(candidate)
	if c == nil || ev.Member == candidate {
		return
	}
	c.askedAt, c.askedTerm = t, term
	if c.campaigns == 0 {
		c.electionEv.set(ev, t, &a.cur) // its own lines do not show its campaign
	}
}
