package analysis

import (
	"time"
)

// flapWindow and flapMin: that many unplanned leader changes within the
// window make leader flapping.
const (
	flapWindow = time.Minute
	flapMin    = 3
)

func (a *Analyzer) detectFlapping(f *facts) []Finding {
	changes := f.changes
	var out []Finding
	n := len(changes)
	for i := 0; i < n; {
		j := i
		for j+1 < n && changes[j+1].End.Sub(changes[i].End) <= flapWindow {
			j++
		}
		if j-i+1 < flapMin {
			i++
			continue
		}
		// Extend while each next change is within the window of the previous.
		for j+1 < n && changes[j+1].End.Sub(changes[j].End) <= flapWindow {
			j++
		}
		cs := changes[i : j+1]
		var ixs []int32
		var seen uint64
		for _, c := range cs {
			for _, id := range c.Members {
				ix := a.index(id)
				if bit(ix)&seen == 0 {
					seen |= bit(ix)
					ixs = append(ixs, ix)
				}
			}
		}
		first, last := cs[0], cs[len(cs)-1]
		sev := Warning
		if len(cs) >= 2*flapMin {
			sev = Critical
		}
		sum := "The leader changed " + plural(len(cs), "time", "times") + " in " + dur(last.End.Sub(first.Start)) +
			" (" + f.at(first.Start) + " to " + f.at(last.End) + ", terms " + utoa(first.TermFrom) + " to " +
			utoa(last.TermTo) + "), among " + a.names(ixs) + "."
		var evs []Evidence
		for _, c := range cs {
			if e, ok := a.lastEvidence(&c); ok && len(evs) < a.opts.MaxEvidence {
				evs = append(evs, e)
			}
		}
		out = append(out, Finding{
			Kind: LeaderFlapping, Severity: sev, Members: a.ids(ixs...),
			Start: first.Start, End: last.End, Count: len(cs), TermFrom: first.TermFrom, TermTo: last.TermTo,
			Summary: sum, Evidence: evs,
		})
		i = j + 1
	}
	return append(out, a.shortLeaderships(f, out)...)
}

func (a *Analyzer) diagFlapping(f *facts, p *Finding) Diagnosis {
	if p.detail.short != nil {
		return a.diagShortLead(p)
	}
	d := Diagnosis{Headline: "Leader flapping: the leader changed " + plural(p.Count, "time", "times") + " in " +
		dur(p.End.Sub(p.Start))}
	var ex para
	ex.add(p.Summary)
	ex.add("Each change stalls writes for an election timeout or more.")
	var counts [nCauses]int
	for i := range f.r.Findings {
		fd := &f.r.Findings[i]
		if fd.Kind != LeaderChange || fd.End.Before(p.Start) || fd.End.After(p.End) {
			continue
		}
		if ci := fd.detail.change; ci != nil {
			counts[ci.cause]++
		}
	}
	if why := causeList(counts); len(why) > 0 {
		ex.add("Causes: " + list(why) + ".")
	}
	d.Explanation = ex.String()
	d.Remedies = []string{remedyNetwork, remedyDisk, remedyTimeouts}
	if f.preVote < 0 {
		d.Remedies = append(d.Remedies, remedyPreVote)
	}
	return d
}

func flappingNoun(w *repeats) (string, string) { return "The leader flapped", " among " + w.names }
