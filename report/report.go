// Package report renders etcdpm's outputs: an analysis.Result as text for
// people, the JSON document, a self-contained HTML page (charts inlined, no
// network) or Markdown for a GitHub issue, and the parser's events as JSON
// lines. Log text is untrusted: each renderer escapes it for where it lands.
package report

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/parser"
)

// Options configure a report.
type Options struct {
	// Title names the report, e.g. the incident or the input file.
	Title string
	// Version is etcdpm's version string, printed in the footer.
	Version string
	// Generated is when the report was made; zero leaves it out. Renderers
	// never read the clock, so equal inputs give equal outputs.
	Generated time.Time
	// Color styles the text output with ANSI escapes (a terminal's).
	Color bool
	// Width is the text output's width in columns; 0 is 100. Log lines are
	// wrapped at it, never cut; a negative Width prints them whole, one line
	// each (for a pipe or a file).
	Width int
}

// member is one member as the report shows it.
type member struct {
	ID    parser.ID
	Name  string
	Label string // unique display name: the name, else the ID
	Color string // from the label (assignColors)
	Slot  int    // Color's index in memberPalette
	Info  analysis.Member
}

// memberSet indexes the members a Result mentions, in a stable order: the
// Members list first, then any other member named by Series, Status,
// Leaders or Timeline.
type memberSet struct {
	list  []member
	index map[memberKey]int
}

type memberKey struct {
	id   parser.ID
	name string // only when id is 0
}

func keyOf(id parser.ID, name string) memberKey {
	if id != 0 {
		return memberKey{id: id}
	}
	return memberKey{name: name}
}

// A member's label, decided here for every format, is its name made
// printable by clean (each output kind has its own: cleanLabel for HTML and
// Markdown, textLabel for the terminal), else its ID; a name that several
// members share is followed by the ID.
func newMemberSet(res *analysis.Result, clean func(name string) string) *memberSet {
	ms := &memberSet{index: map[memberKey]int{}}
	for _, m := range res.Members {
		i := ms.add(m.ID, m.Name)
		ms.list[i].Info = m
	}
	for _, s := range res.Series {
		ms.add(s.Member, s.Name)
	}
	for _, s := range res.Status {
		ms.add(s.Member, s.Name)
	}
	for _, s := range res.Metrics {
		ms.add(s.Member, s.Name)
	}
	for _, l := range res.Leaders {
		ms.add(l.Member, "")
	}
	for _, e := range res.Timeline {
		if e.Member != 0 {
			ms.add(e.Member, "")
		}
	}
	// Labels: the name when known and unique, else the ID.
	seen := map[string]int{}
	for i := range ms.list {
		m := &ms.list[i]
		m.Label = clean(m.Name)
		if m.Label == "" {
			m.Label = m.ID.String()
		}
		if m.Label == "" {
			m.Label = "unknown"
		}
		seen[m.Label]++
	}
	labels := make([]string, len(ms.list))
	for i := range ms.list {
		m := &ms.list[i]
		if seen[m.Label] > 1 && m.ID != 0 {
			m.Label += " (" + m.ID.String() + ")"
		}
		labels[i] = m.Label
	}
	slots := assignColors(labels)
	for i := range ms.list {
		m := &ms.list[i]
		m.Slot, m.Color = slots[i], memberPalette[slots[i]]
		if m.Info.ID == 0 && m.Info.Name == "" {
			m.Info.ID, m.Info.Name = m.ID, m.Name
		}
	}
	return ms
}

// add returns the member's index, adding it when new. A name learned later
// fills in a member first seen by ID only.
func (ms *memberSet) add(id parser.ID, name string) int {
	k := keyOf(id, name)
	if i, ok := ms.index[k]; ok {
		if ms.list[i].Name == "" {
			ms.list[i].Name = name
		}
		return i
	}
	ms.index[k] = len(ms.list)
	ms.list = append(ms.list, member{ID: id, Name: name})
	return len(ms.list) - 1
}

// lookup returns the member's index, or -1.
func (ms *memberSet) lookup(id parser.ID, name string) int {
	if i, ok := ms.index[keyOf(id, name)]; ok {
		return i
	}
	return -1
}

// lookupLabel returns the index of the member a fault's target names (its
// label or its name), or -1.
func (ms *memberSet) lookupLabel(name string) int {
	if name == "" {
		return -1
	}
	for i, m := range ms.list {
		if m.Label == name || m.Name == name {
			return i
		}
	}
	return -1
}

// label returns the display name of a member ID, the ID itself when the
// member is not known.
func (ms *memberSet) label(id parser.ID) string {
	if i := ms.lookup(id, ""); i >= 0 {
		return ms.list[i].Label
	}
	if id == 0 {
		return "unknown"
	}
	return id.String()
}

// labels returns the display names of ids, joined with ", ".
func (ms *memberSet) labels(ids []parser.ID) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = ms.label(id)
	}
	return strings.Join(names, ", ")
}

// cleanLabel makes a member name printable on one line: valid UTF-8, no
// control or format characters, at most 64 characters. It does not escape;
// each renderer escapes for its context.
func cleanLabel(s string) string {
	return clip(s, 64)
}

