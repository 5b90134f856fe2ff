package report

import (
	"strconv"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
)

// Bounds on what a report carries, whatever the input. A chart never holds
// more than about members×(maxPoints+maxStatusPoints)+maxEvents points.
const (
	maxPoints       = 4000 // change points a member in the term chart (and its lane)
	maxStatusPoints = 2000 // status polls a member
	maxEvents       = 2000 // timeline markers in the swimlane
	maxAreas        = 500  // leaderless windows, faults: each
	maxLeaderMarks  = 300  // leadership markers
	maxChartMembers = 40   // members drawn (the tables list more)
	maxTipText      = 300  // characters of a log line in a tooltip
)

// chartData is what report.js draws. Times are milliseconds since Base (the
// Unix time in ms of the report's start), to keep the page small. It is
// marshalled with encoding/json's HTML escaping into a JSON script block.
type chartData struct {
	Base        int64         `json:"base"`
	Start       int64         `json:"start"`
	End         int64         `json:"end"`
	States      []string      `json:"states"`
	StateColors []string      `json:"stateColors"`
	Members     []chartMember `json:"members"`
	Terms       []termSeries  `json:"terms"`
	Status      []statusSerie `json:"status"`
	Lanes       []lane        `json:"lanes"`
	Leaders     []span        `json:"leaders"`
	Leaderless  []span        `json:"leaderless"`
	Faults      []span        `json:"faults"`
	Gaps        []span        `json:"gaps"`
	// Stopped are the windows in which a fault stopped or froze a member
	// (M): its term line is not drawn there.
	Stopped []span  `json:"stopped"`
	Events  []event `json:"events"`
	// Focus is the incident's window, padded, the charts open on; nil
	// when the incident fills the logs or there is none.
	Focus []int64 `json:"focus,omitempty"`
	// Metrics are a capture's scraped metrics (metrics.go), drawn under
	// the term chart against HeartbeatMS; none without metrics.
	Metrics     []metricsSerie `json:"metrics,omitempty"`
	HeartbeatMS int            `json:"heartbeatMs,omitempty"`
	Omitted     omitted        `json:"omitted"`
}

type chartMember struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Color string `json:"color"`
}

// termSeries is one member's term over time: T[i], V[i] (term), S[i] (state).
type termSeries struct {
	M int      `json:"m"`
	T []int64  `json:"t"`
	V []uint64 `json:"v"`
	S []int    `json:"s"`
}

// statusSerie is one member's status polls. V is the term, -1 for a failed
// poll; L the leader's member index (-1 unknown); E an index into Errs (-1 none).
type statusSerie struct {
	M    int      `json:"m"`
	T    []int64  `json:"t"`
	V    []int64  `json:"v"`
	L    []int    `json:"l"`
	E    []int    `json:"e"`
	Errs []string `json:"errs"`
}

// lane is one member's state spans: [S[i], E[i]) in state St[i] at term Term[i].
type lane struct {
	M    int      `json:"m"`
	S    []int64  `json:"s"`
	E    []int64  `json:"e"`
	St   []int    `json:"st"`
	Term []uint64 `json:"term"`
}

// span is a shaded window, a leadership or a fault.
type span struct {
	S      int64  `json:"s"`
	E      int64  `json:"e"`
	M      int    `json:"m"`
	Term   uint64 `json:"term,omitempty"`
	Label  string `json:"label,omitempty"`
	Target string `json:"target,omitempty"`
}

// event is a notable event, drawn on its member's lane.
type event struct {
	T    int64  `json:"t"`
	M    int    `json:"m"`
	Kind string `json:"k"`
	Term uint64 `json:"term"`
	Src  string `json:"src"`
	Text string `json:"text"`
}

type omitted struct {
	Points     int `json:"points"`
	Status     int `json:"status"`
	Events     int `json:"events"`
	Leaders    int `json:"leaders"`
	Leaderless int `json:"leaderless"`
	Faults     int `json:"faults"`
	Gaps       int `json:"gaps"`
	Members    int `json:"members"`
	Metrics    int `json:"metrics,omitempty"`
}

