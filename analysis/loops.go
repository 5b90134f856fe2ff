package analysis

import (
	"sort"
	"time"
)

// bootstrapGrace is how long members starting apart may campaign before the
// cluster's first leader without it being a loop.
const bootstrapGrace = 30 * time.Second

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

// detectStreaks turns the campaign streaks into candidacy and pre-vote loops
// and quorum-loss windows.
func (a *Analyzer) detectStreaks(f *facts) ([]Finding, []*qlWindow) {
	var out []Finding
	var ws []*qlWindow
	k := f.q - 2
	if k < 0 {
		k = 0
	}
	if k > 3 {
		k = 3
	}
	for _, s := range a.streaks {
		if a.bootstrapStreak(s, f.end) || a.stopTail(s) {
			continue
		}
		if s.failedCand >= minLoop {
			fd := a.candidacyLoop(f, s)
			a.note(&fd, s)
			out = append(out, fd)
		}
		if s.failedPre >= minLoop {
			fd := a.preVoteLoop(f, s)
			a.note(&fd, s)
			out = append(out, fd)
		}
		r := s.runs[k]
		if r.best < minLoop || a.cutOff(r.bestStart, r.bestEnd, s.member) {
			continue
		}
		before, after := a.around(r.bestStart, r.bestEnd)
		var w *qlWindow
		for _, x := range ws {
			if x.before == before && x.after == after {
				w = x
				break
			}
		}
		if w == nil {
			w = &qlWindow{before: before, after: after, start: s.start, runStart: r.bestStart, runEnd: r.bestEnd}
			if before != nil {
				w.start = before.until
			}
			if after != nil {
				w.end = after.start
			}
			ws = append(ws, w)
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
	for _, w := range ws {
		fd := a.quorumLoss(f, w)
		a.note(&fd, w)
		out = append(out, fd)
	}
	return out, ws
}

// bootstrapStreak reports whether s is a member's campaigning before the
// cluster's first leader (or the first after a whole-cluster stop), short
// enough to be members starting a few seconds apart.
func (a *Analyzer) bootstrapStreak(s *streak, end time.Time) bool {
	if !a.coldAt(s.start) {
		return false
	}
	until := s.endAt
	if until.IsZero() {
		until = end
	}
	return until.Sub(s.start) <= bootstrapGrace
}

// coldAt reports whether no leader had been elected before t since the
// cluster (re)started.
func (a *Analyzer) coldAt(t time.Time) bool {
	var last time.Time
	for _, rec := range a.lead.list {
		if rec.start.Before(t) && rec.start.After(last) {
			last = rec.start
		}
	}
	if last.IsZero() {
		return true
	}
	for _, g := range a.stops.groups {
		if g.clusterWide && g.end.After(last) && !g.end.After(t) {
			return true
		}
	}
	return false
}

// stopTail reports whether s is a member campaigning while the whole cluster
// was being stopped (the last member alone for a moment).
func (a *Analyzer) stopTail(s *streak) bool {
	for _, g := range a.stops.groups {
		if g.clusterWide && !s.start.Before(g.start.Add(-time.Second)) && !s.start.After(g.end.Add(2*time.Second)) {
			return true
		}
	}
	return false
}

// cutOff reports whether another member led during (from, to): the
// campaigner was cut off from a working cluster, not short of a quorum.
func (a *Analyzer) cutOff(from, to time.Time, self int32) bool {
	const tol = time.Second
	f, t := from.Add(tol), to.Add(-tol)
	if !t.After(f) {
		mid := from.Add(to.Sub(from) / 2)
		f, t = mid, mid.Add(time.Millisecond)
	}
	return a.leadershipsOverlap(f, t, self)
}

// around returns the leadership that ended last before from, and the first
// that started after to.
func (a *Analyzer) around(from, to time.Time) (before, after *leadership) {
	const tol = time.Second
	for _, rec := range a.lead.list {
		if !rec.until.After(from.Add(tol)) && (before == nil || rec.until.After(before.until) ||
			(rec.until.Equal(before.until) && rec.term > before.term)) {
			before = rec
		}
		if !rec.start.Before(to.Add(-tol)) && rec.start.After(from) && (after == nil || rec.start.Before(after.start)) {
			after = rec
		}
	}
	return before, after
}

func (a *Analyzer) quorumLoss(f *facts, w *qlWindow) Finding {
	var campaigners uint64
	var cluster uint64
	failed := 0
	termFrom, termTo := uint64(0), uint64(0)
	var ev [][]evLine
	for _, s := range w.streaks {
		m := a.mem[s.member]
		campaigners |= bit(s.member)
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
		Summary: s, Evidence: a.evidenceOf(a.opts.MaxEvidence, ev...),
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

// streakUntil says how a streak ended, for texts.
func (a *Analyzer) streakUntil(f *facts, s *streak) string {
	switch s.outcome {
	case streakWon:
		return "until it won at term " + utoa(s.wonTerm) + " at " + f.at(s.endAt)
	case streakFollowed:
		return "until it followed a leader again at " + f.at(s.endAt)
	case streakStopped:
		return "until it stopped at " + f.at(s.endAt)
	}
	return "until the logs end"
}

func (a *Analyzer) candidacyLoop(f *facts, s *streak) Finding {
	m := a.mem[s.member]
	count := s.attempts()
	sum := m.label() + " campaigned " + plural(count, "time", "times") +
		" in a row without winning, each time at a higher term (" + utoa(s.termFrom) + " to " + utoa(s.termTo) +
		"; pre-vote off), from " + f.at(s.start) + " " + a.streakUntil(f, s) + "."
	return Finding{
		Kind: CandidacyLoop, Severity: Warning, Members: a.ids(s.member),
		Start: s.start, End: s.lastEnd(), Count: count, TermFrom: s.termFrom, TermTo: s.termTo,
		Summary: sum, Evidence: a.evidenceOf(a.opts.MaxEvidence, s.ev.lines(), one(s.win)),
	}
}

func (a *Analyzer) preVoteLoop(f *facts, s *streak) Finding {
	m := a.mem[s.member]
	term := utoa(s.termFrom)
	sum := m.label() + " asked for pre-votes " + plural(s.failedPre, "time", "times") +
		" in a row without getting a quorum of them (pre-vote on: the term stayed at " + term + "), from " +
		f.at(s.start) + " " + a.streakUntil(f, s) + "."
	return Finding{
		Kind: PreVoteLoop, Severity: Warning, Members: a.ids(s.member),
		Start: s.start, End: s.lastEnd(), Count: s.failedPre, TermFrom: s.termFrom, TermTo: s.termFrom,
		Summary: sum, Evidence: a.evidenceOf(a.opts.MaxEvidence, s.ev.lines(), one(s.win)),
	}
}

// attempts counts the streak's failed elections: those its lines show, and
// those its term implies without pre-vote (see openCampaign).
func (s *streak) attempts() int { return s.failed + s.inferred }

func (s *streak) lastEnd() time.Time {
	if !s.endAt.IsZero() && s.outcome != streakOpen {
		return s.endAt
	}
	return s.end
}

// recoveryMin is the shortest leaderless window whose end is a recovery.
const recoveryMin = 5 * time.Second

// detectRecoveries reports leaders elected after a quorum loss, or after any
// long leaderless window.
func (a *Analyzer) detectRecoveries(f *facts, qls []*qlWindow, ws []Window) []Finding {
	var out []Finding
	done := map[*leadership]bool{}
	for _, w := range qls {
		if w.after == nil || done[w.after] {
			continue
		}
		done[w.after] = true
		_, missing, _ := a.qlMembers(w)
		var cands uint64
		for _, ix := range missing {
			cands |= bit(ix)
		}
		out = append(out, a.recovery(f, w.after, w.start, w.streaks, cands))
	}
	for _, win := range ws {
		if win.End.Sub(win.Start) < recoveryMin {
			continue
		}
		for _, rec := range a.lead.list {
			if rec.start.Equal(win.End) && !done[rec] {
				done[rec] = true
				out = append(out, a.recovery(f, rec, win.Start, nil, ^bit(rec.leader)))
			}
		}
	}
	return out
}

// recovery reports rec's election after a window without a leader since
// from; cands are the members that may have come back (those missing from
// the quorum).
func (a *Analyzer) recovery(f *facts, rec *leadership, from time.Time, ss []*streak, cands uint64) Finding {
	l := a.mem[rec.leader]
	var ev [][]evLine
	for _, s := range ss {
		if s.member == rec.leader && s.outcome == streakWon {
			ev = append(ev, one(s.grant), one(s.win))
		}
	}
	back := a.returned(rec, from, ss, cands)
	termFrom := uint64(0)
	var prev *leadership
	for _, x := range a.lead.list {
		if x.term < rec.term && (prev == nil || x.term > prev.term) {
			prev = x
		}
	}
	if prev != nil {
		termFrom = prev.term
	}
	sum := l.label() + " became leader at term " + utoa(rec.term) + " at " + f.at(rec.start)
	if len(back) > 0 && cands&bit(rec.leader) != 0 {
		sum = l.label() + " came back and became leader at term " + utoa(rec.term) + " at " + f.at(rec.start)
		sum += " once " + a.names(back) + " " + wasWere(len(back)) + " back too"
	} else if len(back) > 0 {
		sum += " once " + a.names(back) + " " + wasWere(len(back)) + " back"
	}
	sum += ", after " + dur(rec.start.Sub(from)) + " without a leader (since " + f.at(from) + ")."
	if by, next := a.deposedAtOnce(rec); by >= 0 {
		sum += " " + a.deposedText(f, rec, by, next, ss)
		ev = append(ev, one(rec.endEv))
	}
	ev = append(ev, one(rec.startEv))
	members := append([]int32{rec.leader}, back...)
	return Finding{
		Kind: Recovery, Severity: Info, Members: a.ids(members...),
		Start: rec.start, End: rec.start, Count: 1, TermFrom: termFrom, TermTo: rec.term,
		Summary: sum, Evidence: a.evidenceOf(a.opts.MaxEvidence, ev...),
		weight: rec.start.Sub(from).Seconds(),
	}
}

// deposedSoon is how soon after its election a leader deposed by a higher
// term counts as never having settled the cluster.
const deposedSoon = 2 * time.Second

// deposedAtOnce returns the member whose higher term ended rec within
// deposedSoon of its election, and the leadership that came next (nil if
// none); -1 when rec was not deposed so.
func (a *Analyzer) deposedAtOnce(rec *leadership) (int32, *leadership) {
	if rec.reason != endHigherTerm || rec.end.Sub(rec.start) > deposedSoon {
		return -1, nil
	}
	by := a.index(rec.by)
	if by < 0 || by == rec.leader {
		return -1, nil
	}
	var next *leadership
	for _, x := range a.lead.list {
		if x.term > rec.term && !x.start.Before(rec.start) && (next == nil || x.term < next.term) {
			next = x
		}
	}
	return by, next
}

// deposedText tells, as a sentence, that member by's higher term deposed rec
// at once, and who led next; ss are the campaigns of the leaderless window
// before rec, which may have raised by's term.
func (a *Analyzer) deposedText(f *facts, rec *leadership, by int32, next *leadership, ss []*streak) string {
	s := "It did not last: " + a.label(by) + "'s higher term"
	for _, st := range ss {
		if st.member == by && st.termTo > st.termFrom {
			s += ", raised by its failed elections,"
			break
		}
	}
	s += " deposed it " + dur(rec.end.Sub(rec.start)) + " later"
	if next != nil {
		s += ", and " + a.label(next.leader) + " became leader at term " + utoa(next.term) + " at " + f.at(next.start)
	}
	return s + "."
}

// returned lists the members of cands, other than rec's leader, whose return
// shows in the logs after from and no later than rec's election: a start
// line, a stream established with a member that was not missing, or a vote
// for the winning campaign. A member that came back only after the election
// is not named, even if it started a moment later.
func (a *Analyzer) returned(rec *leadership, from time.Time, ss []*streak, cands uint64) []int32 {
	var back uint64
	for _, s := range ss {
		if s.member == rec.leader && s.outcome == streakWon {
			back |= s.winners
		}
	}
	in := func(t time.Time) bool { return t.After(from) && !t.After(rec.start) }
	for _, m := range a.mem {
		if cands&bit(m.ix) == 0 {
			continue
		}
		for _, d := range m.downs {
			if !d.to.IsZero() && in(d.to) {
				back |= bit(m.ix)
			}
		}
		for _, r := range m.reach {
			if in(r.t) && cands&bit(r.peer) == 0 {
				back |= bit(m.ix)
			}
		}
	}
	return ixsOf(back & cands &^ bit(rec.leader))
}
