package analysis

import (
	"sort"
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// A long log repeats itself: hours of a busy cluster hold thousands of late
// heartbeats and stream blips, dozens of leader changes between the same two
// members. Finish merges the repeats so that a person can read the findings:
//
//   - More than maxRepeats info or warning findings of one kind about the
//     same members become one finding (for peer-unreachable: about the same
//     unreachable member, whoever reported it). Its Count is the number of
//     episodes, its span runs from the first to the last, its terms from the
//     lowest to the highest, its summary says how many over how long and
//     which was the worst (or the first, when none was worse), and its
//     evidence is the first two lines of the first episode and of the worst
//     one, and the first line of the last one.
//   - A kind with more than maxRoutine info or warning findings is routine
//     in that log (dozens of leader changes spread over the pairs of a
//     5-member cluster): its findings about the same members merge even
//     when there are only two of them.
//   - If more than maxFindings remain, the least severe are merged further
//     until they fit: info findings of one kind and members (any count),
//     then of one kind whatever the members, then warnings the same way, and
//     only then critical findings (quorum losses, flapping), which otherwise
//     stay distinct. Merging everything per kind and severity leaves at most
//     45, so the cap always holds.
//
// Leaders and Leaderless are bounded by maxSpans each (see boundSpans).
const (
	maxRepeats  = 5
	maxRoutine  = 10
	maxFindings = 200
	maxSpans    = 2000
)

// mergePass says which findings one pass merges: those of severity sev (and,
// unless routine is 0, of a kind with more than routine findings of that
// severity), grouped per kind and, unless perKind, members, in groups of
// more than over episodes.
type mergePass struct {
	sev     Severity
	perKind bool
	over    int
	routine int
}

var (
	repeatPasses = []mergePass{
		{Info, false, maxRepeats, 0}, {Warning, false, maxRepeats, 0},
		{Info, false, 1, maxRoutine}, {Warning, false, 1, maxRoutine},
	}
	capPasses = []mergePass{
		{Info, false, 1, 0}, {Info, true, 1, 0},
		{Warning, false, 1, 0}, {Warning, true, 1, 0},
		{Critical, false, 1, 0}, {Critical, true, 1, 0},
	}
)

// condense merges repeated findings (see above), over fs. into[i] is the
// index in the result of the finding that fs[i] went into.
func (a *Analyzer) condense(f *facts, fs []Finding) ([]Finding, []int) {
	into := make([]int, len(fs))
	for i := range into {
		into[i] = i
	}
	for _, p := range repeatPasses {
		fs = a.mergePass(f, fs, into, p)
	}
	for _, p := range capPasses {
		if len(fs) <= maxFindings {
			break
		}
		fs = a.mergePass(f, fs, into, p)
	}
	// Let the array of the unmerged findings go (never nil: the document
	// says "findings": []).
	out := make([]Finding, len(fs))
	copy(out, fs)
	return out, into
}

func (a *Analyzer) mergePass(f *facts, fs []Finding, into []int, p mergePass) []Finding {
	type group struct {
		idx []int
		n   int // episodes
		at  int // its index in the output, once written
	}
	perKind := map[string]int{}
	if p.routine > 0 {
		for i := range fs {
			if fs[i].Severity == p.sev {
				perKind[fs[i].Kind]++
			}
		}
	}
	groups := map[string]*group{}
	of := make([]*group, len(fs))
	for i := range fs {
		x := &fs[i]
		if x.Severity != p.sev || (p.routine > 0 && perKind[x.Kind] <= p.routine) {
			continue
		}
		k := mergeKey(x, p.perKind)
		g := groups[k]
		if g == nil {
			g = &group{at: -1}
			groups[k] = g
		}
		g.idx = append(g.idx, i)
		g.n += episodesOf(x)
		of[i] = g
	}
	pos := make([]int, len(fs))
	// The merged findings are written over fs: a group goes where its first
	// finding was, after reading all of them, so nothing is overwritten
	// before it is read.
	out := fs[:0]
	for i := range fs {
		g := of[i]
		if g == nil || len(g.idx) < 2 || g.n <= p.over {
			pos[i] = len(out)
			out = append(out, fs[i])
			continue
		}
		if g.at < 0 {
			m := &merged{}
			for _, j := range g.idx {
				m.add(a, &fs[j])
			}
			g.at = len(out)
			out = append(out, a.render(f, m))
		}
		pos[i] = g.at
	}
	clear(fs[len(out):]) // the merged ones: their lines and texts may go
	for i := range into {
		into[i] = pos[into[i]]
	}
	return out
}

// mergeKey groups findings: by kind and severity, and unless perKind by the
// members the finding is about, as its kind's key says (kinds.go): the
// unreachable member for peer-unreachable, the ordered pair where the order
// says who did what (a leader change, a transfer, a rejoin, a clock
// measured), the set of members otherwise.
func mergeKey(x *Finding, perKind bool) string {
	var b strings.Builder
	b.WriteString(x.Kind)
	b.WriteByte('/')
	b.WriteString(string(x.Severity))
	if perKind {
		return b.String()
	}
	ms := x.Members
	switch kindOf(x.Kind).key {
	case keyFirst:
		ms = ms[:min(1, len(ms))]
	case keySet:
		ms = append([]parser.ID(nil), ms...)
		sort.Slice(ms, func(i, j int) bool { return ms[i] < ms[j] })
	}
	for _, id := range ms {
		b.WriteByte('/')
		b.WriteString(id.String())
	}
	return b.String()
}

func episodesOf(x *Finding) int {
	if x.merged != nil {
		return x.merged.n
	}
	return 1
}

// merged accumulates the episodes of one kind and severity.
type merged struct {
	f                  Finding // kind, severity, members, span and terms so far
	n                  int     // episodes
	first, worst, last Finding // single episodes
	causes             [nCauses]int
	parts              int

	members0            []parser.ID // the first part's members
	sameList, sameFirst bool        // every part had the same members (in order), the same first one
}

// nCauses counts the causeKinds, for the causes of merged leader changes.
const nCauses = int(causeSlow) + 1

func (m *merged) add(a *Analyzer, x *Finding) {
	n, first, worst, last := 1, x, x, x
	var causes [nCauses]int
	sameList, sameFirst := true, true
	if xm := x.merged; xm != nil {
		n, first, worst, last, causes = xm.n, &xm.first, &xm.worst, &xm.last, xm.causes
		sameList, sameFirst = xm.sameList, xm.sameFirst
	} else if ci := x.detail.change; ci != nil {
		causes[ci.cause]++
	}
	if m.parts == 0 {
		m.f = Finding{Kind: x.Kind, Severity: x.Severity, Start: x.Start, End: x.End, TermFrom: x.TermFrom, TermTo: x.TermTo}
		m.first, m.worst, m.last = *first, *worst, *last
		m.members0 = x.Members
		m.sameList, m.sameFirst = sameList, sameFirst
	} else {
		if x.Start.Before(m.f.Start) {
			m.f.Start = x.Start
		}
		if x.End.After(m.f.End) {
			m.f.End = x.End
		}
		if x.TermFrom != 0 && (m.f.TermFrom == 0 || x.TermFrom < m.f.TermFrom) {
			m.f.TermFrom = x.TermFrom
		}
		if x.TermTo > m.f.TermTo {
			m.f.TermTo = x.TermTo
		}
		if first.Start.Before(m.first.Start) {
			m.first = *first
		}
		if weightOf(worst) > weightOf(&m.worst) {
			m.worst = *worst
		}
		if last.Start.After(m.last.Start) {
			m.last = *last
		}
		m.sameList = m.sameList && sameList && equalIDs(x.Members, m.members0)
		m.sameFirst = m.sameFirst && sameFirst && len(x.Members) > 0 && len(m.members0) > 0 && x.Members[0] == m.members0[0]
	}
	for _, id := range x.Members {
		m.addMember(id)
	}
	m.n += n
	for i := range causes {
		m.causes[i] += causes[i]
	}
	m.parts++
}

func (m *merged) addMember(id parser.ID) {
	for _, x := range m.f.Members {
		if x == id {
			return
		}
	}
	m.f.Members = append(m.f.Members, id)
}

func equalIDs(a, b []parser.ID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// weightOf says how bad one episode was, to pick the worst of a merge: what
// its kind weighs (kinds.go): a delay, a time without a leader or
// unreachable, a number of terms, campaigns or members.
func weightOf(x *Finding) float64 {
	if x.weight != 0 {
		return x.weight
	}
	switch kindOf(x.Kind).weigh {
	case byCount:
		return float64(x.Count)
	case byTerms:
		return float64(x.TermTo) - float64(x.TermFrom)
	}
	return x.End.Sub(x.Start).Seconds()
}

// render writes the merged finding.
func (a *Analyzer) render(f *facts, m *merged) Finding {
	out := m.f
	out.Count = m.n
	out.Summary = a.mergedSummary(f, m)
	out.Evidence = a.mergedEvidence(m, a.opts.MaxEvidence)
	out.merged = m
	return out
}

func (a *Analyzer) mergedSummary(f *facts, m *merged) string {
	x := &m.f
	var ixs []int32
	for _, id := range x.Members {
		ixs = append(ixs, a.index(id))
	}
	k := kindOf(x.Kind)
	head, tail := x.Kind, ""
	if k.noun != nil {
		w := &repeats{a: a, sev: x.Severity, ixs: ixs, names: a.names(ixs), pair: m.sameList && len(ixs) == 2,
			sameList: m.sameList, sameFirst: m.sameFirst}
		head, tail = k.noun(w)
	}
	s := head + " " + plural(m.n, "time", "times") + " from " + f.at(x.Start) + " to " + f.at(x.End) +
		" (" + dur(x.End.Sub(x.Start)) + ")" + tail + "."
	if cs := causeList(m.causes); len(cs) > 0 { // leader changes
		s += " Causes: " + list(cs) + "."
	}
	label := "The worst"
	switch {
	case weightOf(&m.worst) <= weightOf(&m.first):
		label = "The first" // none was worse
	case x.Severity == Info && k.worstInfo != "":
		label = k.worstInfo
	case k.worst != "":
		label = k.worst
	}
	return s + " " + label + ": " + m.worst.Summary
}

// mergedEvidence picks the evidence of a merged finding: the first
// episode's first lines, the worst one's, and the last one's first line.
func (a *Analyzer) mergedEvidence(m *merged, max int) []Evidence {
	out := []Evidence{}
	add := func(es []Evidence, n int) {
	next:
		for _, e := range es {
			if n == 0 || len(out) == max {
				return
			}
			for _, o := range out {
				if o.Input == e.Input && o.Line == e.Line {
					continue next
				}
			}
			out = append(out, e)
			n--
		}
	}
	add(a.evidenceList(&m.first), 2)
	add(a.evidenceList(&m.worst), 2)
	add(a.evidenceList(&m.last), 1)
	return out
}

// boundSpans keeps at most maxSpans leaderships and leaderless windows: the
// first and the last leaderships; the first and the last windows and, of
// those between, the longest. LeadersOmitted and LeaderlessOmitted count
// what it left out.
func boundSpans(r *Result) {
	if n := len(r.Leaders); n > maxSpans {
		h := maxSpans / 2
		ls := make([]Leadership, 0, maxSpans)
		ls = append(ls, r.Leaders[:h]...)
		ls = append(ls, r.Leaders[n-h:]...)
		r.Leaders, r.LeadersOmitted = ls, n-maxSpans
	}
	if n := len(r.Leaderless); n > maxSpans {
		q := maxSpans / 4
		mid := make([]int, 0, n-2*q)
		for i := q; i < n-q; i++ {
			mid = append(mid, i)
		}
		sort.SliceStable(mid, func(i, j int) bool { return r.Leaderless[mid[i]].Seconds > r.Leaderless[mid[j]].Seconds })
		mid = mid[:maxSpans-2*q]
		sort.Ints(mid)
		ws := make([]Window, 0, maxSpans)
		ws = append(ws, r.Leaderless[:q]...)
		for _, i := range mid {
			ws = append(ws, r.Leaderless[i])
		}
		ws = append(ws, r.Leaderless[n-q:]...)
		r.Leaderless, r.LeaderlessOmitted = ws, n-maxSpans
	}
}

// mergeFindings joins findings of one kind about the same members that follow
// each other within gap, counting them.
func mergeFindings(fs []Finding, gap time.Duration) []Finding {
	var out []Finding
	for _, f := range fs {
		if n := len(out); n > 0 {
			p := &out[n-1]
			if sameMembers(p, &f) && p.Severity == f.Severity && f.Start.Sub(p.End) <= gap {
				p.Count += f.Count
				if f.End.After(p.End) {
					p.End = f.End
				}
				if f.TermTo > p.TermTo {
					p.TermTo = f.TermTo
				}
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

func sameMembers(a, b *Finding) bool {
	if len(a.Members) != len(b.Members) {
		return false
	}
	for i := range a.Members {
		if a.Members[i] != b.Members[i] {
			return false
		}
	}
	return true
}
