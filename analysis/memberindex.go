package analysis

import (
	"slices"
	"sort"
	"time"
)

// memberIndex is what Finish asks of a member's down spans, shutdown lines
// and streams established, indexed by time: Finish asks for every member at
// both ends (and the middle) of every campaign streak, quorum-loss window,
// recovery and transfer, and a member keeps up to 256 of each
// (docs/performance.md, "Finish on the storm-run file").
type memberIndex struct {
	downs     downIndex   // every down span
	stopDowns downIndex   // the down spans that began with a shutdown line
	restarts  []time.Time // the ends of the down spans (restarts), in time order
	// stopsSorted and reachSorted: m.stops and m.reach are in time order,
	// so the first of them in a span is a binary search away.
	stopsSorted, reachSorted bool
}

// indexMembers indexes every member's down spans, shutdowns and streams,
// once they are final: Finish calls it after cutAtGaps (which drops the downs
// across a gap). A later change to them (addDown, endDown, a shutdown,
// noteReach) drops the index, and the questions scan again.
func (a *Analyzer) indexMembers() {
	for _, m := range a.mem {
		m.indexed = false // the scans below read the lines themselves
		x := &m.idx
		x.downs = newDownIndex(m.downs, func(span) bool { return true })
		x.stopDowns = newDownIndex(m.downs, func(d span) bool { return !m.stoppedNear(d.from, 0, 0).IsZero() })
		x.restarts = x.restarts[:0]
		for _, d := range m.downs {
			if !d.to.IsZero() {
				x.restarts = append(x.restarts, d.to)
			}
		}
		slices.SortFunc(x.restarts, time.Time.Compare)
		x.stopsSorted = slices.IsSortedFunc(m.stops, time.Time.Compare)
		x.reachSorted = slices.IsSortedFunc(m.reach, func(p, q reachPoint) int { return p.t.Compare(q.t) })
		m.indexed = true
	}
}

// firstAfter is the index in ts (in time order) of the first after t.
func firstAfter(ts []time.Time, t time.Time) int {
	return sort.Search(len(ts), func(i int) bool { return ts[i].After(t) })
}

// downIndex answers whether some of a member's down spans holds an instant
// with a binary search instead of a scan of them all.
type downIndex struct {
	from  []time.Time // the spans' starts, in time order
	until []downEnd   // until[i]: the latest end of the spans starting at from[:i+1]
}

// downEnd is the end of a down span; open when no restart ended it.
type downEnd struct {
	t    time.Time
	open bool
}

func (e downEnd) after(t time.Time) bool { return e.open || e.t.After(t) }

// newDownIndex indexes the spans of ds that keep says to.
func newDownIndex(ds []span, keep func(span) bool) downIndex {
	var sel []span
	for _, d := range ds {
		if keep(d) {
			sel = append(sel, d)
		}
	}
	slices.SortFunc(sel, func(p, q span) int { return p.from.Compare(q.from) })
	x := downIndex{from: make([]time.Time, len(sel)), until: make([]downEnd, len(sel))}
	var top downEnd
	for i, d := range sel {
		e := downEnd{t: d.to, open: d.to.IsZero()}
		if i == 0 || !top.open && (e.open || e.t.After(top.t)) {
			top = e
		}
		x.from[i], x.until[i] = d.from, top
	}
	return x
}

// holds reports whether an indexed span holds t: it started at or before t
// and is open or ended after t.
func (x *downIndex) holds(t time.Time) bool {
	i := firstAfter(x.from, t) // from[:i] started at or before t
	return i > 0 && x.until[i-1].after(t)
}
