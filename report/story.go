package report

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/parser"
)

// The incident's story, the part of every report that comes first: the
// steps (faults, leader lost, elections, leader back) in time order, and the
// window they happened in, which the charts open zoomed to.

// maxStorySteps bounds the incident timeline; what is left out is counted.
const maxStorySteps = 14

// storyStep is one line of the incident timeline.
type storyStep struct {
	Time time.Time
	Kind string // fault, lost, election, leader, gap, recovered
	Text string // printable, not escaped
}

// incidentWindow is the span the story happened in: the leaderless
// windows, faults, log gaps and the findings about elections (not those
// about peers or disks, which a healthy cluster logs too). ok is false
// when there is nothing to focus on.
func incidentWindow(res *analysis.Result) (s, e time.Time, ok bool) {
	add := func(a, b time.Time) {
		if a.IsZero() {
			return
		}
		if b.IsZero() || b.Before(a) {
			b = a
		}
		if !ok || a.Before(s) {
			s = a
		}
		if !ok || b.After(e) {
			e = b
		}
		ok = true
	}
	for _, w := range res.Leaderless {
		add(w.Start, w.End)
	}
	for _, f := range res.Faults {
		add(f.Start, f.End)
	}
	for _, g := range res.Gaps {
		add(g.Start, g.End)
	}
	for _, f := range res.Findings {
		switch f.Kind {
		case analysis.CandidacyLoop, analysis.PreVoteLoop, analysis.LeaderChange, analysis.LeaderFlapping,
			analysis.DisruptiveRejoin, analysis.CheckQuorumStepDown, analysis.SplitVote, analysis.QuorumLoss:
			add(f.Start, f.End)
		}
	}
	return s, e, ok
}

// stopsMember reports whether fault f stops its target (or freezes it): a
// stopped or paused member logs nothing, so its last term is not its term.
func stopsMember(f analysis.Fault) bool {
	verb, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(f.Label)), " ")
	switch verb {
	case "stop", "stopped", "kill", "killed", "die", "died", "pause", "paused", "freeze", "frozen", "sigstop", "sigkill", "crash", "crashed":
		return true
	}
	return false
}

