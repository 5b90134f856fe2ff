package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/template"

	"github.com/etcdpm/etcdpm/analysis"
)

// MarkdownLimit is GitHub's limit on the body of an issue or a comment, in
// characters. Markdown's output always stays under it.
const MarkdownLimit = 65536

// markdownBudget is what Markdown aims for, in bytes (a byte count is never
// less than the character count), with room for a comment above it.
const markdownBudget = 60000

//go:embed assets/report.md.tmpl
var markdownSource string

var markdownTemplate = template.Must(template.New("report.md").Funcs(template.FuncMap{
	"add": func(a, b int) int { return a + b },
}).Parse(markdownSource))

// mdLimits bounds each section of the Markdown report.
type mdLimits struct {
	Findings      int // table rows
	EvidenceEach  int // lines a finding
	EvidenceTotal int // lines in all
	LineText      int // characters of a log line
	Text          int // characters of the explanation
	Remedies      int
	Members       int
	Inputs        int
	InputErrors   int // malformed lines shown in all
	Gantt         int // bars
	Buckets       int // points a line in the term chart
	ChartMembers  int // lines in the term chart
}

// markdownLevels go from generous to terse; Markdown takes the first that
// fits the budget. The last one fits whatever the input: every item it
// prints is bounded.
var markdownLevels = []mdLimits{
	{Findings: 60, EvidenceEach: 12, EvidenceTotal: 120, LineText: 600, Text: 6000, Remedies: 12, Members: 60, Inputs: 40, InputErrors: 20, Gantt: 80, Buckets: 24, ChartMembers: 10},
	{Findings: 30, EvidenceEach: 6, EvidenceTotal: 50, LineText: 400, Text: 4000, Remedies: 8, Members: 30, Inputs: 20, InputErrors: 10, Gantt: 50, Buckets: 24, ChartMembers: 10},
	{Findings: 12, EvidenceEach: 3, EvidenceTotal: 16, LineText: 240, Text: 2000, Remedies: 6, Members: 15, Inputs: 10, InputErrors: 5, Gantt: 30, Buckets: 20, ChartMembers: 8},
	{Findings: 5, EvidenceEach: 1, EvidenceTotal: 5, LineText: 160, Text: 1000, Remedies: 4, Members: 8, Inputs: 5, InputErrors: 2, Gantt: 16, Buckets: 16, ChartMembers: 5},
}

// Markdown writes res as Markdown for a GitHub issue: the verdict, Mermaid
// charts of the terms and the leaders, the findings with their evidence,
// the members and the inputs. The output stays under MarkdownLimit
// characters whatever the input; tables and evidence say how much they
// left out. Log text is escaped for Markdown, HTML and Mermaid.
func Markdown(w io.Writer, res *analysis.Result, opts Options) error {
	if res == nil {
		return fmt.Errorf("markdown report: no result")
	}
	var out []byte
	for _, lim := range markdownLevels {
		b, err := renderMarkdown(res, opts, lim)
		if err != nil {
			return fmt.Errorf("markdown report: %w", err)
		}
		out = b
		if len(out) <= markdownBudget {
			break
		}
	}
	if len(out) > markdownBudget {
		// Cannot happen with the bounds above; never exceed the limit anyway.
		out = cutMarkdown(out, markdownBudget)
	}
	_, err := w.Write(out)
	return err
}

// cutMarkdown cuts md at a line boundary under n bytes, closing an open
// code fence and <details>.
func cutMarkdown(md []byte, n int) []byte {
	const tail = "\n\n_Report cut to fit GitHub's size limit._\n"
	md = md[:n-len(tail)-20]
	if i := bytes.LastIndexByte(md, '\n'); i > 0 {
		md = md[:i+1]
	}
	var fence []byte
	for _, line := range bytes.Split(md, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if bytes.HasPrefix(t, []byte("```")) {
			if fence == nil {
				fence = bytes.TrimRight(t, "abcdefghijklmnopqrstuvwxyz")
			} else if bytes.Equal(t, fence) {
				fence = nil
			}
		}
	}
	var b bytes.Buffer
	b.Write(md)
	if fence != nil {
		b.Write(fence)
		b.WriteByte('\n')
	}
	if bytes.Count(md, []byte("<details>")) > bytes.Count(md, []byte("</details>")) {
		b.WriteString("\n</details>\n")
	}
	b.WriteString(tail)
	return b.Bytes()
}

// mdView feeds assets/report.md.tmpl. Every string in it is already
// escaped for where the template puts it.
type mdView struct {
	Title     string
	Version   string
	Generated string

	Verdict     string
	Severity    string
	Headline    string
	Explanation []string
	Remedies    []string
	RemediesOm  int
	// The "Recover from" block; RecoverFrom empty: none.
	RecoverFrom  string
	RecoverWhy   string
	RecoverSteps []string
	Stats        string // one table row

	TermChart  string // a mermaid block, or empty
	TermLegend string
	Gantt      string

	Findings   []mdFinding
	FindingsOm int
	Evidence   []mdEvidence
	EvidenceN  int
	EvidenceOm int

	Metrics   []metricsSummary // a row a member with scraped metrics
	MetricsOm int

	Members   []mdMember
	MembersOm int
	Inputs    []mdInput
	InputsOm  int
	Errors    string // a code block of malformed lines
	ErrorsN   int
	ErrorsOm  int
}

