package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/etcdpm/etcdpm/analysis"
)

// The Markdown report's Mermaid charts: the terms as an xychart, the
// leaders, leaderless windows, log gaps and faults as a gantt.

// mermaidName makes a label safe inside Mermaid: letters, digits, space,
// dot, dash and underscore are kept, anything else becomes an underscore.
func mermaidName(s string, n int) string {
	count := 0
	for i := range s {
		if count == n {
			s = s[:i] + "..."
			break
		}
		count++
	}
	s = oneLine(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == ' ' || r == '.' || r == '-' || r == '_'):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.TrimSpace(b.String())
	if out == "" {
		return "_"
	}
	return out
}

// mermaidTerms draws each member's term as a line over time buckets (a
// Mermaid xychart has no time axis): the term a member had at the end of
// each bucket. A member that was down then (stopped or silent in its logs,
// or stopped by a fault) is left out of that point: Mermaid cannot break a
// line, so a line ends where its member was down to the end of the logs,
// and drops to the floor (term 0) where it was down in between.
func mermaidTerms(res *analysis.Result, ms *memberSet, start, end time.Time, lim mdLimits) (chart, legend string) {
	type line struct {
		label string
		color int // index into memberPalette
		pts   []analysis.Point
		stops []analysis.Fault
	}
	var lines []line
	omitted := 0
	for _, s := range res.Series {
		pts := changePoints(s.Points)
		if len(pts) == 0 {
			continue
		}
		if len(lines) == lim.ChartMembers {
			omitted++
			continue
		}
		i := ms.lookup(s.Member, s.Name)
		if i < 0 {
			continue
		}
		var stops []analysis.Fault
		for _, f := range res.Faults {
			if stopsMember(f) && !f.Start.IsZero() && ms.lookupLabel(f.Target) == i {
				stops = append(stops, f)
			}
		}
		lines = append(lines, line{label: ms.list[i].Label, color: ms.list[i].Slot, pts: pts, stops: stops})
	}
	if len(lines) == 0 || !end.After(start) {
		return "", ""
	}
	n := lim.Buckets
	width := end.Sub(start) / time.Duration(n)
	if width <= 0 {
		width, n = end.Sub(start), 1
	}
	layout := "15:04:05"
	switch {
	case end.Sub(start) >= 24*time.Hour:
		layout = "01-02 15:04"
	case width < time.Second:
		layout = "15:04:05.000"
	}
	var labels []string
	for b := 1; b <= n; b++ {
		labels = append(labels, strconv.Quote(start.Add(time.Duration(b)*width).UTC().Format(layout)))
	}
	lo, hi := ^uint64(0), uint64(0)
	const down = -1
	values := make([][]int64, len(lines))
	floor, ended := false, false
	for k, l := range lines {
		j := 0
		cur, state := l.pts[0].Term, l.pts[0].State // before its first line, a member shows its first term
		for b := 1; b <= n; b++ {
			edge := start.Add(time.Duration(b) * width)
			if b == n {
				edge = end.Add(time.Nanosecond)
			}
			for j < len(l.pts) && l.pts[j].Time.Before(edge) {
				cur, state = l.pts[j].Term, l.pts[j].State
				j++
			}
			v := int64(cur)
			if state == analysis.StateDown || stoppedAt(l.stops, edge.Add(-time.Nanosecond)) {
				v = down
			}
			values[k] = append(values[k], v)
		}
		vs := values[k]
		for len(vs) > 1 && vs[len(vs)-1] == down {
			vs, ended = vs[:len(vs)-1], true
		}
		for i, v := range vs {
			if v == down {
				vs[i], floor = 0, true
			}
			lo, hi = min(lo, uint64(vs[i])), max(hi, uint64(vs[i]))
		}
		values[k] = vs
	}
	if floor {
		lo = 0
	}
	if hi == lo {
		hi = lo + 1
	}
	var b strings.Builder
	var palette, names []string
	for _, l := range lines {
		palette = append(palette, memberPalette[l.color])
		names = append(names, mdText(l.label, 64)+" ("+memberColorNames[l.color]+")")
	}
	fmt.Fprintf(&b, "```mermaid\n---\nconfig:\n  themeVariables:\n    xyChart:\n      plotColorPalette: %q\n---\n", strings.Join(palette, ", "))
	b.WriteString("xychart-beta\n")
	fmt.Fprintf(&b, "    title \"Term over time (UTC, %s buckets)\"\n", fmtDuration(width))
	fmt.Fprintf(&b, "    x-axis [%s]\n", strings.Join(labels, ", "))
	fmt.Fprintf(&b, "    y-axis \"term\" %d --> %d\n", lo, hi)
	for k, l := range lines {
		nums := make([]string, len(values[k]))
		for i, v := range values[k] {
			nums[i] = strconv.FormatInt(v, 10)
		}
		fmt.Fprintf(&b, "    line %q [%s]\n", mermaidName(l.label, 40), strings.Join(nums, ", "))
	}
	b.WriteString("```")
	legend = "Lines: " + strings.Join(names, ", ") + "."
	if floor {
		legend += " A line at term 0 is a member that was down then (stopped or silent)."
	}
	if ended {
		legend += " A line that ends early is a member down from there to the end of the logs."
	}
	if omitted > 0 {
		legend += fmt.Sprintf(" %d more members omitted.", omitted)
	}
	return b.String(), legend
}

