package report

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/parser"
)

// ANSI styles, used only when Options.Color is set.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiGreen  = "\x1b[32m"
)

// textWriter renders a Result for people, at a fixed width. Every string
// of log origin goes through TerminalText; member names and the prose that
// quotes them are JSON-unescaped first (the parser hands zap's fields raw).
type textWriter struct {
	w     io.Writer
	opts  Options
	ms    *memberSet
	whole bool // Options.Width < 0: log lines printed whole, on one line each
	err   error
}

// textLabel is a member name as the text output shows it.
func textLabel(name string) string {
	return textClip(unescapeJSON(name), 64)
}

// textProse is analyzer prose as the text output shows it: the member
// names it quotes are decoded as textLabel decodes them.
func textProse(s string) string {
	return TerminalText(unescapeJSON(s))
}

// writeText renders res for a terminal or a plain file, opts.Width wide
// (default 100), in colour when opts.Color is set. Evidence lines are never
// cut: wrapped at the width, or printed whole when opts.Width is negative.
func writeText(w io.Writer, res *analysis.Result, opts Options) error {
	whole := opts.Width < 0
	if opts.Width <= 0 {
		opts.Width = 100
	}
	t := &textWriter{w: w, opts: opts, ms: newMemberSet(res, textLabel), whole: whole}
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

// member is a member's label: its name, else its ID.
func (t *textWriter) member(id parser.ID) string {
	return t.ms.label(id)
}

func (t *textWriter) diagnosis(res *analysis.Result) {
	d := res.Diagnosis
	color := ansiGreen
	switch verdictSeverity(res) {
	case analysis.Critical:
		color = ansiRed
	case analysis.Warning:
		color = ansiYellow
	}
	t.printf("%s %s\n", t.style("Verdict:", ansiBold), t.style(TerminalText(d.Verdict), ansiBold+color))
	if d.Headline != "" {
		t.printf("%s\n", t.style(textProse(d.Headline), ansiBold))
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
	if rec := res.Recovery; rec != nil {
		t.heading("Recover from " + recoveryFrom(rec))
		t.wrap(rec.Why, "  ", "  ")
		for i, s := range rec.Steps {
			t.wrap(s, fmt.Sprintf("  %d. ", i+1), "     ")
		}
	}
	if !res.Start.IsZero() {
		t.printf("\n%s %s to %s (%s)\n", t.style("Logs cover", ansiDim), textStamp(res.Start), textStamp(res.End), textDuration(res.End.Sub(res.Start)))
	}
}

func (t *textWriter) members(res *analysis.Result) {
	if len(res.Members) == 0 {
		return
	}
	t.heading("Members")
	t.printf("  %-16s  %-16s  %8s  %9s  %6s\n", "ID", "NAME", "MAX TERM", "CAMPAIGNS", "LEADER")
	for _, m := range res.Members {
		t.printf("  %-16s  %-16s  %8d  %9d  %6d\n", m.ID, textClip(unescapeJSON(m.Name), 16), m.MaxTerm, m.Campaigns, m.TimesLeader)
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
		t.printf("  %6d  %-16s  %-23s  %-23s  %s\n", l.Term, textClip(t.member(l.Member), 16), textStamp(l.Start), textStamp(l.End), textDuration(l.End.Sub(l.Start)))
	}
}

func (t *textWriter) leaderless(res *analysis.Result) {
	if len(res.Leaderless) == 0 {
		return
	}
	t.heading("No leader")
	for _, w := range res.Leaderless {
		t.printf("  %s to %s  %s\n", textStamp(w.Start), textStamp(w.End), t.style(textDuration(time.Duration(w.Seconds*float64(time.Second))), ansiBold))
	}
}

func (t *textWriter) findings(res *analysis.Result) {
	t.heading("Findings")
	if len(res.Findings) == 0 {
		t.printf("  none\n")
		return
	}
	findings := sortedFindings(res.Findings)
	ep := newEvidenceParser(t.ms)
	for _, f := range findings {
		for _, e := range f.Evidence {
			ep.add(e)
		}
	}
	for _, f := range findings {
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
		t.printf("  %s %s  %s%s%s\n", t.severity(f.Severity), t.style(TerminalText(f.Kind), ansiBold), strings.Join(who, ", "), terms, count)
		t.printf("           %s\n", t.style(textWhen(f.Start, f.End), ansiDim))
		t.wrap(f.Summary, "           ", "           ")
		for _, ev := range f.Evidence {
			t.evidence(ep, ev)
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
		t.printf("  %-28s  %-28s  %9d  %7d  %7d  %9d\n", textClipLeft(in.Name, 28), textClip(in.Layout, 28), in.Lines, in.Events, in.Skipped, in.Malformed)
	}
}

// evidence prints an evidence line as "time  member  message  (file:line)",
// the message whole: wrapped at the width, or on one line (t.whole).
func (t *textWriter) evidence(ep *evidenceParser, ev analysis.Evidence) {
	l := ep.line(ev, 0)
	msg := recordMessage(ev.Text)
	if msg == "" {
		msg = ev.Text
	}
	var head []string
	if !l.Time.IsZero() {
		head = append(head, l.Time.UTC().Format(clockLayout))
	}
	if l.Member != "" {
		head = append(head, textLabel(l.Member))
	}
	line := TerminalText(msg) + "  (" + TerminalText(l.Src) + ")"
	if len(head) > 0 {
		line = strings.Join(head, "  ") + "  " + line
	}
	const indent = "           "
	if t.whole {
		t.printf("%s%s\n", indent, t.style(line, ansiDim))
		return
	}
	// Cut at the width, between runes, never dropping any.
	width := max(t.opts.Width-len(indent), 20)
	r := []rune(line)
	for first := true; len(r) > 0; first = false {
		n := min(len(r), width)
		if !first {
			n = min(len(r), width-2)
		}
		pre := indent
		if !first {
			pre += "  "
		}
		t.printf("%s%s\n", pre, t.style(string(r[:n]), ansiDim))
		r = r[n:]
	}
}

// wrap prints s wrapped at the width, with a first-line and a continuation
// indent.
func (t *textWriter) wrap(s, first, rest string) {
	line, empty := first, true
	for _, word := range strings.Fields(textProse(s)) {
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

func textStamp(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

func textWhen(a, b time.Time) string {
	if b.IsZero() || b.Equal(a) {
		return textStamp(a)
	}
	return textStamp(a) + " to " + textStamp(b) + " (" + textDuration(b.Sub(a)) + ")"
}

// textDuration formats a duration for people: 850ms, 4.2s, 10m23s, 2h5m.
func textDuration(d time.Duration) string {
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

// textClip shortens s to n runes, ending in "…", after TerminalText: log
// text must not drive the terminal.
func textClip(s string, n int) string {
	s = TerminalText(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// textClipLeft is textClip keeping the end of s (a path's file name).
func textClipLeft(s string, n int) string {
	s = TerminalText(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return "…" + string(r[len(r)-n+1:])
}
