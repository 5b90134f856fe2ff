package analysis

import (
	"slices"
	"time"
)

// downIndex answers whether some of a member's down spans holds an instant
// with a binary search instead of a scan of them all: Finish asks it for
// every member at both ends (and the middle) of every campaign streak and
// quorum-loss window, and a member keeps up to 256 spans (docs/performance.md,
// "Finish on the storm-run file").
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
	lo, hi := 0, len(x.from) // from[:lo] started at or before t, from[hi:] after it
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if x.from[h].After(t) {
			hi = h
		} else {
			lo = h + 1
		}
	}
	return lo > 0 && x.until[lo-1].after(t)
}

// indexDowns indexes every member's down spans, once they are final: Finish
// calls it after cutAtGaps. A later change to them (addDown, endDown) drops
// the index, and downAt and stoppingAt scan again.
func (a *Analyzer) indexDowns() {
	for _, m := range a.mem {
		m.dix = newDownIndex(m.downs, func(span) bool { return true })
		m.stopDix = newDownIndex(m.downs, func(d span) bool { return !m.stoppedNear(d.from, 0, 0).IsZero() })
		m.dixOK = true
	}
}
