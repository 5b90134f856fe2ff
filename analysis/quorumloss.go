package analysis

import (
	"sort"
	"strings"
	"time"
)

// qlWindow is one span with no leader because too few members were up: the
// campaign streaks in it, and the leaderships around it.
type qlWindow struct {
	start, end       time.Time // end zero: no leader until the logs end
	before, after    *leadership
	streaks          []*streak
	runStart, runEnd time.Time // the campaigns no quorum answered
}

func (w *qlWindow) endOr(end time.Time) time.Time {
	if w.end.IsZero() {
		return end
	}
	return w.end
}

// quorumLosses finds the windows with no leader because campaigns got no
// quorum's answer, reports each, and leaves them in f.windows, and in the
// Result's leaderless windows.
func (a *Analyzer) quorumLosses(f *facts) []Finding {
	var ws []*qlWindow
	byAround := map[[2]*leadership]*qlWindow{} // ws by (before, after)
	k := min(max(f.q-2, 0), 3)
	for _, s := range a.loopStreaks(f) {
		if f.atStart&bit(s.member) != 0 {
			continue
		}
		r := s.runs[k]
		if r.best == 0 && s.failed == 0 { // failures only its term implies
			r.bestStart, r.bestEnd = s.start, s.end
		} else if r.best == 0 {
			continue
		}
		if a.cutOff(r.bestStart, r.bestEnd, s.member) || !a.noQuorum(f, s, r.bestResp, r.bestStart, r.bestEnd) {
			continue
		}
		s.resp = r.bestResp
		before, after := a.around(r.bestStart, r.bestEnd)
		w := byAround[[2]*leadership{before, after}]
		if w == nil {
			w = &qlWindow{before: before, after: after, start: s.start, runStart: r.bestStart, runEnd: r.bestEnd}
			if before != nil {
				w.start = before.until
			}
			if after != nil {
				w.end = after.start
			}
			ws = append(ws, w)
			byAround[[2]*leadership{before, after}] = w
		}
		if before == nil && s.start.Before(w.start) {
			w.start = s.start
		}
		if r.bestStart.Before(w.runStart) {
			w.runStart = r.bestStart
		}
		if r.bestEnd.After(w.runEnd) {
			w.runEnd = r.bestEnd
		}
		w.streaks = append(w.streaks, s)
	}
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].start.Before(ws[j].start) })
	out := make([]Finding, 0, len(ws))
	leaderless := newWindowSet(f.r.Leaderless)
	f.recovers = make(map[*leadership]bool, len(ws))
	for _, w := range ws {
		fd := a.quorumLoss(f, w)
		fd.detail.window = w
		out = append(out, fd)
		leaderless.add(w.start, w.endOr(f.end))
		if w.after != nil {
			f.recovers[w.after] = true
		}
	}
	f.r.Leaderless = leaderless.ws
	f.windows = ws
	return out
}

func (a *Analyzer) quorumLoss(f *facts, w *qlWindow) Finding {
	var campaigners uint64
	var cluster uint64
	failed := 0
	termFrom, termTo := uint64(0), uint64(0)
	var ev [][]evLine
	for _, s := range w.streaks {
		m := a.mem[s.member]
		campaigners |= bit(s.member) | s.resp
		cluster |= bit(s.member)
		for _, p := range m.peers {
			cluster |= bit(a.index(p))
		}
		failed += s.attempts()
		if termFrom == 0 || s.termFrom < termFrom {
			termFrom = s.termFrom
		}
		if s.termTo > termTo {
			termTo = s.termTo
		}
		ev = append(ev, s.ev.lines())
	}
	if w.before != nil {
		termFrom = w.before.term
		ev = append([][]evLine{one(w.before.endEv)}, ev...)
	}
	alive := campaigners
	for _, m := range a.mem {
		if a.aliveDuring(m, w.runStart, w.runEnd) {
			alive |= bit(m.ix)
		}
	}
	n := f.n
	if c := popcount(cluster); c > n {
		n = c
	}
	missing := ixsOf(cluster &^ alive)
	nAlive := popcount(alive)
	up := ixsOf(alive)
	end := w.endOr(f.end)
	span := " until the logs end (" + dur(end.Sub(w.start)) + ")"
	if !w.end.IsZero() {
		span = " to " + f.at(w.end) + " (" + dur(end.Sub(w.start)) + ")"
	}
	var s string
	if q := n/2 + 1; nAlive >= q {
		// Enough members logged, yet no election won: they could not reach
		// one another (or lines were taken for the wrong member).
		s = "No election reached a quorum of " + itoa(q) + " from " + f.at(w.start) + span + ", though " +
			itoa(nAlive) + " of " + itoa(n) + " members (" + a.names(up) + ") were running: they could not reach one another"
	} else {
		s = "Only " + itoa(nAlive) + " of " + itoa(n) + " members (" + a.names(up) + ") " + wasWere(nAlive) +
			" up from " + f.at(w.start) + span + ": a leader needs a quorum of " + itoa(q) + ", so none could be elected"
	}
	if len(missing) > 0 {
		s += " while " + a.names(missing) + " " + wasWere(len(missing)) + " down or unreachable"
	}
	s += "."
	if w.after != nil {
		ev = append(ev, one(w.after.startEv))
	}
	if _, _, _, _, wev := a.waitedDuring(w.start, end.Add(time.Second)); len(wev) > 0 {
		ev = append(ev, wev[:1])
	}
	members := append(up, missing...)
	return Finding{
		Kind: QuorumLoss, Severity: Critical, Members: a.ids(members...),
		Start: w.start, End: end, Count: failed, TermFrom: termFrom, TermTo: termTo,
		Summary: s, lines: a.evidenceOf(a.opts.MaxEvidence, ev...),
	}
}

