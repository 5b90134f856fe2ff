package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/etcdpm/etcdpm/analysis"
	echarts "github.com/etcdpm/etcdpm/third_party/echarts-5.6.0"
)

// Table bounds of the HTML report; what is left out is counted on the page.
const (
	maxFindingRows   = 200
	maxEvidenceLines = 20  // a finding
	maxEvidenceTotal = 400 // all findings
	maxLineText      = 600 // characters of a log line
	maxMemberRows    = 200
	maxInputRows     = 200
	maxInputErrors   = 3   // malformed lines shown an input
	maxErrorsTotal   = 30  // malformed lines shown in all
	maxSpanRows      = 300 // leaderships, leaderless windows, faults
	maxTimelineRows  = 300
)

//go:embed assets/report.html.tmpl assets/report.css assets/report.js
var assets embed.FS

// htmlAssets are the page's parts that do not depend on the result, made
// the first time a page is: hashing ECharts takes milliseconds that every
// other command of etcdpm would pay at start.
var htmlAssets = sync.OnceValue(func() (v struct {
	tmpl    *template.Template
	css, js string
	csp     string
}) {
	v.tmpl = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
		"prose": prose,
	}).ParseFS(assets, "assets/report.html.tmpl"))
	v.css = mustAsset("assets/report.css")
	v.js = mustAsset("assets/report.js")
	// the policy allows the two inline scripts by hash and nothing else: no
	// network, no other script, even if something slipped through
	v.csp = "default-src 'none'; script-src " + scriptHash(echarts.MinJS) + " " + scriptHash(v.js) +
		"; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
	return v
})

// prose renders analyzer prose with its `code` spans as <code>, every
// piece escaped.
func prose(segs []segment) template.HTML {
	var b strings.Builder
	for _, s := range segs {
		if s.Code {
			b.WriteString("<code>")
			b.WriteString(template.HTMLEscapeString(s.Text))
			b.WriteString("</code>")
		} else {
			b.WriteString(template.HTMLEscapeString(s.Text))
		}
	}
	return template.HTML(b.String())
}

