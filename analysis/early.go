package analysis

import (
	"slices"
	"sort"
	"time"
)

// A storm's detectors find tens of thousands of episodes: Finish merges the
// findings of most kinds as each detector returns them (the repeat passes of
// condense group within one kind, so merging a kind alone merges it as all of
// them would), and keeps unmerged only what is read later:
//
//   - of each kind and severity, the first episode (the only one principal
//     can pick: principal prefers, within a kind, the earliest);
//   - every finding of the kinds in keptWhole.
//
// The findings then sit where the first episode of each would have been
// among all the unmerged ones, so condense sees them in the order it would
// have made, and its passes leave what is merged already as it is.

// keptWhole are the kinds whose unmerged findings Finish reads after the
// detectors: the leader changes of a flapping, the step-downs a rejoin is
// weighed against (caused), the rejoins after a step-down, and term
// inflation, whose severity demoteInflation may still lower.
var keptWhole = map[string]bool{
	LeaderChange: true, CheckQuorumStepDown: true, DisruptiveRejoin: true, TermInflation: true,
}

// place is where a finding goes in the order of sortFindings over all the
// detectors' unmerged findings: time, kind, end, then the order they came in.
type place struct {
	start time.Time
	kind  string
	end   time.Time
	seq   int
}

// gathered collects the detectors' findings for Finish.
type gathered struct {
	fs    []Finding
	at    []place // fs[i]'s place
	seq   int     // findings the detectors returned so far
	first []candidate
}

// candidate is the first episode of a kind and severity merged early.
type candidate struct {
	f  Finding
	in int // the index in gathered.fs of the finding it went into
}

// gather takes the findings of one detector (all of one kind, or none).
func (a *Analyzer) gather(f *facts, g *gathered, d []Finding) {
	base := g.seq
	g.seq += len(d)
	if len(d) < 2 || keptWhole[d[0].Kind] || slices.ContainsFunc(d, func(x Finding) bool { return x.Kind != d[0].Kind }) {
		for j := range d {
			g.at = append(g.at, place{d[j].Start, d[j].Kind, d[j].End, base + j})
		}
		g.fs = append(g.fs, d...)
		return
	}
	pos := sortFindings(d)
	pl := make([]place, len(d))
	for o, k := range pos {
		pl[k] = place{d[k].Start, d[k].Kind, d[k].End, base + o}
	}
	n0 := len(g.fs)
	into := make([]int, len(d))
	for k := range into {
		into[k] = k
	}
	var sevs []Severity
	var cands []int // into the sorted d: the first of each severity
	for k := range d {
		if !slices.Contains(sevs, d[k].Severity) {
			sevs = append(sevs, d[k].Severity)
			cands = append(cands, k)
			g.first = append(g.first, candidate{f: d[k]})
		}
	}
	for _, p := range repeatPasses {
		d = a.mergePass(f, d, into, p)
	}
	for i, k := range cands {
		g.first[len(g.first)-len(cands)+i].in = n0 + into[k]
	}
	at := make([]place, len(d))
	done := make([]bool, len(d))
	for k, j := range into {
		if !done[j] {
			done[j], at[j] = true, pl[k]
		}
	}
	g.fs = append(g.fs, d...)
	g.at = append(g.at, at...)
}

// order puts the gathered findings in their places and returns them.
func (g *gathered) order() []Finding {
	idx := make([]int, len(g.fs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool {
		a, b := &g.at[idx[i]], &g.at[idx[j]]
		if !a.start.Equal(b.start) {
			return a.start.Before(b.start)
		}
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if !a.end.Equal(b.end) {
			return a.end.Before(b.end)
		}
		return a.seq < b.seq
	})
	pos := arrange(g.fs, idx)
	for i := range g.first {
		g.first[i].in = pos[g.first[i].in]
	}
	g.at = nil
	return g.fs
}

// principal picks the finding the verdict is about among fs (ordered) and
// the first episodes: the finding (nil: none) and the index in fs of the
// one it is or went into.
func (g *gathered) principal(fs []Finding, windows []Window) (*Finding, int) {
	view := make([]Finding, 0, len(g.first))
	var at []int
	for _, c := range g.first {
		view = append(view, c.f)
		at = append(at, c.in)
	}
	for i := range fs {
		if fs[i].merged == nil { // a merged one stands for episodes g.first already has the first of
			view = append(view, fs[i])
			at = append(at, i)
		}
	}
	pi := principal(view, windows)
	if pi < 0 {
		return nil, -1
	}
	p := view[pi]
	return &p, at[pi]
}

// sortFindings puts findings in time order (then kind, then end) and
// returns where each went.
func sortFindings(fs []Finding) []int {
	idx := make([]int, len(fs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := &fs[idx[i]], &fs[idx[j]]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.End.Before(b.End)
	})
	return arrange(fs, idx)
}

// arrange moves fs[idx[k]] to fs[k] and returns where each went.
func arrange(fs []Finding, idx []int) []int {
	pos := make([]int, len(fs))
	for k, i := range idx {
		pos[i] = k
	}
	// Move each finding to its place in place, a cycle of the permutation
	// at a time: a storm's tens of thousands of findings are not copied.
	for s := range idx {
		if idx[s] == s {
			continue
		}
		tmp := fs[s]
		k := s
		for {
			j := idx[k]
			idx[k] = k
			if j == s {
				fs[k] = tmp
				break
			}
			fs[k] = fs[j]
			k = j
		}
	}
	return pos
}