// storySteps builds the incident timeline: each fault, each leaderless
// window's start ("leader lost"), the elections during it (counted, with
// the terms they reached), and its end (who led next, at which term); the
// gaps in the logs. At most maxStorySteps, the earliest and the latest
// kept; omitted counts the others.
func storySteps(res *analysis.Result, ms *memberSet) (steps []storyStep, omitted int) {
	for _, f := range res.Faults {
		if f.Start.IsZero() {
			continue
		}
		steps = append(steps, storyStep{Time: f.Start, Kind: "fault", Text: clip(f.Label, 80)})
		if !f.End.IsZero() && f.End.After(f.Start) && stopsMember(f) {
			steps = append(steps, storyStep{Time: f.End, Kind: "fault", Text: clip(f.Target, 60) + " started again"})
		}
	}
	// Shutdowns and restarts from the logs, for the members no fault says
	// it stopped (a capture's faults say it better, with the cause).
	faulted := map[parser.ID]bool{}
	for _, f := range res.Faults {
		if m := ms.lookupLabel(f.Target); m >= 0 && stopsMember(f) {
			faulted[ms.list[m].ID] = true
		}
	}
	down := map[parser.ID]bool{}
	for _, ev := range res.Timeline {
		if faulted[ev.Member] {
			continue
		}
		switch {
		case ev.Kind == parser.Shutdown && !down[ev.Member]:
			down[ev.Member] = true
			steps = append(steps, storyStep{Time: ev.Time, Kind: "fault", Text: ms.label(ev.Member) + " shut down"})
		case ev.Kind == parser.ServerStart && down[ev.Member]:
			down[ev.Member] = false
			steps = append(steps, storyStep{Time: ev.Time, Kind: "fault", Text: ms.label(ev.Member) + " started again"})
		}
	}
	// What the logs say about how the leader went: handed over, stepped
	// down, a peer unreachable (unless faults say it).
	for _, f := range res.Findings {
		switch f.Kind {
		case analysis.LeadershipTransfer, analysis.CheckQuorumStepDown:
		case analysis.PeerUnreachable:
			// Only as the leader is lost, and when no fault says it.
			if len(res.Faults) > 0 || !leaderLostWithin(res.Leaderless, f.Start, 10*time.Second) {
				continue
			}
		default:
			continue
		}
		if !f.Start.IsZero() && f.Summary != "" {
			text := f.Summary
			for _, sep := range []string{"; ", ". ", ": "} {
				text, _, _ = strings.Cut(text, sep)
			}
			steps = append(steps, storyStep{Time: f.Start, Kind: "finding", Text: clip(strings.TrimSuffix(text, "."), 200)})
		}
	}
	for _, g := range res.Gaps {
		if !g.Start.IsZero() && g.End.After(g.Start) {
			steps = append(steps, storyStep{Time: g.Start, Kind: "gap", Text: "no log data for " + fmtDuration(g.End.Sub(g.Start))})
		}
	}
	// Only the first and the last windows make steps: the timeline shows
	// at most maxStorySteps of them anyway, and each costs a search.
	windows := res.Leaderless
	skipped := 0
	if n := len(windows); n > maxStorySteps/2 {
		k := maxStorySteps / 4
		skipped = n - 2*k
		windows = append(windows[:k:k], windows[n-k:]...)
	}
	for _, w := range windows {
		if w.Start.IsZero() {
			continue
		}
		text := "leader lost"
		if prev := leaderBefore(res.Leaders, w.Start); prev != nil {
			text = "leader lost: " + ms.label(prev.Member) + " (term " + strconv.FormatUint(prev.Term, 10) + ") gone"
		}
		steps = append(steps, storyStep{Time: w.Start, Kind: "lost", Text: text})
		if s := loopsIn(res.Findings, w.Start, w.End, ms); s != nil {
			steps = append(steps, *s)
		} else if s := electionsIn(res.Timeline, w.Start, w.End, ms); s != nil {
			steps = append(steps, *s)
		}
		if w.End.IsZero() || !w.End.After(w.Start) {
			continue
		}
		if next := leaderFrom(res.Leaders, w.End); next != nil {
			steps = append(steps, storyStep{Time: next.Start, Kind: "leader",
				Text: "leader back: " + ms.label(next.Member) + " at term " + strconv.FormatUint(next.Term, 10) + ", after " + fmtDuration(w.End.Sub(w.Start)) + " without one"})
		} else if !w.End.Equal(res.End) {
			steps = append(steps, storyStep{Time: w.End, Kind: "leader", Text: "leader back after " + fmtDuration(w.End.Sub(w.Start))})
		} else {
			steps = append(steps, storyStep{Time: w.End, Kind: "lost", Text: "still no leader at the end of the logs"})
		}
	}
	slices.SortStableFunc(steps, func(a, b storyStep) int { return a.Time.Compare(b.Time) })
	steps = mergeSteps(steps)
	if len(steps) > maxStorySteps {
		head := maxStorySteps / 2
		tail := maxStorySteps - head
		omitted = len(steps) - maxStorySteps
		steps = append(steps[:head:head], steps[len(steps)-tail:]...)
	}
	return steps, omitted + 2*skipped
}

// leaderBefore returns the leadership that ended last at or before t.
func leaderBefore(ls []analysis.Leadership, t time.Time) *analysis.Leadership {
	var best *analysis.Leadership
	for i := range ls {
		l := &ls[i]
		if !l.End.IsZero() && !l.End.After(t.Add(time.Second)) && !l.Start.After(t) && (best == nil || l.End.After(best.End)) {
			best = l
		}
	}
	return best
}

// leaderFrom returns the first leadership that started at or after t, or
// within a second before it.
func leaderFrom(ls []analysis.Leadership, t time.Time) *analysis.Leadership {
	var best *analysis.Leadership
	for i := range ls {
		l := &ls[i]
		if !l.Start.Before(t.Add(-time.Second)) && (best == nil || l.Start.Before(best.Start)) {
			best = l
		}
	}
	return best
}