type mdFinding struct {
	Severity, Kind, Members, When, Terms, Summary string
}

type mdEvidence struct {
	Title string
	Block string // a fenced code block
	Om    int
}

type mdMember struct {
	ID, Name                        string
	MaxTerm, Campaigns, TimesLeader string
}

type mdInput struct {
	Name, Layout                      string
	Lines, Events, Skipped, Malformed string
}

func renderMarkdown(res *analysis.Result, opts Options, lim mdLimits) ([]byte, error) {
	ms := newMemberSet(res, cleanLabel)
	start, end := timeSpan(res)
	v := mdView{
		Title:   mdText(opts.Title, 200),
		Version: mdCode(opts.Version, 80),
	}
	if v.Version == "" {
		v.Version = "`(devel)`"
	}
	if !opts.Generated.IsZero() {
		v.Generated = opts.Generated.UTC().Format("2006-01-02 15:04:05 UTC")
	}

	dg := res.Diagnosis
	v.Verdict = mdText(verdictTitle(dg.Verdict), 80)
	v.Severity = string(verdictSeverity(res))
	if dg.Verdict == analysis.Healthy {
		v.Severity = "healthy"
	}
	v.Headline = mdProse(dg.Headline, 400)
	budget := lim.Text
	for _, para := range strings.Split(strings.ReplaceAll(dg.Explanation, "\r\n", "\n"), "\n\n") {
		para = strings.TrimSpace(clip(para, lim.Text))
		if para == "" || budget <= 0 {
			continue
		}
		p := mdProse(para, budget)
		budget -= len(p)
		v.Explanation = append(v.Explanation, p)
	}
	for i, r := range dg.Remedies {
		if i == lim.Remedies {
			v.RemediesOm = len(dg.Remedies) - i
			break
		}
		v.Remedies = append(v.Remedies, mdProse(r, 1000))
	}
	if rec := res.Recovery; rec != nil {
		v.RecoverFrom, v.RecoverWhy = mdText(recoveryFrom(rec), 80), mdProse(rec.Why, 1000)
		for _, st := range rec.Steps {
			v.RecoverSteps = append(v.RecoverSteps, mdProse(st, 1000))
		}
	}
	crit, warn, info := severityCounts(res.Findings)
	v.Stats = strings.Join([]string{
		fmtDuration(end.Sub(start)) + ", " + fmtSpanShort(start, end),
		strconv.Itoa(len(ms.list)),
		strconv.FormatUint(maxTerm(res), 10),
		strconv.Itoa(len(res.Leaders) + res.LeadersOmitted),
		fmtDuration(leaderlessTotal(res.Leaderless)) + " in " + plural(len(res.Leaderless)+res.LeaderlessOmitted, "window"),
		fmt.Sprintf("%d critical, %d warning, %d info", crit, warn, info),
	}, " | ")

	v.TermChart, v.TermLegend = mermaidTerms(res, ms, start, end, lim)
	v.Gantt = mermaidGantt(res, ms, start, end, lim)

	findings := sortedFindings(res.Findings)
	ep := newEvidenceParser(ms)
	total := lim.EvidenceTotal
	for i, f := range findings {
		for j, e := range f.Evidence {
			if i == lim.Findings || j == lim.EvidenceEach || total == 0 {
				break
			}
			total--
			ep.add(e)
		}
	}
	total = lim.EvidenceTotal
	for i, f := range findings {
		if i == lim.Findings {
			v.FindingsOm = len(findings) - i
			for _, f := range findings[i:] {
				v.EvidenceOm += len(f.Evidence)
			}
			break
		}
		mf := mdFinding{
			Severity: string(f.Severity),
			Kind:     mdCode(f.Kind, 60),
			Members:  mdText(ms.labels(f.Members), 200),
			When:     mdText(fmtRange(f.Start, f.End), 100),
			Summary:  mdProse(f.Summary, 300),
		}
		if f.TermFrom != 0 || f.TermTo != 0 {
			mf.Terms = strconv.FormatUint(f.TermFrom, 10)
			if f.TermTo != f.TermFrom {
				mf.Terms += "→" + strconv.FormatUint(f.TermTo, 10)
			}
		}
		v.Findings = append(v.Findings, mf)

		var lines []string
		for j, e := range f.Evidence {
			if j == lim.EvidenceEach || total == 0 {
				break
			}
			total--
			lines = append(lines, mdEvidenceLine(ep.line(e, lim.LineText), lim.LineText))
		}
		om := len(f.Evidence) - len(lines)
		v.EvidenceOm += om
		v.EvidenceN += len(lines)
		if len(lines) > 0 {
			v.Evidence = append(v.Evidence, mdEvidence{
				Title: strconv.Itoa(i+1) + ". " + string(f.Severity) + " " + mf.Kind + ": " + mf.Summary,
				Block: strings.Join(lines, "\n"),
				Om:    om,
			})
		}
	}

	v.Metrics, v.MetricsOm = summarizeMetrics(res, ms, lim.Members)
	for i, m := range ms.list {
		if i == lim.Members {
			v.MembersOm = len(ms.list) - i
			break
		}
		v.Members = append(v.Members, mdMember{
			ID:          mdCode(m.ID.String(), 20),
			Name:        mdText(m.Label, 80),
			MaxTerm:     strconv.FormatUint(m.Info.MaxTerm, 10),
			Campaigns:   strconv.Itoa(m.Info.Campaigns),
			TimesLeader: strconv.Itoa(m.Info.TimesLeader),
		})
	}
	var errs []string
	for i, in := range res.Inputs {
		if i == lim.Inputs {
			v.InputsOm = len(res.Inputs) - i
			break
		}
		v.Inputs = append(v.Inputs, mdInput{
			Name:      mdCode(in.Name, 120),
			Layout:    mdText(in.Layout, 60),
			Lines:     strconv.FormatInt(in.Lines, 10),
			Events:    strconv.FormatInt(in.Events, 10),
			Skipped:   strconv.FormatInt(in.Skipped, 10),
			Malformed: strconv.FormatInt(in.Malformed, 10),
		})
	}
	for _, in := range res.Inputs {
		for _, e := range in.Errors {
			if len(errs) == lim.InputErrors {
				v.ErrorsOm++
				continue
			}
			errs = append(errs, clip(e, lim.LineText))
		}
	}
	if len(errs) > 0 {
		v.Errors, v.ErrorsN = codeBlock(errs), len(errs)
	}

	var buf bytes.Buffer
	if err := markdownTemplate.Execute(&buf, &v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// mdEvidenceLine is an evidence line as a list item: "- `time` **member**
// message (`file:line`)", the message cut to n characters.
func mdEvidenceLine(l evidenceLine, n int) string {
	var b strings.Builder
	b.WriteString("- ")
	if !l.Time.IsZero() {
		b.WriteString(mdCode(l.Time.UTC().Format(clockLayout), 20) + " ")
	}
	if l.Member != "" {
		b.WriteString("**" + mdText(l.Member, 64) + "** ")
	}
	b.WriteString(mdText(l.Message, min(n, 240)))
	b.WriteString(" (" + mdCode(truncate(l.Src, 120), 140) + ")")
	return b.String()
}

// mdText escapes s for Markdown text and table cells, on one line, cut to
// n characters first: backslash escapes for the punctuation that makes
// emphasis, code, links, tables, strikethrough, math and headings; a
// leading list or quote marker escaped; entities for <, > and &, so no
// HTML tag; and a zero-width space after @ so a log line mentions no one.
func mdText(s string, n int) string {
	s = strings.TrimSpace(clip(s, n))
	var b strings.Builder
	b.Grow(len(s) + 8)
	if s != "" && strings.ContainsRune("-+=", rune(s[0])) {
		b.WriteByte('\\')
	}
	digits := 0
	for i, r := range s {
		if r >= '0' && r <= '9' && digits == i {
			digits++
		} else if (r == '.' || r == ')') && digits == i && i > 0 {
			b.WriteByte('\\') // "1." would start a list
		}
		switch r {
		case '\\', '`', '*', '_', '[', ']', '|', '~', '$', '#':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '@':
			b.WriteString("@\u200b")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdProse is mdText for analyzer prose: its `code` spans stay code spans.
func mdProse(s string, n int) string {
	var b strings.Builder
	for _, seg := range segments(strings.TrimSpace(clip(s, n))) {
		if seg.Code {
			b.WriteString(mdCode(seg.Text, n))
		} else {
			// Keep the spaces around code spans: mdText trims.
			t := seg.Text
			if strings.HasPrefix(t, " ") {
				b.WriteByte(' ')
			}
			b.WriteString(mdText(t, n))
			if strings.HasSuffix(t, " ") && strings.TrimSpace(t) != "" {
				b.WriteByte(' ')
			}
		}
	}
	return b.String()
}

// mdCode puts s in a code span that survives a table cell: the fence is
// longer than any run of backticks in s, and pipes are escaped (GitHub
// splits cells before it reads code spans).
func mdCode(s string, n int) string {
	s = strings.TrimSpace(clip(s, n))
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	s = strings.ReplaceAll(s, "|", `\|`)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}

// codeBlock fences lines in a code block whose fence no line can close.
func codeBlock(lines []string) string {
	longest := 0
	for _, l := range lines {
		longest = max(longest, longestRun(l, '`'))
	}
	fence := strings.Repeat("`", max(3, longest+1))
	return fence + "text\n" + strings.Join(lines, "\n") + "\n" + fence
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}
