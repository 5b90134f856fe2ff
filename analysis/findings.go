package analysis

import (
	"sort"
	"time"
)

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
		a.note(&fd, r)
		out = append(out, fd)
	}
	return mergeFindings(out, 5*time.Second)
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
			Summary: sum, Evidence: a.evidenceOf(a.opts.MaxEvidence, ev...),
		}
		a.note(&fd, sd)
		out = append(out, fd)
	}
	return mergeFindings(out, 30*time.Second)
}

// detectTransfers reports planned leadership transfers and their outcome;
// those of a whole-cluster stop are told by the shutdown finding.
func (a *Analyzer) detectTransfers(f *facts) []Finding {
	var out []Finding
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
	for _, rec := range a.lead.list {
		if rec.term <= tr.term && tr.term != 0 {
			continue
		}
		if d := rec.start.Sub(tr.start); d < -2*time.Second || d > transferWindow {
			continue
		}
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
		Summary: sum, Evidence: a.evidenceOf(a.opts.MaxEvidence, tr.ev.lines(), wonEv),
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

func slowWhat(e *episode) string {
	var ls []string
	if e.heartbeat > 0 {
		ls = append(ls, "heartbeats late by up to "+dur(e.maxHeartbeat))
	}
	if e.tick > 0 {
		ls = append(ls, plural(e.tick, "missed tick", "missed ticks"))
	}
	if e.fsync > 0 {
		ls = append(ls, "fdatasync up to "+dur(e.maxFsync))
	}
	if e.apply > 0 {
		ls = append(ls, plural(e.apply, "slow apply", "slow applies")+" up to "+dur(e.maxApply))
	}
	return list(ls)
}

// slowSeverity: a slow episode is a warning when it could cost a leader its
// leadership (a heartbeat late by half an election timeout, a slow disk sync,
// missed ticks) or clients a second; otherwise it is a busy member's hiccup.
func slowSeverity(e *episode) Severity {
	if e.maxHeartbeat >= slowHeartbeat || e.fsync+e.tick > 0 || e.maxApply >= time.Second {
		return Warning
	}
	return Info
}

func (a *Analyzer) detectSlow(f *facts) []Finding {
	items := make([]classed, len(a.slow.closed))
	for i, e := range a.slow.closed {
		items[i] = classed{e, slowClass(e)}
	}
	sev := func(class uint8) Severity {
		if class == 1 {
			return Warning
		}
		return Info
	}
	return a.episodeFindings(f, &a.slow, items, sev, func(e *episode, _ uint8) Finding { return a.slowFinding(f, e) })
}

// slowClass is the class of a slow episode's fold (see fold.go): 1 for a
// warning.
func slowClass(e *episode) uint8 {
	if slowSeverity(e) == Warning {
		return 1
	}
	return 0
}

func (a *Analyzer) slowFinding(f *facts, e *episode) Finding {
	m := a.mem[e.subject]
	role := "member"
	if e.leader || e.heartbeat > 0 {
		role = "leader"
	}
	sum := m.label() + " (" + role + ") was slow "
	if e.end.Sub(e.start) < time.Second {
		sum += "at " + f.at(e.start)
	} else {
		sum += "from " + f.at(e.start) + " to " + f.at(e.end)
	}
	sum += ": " + slowWhat(e) + "."
	return Finding{
		Kind: SlowLeader, Severity: slowSeverity(e), Members: a.ids(e.subject),
		Start: e.start, End: e.end, Count: e.count, TermFrom: m.termAt(e.start), TermTo: m.termAt(e.end),
		Summary: sum, Evidence: a.evidenceOf(a.opts.MaxEvidence, e.ev.lines()),
		weight: a.slow.weight(e).Seconds(),
	}
}

// slowHeartbeat is how late a heartbeat must be to matter: half the default
// election timeout. Shorter delays are a busy machine's hiccups.
const slowHeartbeat = 500 * time.Millisecond

// termAt is the member's term at t, from its series.
func (m *member) termAt(t time.Time) uint64 {
	var term uint64
	for _, p := range m.series.points {
		if p.Time.After(t) {
			break
		}
		term = p.Term
	}
	return term
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
		Summary: sum, Evidence: a.evidenceOf(a.opts.MaxEvidence, e.ev.lines()),
	}
}

func (a *Analyzer) detectDrift(f *facts) []Finding {
	var out []Finding
	for _, d := range a.drifts {
		sum := a.label(d.reporter) + " measured " + a.label(d.subject) + "'s clock off by up to " + dur(d.max) +
			" (" + plural(d.count, "time", "times") + ", " + f.at(d.first) + " to " + f.at(d.last) +
			"); etcd warns above 1s: leases and TTLs suffer, elections do not."
		out = append(out, Finding{
			Kind: ClockDrift, Severity: Warning, Members: a.ids(d.reporter, d.subject),
			Start: d.first, End: d.last, Count: d.count,
			Summary: sum, Evidence: a.evidenceOf(a.opts.MaxEvidence, d.ev.lines()),
			weight: d.max.Seconds(),
		})
	}
	return out
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
		if m.preVoteSetting() <= 0 {
			sum += " (pre-vote off: each attempt raises the term)"
		}
		if len(in.dragged) > 0 {
			sum += "; " + a.names(in.dragged) + " had to adopt it on return"
		}
		sum += "."
		out = append(out, Finding{
			Kind: TermInflation, Severity: Warning, Members: a.ids(append([]int32{m.ix}, in.dragged...)...),
			Start: in.first, End: in.last, Count: int(in.maxGap), TermFrom: in.logTerm, TermTo: in.term,
			Summary: sum, Evidence: a.evidenceOf(a.opts.MaxEvidence, in.ev.lines(), one(in.dragEv)),
		})
	}
	return out
}

