package analysis

import (
	"sort"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// stopRec is one member's shutdown: the first line of it.
type stopRec struct {
	member int32
	t      time.Time
	seq    int64
	leader bool // it was leader when it began to stop
	ev     evLine
}

// stopGroup is a chain of member shutdowns, each within stopChainGap of the
// previous, with no member of it starting again in between. It is
// cluster-wide when every member that was running when it began stopped in
// it; a member that keeps logging after the others stopped (campaigning
// alone, say) survived it.
type stopGroup struct {
	start, end  time.Time
	members     []int32
	leaders     []int32 // members that were leader when they stopped
	ev          []evLine
	clusterWide bool
	// restart is the first time a member of the group started again after
	// a stop from start on (zero: none did), and in its members as a set:
	// with thousands of members, no pass over them per shutdown.
	restart time.Time
	in      map[int32]bool
}

// stopBook keeps the shutdowns as they come; Finish groups them, once every
// member's lines are in: compose prints each container's lines in blocks, so
// a survivor's lines may come long after the others' shutdowns.
type stopBook struct {
	recs   []stopRec
	groups []*stopGroup
	// wide are the cluster-wide groups. Like groups, they are in time order
	// and apart: each starts no earlier than the one before ends.
	wide    []*stopGroup
	dropped int
	// first[ix] is when the first of wide that member ix stopped in began,
	// if one did (a group of lines without a time begins at zero), for the
	// len(wide) it was made for (see firstWide).
	first   []firstStop
	firstOf int
}

type firstStop struct {
	at time.Time
	ok bool
}

// firstWide returns when the first cluster-wide stop that member ix stopped
// in began, and whether one did.
func (sb *stopBook) firstWide(ix int32) (time.Time, bool) {
	if sb.first == nil || sb.firstOf != len(sb.wide) {
		sb.first, sb.firstOf = make([]firstStop, 0, 8), len(sb.wide)
		for _, g := range sb.wide { // in time order: the first seen is the earliest
			for _, m := range g.members {
				for int(m) >= len(sb.first) {
					sb.first = append(sb.first, firstStop{})
				}
				if !sb.first[m].ok {
					sb.first[m] = firstStop{g.start, true}
				}
			}
		}
	}
	if int(ix) < len(sb.first) {
		return sb.first[ix].at, sb.first[ix].ok
	}
	return time.Time{}, false
}

// stopChainGap joins shutdowns into one group.
const stopChainGap = 15 * time.Second

func (a *Analyzer) shutdown(m *member, ev *parser.Event, t time.Time) {
	if !m.up {
		return // the second line of the same shutdown
	}
	wasLeader := m.state == StateLeader
	m.up = false
	m.stoppedAt = t
	m.marks.add(t)
	a.stopMarks.add(t)
	if len(m.stops) < 256 {
		m.stops = append(m.stops, t)
		m.indexed = false
	}
	m.addDown(t, time.Time{})
	if rec := a.ownLeadership(m); rec != nil && rec.stopAt.IsZero() {
		rec.stopAt = t
	}
	if m.camp.open {
		a.closeCampaign(m, t, false)
	}
	a.endStreak(m, t, streakStopped)
	if m.lead != 0 && m.lead != m.id {
		a.loss(m.lead, m.leadTerm, m, t)
	}
	m.point(t, a.opts.MaxSeriesPoints)

	sb := &a.stops
	if len(sb.recs) >= maxEpisodes {
		sb.dropped++
	} else {
		sb.recs = append(sb.recs, stopRec{member: m.ix, t: t, seq: a.seq, leader: wasLeader})
		sb.recs[len(sb.recs)-1].ev.keep(ev, t, &a.cur)
	}
	a.tl.add(ev, m, t, &a.cur)
}

// ownLeadership is the leadership m holds by its own lines, or nil: the one
// of its current term when it is leader. (Its lastLed may already be a later
// one that other members' lines told of first.)
func (a *Analyzer) ownLeadership(m *member) *leadership {
	if m.state != StateLeader {
		return nil
	}
	if rec := a.lead.byTerm[m.term]; rec != nil && rec.leader == m.ix {
		return rec
	}
	return nil
}

// groupStops chains the shutdowns into groups and decides which stopped the
// whole cluster. Finish calls it before anything reads the groups.
func (a *Analyzer) groupStops() {
	sb := &a.stops
	rs := sb.recs
	sort.SliceStable(rs, func(i, j int) bool {
		if !rs[i].t.Equal(rs[j].t) {
			return rs[i].t.Before(rs[j].t)
		}
		return rs[i].seq < rs[j].seq
	})
	var g *stopGroup
	for i := range rs {
		r := &rs[i]
		if g != nil && (r.t.Sub(g.end) > stopChainGap || a.restartedIn(g, r.t)) {
			a.closeStops(g)
			g = nil
		}
		if g == nil {
			g = &stopGroup{start: r.t, in: map[int32]bool{}}
		}
		g.end = r.t
		if !g.in[r.member] {
			g.in[r.member] = true
			g.members = append(g.members, r.member)
			if r.leader {
				g.leaders = append(g.leaders, r.member)
			}
			a.noteRestart(g, r.member)
		}
		g.ev = append(g.ev, r.ev)
	}
	if g != nil {
		a.closeStops(g)
	}
}

// restartedIn reports whether a member of g started again after its stop in
// g and by t: the stops so far were not one stop of the cluster.
func (a *Analyzer) restartedIn(g *stopGroup, t time.Time) bool {
	return !g.restart.IsZero() && !g.restart.After(t)
}

// noteRestart takes the new member ix's first start after g began into
// g.restart.
func (a *Analyzer) noteRestart(g *stopGroup, ix int32) {
	for _, d := range a.mem[ix].downs {
		if !d.to.IsZero() && !d.from.Before(g.start) && (g.restart.IsZero() || d.to.Before(g.restart)) {
			g.restart = d.to
		}
	}
}

func (a *Analyzer) closeStops(g *stopGroup) {
	g.in = nil
	g.clusterWide = !a.survived(g)
	a.stops.keep(g)
}

// keep keeps a closed group, its clusterWide set, in groups and, when it is
// cluster-wide, in wide (while fewer than maxEpisodes are kept).
func (sb *stopBook) keep(g *stopGroup) {
	if len(sb.groups) < maxEpisodes {
		sb.groups = append(sb.groups, g)
		if g.clusterWide {
			sb.wide = append(sb.wide, g)
		}
	}
}

// survived reports whether a member that was running when g began did not
// stop in it: its own lines go on after g began, with no shutdown in g.
// Members whose lines ended before g (killed, or a log cut short) and members
// already down do not count.
func (a *Analyzer) survived(g *stopGroup) bool {
	var in uint64
	for _, ix := range g.members {
		in |= bit(ix)
	}
	for _, m := range a.mem {
		if !m.hasLogs || in&bit(m.ix) != 0 || m.firstSeen.After(g.start) || m.downAt(g.start) {
			continue
		}
		if m.lastSeen.After(g.start) {
			return true
		}
	}
	return false
}

// clusterStop returns the whole-cluster stop whose span (with some slack)
// holds t, or nil.
func (a *Analyzer) clusterStop(t time.Time) *stopGroup {
	if i := a.wideEndingFrom(t.Add(-2 * time.Second)); i < len(a.stops.wide) {
		if g := a.stops.wide[i]; !t.Before(g.start.Add(-time.Second)) {
			return g
		}
	}
	return nil
}

// wideEndingFrom is the index in a.stops.wide of the first cluster-wide
// stop that ended at or after t: the earliest of them that may hold t, since
// they are in time order and apart.
func (a *Analyzer) wideEndingFrom(t time.Time) int {
	w := a.stops.wide
	return sort.Search(len(w), func(i int) bool { return !w[i].end.Before(t) })
}

// stoppedNear returns the time m shut down within [t-before, t+after], or zero.
func (m *member) stoppedNear(t time.Time, before, after time.Duration) time.Time {
	from, to := t.Add(-before), t.Add(after)
	if m.indexed && m.idx.stopsSorted {
		if i := sort.Search(len(m.stops), func(i int) bool { return !m.stops[i].Before(from) }); i < len(m.stops) && !m.stops[i].After(to) {
			return m.stops[i]
		}
		return time.Time{}
	}
	for _, s := range m.stops {
		if !s.Before(from) && !s.After(to) {
			return s
		}
	}
	return time.Time{}
}

func (a *Analyzer) detectShutdowns(f *facts) []Finding {
	out := make([]Finding, 0, len(a.stops.groups))
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
			hand := a.stopHandover(g, l)
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
			Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, ev...),
		})
	}
	return out
}

