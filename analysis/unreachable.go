package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

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
	if s.noteUnreach(t) {
		s.outEv.set(ev, t, &a.cur)
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
			e.ev.add(ev, t, &a.cur)
		}
		e.prober = true
	case parser.PeerURLUnreachable:
		if !e.url {
			e.ev.add(ev, t, &a.cur)
		}
		e.url = true
	default:
		if e.ev.total < 2 {
			e.ev.add(ev, t, &a.cur)
		}
	}
	if e.count == 1 {
		a.tl.add(ev, reporter, t, &a.cur)
	}
}

// unreachMin is how long peers must fail to reach a member (without a prober
// or URL failure line) for it to count.
const unreachMin = 5 * time.Second

// unreachReported reports whether an episode says enough to be a finding.
func unreachReported(e *episode) bool {
	span := e.end.Sub(e.start)
	switch {
	case e.url:
	case e.prober && (span >= time.Second || popcount(e.reporters) >= 2):
	case span >= unreachMin:
	default:
		return false // a blip: a restart, or stale probes of a member that just resumed
	}
	return true
}

// cutOffFrom returns the reported episode about e's only reporter that
// spans e and has e's subject among several reporters: the reporter was cut
// off from the others, and e is its own view of that, not a second problem.
func (a *Analyzer) cutOffFrom(e *episode, es []*episode) *episode {
	if popcount(e.reporters) != 1 {
		return nil
	}
	r := ixsOf(e.reporters)[0]
	for _, x := range es {
		if x.subject == r && x.reporters&bit(e.subject) != 0 && popcount(x.reporters) >= 2 && unreachReported(x) &&
			!e.start.Before(x.start.Add(-2*time.Second)) && !e.end.After(x.end.Add(5*time.Second)) {
			return x
		}
	}
	return nil
}

func (a *Analyzer) detectUnreachable(f *facts) []Finding {
	es := a.unreach.closed
	for _, e := range es {
		if unreachReported(e) {
			if x := a.cutOffFrom(e, es); x != nil {
				x.cutOff = true // its subject could not reach its reporters either
			}
		}
	}
	// Classes: 0 a warning; 1 after the member's stop, 2 while the cluster
	// stopped, both info. Folded episodes lay near no stop (see fold.go):
	// theirs is 1 or 0.
	var items []classed
	for _, e := range es {
		if !unreachReported(e) || e.cutOffView || a.cutOffFrom(e, es) != nil {
			continue
		}
		if f.degraded&bit(e.subject) != 0 && !e.end.Before(f.degradedSince) {
			continue // the degraded finding tells it
		}
		m := a.mem[e.subject]
		var class uint8
		switch {
		case e.afterStop || !m.stoppedNear(e.start, 10*time.Second, 2*time.Second).IsZero():
			class = 1
		case a.clusterStop(e.start) != nil:
			class = 2
		}
		items = append(items, classed{e, class})
	}
	sev := func(class uint8) Severity {
		if class == 0 {
			return Warning
		}
		return Info
	}
	return a.episodeFindings(f, &a.unreach, items, sev, func(e *episode, class uint8) Finding {
		why := [...]string{"", " after it was stopped", " while the cluster was being stopped"}[class]
		return a.unreachFinding(f, e, sev(class), why, e.cutOff)
	})
}

func (a *Analyzer) unreachFinding(f *facts, e *episode, sev Severity, why string, both bool) Finding {
	m := a.mem[e.subject]
	rep := ixsOf(e.reporters)
	sum := m.label() + " was unreachable"
	if len(rep) > 0 {
		sum += " from " + a.names(rep)
	}
	sum += why
	if e.end.Sub(e.start) < time.Second {
		sum += " at " + f.at(e.start) + " (" + plural(e.count, "report", "reports") + ")"
	} else {
		sum += " from " + f.at(e.start) + " to " + f.at(e.end) + " (" + dur(e.end.Sub(e.start)) + ", " +
			plural(e.count, "report", "reports") + ")"
	}
	if both {
		sum += ", and could not reach them either: it was cut off from the rest of the cluster"
	}
	sum += "."
	return Finding{
		Kind: PeerUnreachable, Severity: sev, Members: a.ids(append([]int32{e.subject}, rep...)...),
		Start: e.start, End: e.end, Count: e.count,
		Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, e.ev.lines()),
	}
}

func (a *Analyzer) diagUnreachable(f *facts, p *Finding) Diagnosis {
	head := p.Summary
	if len(p.Members) > 0 {
		head = a.label(a.index(p.Members[0])) + " was unreachable from its peers for " + dur(p.End.Sub(p.Start))
	}
	return plain(p, head, "The cluster kept its leader, but it ran with one failure less to spare.", remedyNetwork)
}

func unreachableNoun(w *repeats) (string, string) {
	if w.sameFirst && len(w.ixs) > 1 {
		return w.a.label(w.ixs[0]) + " was unreachable from " + w.a.names(w.ixs[1:]), ""
	}
	return w.names + " " + wasWere(len(w.ixs)) + " unreachable from their peers", ""
}