// stoppedAt reports whether a fault in stops holds at t.
func stoppedAt(stops []analysis.Fault, t time.Time) bool {
	for _, f := range stops {
		if !t.Before(f.Start) && (f.End.IsZero() || t.Before(f.End)) {
			return true
		}
	}
	return false
}

// mermaidGantt draws who led when, the leaderless windows, the gaps in the
// logs and the faults, one section each, as a Mermaid gantt in compact
// mode. Leaderless windows are crit (red), gaps done (grey), faults active.
func mermaidGantt(res *analysis.Result, ms *memberSet, start, end time.Time, lim mdLimits) string {
	const layout = "2006-01-02 15:04:05.000"
	type bar struct {
		section, name, tag string
		s, e               time.Time
	}
	clip := func(s, e time.Time) (time.Time, time.Time, bool) {
		if s.IsZero() {
			return s, e, false
		}
		if e.IsZero() || e.Before(s) {
			e = end
		}
		if !e.After(s) {
			e = s.Add(time.Millisecond)
		}
		return s, e, true
	}
	// Share the bars: leaders first, then windows, then faults; each keeps its longest.
	nLead, nWin, nFault, nGap := len(res.Leaders), len(res.Leaderless), len(res.Faults), len(res.Gaps)
	capLead := min(nLead, max(lim.Gantt/2, lim.Gantt-nWin-nFault-nGap))
	capWin := min(nWin, max(lim.Gantt/4, lim.Gantt-capLead-nFault-nGap))
	capGap := min(nGap, max(lim.Gantt/8, lim.Gantt-capLead-capWin-nFault))
	capFault := min(nFault, max(0, lim.Gantt-capLead-capWin-capGap))
	leaders, omL := longest(res.Leaders, capLead, func(l analysis.Leadership) time.Duration { return l.End.Sub(l.Start) })
	windows, omW := longest(res.Leaderless, capWin, func(w analysis.Window) time.Duration { return w.End.Sub(w.Start) })
	faults, omF := longest(res.Faults, capFault, func(f analysis.Fault) time.Duration { return f.End.Sub(f.Start) })
	gaps, omG := longest(res.Gaps, capGap, func(w analysis.Window) time.Duration { return w.End.Sub(w.Start) })

	var bars []bar
	sections := []string{}
	seen := map[string]bool{}
	addSection := func(s string) {
		if !seen[s] {
			seen[s] = true
			sections = append(sections, s)
		}
	}
	for _, l := range leaders {
		s, e, ok := clip(l.Start, l.End)
		if !ok {
			continue
		}
		sec := mermaidName(ms.label(l.Member), 40)
		addSection(sec)
		bars = append(bars, bar{section: sec, name: "term " + strconv.FormatUint(l.Term, 10), s: s, e: e})
	}
	for _, w := range windows {
		s, e, ok := clip(w.Start, w.End)
		if !ok {
			continue
		}
		addSection("no leader")
		bars = append(bars, bar{section: "no leader", name: fmtDuration(e.Sub(s)), tag: "crit, ", s: s, e: e})
	}
	for _, g := range gaps {
		s, e, ok := clip(g.Start, g.End)
		if !ok {
			continue
		}
		addSection("no log data")
		bars = append(bars, bar{section: "no log data", name: "no data " + fmtDuration(e.Sub(s)), tag: "done, ", s: s, e: e})
	}
	for _, f := range faults {
		s, e, ok := clip(f.Start, f.End)
		if f.End.IsZero() {
			e = s.Add(time.Millisecond)
		}
		if !ok {
			continue
		}
		addSection("faults")
		bars = append(bars, bar{section: "faults", name: mermaidName(f.Label, 40), tag: "active, ", s: s, e: e})
	}
	if len(bars) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("```mermaid\n---\ndisplayMode: compact\n---\ngantt\n")
	b.WriteString("    title Leaders, leaderless windows, log gaps and faults (UTC)\n")
	b.WriteString("    dateFormat YYYY-MM-DD HH:mm:ss.SSS\n")
	if end.Sub(start) >= 24*time.Hour {
		b.WriteString("    axisFormat %m-%d %H:%M\n")
	} else {
		b.WriteString("    axisFormat %H:%M:%S\n")
	}
	for _, sec := range sections {
		fmt.Fprintf(&b, "    section %s\n", sec)
		for _, x := range bars {
			if x.section == sec {
				fmt.Fprintf(&b, "    %s :%s%s, %s\n", x.name, x.tag, x.s.UTC().Format(layout), x.e.UTC().Format(layout))
			}
		}
	}
	b.WriteString("```")
	if om := omL + omW + omF + omG; om > 0 {
		fmt.Fprintf(&b, "\n\n_%d shorter bars omitted (%d leaderships, %d leaderless windows, %d faults, %d log gaps)._", om, omL, omW, omF, omG)
	}
	return b.String()
}
