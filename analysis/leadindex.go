package analysis

import (
	"sort"
	"time"
)

// leadIndex orders the settled leaderships by start and by end, so that the
// detectors' questions about them (who led before t, who came next, did
// anyone lead during an interval) are binary searches instead of a scan of
// every leadership per window, streak or recovery: on a long election storm
// that scan made Finish quadratic (docs/performance.md, "Election storms").
// It is built once, by settleLeaderships; a.lead.list is then in term order
// and no leadership changes its start or end. It also orders the transfers
// by start, for planned: was a leadership handed over by one.
type leadIndex struct {
	byStart   []*leadership // by start; ties keep term order
	byUntil   []*leadership // by (until, term)
	transfers []int         // indexes in a.transfers, by start; ties keep their order
	// top[i] and second[i]: the latest until among byStart[:i+1], and its
	// leader; and the latest until among those led by anyone else.
	top, second []ledUntil
}

type ledUntil struct {
	until  time.Time
	leader int32
}

func (a *Analyzer) indexLeaderships() {
	ls := a.lead.list
	x := &a.lix
	x.byStart = append([]*leadership(nil), ls...)
	sort.SliceStable(x.byStart, func(i, j int) bool { return x.byStart[i].start.Before(x.byStart[j].start) })
	x.byUntil = append([]*leadership(nil), ls...)
	sort.SliceStable(x.byUntil, func(i, j int) bool {
		p, q := x.byUntil[i], x.byUntil[j]
		if !p.until.Equal(q.until) {
			return p.until.Before(q.until)
		}
		return p.term < q.term
	})
	x.transfers = make([]int, len(a.transfers))
	for i := range x.transfers {
		x.transfers[i] = i
	}
	sort.SliceStable(x.transfers, func(i, j int) bool {
		return a.transfers[x.transfers[i]].start.Before(a.transfers[x.transfers[j]].start)
	})
	x.top, x.second = make([]ledUntil, len(ls)), make([]ledUntil, len(ls))
	top, second := ledUntil{leader: -1}, ledUntil{leader: -1}
	for i, rec := range x.byStart {
		c := ledUntil{rec.until, rec.leader}
		switch {
		case top.leader < 0 || c.until.After(top.until):
			if c.leader != top.leader {
				second = top
			}
			top = c
		case c.leader != top.leader && (second.leader < 0 || c.until.After(second.until)):
			second = c
		}
		x.top[i], x.second[i] = top, second
	}
}

// startsFrom is the index in byStart of the first leadership that started
// at or after t.
func (x *leadIndex) startsFrom(t time.Time) int {
	return sort.Search(len(x.byStart), func(i int) bool { return !x.byStart[i].start.Before(t) })
}

// untilFrom is the index in byUntil of the first leadership that ended at or
// after t.
func (x *leadIndex) untilFrom(t time.Time) int {
	return sort.Search(len(x.byUntil), func(i int) bool { return !x.byUntil[i].until.Before(t) })
}

// startingAt lists the leaderships that started at t, in term order.
func (x *leadIndex) startingAt(t time.Time) []*leadership {
	return sameAt(x.byStart, x.startsFrom(t), t, func(r *leadership) time.Time { return r.start })
}

// endingAt lists the leaderships that ended at t, in term order.
func (x *leadIndex) endingAt(t time.Time) []*leadership {
	return sameAt(x.byUntil, x.untilFrom(t), t, func(r *leadership) time.Time { return r.until })
}

// sameAt is ls[i:j] where at(ls[k]) is t for every k in [i, j).
func sameAt(ls []*leadership, i int, t time.Time, at func(*leadership) time.Time) []*leadership {
	j := i
	for j < len(ls) && at(ls[j]).Equal(t) {
		j++
	}
	return ls[i:j]
}

// lastStartBefore is the latest start before t, or t itself if a leadership
// elected before the logs begin started at t; zero if none.
func (x *leadIndex) lastStartBefore(t time.Time) time.Time {
	i := x.startsFrom(t)
	for _, rec := range x.startingAt(t) {
		if rec.fromBefore {
			return t
		}
	}
	if i == 0 {
		return time.Time{}
	}
	return x.byStart[i-1].start
}

// ledDuring reports whether a leadership by a member other than skip
// covers any part of (from, to).
func (x *leadIndex) ledDuring(from, to time.Time, skip int32) bool {
	i := x.startsFrom(to) - 1 // byStart[:i+1] started before to
	if i < 0 {
		return false
	}
	c := x.top[i]
	if c.leader == skip {
		c = x.second[i]
	}
	return c.leader >= 0 && c.until.After(from)
}

// byTermFrom is the index in a.lead.list (in term order) of the first
// leadership at term or above.
func (a *Analyzer) byTermFrom(term uint64) int {
	ls := a.lead.list
	return sort.Search(len(ls), func(i int) bool { return ls[i].term >= term })
}

// firstAfterTerm is the leadership of the lowest term above term that
// started at or after t; nil if none.
func (a *Analyzer) firstAfterTerm(term uint64, t time.Time) *leadership {
	ls := a.lead.list
	for i := a.byTermFrom(term + 1); i < len(ls); i++ {
		if !ls[i].start.Before(t) {
			return ls[i]
		}
	}
	return nil
}

// transfersIn lists, as indexes in a.transfers in start order, the
// transfers that started from from to to (both included).
func (a *Analyzer) transfersIn(from, to time.Time) []int {
	ts := a.lix.transfers
	i := sort.Search(len(ts), func(i int) bool { return !a.transfers[ts[i]].start.Before(from) })
	j := i
	for j < len(ts) && !a.transfers[ts[j]].start.After(to) {
		j++
	}
	return ts[i:j]
}
