package analysis

import (
	"sort"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// splitTracker finds terms at which several members became candidate and
// none won: split votes. It keeps a ring of recent terms.
type splitTracker struct {
	slots [64]splitSlot
	found []splitTerm
}

type splitSlot struct {
	term    uint64
	members [4]int32
	n       int
	start   time.Time
	won     bool
	ev      [2]evLine
}

type splitTerm struct {
	term    uint64
	start   time.Time
	members []int32
	ev      []evLine
}

func (st *splitTracker) slot(term uint64) *splitSlot {
	s := &st.slots[term%uint64(len(st.slots))]
	if s.term != term {
		st.flush(s)
		s.term, s.n, s.won, s.start = term, 0, false, time.Time{}
		s.ev[0].line, s.ev[1].line = 0, 0
		s.ev[0].text, s.ev[1].text = s.ev[0].text[:0], s.ev[1].text[:0]
	}
	return s
}

func (st *splitTracker) candidate(a *Analyzer, m *member, ev *parser.Event, t time.Time) {
	s := st.slot(ev.Term)
	for i := 0; i < s.n; i++ {
		if s.members[i] == m.ix {
			return
		}
	}
	if s.n > 0 && (!st.running(a, s) || t.Sub(s.start) > splitOverlap) {
		return // the campaigns before it at this term had ended: no overlap
	}
	if s.n < len(s.members) {
		if s.n < len(s.ev) {
			s.ev[s.n].lend(ev, t, &a.cur) // most terms have one candidate: their line is never kept
		}
		s.members[s.n] = m.ix
		s.n++
	}
	if s.start.IsZero() || t.Before(s.start) {
		s.start = t
	}
}

// splitOverlap bounds how long after the first candidate at a term another
// one can still run against it: one randomized election timeout (etcd's
// default 1 s, drawn up to 2 s). A candidate whose lines stop (killed,
// frozen, its log cut) stays a candidate in its last line, but not longer.
const splitOverlap = 2 * time.Second

// running reports whether a member that became candidate at the slot's
// term still campaigns at it: a split vote is campaigns that overlap.
// One whose election timed out has moved to a higher term (or stopped,
// or followed a leader) before the next candidate at its term starts.
func (st *splitTracker) running(a *Analyzer, s *splitSlot) bool {
	for _, ix := range s.members[:s.n] {
		if p := a.mem[ix]; p.up && p.state == StateCandidate && p.term == s.term {
			return true
		}
	}
	return false
}

func (st *splitTracker) leader(term uint64) {
	s := &st.slots[term%uint64(len(st.slots))]
	if s.term == term {
		s.won = true
	}
}

func (st *splitTracker) flush(s *splitSlot) {
	if s.n < 2 || s.won || len(st.found) >= maxStreaks {
		return
	}
	f := splitTerm{term: s.term, start: s.start, members: append([]int32(nil), s.members[:s.n]...)}
	for i := 0; i < s.n && i < len(s.ev); i++ {
		l := s.ev[i]
		l.text, l.lent = append([]byte(nil), l.text...), false
		f.ev = append(f.ev, l)
	}
	st.found = append(st.found, f)
}

func (st *splitTracker) finish() {
	for i := range st.slots {
		st.flush(&st.slots[i])
		st.slots[i] = splitSlot{}
	}
}

// splitGap joins split-vote terms into one finding.
const splitGap = time.Minute

func (a *Analyzer) detectSplitVotes(f *facts) []Finding {
	ss := a.splits.found
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].term < ss[j].term })
	var out []Finding
	for i := 0; i < len(ss); {
		j := i
		for j+1 < len(ss) && ss[j+1].start.Sub(ss[j].start) <= splitGap {
			j++
		}
		group := ss[i : j+1]
		var mask uint64
		var ev [][]evLine
		for _, s := range group {
			for _, ix := range s.members {
				mask |= bit(ix)
			}
			ev = append(ev, s.ev)
		}
		sev := Info
		if len(group) >= minLoop {
			sev = Warning
		}
		first, last := group[0], group[len(group)-1]
		sum := "Split vote: " + a.names(ixsOf(mask)) + " ran for leader at the same term and none won, at " +
			plural(len(group), "term", "terms") + " (" + utoa(first.term) + " to " + utoa(last.term) + ", from " +
			f.at(first.start) + ")."
		out = append(out, Finding{
			Kind: SplitVote, Severity: sev, Members: a.ids(ixsOf(mask)...),
			Start: first.start, End: last.start, Count: len(group), TermFrom: first.term, TermTo: last.term,
			Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, ev...),
		})
		i = j + 1
	}
	return out
}

func (a *Analyzer) diagSplitVote(f *facts, p *Finding) Diagnosis {
	return plain(p, "Split votes: "+plural(p.Count, "election", "elections")+" with several candidates and no winner",
		"Raft randomizes election timeouts to make this rare. Repeated split votes point to members whose timers "+
			"run in step (they all restarted together, or came back from one long pause), to an election timeout too "+
			"close to the network's round-trip, or to candidates whose logs are behind and whose votes are refused.",
		remedyTimeouts, remedyNetwork)
}

func splitVoteNoun(w *repeats) (string, string) {
	return "Elections ended in a split vote", " among " + w.names
}