// electionsIn sums up the campaigns in [s, e): how many, by whom, up to
// which term. nil when the timeline shows none.
func electionsIn(tl []analysis.TimelineEvent, s, e time.Time, ms *memberSet) *storyStep {
	// A campaign logs "is starting a new election" and "became
	// (pre-)candidate": count the first kind when the timeline has it.
	var first time.Time
	n, starts := 0, 0
	var who []parser.ID
	var lo, hi uint64
	// The timeline is in time order: start at s.
	from, _ := slices.BinarySearchFunc(tl, s, func(ev analysis.TimelineEvent, t time.Time) int { return ev.Time.Compare(t) })
	for _, ev := range tl[from:] {
		if !e.IsZero() && !ev.Time.Before(e) {
			break
		}
		if ev.Kind != parser.BecameCandidate && ev.Kind != parser.BecamePreCandidate && ev.Kind != parser.ElectionStart {
			continue
		}
		if n+starts == 0 {
			first, lo = ev.Time, ev.Term
		}
		if ev.Kind == parser.ElectionStart {
			starts++
		} else {
			n++
		}
		lo, hi = min(lo, ev.Term), max(hi, ev.Term)
		if !slices.Contains(who, ev.Member) {
			who = append(who, ev.Member)
		}
	}
	if starts > 0 {
		n = starts
	}
	if n == 0 {
		return nil
	}
	text := ms.labels(who) + " campaigned: " + plural(n, "election")
	if hi > lo {
		text += ", term " + strconv.FormatUint(lo, 10) + " → " + strconv.FormatUint(hi, 10)
	} else {
		text += " at term " + strconv.FormatUint(hi, 10)
	}
	return &storyStep{Time: first, Kind: "election", Text: text}
}

// loopsIn sums up the candidacy and pre-vote loops that overlap [s, e):
// who campaigned, between which terms.
func loopsIn(fs []analysis.Finding, s, e time.Time, ms *memberSet) *storyStep {
	var st *storyStep
	for _, f := range fs {
		if f.Kind != analysis.CandidacyLoop && f.Kind != analysis.PreVoteLoop {
			continue
		}
		if f.End.Before(s) || (!e.IsZero() && !f.Start.Before(e)) {
			continue
		}
		text := ms.labels(f.Members) + " kept campaigning (" + f.Kind + ")"
		if f.TermTo > f.TermFrom {
			text += ", term " + strconv.FormatUint(f.TermFrom, 10) + " → " + strconv.FormatUint(f.TermTo, 10)
		} else if f.TermTo != 0 {
			text += " at term " + strconv.FormatUint(f.TermTo, 10)
		}
		if st == nil {
			st = &storyStep{Time: f.Start, Kind: "election", Text: text}
		} else if !strings.Contains(st.Text, text) {
			st.Text += "; " + text
		}
	}
	return st
}

// mergeSteps joins the faults of one kind that happen together ("stopped
// etcd1" and "stopped etcd3" within half a second become "stopped etcd1,
// etcd3"; "etcd1 started again" and "etcd3 started again" become "etcd1,
// etcd3 started again").
func mergeSteps(steps []storyStep) []storyStep {
	var out []storyStep
	for _, st := range steps {
		if n := len(out); n > 0 && st.Kind == "fault" && out[n-1].Kind == "fault" && st.Time.Sub(out[n-1].Time) < 500*time.Millisecond {
			prev := &out[n-1]
			if pv, pw, ok := strings.Cut(prev.Text, " "); ok {
				if v, w, ok := strings.Cut(st.Text, " "); ok && v == pv && !strings.Contains(w, " ") {
					prev.Text = pv + " " + pw + ", " + w
					continue
				}
			}
			merged := false
			for _, suffix := range []string{" started again", " shut down"} {
				pw, ok1 := strings.CutSuffix(prev.Text, suffix)
				w, ok2 := strings.CutSuffix(st.Text, suffix)
				if ok1 && ok2 {
					prev.Text, merged = pw+", "+w+suffix, true
					break
				}
			}
			if merged {
				continue
			}
		}
		out = append(out, st)
	}
	return out
}

// leaderLostWithin reports whether a leaderless window starts within d
// after t.
func leaderLostWithin(ws []analysis.Window, t time.Time, d time.Duration) bool {
	for _, w := range ws {
		if !w.Start.Before(t) && w.Start.Sub(t) <= d {
			return true
		}
	}
	return false
}
