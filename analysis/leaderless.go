package analysis

import (
	"sort"
	"time"
)

// coldAt reports whether no leader had been elected before t since the
// cluster (re)started.
func (a *Analyzer) coldAt(t time.Time) bool {
	last := a.lix.lastStartBefore(t)
	if last.IsZero() {
		return true
	}
	w := a.stops.wide // in time order: the first to end after last, if by t
	i := sort.Search(len(w), func(i int) bool { return w[i].end.After(last) })
	return i < len(w) && !w[i].end.After(t)
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
	x := &a.lix
	lim := from.Add(tol)
	if j := sort.Search(len(x.byUntil), func(i int) bool { return x.byUntil[i].until.After(lim) }); j > 0 {
		before = x.byUntil[j-1]
	}
	lo := to.Add(-tol)
	if i := sort.Search(len(x.byStart), func(i int) bool {
		s := x.byStart[i].start
		return !s.Before(lo) && s.After(from)
	}); i < len(x.byStart) {
		after = x.byStart[i]
	}
	return before, after
}

// nextLeader is the first leadership after term that started at or after t.
func (a *Analyzer) nextLeader(term uint64, t time.Time) *leadership {
	return a.firstAfterTerm(term, t.Add(-time.Second))
}

// decisiveLoss is when the last follower known to follow rec lost it: from
// then on nobody we can see followed it.
func (rec *leadership) decisiveLoss() time.Time {
	fs := rec.followers
	for _, l := range rec.losses {
		fs |= bit(l.ix)
	}
	if fs == 0 || len(rec.losses) == 0 {
		return time.Time{}
	}
	ls := append([]loss(nil), rec.losses...)
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].t.Before(ls[j].t) })
	var lost uint64
	for _, l := range ls {
		lost |= bit(l.ix)
		if lost&fs == fs {
			return l.t
		}
	}
	return time.Time{}
}

// settleLeaderships decides when each leadership ended, from the leader's
// own lines, its followers', the next election, and its stop.
func (a *Analyzer) settleLeaderships(end time.Time) {
	ls := a.lead.list
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].term < ls[j].term })
	// nextStart[i]: the earliest start of a leadership at a higher term.
	nextStart := make([]time.Time, len(ls))
	var min time.Time
	for i := len(ls) - 1; i >= 0; i-- {
		nextStart[i] = min
		if min.IsZero() || ls[i].start.Before(min) {
			min = ls[i].start
		}
	}
	for i, rec := range ls {
		until, why := rec.end, rec.reason
		if d := rec.decisiveLoss(); !d.IsZero() && (until.IsZero() || d.Before(until)) {
			until, why = d, endFollowersLost
		}
		if n := nextStart[i]; !n.IsZero() && (until.IsZero() || n.Before(until)) {
			until, why = n, endSuperseded
		}
		if rec.end.IsZero() && !rec.silentSince.IsZero() && !until.IsZero() &&
			rec.silentSince.Before(until) && rec.silentSince.After(rec.start) {
			until, why = rec.silentSince, endSilent
		}
		if !rec.stopAt.IsZero() && (until.IsZero() || rec.stopAt.Add(stopGrace).Before(until)) {
			until, why = rec.stopAt, endStopped
		}
		if until.IsZero() && !rec.restartEnd.IsZero() {
			until, why = rec.restartEnd, endRestarted
		}
		if rec.stopAt.IsZero() && a.mem[rec.leader].stoppingAt(rec.start) {
			// Elected while it was shutting down (a SIGTERM waits for a
			// transfer that fails): it led until the shutdown ended.
			switch why {
			case endSilent, endFollowersLost, endRestarted:
				why = endStopped
			}
		}
		if until.IsZero() {
			until, why = end, endNone
		}
		if until.Before(rec.start) {
			until = rec.start
		}
		rec.until, rec.why = until, why
	}
	a.indexLeaderships()
}