// splitGap joins split-vote terms into one finding.
const splitGap = time.Minute

func (a *Analyzer) detectSplitVotes(f *facts) []Finding {
	ss := a.splits.found
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].term < ss[j].term })
	var out []Finding
	for i := 0; i < len(ss); {
		j := i
		for j+1 < len(ss) && ss[j+1].start.Sub(ss[j].start) <= splitGap {
			j++
		}
		group := ss[i : j+1]
		var mask uint64
		var ev [][]evLine
		for _, s := range group {
			for _, ix := range s.members {
				mask |= bit(ix)
			}
			ev = append(ev, s.ev)
		}
		sev := Info
		if len(group) >= minLoop {
			sev = Warning
		}
		first, last := group[0], group[len(group)-1]
		sum := "Split vote: " + a.names(ixsOf(mask)) + " ran for leader at the same term and none won, at " +
			plural(len(group), "term", "terms") + " (" + utoa(first.term) + " to " + utoa(last.term) + ", from " +
			f.at(first.start) + ")."
		out = append(out, Finding{
			Kind: SplitVote, Severity: sev, Members: a.ids(ixsOf(mask)...),
			Start: first.start, End: last.start, Count: len(group), TermFrom: first.term, TermTo: last.term,
			Summary: sum, Evidence: a.evidenceOf(a.opts.MaxEvidence, ev...),
		})
		i = j + 1
	}
	return out
}

func (a *Analyzer) detectShutdowns(f *facts) []Finding {
	var out []Finding
	for _, g := range a.stops.groups {
		var sum string
		if g.clusterWide {
			sum = "The cluster was stopped: " + a.names(g.members) + " shut down"
		} else {
			sum = a.names(g.members) + " shut down"
		}
		if g.end.Sub(g.start) < time.Second {
			sum += " at " + f.at(g.start)
		} else {
			sum += " from " + f.at(g.start) + " to " + f.at(g.end)
		}
		var ev [][]evLine
		ev = append(ev, g.ev)
		if len(g.leaders) > 0 {
			l := g.leaders[0]
			var hand *transfer
			for _, tr := range a.transfers {
				if tr.from == l && tr.start.Sub(g.start) >= -time.Second && tr.start.Sub(g.end) <= 3*time.Second {
					hand = tr
					break
				}
			}
			var won *leadership
			if hand != nil {
				won, _ = a.transferOutcome(hand)
			}
			switch {
			case hand == nil:
				sum += "; the leader " + a.label(l) + " did not hand leadership over"
			case won != nil && g.clusterWide:
				sum += "; the leader " + a.label(l) + " handed leadership to " + a.label(won.leader) + " on the way out"
				ev = append(ev, hand.ev.lines())
			case won != nil:
				sum += "; the leader " + a.label(l) + " handed leadership to " + a.label(won.leader) + " first"
			case a.stoppedLast(g, l):
				sum += "; the leader " + a.label(l) + " stopped last, with no member left to hand leadership to"
				ev = append(ev, hand.ev.lines())
			default:
				sum += "; the leader " + a.label(l) + " tried to hand leadership to " + a.transfereeLabel(hand)
				if hand.to >= 0 && a.inGroup(g, hand.to) {
					sum += ", which was stopping too"
				}
				if hand.failed || hand.aborted {
					sum += ", but the transfer failed"
				} else {
					sum += ", but no new leader followed"
				}
				ev = append(ev, hand.ev.lines())
			}
		}
		sum += "."
		out = append(out, Finding{
			Kind: Shutdown, Severity: Info, Members: a.ids(g.members...),
			Start: g.start, End: g.end, Count: len(g.members),
			Summary: sum, Evidence: a.evidenceOf(a.opts.MaxEvidence, ev...),
		})
	}
	return out
}

// stoppedLast reports whether every other member of g stopped before l.
func (a *Analyzer) stoppedLast(g *stopGroup, l int32) bool {
	at := a.mem[l].stoppedNear(g.start, 0, g.end.Sub(g.start))
	if !g.clusterWide || at.IsZero() {
		return false
	}
	for _, ix := range g.members {
		if ix != l && a.mem[ix].stoppedNear(g.start, 0, at.Sub(g.start)).IsZero() {
			return false
		}
	}
	return true
}

func (a *Analyzer) inGroup(g *stopGroup, ix int32) bool {
	for _, x := range g.members {
		if x == ix {
			return true
		}
	}
	return false
}

func (a *Analyzer) transfereeLabel(tr *transfer) string {
	if tr.to < 0 {
		return "a follower"
	}
	return a.label(tr.to)
}

// mergeFindings joins findings of one kind about the same members that follow
// each other within gap, counting them.
func mergeFindings(fs []Finding, gap time.Duration) []Finding {
	var out []Finding
	for _, f := range fs {
		if n := len(out); n > 0 {
			p := &out[n-1]
			if sameMembers(p, &f) && p.Severity == f.Severity && f.Start.Sub(p.End) <= gap {
				p.Count += f.Count
				if f.End.After(p.End) {
					p.End = f.End
				}
				if f.TermTo > p.TermTo {
					p.TermTo = f.TermTo
				}
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

func sameMembers(a, b *Finding) bool {
	if len(a.Members) != len(b.Members) {
		return false
	}
	for i := range a.Members {
		if a.Members[i] != b.Members[i] {
			return false
		}
	}
	return true
}