// stateColors colour the swimlane, indexed by analysis.State.
var stateColors = []string{
	analysis.StateUnknown:      "#e5e7eb",
	analysis.StateFollower:     "#a9bcd6",
	analysis.StatePreCandidate: "#f2cf6b",
	analysis.StateCandidate:    "#ec8a3a",
	analysis.StateLeader:       "#2e9a57",
	analysis.StateDown:         "#4b5058",
}

func buildChartData(res *analysis.Result, ms *memberSet) *chartData {
	start, end := timeSpan(res)
	d := &chartData{
		Base:        start.UnixMilli(),
		StateColors: stateColors,
	}
	for s := analysis.StateUnknown; s <= analysis.StateDown; s++ {
		d.States = append(d.States, s.String())
	}
	ms0 := start.UnixMilli()
	off := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixMilli() - ms0
	}
	d.Start, d.End = 0, off(end)

	drawn := func(i int) bool { return i >= 0 && i < maxChartMembers }
	for i, m := range ms.list {
		if !drawn(i) {
			d.Omitted.Members = len(ms.list) - maxChartMembers
			break
		}
		d.Members = append(d.Members, chartMember{ID: m.ID.String(), Label: m.Label, Color: m.Color})
	}

	for _, s := range res.Series {
		m := ms.lookup(s.Member, s.Name)
		if !drawn(m) {
			continue
		}
		all := changePoints(s.Points)
		ps, dropped := downsample(all, start, end, maxPoints)
		d.Omitted.Points += dropped + s.Omitted
		ts := termSeries{M: m, T: make([]int64, len(ps)), V: make([]uint64, len(ps)), S: make([]int, len(ps))}
		for i, p := range ps {
			ts.T[i], ts.V[i], ts.S[i] = off(p.Time), p.Term, int(p.State)
		}
		d.Terms = append(d.Terms, ts)

		ln := lane{M: m}
		for _, iv := range laneSpans(all, start, end, maxPoints) {
			ln.S = append(ln.S, off(iv.Start))
			ln.E = append(ln.E, off(iv.End))
			ln.St = append(ln.St, int(iv.State))
			ln.Term = append(ln.Term, iv.Term)
		}
		d.Lanes = append(d.Lanes, ln)
	}

	for _, s := range res.Status {
		m := ms.lookup(s.Member, s.Name)
		if !drawn(m) {
			continue
		}
		ps, dropped := evenly(s.Points, maxStatusPoints)
		d.Omitted.Status += dropped
		ss := statusSerie{M: m, Errs: []string{}}
		errIndex := map[string]int{}
		for _, p := range ps {
			if p.Time.IsZero() {
				continue
			}
			v, e, leader := int64(p.Term), -1, -1
			if !p.OK {
				v = -1
				msg := clip(p.Error, maxTipText)
				if msg == "" {
					msg = "poll failed"
				}
				i, ok := errIndex[msg]
				if !ok && len(ss.Errs) < 100 {
					i, ok = len(ss.Errs), true
					errIndex[msg] = i
					ss.Errs = append(ss.Errs, msg)
				}
				if ok {
					e = i
				}
			} else if p.Leader != 0 {
				leader = ms.lookup(p.Leader, "")
			}
			ss.T = append(ss.T, off(p.Time))
			ss.V = append(ss.V, v)
			ss.L = append(ss.L, leader)
			ss.E = append(ss.E, e)
		}
		d.Status = append(d.Status, ss)
	}

	leaders, dropped := longest(res.Leaders, maxLeaderMarks, func(l analysis.Leadership) time.Duration { return l.End.Sub(l.Start) })
	d.Omitted.Leaders = dropped
	for _, l := range leaders {
		m := ms.lookup(l.Member, "")
		if !drawn(m) || l.Start.IsZero() {
			continue
		}
		e := l.End
		if e.IsZero() || e.Before(l.Start) {
			e = end
		}
		d.Leaders = append(d.Leaders, span{S: off(l.Start), E: off(e), M: m, Term: l.Term})
	}

	windows, dropped := longest(res.Leaderless, maxAreas, func(w analysis.Window) time.Duration { return w.End.Sub(w.Start) })
	d.Omitted.Leaderless = dropped
	for _, w := range windows {
		if w.Start.IsZero() {
			continue
		}
		e := w.End
		if e.IsZero() || e.Before(w.Start) {
			e = end
		}
		d.Leaderless = append(d.Leaderless, span{S: off(w.Start), E: off(e)})
	}

	faults, dropped := longest(res.Faults, maxAreas, func(f analysis.Fault) time.Duration { return f.End.Sub(f.Start) })
	d.Omitted.Faults = dropped
	for _, f := range faults {
		if f.Start.IsZero() {
			continue
		}
		e := f.End
		if e.Before(f.Start) {
			e = time.Time{}
		}
		sp := span{S: off(f.Start), E: off(f.Start), Label: clip(f.Label, 80), Target: clip(f.Target, 80), M: -1}
		if !e.IsZero() {
			sp.E = off(e)
		}
		d.Faults = append(d.Faults, sp)
	}

	gaps, dropped := longest(res.Gaps, maxAreas, func(w analysis.Window) time.Duration { return w.End.Sub(w.Start) })
	d.Omitted.Gaps = dropped
	for _, g := range gaps {
		if !g.Start.IsZero() && g.End.After(g.Start) {
			d.Gaps = append(d.Gaps, span{S: off(g.Start), E: off(g.End)})
		}
	}
	for _, f := range faults {
		m := ms.lookupLabel(f.Target)
		if !drawn(m) || f.Start.IsZero() || !stopsMember(f) {
			continue
		}
		e := f.End
		if e.IsZero() || e.Before(f.Start) {
			e = end
		}
		d.Stopped = append(d.Stopped, span{S: off(f.Start), E: off(e), M: m})
	}
	if s, e, ok := incidentWindow(res); ok {
		pad := max(e.Sub(s)/5, 2*time.Second)
		s, e = s.Add(-pad), e.Add(pad)
		if s.After(start) || e.Before(end) {
			if total := end.Sub(start); e.Sub(s) < total*4/5 {
				d.Focus = []int64{max(off(s), 0), min(off(e), d.End)}
			}
		}
	}

	var drawable []int32 // indexes into res.Timeline
	for i, e := range res.Timeline {
		if !e.Time.IsZero() && drawn(ms.lookup(e.Member, "")) {
			drawable = append(drawable, int32(i))
		}
	}
	drawable, dropped = evenly(drawable, maxEvents)
	d.Omitted.Events = dropped + res.TimelineOmitted
	for _, i := range drawable {
		e := &res.Timeline[i]
		d.Events = append(d.Events, event{
			T:    off(e.Time),
			M:    ms.lookup(e.Member, ""),
			Kind: e.Kind.String(),
			Term: e.Term,
			Src:  source(e.Input, e.Line),
			Text: clip(e.Text, maxTipText),
		})
	}

	chartMetrics(d, res, ms, off)

	// Never marshal nil slices as null: report.js maps over them.
	if d.Members == nil {
		d.Members = []chartMember{}
	}
	if d.Terms == nil {
		d.Terms = []termSeries{}
	}
	if d.Status == nil {
		d.Status = []statusSerie{}
	}
	if d.Lanes == nil {
		d.Lanes = []lane{}
	}
	if d.Leaders == nil {
		d.Leaders = []span{}
	}
	if d.Leaderless == nil {
		d.Leaderless = []span{}
	}
	if d.Faults == nil {
		d.Faults = []span{}
	}
	if d.Gaps == nil {
		d.Gaps = []span{}
	}
	if d.Stopped == nil {
		d.Stopped = []span{}
	}
	if d.Events == nil {
		d.Events = []event{}
	}
	return d
}

// source prints where a line came from: "file:line".
func source(input string, line int64) string {
	input = clip(input, 120)
	if line <= 0 {
		return input
	}
	return input + ":" + strconv.FormatInt(line, 10)
}