// aliveDuring reports whether m's own lines show it running during (from, to).
func (a *Analyzer) aliveDuring(m *member, from, to time.Time) bool {
	if !m.hasLogs || m.firstSeen.After(to) || m.lastSeen.Before(from) {
		return false
	}
	mid := from.Add(to.Sub(from) / 2)
	return !m.downAt(mid) && !m.downAt(from) && !m.downAt(to)
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

func (a *Analyzer) diagQuorumLoss(f *facts, p *Finding) Diagnosis {
	w := p.detail.window
	if w == nil {
		return Diagnosis{Headline: p.Summary, Explanation: p.Summary}
	}
	up, missing, n := a.qlMembers(w)
	q := n/2 + 1
	end := w.endOr(f.end)
	length := dur(end.Sub(w.start))
	span := length // as the explanation says it
	if gap := a.unlogged(w.start, end); gap > 0 {
		// An elision or a cut lies inside: say so, since the leaderless
		// windows (and the report's no-leader figure) stop at it.
		span += ", " + dur(gap) + " of it with no log line"
	}

	var d Diagnosis
	reachable := len(up) >= q // enough members ran, but could not reach one another
	d.Headline = "Quorum lost: only " + itoa(len(up)) + " of " + itoa(n) + " members " + wasWere(len(up)) +
		" up, so the cluster had no leader for " + length
	if reachable {
		d.Headline = "Quorum lost: no election reached " + itoa(q) + " of the " + itoa(n) +
			" members, so the cluster had no leader for " + length
	}
	if w.end.IsZero() {
		d.Headline += " (and still none when the logs end)"
	}

	var ex para
	s := "From " + f.at(w.start)
	if w.end.IsZero() {
		s += " until the logs end (" + span + ")"
	} else {
		s += " to " + f.at(w.end) + " (" + span + ")"
	}
	switch {
	case reachable:
		s += " no election reached a quorum, though " + itoa(len(up)) + " of the " + itoa(n) + " members (" +
			a.names(up) + ") were running, by their own lines"
	case len(up) == 1:
		s += " only 1 of the " + itoa(n) + " members, " + a.names(up) + ", was up"
	default:
		s += " only " + itoa(len(up)) + " of the " + itoa(n) + " members (" + a.names(up) + ") were up"
	}
	if len(missing) > 0 {
		s += "; " + a.whyMissing(f, missing, w.start)
	}
	ex.add(s + ".")
	ex.add("A cluster of " + itoa(n) + " members needs " + itoa(q) + " of them (a quorum) to elect a leader and to commit " +
		"any write, so during that time it could serve neither writes nor linearizable reads.")
	if reachable {
		ex.add("The members that ran could not reach one another in time: a network partition, a blocked peer port " +
			"(2380), or members too slow to answer.")
	}
	if b := w.before; b != nil {
		l := a.mem[b.leader]
		switch {
		case b.why == endCheckQuorum:
			ex.add(l.label() + ", leader at term " + utoa(b.term) + ", stepped down at " + f.at(b.until) +
				" when it no longer heard from a quorum.")
		case b.why == endStopped && b.stopAt.IsZero():
			ex.add("The leader " + l.label() + " (term " + utoa(b.term) + ") was stopped at " + f.at(b.until) +
				": it had been elected while shutting down, and led until its shutdown ended.")
		case b.why == endStopped:
			ex.add("The leader " + l.label() + " (term " + utoa(b.term) + ") was stopped at " + f.at(b.until) + ".")
		case b.why == endFollowersLost && b.reason == endCheckQuorum:
			ex.add(l.label() + ", leader at term " + utoa(b.term) + ", was left without a quorum at " + f.at(b.until) +
				" and stepped down at " + f.at(b.end) + " (check-quorum).")
		case b.why == endSilent || b.why == endRestarted:
			ex.add("The leader " + l.label() + " (term " + utoa(b.term) + ") stopped responding at " + f.at(b.until) + ".")
		default:
			ex.add("The last leader was " + l.label() + " (term " + utoa(b.term) + "), until " + f.at(b.until) + ".")
		}
	}
	if n, failed, max, who, _ := a.waitedDuring(w.start, end.Add(time.Second)); n > 0 {
		s := "Clients felt it: " + a.names(ixsOf(who)) + " logged " + plural(n, "request", "requests") +
			" that waited up to " + dur(max) + " for a leader"
		switch {
		case failed == n && n == 1:
			s += " and ended in an error (a timeout or a cancel)"
		case failed == n:
			s += ", all ending in an error (a timeout or a cancel)"
		case failed > 0:
			s += ", " + itoa(failed) + " of them ending in an error (a timeout or a cancel)"
		}
		ex.add(s + ".")
	}
	ex.br()

	var failed int
	var setting int8
	var campaigners []int32
	var termFrom, termTo uint64
	var dragged []int32
	for _, s := range w.streaks {
		campaigners = append(campaigners, s.member)
		m := a.mem[s.member]
		if st := m.preVoteSetting(); st != 0 {
			setting = st
		}
		failed += s.attempts()
		if termFrom == 0 || s.termFrom < termFrom {
			termFrom = s.termFrom
		}
		if s.termTo > termTo {
			termTo = s.termTo
		}
		dragged = append(dragged, m.infl.dragged...)
	}
	if setting == 0 {
		setting = f.preVote
	}
	attempts := failed
	ex.add(a.names(campaigners) + " kept campaigning: " + plural(attempts, "election", "elections") +
		" that no quorum answered. This loop is Raft working as designed, not a bug: a member that hears from no " +
		"leader keeps trying to become one, and it stops by itself as soon as enough members are back.")
	switch {
	case preVoteOff(setting):
		ex.add("Pre-vote was off (etcd 3.4's default), so every attempt raised the term, from " + utoa(termFrom) +
			" to " + utoa(termTo) + ". etcd 3.5 and later turn pre-vote on by default: a member first asks whether it " +
			"could win and raises its term only when a quorum says yes, so the term would have stayed at " +
			utoa(termFrom) + ".")
		if len(dragged) > 0 {
			ex.add("On its return " + a.names(uniq(dragged)) + " had to adopt term " + utoa(termTo) + ".")
		}
	case setting > 0:
		ex.add("Pre-vote was on, so these attempts did not raise the term: it stayed at " + utoa(termFrom) + ".")
	}
	ex.br()
	if w.after != nil {
		var cands uint64
		for _, ix := range missing {
			cands |= bit(ix)
		}
		back := a.returned(w.after, w.start, w.streaks, cands)
		if len(back) > 0 && cands&bit(w.after.leader) != 0 {
			back = append([]int32{w.after.leader}, back...) // the leader was missing too
		}
		s := "At " + f.at(w.after.start) + " "
		if len(back) > 0 {
			s += a.names(back) + " came back and "
		}
		s += a.label(w.after.leader) + " was elected leader at term " + utoa(w.after.term)
		if by, next := a.deposedAtOnce(w.after); by >= 0 {
			ex.add(s + ".")
			s = a.deposedText(f, w.after, by, next, w.streaks) + " The cluster recovered by itself."
		} else {
			s += ": the cluster recovered by itself."
		}
		ex.add(s)
	} else {
		ex.add("No leader was elected before the logs end.")
	}
	d.Explanation = ex.String()

	if reachable {
		d.Remedies = append(d.Remedies, remedyNetwork)
	}
	if w.end.IsZero() || w.after == nil { // still no quorum when the logs end
		need := max(q-len(up), 1)
		rem := "Bring back at least " + plural(need, "member", "members")
		if len(missing) > 0 {
			rem = "Bring back at least " + itoa(need) + " of " + a.names(missing)
		}
		d.Remedies = append(d.Remedies, rem+" (start the stopped process or container, or repair the network to it): "+
			"with "+itoa(q)+" of "+itoa(n)+" members up the cluster elects a leader by itself.")
	} else {
		rem := "The cluster recovered at " + f.at(w.after.start) + "; so that it does not happen again, find out why "
		if len(missing) > 0 {
			rem += a.names(missing) + " " + wasWere(len(missing)) + " out at the same time (the same host, rack, zone or " +
				"maintenance window; a deploy or restart that took more than one member at a time), then spread the " +
				"members or roll changes out one member at a time"
		} else {
			rem += "the members lost one another (the network between them, their peer port 2380, their load)"
		}
		d.Remedies = append(d.Remedies, rem+".")
	}
	d.Remedies = append(d.Remedies, "Never run the cluster on 2 members, and never size one at 2: a quorum of 2 "+
		"out of 2 means that losing either member stops it. Run 3 members (tolerates 1 failure) or 5 (tolerates 2), "+
		"and replace a failed member promptly instead of running one failure away from this.")
	if rec := a.trust(p); rec != nil {
		d.Remedies = append(d.Remedies, recoveryRemedy(rec))
	}
	if preVoteOff(setting) {
		d.Remedies = append(d.Remedies, remedyPreVote)
	}
	return d
}

// whyMissing says what happened to the members missing from a quorum:
// "n3 was shut down at 21:48:24, n1 at 21:48:25", "n2 stopped responding at
// 21:03:36 (killed or crashed)", or "down or unreachable".
func (a *Analyzer) whyMissing(f *facts, missing []int32, at time.Time) string {
	var stopped, died, other []string
	for _, ix := range missing {
		m := a.mem[ix]
		if st := m.stoppedNear(at, time.Minute, 2*time.Second); !st.IsZero() {
			stopped = append(stopped, m.label()+" at "+f.at(st))
			continue
		}
		if d := m.killedNear(at); !d.IsZero() {
			died = append(died, m.label()+" (last line at "+f.at(d)+")")
			continue
		}
		other = append(other, m.label())
	}
	var ps []string
	if len(stopped) > 0 {
		ps = append(ps, "shut down: "+list(stopped))
	}
	if len(died) > 0 {
		ps = append(ps, "killed or crashed, without a shutdown line: "+list(died))
	}
	if len(other) > 0 {
		ps = append(ps, list(other)+" "+wasWere(len(other))+" down or unreachable")
	}
	return strings.Join(ps, "; ")
}

// killedNear returns when m went silent before a restart without a shutdown
// line, if that was within a minute before at.
func (m *member) killedNear(at time.Time) time.Time {
	for _, d := range m.downs {
		if d.to.IsZero() || !m.stoppedNear(d.from, 0, 0).IsZero() {
			continue
		}
		if !d.from.After(at.Add(2*time.Second)) && d.from.After(at.Add(-time.Minute)) {
			return d.from
		}
	}
	return time.Time{}
}

// qlMembers splits a quorum-loss window's cluster into members up and missing.
func (a *Analyzer) qlMembers(w *qlWindow) (up, missing []int32, n int) {
	var campaigners, cluster uint64
	for _, s := range w.streaks {
		campaigners |= bit(s.member) | s.resp
		cluster |= bit(s.member)
		for _, p := range a.mem[s.member].peers {
			cluster |= bit(a.index(p))
		}
	}
	alive := campaigners
	for _, m := range a.mem {
		if a.aliveDuring(m, w.runStart, w.runEnd) {
			alive |= bit(m.ix)
		}
	}
	n = popcount(cluster)
	if f := a.facts(a.clock); f.n > n {
		n = f.n
	}
	return ixsOf(alive), ixsOf(cluster &^ alive), n
}

func uniq(ixs []int32) []int32 {
	var seen uint64
	var out []int32
	for _, ix := range ixs {
		if seen&bit(ix) == 0 {
			seen |= bit(ix)
			out = append(out, ix)
		}
	}
	return out
}

func quorumLossNoun(*repeats) (string, string) { return "The cluster lost its quorum", "" }
