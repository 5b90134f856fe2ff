package analysis

import (
	"sort"
	"time"
)

// recoveryMin is the shortest leaderless window whose end is a recovery.
const recoveryMin = 5 * time.Second

// detectRecoveries reports leaders elected after a quorum loss, or after any
// long leaderless window.
func (a *Analyzer) detectRecoveries(f *facts) []Finding {
	qls, ws := f.windows, f.r.Leaderless
	out := make([]Finding, 0, len(qls))
	done := make(map[*leadership]bool, len(qls))
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
		for _, rec := range a.lix.startingAt(win.End) {
			if !done[rec] {
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
	if i := a.byTermFrom(rec.term); i > 0 {
		termFrom = a.lead.list[i-1].term
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
		Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, ev...),
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
	return by, a.firstAfterTerm(rec.term, rec.start)
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
	for _, m := range a.mem {
		if cands&bit(m.ix) != 0 && m.backIn(from, rec.start, cands) {
			back |= bit(m.ix)
		}
	}
	return ixsOf(back & cands &^ bit(rec.leader))
}

// backIn reports whether m's lines show it back in (from, to]: a restart, or
// a stream established with a member not in out.
func (m *member) backIn(from, to time.Time, out uint64) bool {
	in := func(t time.Time) bool { return t.After(from) && !t.After(to) }
	if m.indexed {
		if i := firstAfter(m.idx.restarts, from); i < len(m.idx.restarts) && in(m.idx.restarts[i]) {
			return true
		}
	} else {
		for _, d := range m.downs {
			if !d.to.IsZero() && in(d.to) {
				return true
			}
		}
	}
	rs, sorted := m.reach, m.indexed && m.idx.reachSorted
	if sorted { // walk only those after from, until to
		rs = rs[sort.Search(len(rs), func(i int) bool { return rs[i].t.After(from) }):]
	}
	for _, r := range rs {
		if sorted && r.t.After(to) {
			break
		}
		if in(r.t) && out&bit(r.peer) == 0 {
			return true
		}
	}
	return false
}

func recoveryNoun(w *repeats) (string, string) {
	return "A leader was elected after a time without one", " (" + w.names + ")"
}