// stopGrace is how long a stopping leader may take to hand over.
const stopGrace = 2 * time.Second

// minWindow is the shortest leaderless window reported: shorter gaps are a
// leadership transfer's own handover, or clock resolution.
const minWindow = 200 * time.Millisecond

// leaderless computes the windows with no leader, between the first
// leadership and the end of the logs, leaving out whole-cluster stops.
func (a *Analyzer) leaderless(end time.Time) []Window {
	type iv struct{ from, to time.Time }
	ivs := make([]iv, 0, len(a.lead.list))
	for _, rec := range a.lead.list {
		ivs = append(ivs, iv{rec.start, rec.until})
	}
	sort.SliceStable(ivs, func(i, j int) bool { return ivs[i].from.Before(ivs[j].from) })
	var gaps []iv
	var cur iv
	for i, v := range ivs {
		if i == 0 {
			cur = v
			continue
		}
		if v.from.After(cur.to) {
			gaps = append(gaps, iv{cur.to, v.from})
			cur = v
			continue
		}
		if v.to.After(cur.to) {
			cur.to = v.to
		}
	}
	if len(ivs) > 0 && end.After(cur.to) {
		if last := a.lead.lastEnded(cur.to); last {
			gaps = append(gaps, iv{cur.to, end})
		}
	}
	var ws []Window
	for _, g := range gaps {
		from, to := g.from, a.stopCut(g.from, g.to)
		if to.Sub(from) < minWindow || a.handover(from, to) {
			continue
		}
		ws = append(ws, Window{Start: from, End: to, Seconds: to.Sub(from).Seconds()})
	}
	return ws
}

// stopCut is where a whole-cluster stop ends the leaderless gap (from, to),
// since no member is left to lead: from itself when the leader went with the
// cluster (not a leaderless window), or the end of the first stop to end in
// the gap; to if none does.
func (a *Analyzer) stopCut(from, to time.Time) time.Time {
	if a.clusterStop(from) != nil {
		return from
	}
	if i := a.wideEndingFrom(from); i < len(a.stops.wide) && !a.stops.wide[i].end.After(to) {
		return a.stops.wide[i].end
	}
	return to
}

// lastEnded reports whether the leadership that ends at t really ended (as
// opposed to running until the end of the logs).
func (b *leaderBook) lastEnded(t time.Time) bool {
	for _, rec := range b.list {
		if rec.until.Equal(t) && rec.why != endNone {
			return true
		}
	}
	return false
}

// leadershipsOverlap reports whether a leadership by a member other than
// skip covers any part of (from, to).
func (a *Analyzer) leadershipsOverlap(from, to time.Time, skip int32) bool {
	return a.lix.ledDuring(from, to, skip)
}

// handover reports whether the gap (from, to) between two leaderships is a
// planned leadership transfer's own handover.
func (a *Analyzer) handover(from, to time.Time) bool {
	if to.Sub(from) > transferWindow {
		return false
	}
	for _, prev := range a.lix.endingAt(from) {
		for _, next := range a.lix.startingAt(to) {
			if next.leader != prev.leader && a.planned(prev, next) {
				return true
			}
		}
	}
	return false
}

// addWindow adds [from, to] to ws unless a window already covers it, and
// keeps ws in time order.
func addWindow(ws []Window, from, to time.Time) []Window {
	if to.Sub(from) < minWindow {
		return ws
	}
	for i, w := range ws {
		if !w.Start.After(to) && !w.End.Before(from) {
			if from.Before(w.Start) {
				ws[i].Start = from
			}
			if to.After(w.End) {
				ws[i].End = to
			}
			ws[i].Seconds = ws[i].End.Sub(ws[i].Start).Seconds()
			return ws
		}
	}
	ws = append(ws, Window{Start: from, End: to, Seconds: to.Sub(from).Seconds()})
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].Start.Before(ws[j].Start) })
	return ws
}
