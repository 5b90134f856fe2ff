package report

import (
	"cmp"
	"math/bits"
	"slices"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
)

// changePoints drops points with no time and points that repeat the term and
// state of the point before them: a step line and a swimlane look the same
// without them.
func changePoints(ps []analysis.Point) []analysis.Point {
	redundant := func(i int) bool {
		return ps[i].Time.IsZero() || i > 0 && ps[i-1].Term == ps[i].Term && ps[i-1].State == ps[i].State
	}
	clean := true
	for i := range ps {
		if redundant(i) {
			clean = false
			break
		}
	}
	if clean {
		return ps // the usual case: the analyzer keeps change points only
	}
	out := make([]analysis.Point, 0, len(ps))
	for _, p := range ps {
		if p.Time.IsZero() {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Term == p.Term && out[n-1].State == p.State {
			continue
		}
		out = append(out, p)
	}
	return out
}

// downsample bounds a member's change points to about limit. Points stay in
// time order; it splits [start, end] into limit/4 buckets and keeps, in each,
// the first and the last point, the highest term and the first time the
// member became leader. Transitions between buckets stay exact; inside a
// bucket (a pixel or less at full zoom) only those survive. It returns the
// kept points and how many it dropped.
func downsample(ps []analysis.Point, start, end time.Time, limit int) ([]analysis.Point, int) {
	if len(ps) <= limit {
		return ps, 0
	}
	buckets := max(limit/4, 1)
	width := end.Sub(start) / time.Duration(buckets)
	if width <= 0 {
		width = 1
	}
	bucketOf := func(t time.Time) int {
		b := int(t.Sub(start) / width)
		return min(max(b, 0), buckets-1)
	}
	keep := make([]int, 0, limit)
	for i := 0; i < len(ps); {
		b := bucketOf(ps[i].Time)
		j := i
		top, leader := i, -1
		for ; j < len(ps) && bucketOf(ps[j].Time) == b; j++ {
			if ps[j].Term > ps[top].Term {
				top = j
			}
			if leader < 0 && ps[j].State == analysis.StateLeader {
				leader = j
			}
		}
		keep = append(keep, i, top, j-1)
		if leader >= 0 {
			keep = append(keep, leader)
		}
		i = j
	}
	slices.Sort(keep)
	keep = slices.Compact(keep)
	out := make([]analysis.Point, len(keep))
	for k, i := range keep {
		out[k] = ps[i]
	}
	return out, len(ps) - len(out)
}

// interval is a span a member spent in one state.
type interval struct {
	Start, End time.Time
	State      analysis.State
	Term       uint64
}

// intervals turns change points into state spans; the last runs to end.
// Unknown spans are left out: the lane stays empty there.
func intervals(ps []analysis.Point, end time.Time) []interval {
	var out []interval
	for i, p := range ps {
		stop := end
		if i+1 < len(ps) {
			stop = ps[i+1].Time
		}
		if p.State == analysis.StateUnknown || !stop.After(p.Time) {
			continue
		}
		if n := len(out); n > 0 && out[n-1].State == p.State && out[n-1].End.Equal(p.Time) {
			out[n-1].End = stop
			out[n-1].Term = p.Term
			continue
		}
		out = append(out, interval{Start: p.Time, End: stop, State: p.State, Term: p.Term})
	}
	return out
}

// longest keeps the n longest of spans, in their original order, and says
// how many it dropped. Among spans of equal length it keeps a spread over
// the whole list (van der Corput order), not the first ones.
func longest[T any](spans []T, n int, length func(T) time.Duration) ([]T, int) {
	if len(spans) <= n {
		return spans, 0
	}
	idx := make([]int, len(spans))
	for i := range idx {
		idx[i] = i
	}
	shift := uint(64 - bits.Len64(uint64(len(spans))))
	spread := func(i int) uint64 { return bits.Reverse64(uint64(i)) >> shift }
	slices.SortFunc(idx, func(a, b int) int {
		return cmp.Or(cmp.Compare(length(spans[b]), length(spans[a])), cmp.Compare(spread(a), spread(b)))
	})
	idx = idx[:n]
	slices.Sort(idx)
	out := make([]T, n)
	for k, i := range idx {
		out[k] = spans[i]
	}
	return out, len(spans) - n
}

// laneSpans returns a member's state spans for the swimlane, about limit
// at most. Past that it splits [start, end] into limit/2 buckets and gives
// each the state the member spent most of the bucket in: at full zoom a
// bucket is under a pixel, and the lane shows what dominated, not the first
// flap. It reads the points as spans directly, never holding them all.
func laneSpans(ps []analysis.Point, start, end time.Time, limit int) []interval {
	if len(ps) <= limit {
		return intervals(ps, end)
	}
	buckets := max(limit/2, 1)
	width := end.Sub(start) / time.Duration(buckets)
	if width <= 0 {
		return intervals(ps[:limit], end)
	}
	spanEnd := func(k int) time.Time {
		if k+1 < len(ps) {
			return ps[k+1].Time
		}
		return end
	}
	var out []interval
	var share [analysis.StateDown + 1]time.Duration
	var term uint64
	k := 0
	for b := range buckets {
		lo := start.Add(time.Duration(b) * width)
		hi := lo.Add(width)
		if b == buckets-1 {
			hi = end
		}
		share = [analysis.StateDown + 1]time.Duration{}
		for k < len(ps) && !ps[k].Time.After(hi) {
			ks, ke := maxTime(ps[k].Time, lo), minTime(spanEnd(k), hi)
			if ke.After(ks) && ps[k].State != analysis.StateUnknown {
				share[ps[k].State] += ke.Sub(ks)
				term = ps[k].Term
			}
			if spanEnd(k).After(hi) {
				break // continues into the next bucket
			}
			k++
		}
		best := analysis.StateUnknown
		for st := range share {
			if share[st] > share[best] {
				best = analysis.State(st)
			}
		}
		if share[best] == 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].State == best && out[n-1].End.Equal(lo) {
			out[n-1].End, out[n-1].Term = hi, term
			continue
		}
		out = append(out, interval{Start: lo, End: hi, State: best, Term: term})
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// evenly keeps n of items spread evenly, always the first and the last, and
// says how many it dropped.
func evenly[T any](items []T, n int) ([]T, int) {
	if len(items) <= n {
		return items, 0
	}
	if n <= 1 {
		return items[:n], len(items) - n
	}
	out := make([]T, 0, n)
	step := float64(len(items)-1) / float64(n-1)
	for k := range n {
		out = append(out, items[int(float64(k)*step+0.5)])
	}
	return out, len(items) - n
}