// oneLine returns s as valid UTF-8 on one line, with control and format
// characters (bidi overrides, zero-width, U+2028/2029) replaced by spaces.
// Tabs become spaces too.
func oneLine(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || isHidden(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if isHidden(r) {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isHidden(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// truncate cuts s to at most n runes, marking the cut with an ellipsis and
// how much was cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	count := utf8.RuneCountInString(s)
	if count <= n {
		return s
	}
	cut := 0
	for i := range s {
		if cut == n {
			return s[:i] + fmt.Sprintf("… (%d more characters)", count-n)
		}
		cut++
	}
	return s
}

// timeSpan returns the time the report covers: Result.Start/End when set,
// else the extent of what it holds.
func timeSpan(res *analysis.Result) (start, end time.Time) {
	start, end = res.Start, res.End
	if !start.IsZero() && !end.IsZero() && !end.Before(start) {
		return start.UTC(), end.UTC()
	}
	var ts []time.Time
	for _, s := range res.Series {
		if n := len(s.Points); n > 0 {
			ts = append(ts, s.Points[0].Time, s.Points[n-1].Time)
		}
	}
	for _, s := range res.Status {
		if n := len(s.Points); n > 0 {
			ts = append(ts, s.Points[0].Time, s.Points[n-1].Time)
		}
	}
	for _, l := range res.Leaders {
		ts = append(ts, l.Start, l.End)
	}
	for _, w := range res.Leaderless {
		ts = append(ts, w.Start, w.End)
	}
	for _, f := range res.Faults {
		ts = append(ts, f.Start, f.End)
	}
	for _, e := range res.Timeline {
		ts = append(ts, e.Time)
	}
	ts = slices.DeleteFunc(ts, time.Time.IsZero)
	if len(ts) == 0 {
		return start.UTC(), end.UTC()
	}
	lo := slices.MinFunc(ts, time.Time.Compare)
	hi := slices.MaxFunc(ts, time.Time.Compare)
	if start.IsZero() {
		start = lo
	}
	if end.IsZero() || end.Before(start) {
		end = hi
	}
	return start.UTC(), end.UTC()
}

// Time formats, all UTC.
const (
	clockLayout = "15:04:05.000"
	dateLayout  = "2006-01-02 15:04:05.000"
)

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format(dateLayout)
}

// fmtRange prints a time range compactly: the date once, then clock times.
func fmtRange(a, b time.Time) string {
	switch {
	case a.IsZero() && b.IsZero():
		return "–"
	case b.IsZero() || b.Equal(a):
		return fmtTime(a)
	case a.IsZero():
		return "– " + fmtTime(b)
	}
	a, b = a.UTC(), b.UTC()
	if a.YearDay() == b.YearDay() && a.Year() == b.Year() {
		return a.Format(dateLayout) + " – " + b.Format(clockLayout) + " (" + fmtDuration(b.Sub(a)) + ")"
	}
	return a.Format(dateLayout) + " – " + b.Format(dateLayout) + " (" + fmtDuration(b.Sub(a)) + ")"
}

// fmtSpan prints a time range without its length.
func fmtSpan(a, b time.Time) string {
	if a.IsZero() || b.IsZero() {
		return "–"
	}
	a, b = a.UTC(), b.UTC()
	if a.YearDay() == b.YearDay() && a.Year() == b.Year() {
		return a.Format(dateLayout) + " – " + b.Format(clockLayout)
	}
	return a.Format(dateLayout) + " – " + b.Format(dateLayout)
}

// fmtSpanShort prints a time range to the second, the date once.
func fmtSpanShort(a, b time.Time) string {
	if a.IsZero() || b.IsZero() {
		return "–"
	}
	a, b = a.UTC(), b.UTC()
	if a.YearDay() == b.YearDay() && a.Year() == b.Year() {
		return a.Format("2006-01-02 15:04:05") + " – " + b.Format("15:04:05")
	}
	return a.Format("2006-01-02 15:04:05") + " – " + b.Format("2006-01-02 15:04:05")
}

// fmtDuration prints a duration rounded for people: 850ms, 12.3s, 4m05s, 2h03m.
func fmtDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + fmtDuration(-d)
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// leaderlessTotal sums the leaderless windows.
func leaderlessTotal(ws []analysis.Window) time.Duration {
	var d time.Duration
	for _, w := range ws {
		if w.End.After(w.Start) {
			d += w.End.Sub(w.Start)
		} else if w.Seconds > 0 {
			d += time.Duration(w.Seconds * float64(time.Second))
		}
	}
	return d
}

// maxTerm is the highest term any member reached.
func maxTerm(res *analysis.Result) uint64 {
	var t uint64
	for _, m := range res.Members {
		t = max(t, m.MaxTerm)
	}
	for _, s := range res.Series {
		for _, p := range s.Points {
			t = max(t, p.Term)
		}
	}
	return t
}

// clip is oneLine(truncate(s, n)): at most n characters of s, on one line.
// Cutting first keeps the cost bounded by n, whatever the length of s.
func clip(s string, n int) string {
	return oneLine(truncate(s, n))
}

// segment is a piece of analyzer prose: text, or a `code` span.
type segment struct {
	Text string
	Code bool
}

// segments splits s on paired backticks, the way the analyzer marks
// commands and flags in its explanations and remedies. An unpaired
// backtick stays text. Each renderer escapes each piece for its context.
func segments(s string) []segment {
	var out []segment
	for {
		i := strings.IndexByte(s, '`')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+1:], '`')
		if j <= 0 {
			break
		}
		if i > 0 {
			out = append(out, segment{Text: s[:i]})
		}
		out = append(out, segment{Text: s[i+1 : i+1+j], Code: true})
		s = s[i+1+j+1:]
	}
	if s != "" {
		out = append(out, segment{Text: s})
	}
	return out
}

// recoveryFrom names the member a recovery plan rebuilds from: its name, its
// ID, or "the most recent member" when no status said which.
func recoveryFrom(rec *analysis.RecoveryPlan) string {
	switch {
	case rec.Name != "":
		return rec.Name
	case rec.Member != 0:
		return rec.Member.String()
	}
	return "the most recent member"
}
