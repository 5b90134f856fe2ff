package analysis

import (
	"strconv"
	"time"
)

// The analysis keeps each record a storm multiplies (leaderships, campaign
// streaks, check-quorum step-downs, transfers) up to a bound, so that its
// memory stays bounded. Once one of them is full, what follows can no longer
// be read the same way: with no record of the leaderships after the 20,000th,
// the rest of a long storm would look leaderless. So the analysis stops at the
// first record it cannot keep, its horizon: the events after it are counted,
// not analyzed, the Result covers the logs up to it (Result.Horizon), and the
// explanation says where it stopped and how to read the rest.

// horizon is where the analysis stopped; full is false while it goes on.
type horizon struct {
	full   bool
	at     time.Time
	what   string // the record that filled, as "20000 leaderships"
	input  int
	line   int64 // the first line not analyzed, in input
	events int64 // events after it, not analyzed
}

// Horizon says where an analysis stopped short of the logs' end.
type Horizon struct {
	// At is the time of the first event not analyzed; Input and Line name its
	// line.
	At    time.Time `json:"at"`
	Input string    `json:"input"`
	Line  int64     `json:"line"`
	// Full names the record that filled, as "20000 leaderships".
	Full string `json:"full"`
	// Events counts the events from that one on, read and not analyzed.
	Events int64 `json:"events"`
}

// fill stops the analysis at the event being added: it makes the n+1th
// record of what, and the events from it on are not analyzed. In Finish
// (no event), the record is only lost.
func (a *Analyzer) fill(n int, what string) {
	h, ev := &a.hz, a.cur.top
	if h.full || ev == nil {
		return
	}
	at := ev.Time
	if at.IsZero() {
		at = a.clock
	}
	*h = horizon{full: true, at: at, what: strconv.Itoa(n) + " " + what, input: ev.Input, line: ev.Line}
}

// past reports whether the analysis stopped: Add then only counts ev.
func (a *Analyzer) past() bool {
	if a.hz.full {
		a.hz.events++
	}
	return a.hz.full
}

// horizonResult is Result.Horizon.
func (a *Analyzer) horizonResult() *Horizon {
	h := &a.hz
	if !h.full {
		return nil
	}
	return &Horizon{At: h.at, Input: a.inputName(h.input), Line: h.line, Full: h.what, Events: h.events + 1}
}

// horizonNote says, for the explanation, where the analysis stopped.
func (a *Analyzer) horizonNote(f *facts) string {
	h := a.horizonResult()
	if h == nil {
		return ""
	}
	where := h.Input + ":" + strconv.FormatInt(h.Line, 10)
	return "Note: the analysis stopped at " + f.at(h.At) + " (" + where + "), after " + h.Full +
		", the most it keeps: all of the above is about the logs up to there. The " +
		plural(int(h.Events), "event", "events") + " from that line on were read, not analyzed; " +
		"to analyze them, give etcdpm the logs from that time on (`tail -n +" + strconv.FormatInt(h.Line, 10) + "` of " + h.Input + ")."
}

// gapsBefore returns the gaps that start before t, the last one ending at t
// at the latest.
func (a *Analyzer) gapsBefore(t time.Time) []Window {
	var out []Window
	for _, g := range a.gaps {
		if !g.Start.Before(t) {
			break
		}
		if g.End.After(t) {
			g.End, g.Seconds = t, t.Sub(g.Start).Seconds()
		}
		out = append(out, g)
	}
	return out
}
