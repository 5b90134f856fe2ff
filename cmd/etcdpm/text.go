package main

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/parser"
)

type textOptions struct {
	Color bool
	Width int
}

// ANSI styles, used only when textOptions.Color is set.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiGreen  = "\x1b[32m"
)

// textWriter renders a Result for people, at a fixed width.
type textWriter struct {
	w     io.Writer
	opts  textOptions
	names map[parser.ID]string
	err   error
}

func writeText(w io.Writer, res *analysis.Result, opts textOptions) error {
	if opts.Width <= 0 {
		opts.Width = 100
	}
	t := &textWriter{w: w, opts: opts, names: map[parser.ID]string{}}
	for _, m := range res.Members {
		t.names[m.ID] = m.Name
	}
	t.diagnosis(res)
	t.members(res)
	t.leaders(res)
	t.leaderless(res)
	t.findings(res)
	t.inputs(res)
	return t.err
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

func (t *textWriter) style(s, code string) string {
	if !t.opts.Color {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) heading(s string) {
	t.printf("\n%s\n", t.style(s, ansiBold))
}

func (t *textWriter) severity(s analysis.Severity) string {
	label := strings.ToUpper(string(s))
	switch s {
	case analysis.Critical:
		return t.style(fmt.Sprintf("%-8s", label), ansiRed+ansiBold)
	case analysis.Warning:
		return t.style(fmt.Sprintf("%-8s", label), ansiYellow)
	default:
		return t.style(fmt.Sprintf("%-8s", label), ansiCyan)
	}
}

// member names a member "etcd1 (ade526d28b1f92f7)", or by ID alone.
func (t *textWriter) member(id parser.ID) string {
	if n := t.names[id]; n != "" {
		return n
	}
	return id.String()
}

func (t *textWriter) diagnosis(res *analysis.Result) {
	d := res.Diagnosis
	sev := analysis.Info
	for _, f := range res.Findings {
		if f.Kind == d.Verdict {
			sev = f.Severity
			break
		}
	}
	color := ansiGreen
	switch sev {
	case analysis.Critical:
		color = ansiRed
	case analysis.Warning:
		color = ansiYellow
	}
	t.printf("%s %s\n", t.style("Verdict:", ansiBold), t.style(d.Verdict, ansiBold+color))
	if d.Headline != "" {
		t.printf("%s\n", t.style(d.Headline, ansiBold))
	}
	if d.Explanation != "" {
		t.printf("\n")
		for _, para := range strings.Split(d.Explanation, "\n") {
			t.wrap(para, "", "")
		}
	}
	if len(d.Remedies) > 0 {
		t.heading("What to do")
		for _, r := range d.Remedies {
			t.wrap(r, "  - ", "    ")
		}
	}
	if !res.Start.IsZero() {
		t.printf("\n%s %s to %s (%s)\n", t.style("Logs cover", ansiDim), stamp(res.Start), stamp(res.End), span(res.End.Sub(res.Start)))
	}
}

func (t *textWriter) members(res *analysis.Result) {
	if len(res.Members) == 0 {
		return
	}
	t.heading("Members")
	t.printf("  %-16s  %-16s  %8s  %9s  %6s\n", "ID", "NAME", "MAX TERM", "CAMPAIGNS", "LEADER")
	for _, m := range res.Members {
		t.printf("  %-16s  %-16s  %8d  %9d  %6d\n", m.ID, clip(m.Name, 16), m.MaxTerm, m.Campaigns, m.TimesLeader)
	}
}

func (t *textWriter) leaders(res *analysis.Result) {
	if len(res.Leaders) == 0 {
		return
	}
	t.heading("Leaders")
	const max = 20
	list := res.Leaders
	skipped := 0
	if len(list) > max {
		skipped = len(list) - max
		list = list[len(list)-max:]
		t.printf("  %s\n", t.style(fmt.Sprintf("(%d earlier leaderships not shown)", skipped), ansiDim))
	}
	t.printf("  %6s  %-16s  %-23s  %-23s  %s\n", "TERM", "LEADER", "FROM", "TO", "FOR")
	for _, l := range list {
		t.printf("  %6d  %-16s  %-23s  %-23s  %s\n", l.Term, clip(t.member(l.Member), 16), stamp(l.Start), stamp(l.End), span(l.End.Sub(l.Start)))
	}
}

func (t *textWriter) leaderless(res *analysis.Result) {
	if len(res.Leaderless) == 0 {
		return
	}
	t.heading("No leader")
	for _, w := range res.Leaderless {
		t.printf("  %s to %s  %s\n", stamp(w.Start), stamp(w.End), t.style(span(time.Duration(w.Seconds*float64(time.Second))), ansiBold))
	}
}

func (t *textWriter) findings(res *analysis.Result) {
	t.heading("Findings")
	if len(res.Findings) == 0 {
		t.printf("  none\n")
		return
	}
	for _, f := range res.Findings {
		var who []string
		for _, id := range f.Members {
			who = append(who, t.member(id))
		}
		terms := ""
		switch {
		case f.TermFrom != 0 && f.TermTo != 0 && f.TermFrom != f.TermTo:
			terms = fmt.Sprintf("  terms %d-%d", f.TermFrom, f.TermTo)
		case f.TermTo != 0:
			terms = fmt.Sprintf("  term %d", f.TermTo)
		}
		count := ""
		if f.Count > 1 {
			count = fmt.Sprintf("  x%d", f.Count)
		}
		t.printf("  %s %s  %s%s%s\n", t.severity(f.Severity), t.style(f.Kind, ansiBold), strings.Join(who, ", "), terms, count)
		t.printf("           %s\n", t.style(when(f.Start, f.End), ansiDim))
		t.wrap(f.Summary, "           ", "           ")
		for _, ev := range f.Evidence {
			loc := fmt.Sprintf("%s:%d: ", ev.Input, ev.Line)
			line := loc + ev.Text
			t.printf("           %s\n", t.style(clip(line, t.opts.Width-11), ansiDim))
		}
	}
}

func (t *textWriter) inputs(res *analysis.Result) {
	if len(res.Inputs) == 0 {
		return
	}
	t.heading("Inputs")
	t.printf("  %-28s  %-28s  %9s  %7s  %7s  %9s\n", "INPUT", "LAYOUT", "LINES", "EVENTS", "SKIPPED", "MALFORMED")
	for _, in := range res.Inputs {
		t.printf("  %-28s  %-28s  %9d  %7d  %7d  %9d\n", clipLeft(in.Name, 28), clip(in.Layout, 28), in.Lines, in.Events, in.Skipped, in.Malformed)
	}
}

// wrap prints s wrapped at the width, with a first-line and a continuation
// indent.
func (t *textWriter) wrap(s, first, rest string) {
	line, empty := first, true
	for _, word := range strings.Fields(s) {
		if !empty && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > t.opts.Width {
			t.printf("%s\n", line)
			line, empty = rest, true
		}
		if !empty {
			line += " "
		}
		line += word
		empty = false
	}
	if !empty {
		t.printf("%s\n", line)
	}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

func when(a, b time.Time) string {
	if b.IsZero() || b.Equal(a) {
		return stamp(a)
	}
	return stamp(a) + " to " + stamp(b) + " (" + span(b.Sub(a)) + ")"
}

// span formats a duration for people: 850ms, 4.2s, 10m23s, 2h5m.
func span(d time.Duration) string {
	switch {
	case d < 0:
		return "?"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	default:
		return d.Round(time.Minute).String()
	}
}

// clip shortens s to n runes, ending in "…". Control characters are shown
// escaped: log text must not drive the terminal.
func clip(s string, n int) string {
	s = sanitize(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func clipLeft(s string, n int) string {
	s = sanitize(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return "…" + string(r[len(r)-n+1:])
}

func sanitize(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		case r == utf8.RuneError:
			b.WriteRune('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