// stopHandover is the transfer by which the leader l handed over as g
// stopped: the first from l (in a.transfers) that started from 1 s before g
// to 3 s after; nil if none.
func (a *Analyzer) stopHandover(g *stopGroup, l int32) *transfer {
	first := -1
	for _, i := range a.transfersIn(g.start.Add(-time.Second), g.end.Add(3*time.Second)) {
		if a.transfers[i].from == l && (first < 0 || i < first) {
			first = i
		}
	}
	if first < 0 {
		return nil
	}
	return a.transfers[first]
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

// restarted handles a start line: a restart after a kill (no shutdown line)
// or after a shutdown marks the member down in between.
func (a *Analyzer) restarted(m *member, prev time.Time, ev *parser.Event, t time.Time) {
	last := m.startLine
	m.startLine = t
	switch {
	case prev.IsZero():
		return // its first line
	case last.IsZero() && prev.Sub(m.firstSeen) < restartDedup:
		return // its first start, after a few identity lines
	case m.up && !last.IsZero() && t.Sub(last) < restartDedup:
		return // a second start line of one start
	}
	m.startedAt = t
	m.marks.add(prev)
	m.marks.add(t)
	if n := len(m.resumes); n > 0 && !m.resumes[n-1].to.Before(prev) {
		m.resumes = m.resumes[:n-1] // the lines of this restart, not a resume
	}
	if m.up {
		// Killed or crashed: no shutdown line. Down since its last line.
		m.addDown(prev, t)
		if len(m.kills) < 256 {
			m.kills = append(m.kills, span{prev, t})
		}
		m.up = false
		m.point(prev, a.opts.MaxSeriesPoints)
		if rec := a.ownLeadership(m); rec != nil && rec.restartEnd.IsZero() {
			rec.restartEnd = prev
		}
	} else {
		m.endDown(t)
	}
	if m.camp.open {
		a.closeCampaign(m, prev, false)
	}
	a.endStreak(m, prev, streakStopped)
	if m.lead != 0 && m.lead != m.id {
		a.loss(m.lead, m.leadTerm, m, prev)
	}
	m.lead = 0
	m.up = true
	m.pendReason, m.pendBy = endNone, 0
	m.state = StateUnknown
	m.setState(StateFollower, m.term, t, a.opts.MaxSeriesPoints)
	a.tl.add(ev, m, t, &a.cur)
}

// restartDedup joins the start lines of one (re)start.
const restartDedup = 3 * time.Second

func shutdownNoun(w *repeats) (string, string) {
	if w.sameList || len(w.ixs) == 1 {
		return w.names + " shut down", ""
	}
	return "Members shut down", " (" + w.names + ")"
}