// HTML writes res as one self-contained HTML page: ECharts and the data are
// inlined, the page makes no request. Nothing is written if it fails.
func HTML(w io.Writer, res *analysis.Result, opts Options) error {
	if res == nil {
		return fmt.Errorf("html report: no result")
	}
	page, err := newHTMLPage(res, opts)
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(len(echarts.MinJS) + 256<<10)
	if err := htmlAssets().tmpl.Execute(&buf, page); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// htmlPage feeds assets/report.html.tmpl.
type htmlPage struct {
	Title     string
	Version   string
	Generated string

	Verdict      htmlVerdict
	Stats        []stat
	Story        []htmlStep
	StoryOmitted int
	HasFocus     bool // the charts open zoomed to the incident
	HasChart     bool
	HasMetrics   bool     // a capture's metrics, drawn under the term chart
	Notes        []string // what the charts left out

	Findings        []htmlFinding
	FindingsOmitted int
	EvidenceOmitted int
	Members         []analysis.Member
	MemberLabels    []string
	MembersOmitted  int
	Inputs          []htmlInput
	InputsOmitted   int
	Leaders         []htmlSpan
	LeadersOmitted  int
	Leaderless      []htmlSpan
	LeaderlessOmit  int
	Faults          []htmlSpan
	FaultsOmitted   int
	Timeline        []htmlEvent
	TimelineOmitted int

	CSP        string
	CSS        template.CSS
	EChartsJS  template.JS
	ReportJS   template.JS
	DataJSON   template.JS
	ChartsJSON template.JS
	Notice     string
	EChartsVer string
}

type htmlVerdict struct {
	Title       string // "Quorum loss"
	Kind        string // "quorum-loss"
	Severity    string // critical, warning, info, healthy
	Headline    []segment
	Explanation [][]segment // paragraphs
	Remedies    []htmlRemedy
	// Recovery is the "Recover from" block (nil: no recovery plan).
	Recovery *htmlRecovery
}

type htmlRecovery struct {
	From  string
	Why   []segment
	Steps [][]segment
}

// htmlRemedy is a remedy folded to its first sentence; Rest is empty when
// that is all of it.
type htmlRemedy struct{ First, Rest []segment }

// htmlStep is a step of the incident timeline.
type htmlStep struct{ Time, Kind, Text string }

type stat struct{ Label, Value, Note string }

type htmlFinding struct {
	Anchor   string
	Severity string
	Kind     string
	Members  string
	When     string
	Terms    string
	Count    int
	Summary  []segment
	Evidence []htmlLine
	Omitted  int
}

// htmlLine is an evidence line: when, who, what, and the raw line.
type htmlLine struct{ Time, Member, Message, Src, Text string }

type htmlInput struct {
	analysis.Input
	Shown []string // the malformed lines shown
	Extra int      // and how many more there were
}

type htmlSpan struct {
	Member, When, Label string
	Term                uint64
}

type htmlEvent struct {
	Time, Member, Kind, Src, Text string
	Term                          uint64
}

func newHTMLPage(res *analysis.Result, opts Options) (*htmlPage, error) {
	ms := newMemberSet(res, cleanLabel)
	start, end := timeSpan(res)
	as := htmlAssets()
	p := &htmlPage{
		Title:      clip(opts.Title, 200),
		Version:    clip(opts.Version, 80),
		CSP:        as.csp,
		CSS:        template.CSS(as.css),
		EChartsJS:  template.JS(echarts.MinJS),
		ReportJS:   template.JS(as.js),
		Notice:     echarts.Notice,
		EChartsVer: echarts.Version,
	}
	if !opts.Generated.IsZero() {
		p.Generated = opts.Generated.UTC().Format("2006-01-02 15:04:05 UTC")
	}

	// Verdict.
	dg := res.Diagnosis
	p.Verdict = htmlVerdict{
		Title:    verdictTitle(dg.Verdict),
		Kind:     clip(dg.Verdict, 80),
		Severity: string(verdictSeverity(res)),
		Headline: segments(clip(dg.Headline, 240)),
	}
	if dg.Verdict == analysis.Healthy {
		p.Verdict.Severity = "healthy"
	}
	explain := 2000 // characters of explanation in the verdict
	for _, para := range strings.Split(strings.ReplaceAll(dg.Explanation, "\r\n", "\n"), "\n\n") {
		if para = strings.TrimSpace(clip(para, explain)); para != "" && explain > 0 {
			p.Verdict.Explanation = append(p.Verdict.Explanation, segments(para))
			explain -= len(para)
		}
	}
	for i, r := range dg.Remedies {
		if i == 10 {
			break
		}
		first, rest := firstSentence(clip(r, 1200))
		p.Verdict.Remedies = append(p.Verdict.Remedies, htmlRemedy{First: segments(first), Rest: segments(rest)})
	}

	if rec := res.Recovery; rec != nil {
		hr := &htmlRecovery{From: clip(recoveryFrom(rec), 80), Why: segments(clip(rec.Why, 1200))}
		for _, st := range rec.Steps {
			hr.Steps = append(hr.Steps, segments(clip(st, 1200)))
		}
		p.Verdict.Recovery = hr
	}

	// Key numbers.
	crit, warn, info := severityCounts(res.Findings)
	p.Stats = []stat{
		{Label: "Time covered", Value: fmtDuration(end.Sub(start)), Note: fmtSpanShort(start, end)},
		{Label: "Members", Value: strconv.Itoa(len(ms.list))},
		{Label: "Highest term", Value: strconv.FormatUint(maxTerm(res), 10)},
		{Label: "Leaderships", Value: strconv.Itoa(len(res.Leaders) + res.LeadersOmitted)},
		{Label: "No leader", Value: "none"},
		{Label: "Findings", Value: strconv.Itoa(len(res.Findings)), Note: fmt.Sprintf("%d critical · %d warning · %d info", crit, warn, info)},
	}

	if n := len(res.Leaderless) + res.LeaderlessOmitted; n > 0 {
		total := fmtDuration(leaderlessTotal(res.Leaderless))
		if res.LeaderlessOmitted > 0 {
			total = "≥ " + total // the analysis kept the longest windows, not all
		}
		p.Stats[4] = stat{Label: "No leader", Value: total, Note: plural(n, "window")}
	}

	// The incident's story.
	steps, omitted := storySteps(res, ms)
	p.StoryOmitted = omitted
	for _, st := range steps {
		p.Story = append(p.Story, htmlStep{Time: st.Time.UTC().Format(clockLayout), Kind: st.Kind, Text: st.Text})
	}

	// Chart data.
	data := buildChartData(res, ms)
	p.HasFocus = data.Focus != nil
	p.HasMetrics = len(data.Metrics) > 0
	p.HasChart = len(data.Terms) > 0 || len(data.Status) > 0 || len(data.Leaderless) > 0 || len(data.Faults) > 0 || p.HasMetrics
	om := data.Omitted
	var left []string
	for _, n := range []struct {
		n    int
		what string
	}{
		{om.Points, "term and state change points (downsampled: the transitions between buckets, the highest term and the first leadership of each bucket are kept)"},
		{om.Status, "status polls"},
		{om.Events, "notable events"},
		{om.Leaders, "shortest leaderships"},
		{om.Leaderless, "shortest leaderless windows"},
		{om.Faults, "shortest faults"},
		{om.Gaps, "shortest log gaps"},
		{om.Members, "members"},
		{om.Metrics, "metrics intervals (evenly thinned)"},
	} {
		if n.n > 0 {
			left = append(left, thousands(n.n)+" "+n.what)
		}
	}
	if len(left) > 0 {
		p.Notes = append(p.Notes, "Not drawn, to keep the page fast: "+strings.Join(left, "; ")+".")
	}
	dataJSON, err := marshalScript(data)
	if err != nil {
		return nil, err
	}
	chartsJSON, err := marshalScript(chartScaffold())
	if err != nil {
		return nil, err
	}
	p.DataJSON, p.ChartsJSON = dataJSON, chartsJSON

	// Findings and evidence.
	findings := sortedFindings(res.Findings)
	if len(findings) > maxFindingRows {
		p.FindingsOmitted = len(findings) - maxFindingRows
		findings = findings[:maxFindingRows]
	}
	ep := newEvidenceParser(ms)
	budget := maxEvidenceTotal
	for _, f := range findings {
		for j, e := range f.Evidence {
			if j == maxEvidenceLines || budget == 0 {
				break
			}
			budget--
			ep.add(e)
		}
	}
	budget = maxEvidenceTotal
	for i, f := range findings {
		hf := htmlFinding{
			Anchor:   "finding-" + strconv.Itoa(i+1),
			Severity: string(f.Severity),
			Kind:     clip(f.Kind, 80),
			Members:  truncate(ms.labels(f.Members), 600),
			When:     fmtRange(f.Start, f.End),
			Count:    f.Count,
			Summary:  segments(clip(f.Summary, 1000)),
		}
		if f.TermFrom != 0 || f.TermTo != 0 {
			hf.Terms = strconv.FormatUint(f.TermFrom, 10)
			if f.TermTo != f.TermFrom {
				hf.Terms += "→" + strconv.FormatUint(f.TermTo, 10)
			}
		}
		for j, e := range f.Evidence {
			if j == maxEvidenceLines || budget == 0 {
				hf.Omitted = len(f.Evidence) - j
				break
			}
			budget--
			l := ep.line(e, maxLineText)
			hl := htmlLine{Member: l.Member, Message: l.Message, Src: l.Src, Text: l.Raw}
			if !l.Time.IsZero() {
				hl.Time = l.Time.UTC().Format(clockLayout)
			}
			hf.Evidence = append(hf.Evidence, hl)
		}
		p.EvidenceOmitted += hf.Omitted
		p.Findings = append(p.Findings, hf)
	}

	// Members.
	for i, m := range ms.list {
		if i == maxMemberRows {
			p.MembersOmitted = len(ms.list) - i
			break
		}
		p.Members = append(p.Members, m.Info)
		p.MemberLabels = append(p.MemberLabels, m.Label)
	}

	// Inputs.
	errBudget := maxErrorsTotal
	for i, in := range res.Inputs {
		if i == maxInputRows {
			p.InputsOmitted = len(res.Inputs) - i
			break
		}
		hi := htmlInput{Input: in}
		hi.Name = clip(in.Name, 300)
		hi.Layout = clip(in.Layout, 100)
		for j, e := range in.Errors {
			if j == maxInputErrors || errBudget == 0 {
				hi.Extra = len(in.Errors) - j
				break
			}
			errBudget--
			hi.Shown = append(hi.Shown, clip(e, maxLineText))
		}
		p.Inputs = append(p.Inputs, hi)
	}

	// Leaders, leaderless windows, faults, timeline.
	for i, l := range res.Leaders {
		if i == maxSpanRows {
			p.LeadersOmitted = len(res.Leaders) - i
			break
		}
		p.Leaders = append(p.Leaders, htmlSpan{Member: ms.label(l.Member), Term: l.Term, When: fmtRange(l.Start, l.End)})
	}
	p.LeadersOmitted += res.LeadersOmitted
	for i, w := range res.Leaderless {
		if i == maxSpanRows {
			p.LeaderlessOmit = len(res.Leaderless) - i
			break
		}
		p.Leaderless = append(p.Leaderless, htmlSpan{When: fmtRange(w.Start, w.End)})
	}
	p.LeaderlessOmit += res.LeaderlessOmitted
	for i, f := range res.Faults {
		if i == maxSpanRows {
			p.FaultsOmitted = len(res.Faults) - i
			break
		}
		p.Faults = append(p.Faults, htmlSpan{Label: clip(f.Label, 200), Member: clip(f.Target, 100), When: fmtRange(f.Start, f.End)})
	}
	tl, dropped := evenly(res.Timeline, maxTimelineRows)
	p.TimelineOmitted = dropped + res.TimelineOmitted
	for _, e := range tl {
		p.Timeline = append(p.Timeline, htmlEvent{
			Time:   fmtTime(e.Time),
			Member: ms.label(e.Member),
			Kind:   e.Kind.String(),
			Term:   e.Term,
			Src:    source(e.Input, e.Line),
			Text:   clip(e.Text, maxTipText),
		})
	}
	return p, nil
}

// firstSentence cuts s after its first sentence (". " or ": " followed by
// more), for a remedy folded to one line.
func firstSentence(s string) (first, rest string) {
	inCode := false
	for i := 0; i < len(s)-1; i++ {
		switch s[i] {
		case '`':
			inCode = !inCode
		case '.', ':':
			if !inCode && s[i+1] == ' ' && i > 20 && i+2 < len(s) {
				return s[:i+1], strings.TrimSpace(s[i+2:])
			}
		}
	}
	return s, ""
}

// thousands prints n with thin separators: 1,234,567.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
