package analysis

import (
	"slices"
	"sort"
	"time"
)

// windowSet is leaderless windows in time order (by start) that take more
// windows as addWindow does, with a binary search instead of its scan of
// every window and its sort per window added: quorumLosses adds one per quorum-loss window, thousands
// on a long storm (docs/performance.md, "Finish on the storm-run file").
//
// A window added joins the first window, in start order, that it touches,
// and that window only; so windows may come to overlap, but they stay in
// start order (the window joined starts no earlier than the end of every
// window before it, which it did not touch).
type windowSet struct {
	ws []Window
	// reach[i] is the latest end among ws[:i+1]; nil when ws is not in
	// start order, and add then scans as addWindow always did.
	reach []time.Time
}

func newWindowSet(ws []Window) *windowSet {
	s := &windowSet{ws: ws}
	if !sort.SliceIsSorted(ws, func(i, j int) bool { return ws[i].Start.Before(ws[j].Start) }) {
		return s
	}
	s.reach = make([]time.Time, len(ws), len(ws)+1)
	for i, w := range ws {
		s.reach[i] = w.End
		if i > 0 && s.reach[i-1].After(w.End) {
			s.reach[i] = s.reach[i-1]
		}
	}
	return s
}

// add adds [from, to] unless it is shorter than minWindow: the first window
// it touches grows to cover it, or it is a new window.
func (s *windowSet) add(from, to time.Time) {
	if to.Sub(from) < minWindow {
		return
	}
	if s.reach == nil {
		s.ws = addWindow(s.ws, from, to)
		return
	}
	ws := s.ws
	// The first window ending at or after from is the first whose reach
	// does; it touches [from, to] if it starts by to.
	i := sort.Search(len(ws), func(i int) bool { return !s.reach[i].Before(from) })
	if i < len(ws) && !ws[i].Start.After(to) {
		w := &ws[i]
		if from.Before(w.Start) {
			w.Start = from
		}
		if to.After(w.End) {
			w.End = to
		}
		w.Seconds = w.End.Sub(w.Start).Seconds()
		s.raise(i, w.End)
		return
	}
	// A new window goes after those starting at or before from, as a stable
	// sort by start would place it.
	j := sort.Search(len(ws), func(i int) bool { return ws[i].Start.After(from) })
	s.ws = slices.Insert(ws, j, Window{Start: from, End: to, Seconds: to.Sub(from).Seconds()})
	r := to
	if j > 0 && s.reach[j-1].After(to) {
		r = s.reach[j-1]
	}
	s.reach = slices.Insert(s.reach, j, r)
	s.raise(j+1, to)
}

// raise makes reach[i:] at least t.
func (s *windowSet) raise(i int, t time.Time) {
	for ; i < len(s.reach) && s.reach[i].Before(t); i++ {
		s.reach[i] = t
	}
}
