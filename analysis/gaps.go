package analysis

import (
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// gapMin is the shortest stretch with no line in any input that is a gap:
// "no data from T1 to T2" (a pasted excerpt's cut, a "[...]" elision, a
// rotated log). The lab runs' longest silence is under parser.GapMin (10 s),
// the public excerpts' cuts are minutes long.
const gapMin = 30 * time.Second

// Lines gives the analysis what reading the inputs found about their lines,
// events or not: the time of the last one (the end of the logs), and the
// gaps. Analyze calls it before Finish.
func (a *Analyzer) Lines(stats []parser.Stats) {
	cov := parser.Covered(stats)
	if len(cov) == 0 {
		return
	}
	a.linesEnd = cov[len(cov)-1].To
	a.gaps = nil
	for i := 1; i < len(cov); i++ {
		if from, to := cov[i-1].To, cov[i].From; to.Sub(from) >= gapMin {
			a.gaps = append(a.gaps, Window{Start: from, End: to, Seconds: to.Sub(from).Seconds()})
		}
	}
}

// logsEnd is the end of the logs: the latest time of any line, or the
// capture's end.
func (a *Analyzer) logsEnd() time.Time {
	end := a.clock
	if a.linesEnd.After(end) {
		end = a.linesEnd
	}
	if e := a.opts.End; e.After(end) {
		end = e
	}
	return end
}

// acrossGap reports whether (from, to) reaches over a gap: what happened
// then is not known.
func (a *Analyzer) acrossGap(from, to time.Time) bool {
	for _, g := range a.gaps {
		if from.Before(g.End) && to.After(g.Start) {
			return true
		}
	}
	return false
}

// unlogged is how much of from..to lies in gaps: time of which no input
// has a line.
func (a *Analyzer) unlogged(from, to time.Time) time.Duration {
	var d time.Duration
	for _, g := range a.gaps {
		s, e := g.Start, g.End
		if s.Before(from) {
			s = from
		}
		if e.After(to) {
			e = to
		}
		if e.After(s) {
			d += e.Sub(s)
		}
	}
	return d
}

// cutAtGaps drops what was inferred from a silence that is a gap: a
// leader's stall (its resume) and a kill (a start line after silence, with
// no shutdown line).
func (a *Analyzer) cutAtGaps() {
	if len(a.gaps) == 0 {
		return
	}
	for _, m := range a.mem {
		rs := m.resumes[:0]
		for _, r := range m.resumes {
			if !a.acrossGap(r.from, r.to) {
				rs = append(rs, r)
			}
		}
		m.resumes = rs
		for _, k := range m.kills {
			if !a.acrossGap(k.from, k.to) {
				continue
			}
			for i, d := range m.downs {
				if d == k {
					m.downs = append(m.downs[:i], m.downs[i+1:]...)
					break
				}
			}
			for _, rec := range a.lead.list {
				if rec.leader == m.ix && rec.restartEnd.Equal(k.from) {
					rec.restartEnd = a.gapAfter(k.from) // led as far as the lines tell
				}
			}
		}
	}
}

// gapAfter returns the start of the first gap after t.
func (a *Analyzer) gapAfter(t time.Time) time.Time {
	for _, g := range a.gaps {
		if !g.End.Before(t) {
			return g.Start
		}
	}
	return t
}

// gapNote says, for the explanation, where the logs have no data.
func (a *Analyzer) gapNote(f *facts) string {
	if len(a.gaps) == 0 {
		return ""
	}
	var parts []string
	for i, g := range a.gaps {
		if i == 3 {
			parts = append(parts, plural(len(a.gaps)-3, "more gap", "more gaps"))
			break
		}
		parts = append(parts, "from "+f.at(g.Start)+" to "+f.at(g.End)+", for "+dur(g.End.Sub(g.Start)))
	}
	return "Note: the logs have no line at all " + strings.Join(parts, "; ") + ": a cut excerpt, an elision or " +
		"a rotated log. What happened then is not known: the leaderless windows stop at it, and no stall or kill is read into it."
}

// outsideGaps returns the parts of the windows that no gap covers, of
// minWindow or more: a leaderless window never spans "no data".
func (a *Analyzer) outsideGaps(ws []Window) []Window {
	if len(a.gaps) == 0 {
		return ws
	}
	var out []Window
	for _, w := range ws {
		from := w.Start
		for _, g := range a.gaps {
			if !g.End.After(from) || !g.Start.Before(w.End) {
				continue
			}
			out = addWindow(out, from, g.Start)
			from = g.End
		}
		if w.End.After(from) {
			out = addWindow(out, from, w.End)
		}
	}
	return out
}
