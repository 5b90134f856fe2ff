package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/etcdpm/etcdpm/analysis"
)

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]string{
		"": "text", "-": "text", "/dev/null": "text", "out.txt": "text", "R.HTML": "html", "r.htm": "html",
		"a.md": "md", "a.markdown": "md", "a.json": "json", "a.jsonl": "events", "a.ndjson": "events",
		"a.pdf": "", "report.html.gz": "", "a.log": "",
	} {
		got, err := FormatOf(path)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("FormatOf(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := FormatOf("x.pdf"); err == nil || !strings.Contains(err.Error(), "no format writes .pdf files") {
		t.Errorf("x.pdf: %v", err)
	}
}

// Every format of the table but events renders through Write; events and
// an unknown name are errors.
func TestWrite(t *testing.T) {
	res := handDemoResult()
	for _, name := range Formats() {
		var buf bytes.Buffer
		err := Write(&buf, name, res, testOpts)
		if name == Events {
			if err == nil || !strings.Contains(err.Error(), "NewEventWriter") {
				t.Errorf("events: %v", err)
			}
			continue
		}
		if err != nil || buf.Len() == 0 {
			t.Errorf("%s: %v, %d bytes", name, err, buf.Len())
		}
	}
	if err := Write(&bytes.Buffer{}, "pdf", res, testOpts); err == nil {
		t.Error("pdf: no error")
	}
	if err := Write(&bytes.Buffer{}, "text", nil, testOpts); err == nil {
		t.Error("text of a nil Result: no error")
	}
}

// Text and HTML show the verdict with one severity and the findings in one
// order: they disagreed before both asked verdictSeverity and
// sortedFindings.
func TestTextAgreesWithHTML(t *testing.T) {
	res := &analysis.Result{
		Diagnosis: analysis.Diagnosis{Verdict: "quorum-loss"},
		Findings: []analysis.Finding{
			{Kind: "recovery", Severity: analysis.Info, Start: generated},
			{Kind: "quorum-loss", Severity: analysis.Warning, Start: generated.Add(1)},
			{Kind: "quorum-loss", Severity: analysis.Critical, Start: generated.Add(2)},
		},
	}
	if got := verdictSeverity(res); got != analysis.Critical {
		t.Errorf("verdictSeverity = %s, want critical (the worst of the verdict's kind)", got)
	}
	var text bytes.Buffer
	if err := Write(&text, "text", res, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), ansiBold+ansiRed+"quorum-loss") {
		t.Errorf("the text verdict is not red (critical):\n%q", text.String())
	}
	crit := strings.Index(text.String(), "CRITICAL")
	warn := strings.Index(text.String(), "WARNING")
	info := strings.Index(text.String(), "INFO")
	if !(crit < warn && warn < info) {
		t.Errorf("text findings not worst first (critical at %d, warning %d, info %d)", crit, warn, info)
	}
}

func TestTerminalText(t *testing.T) {
	for in, want := range map[string]string{
		"etcd1":               "etcd1",
		"café ✓ \ufffd":       "café ✓ \ufffd",
		"a\tb":                "a b",
		"\x1b]0;title\x07":    `\x1b]0;title\x07`,
		"\x1b[2J\x7f":         `\x1b[2J\x7f`,
		"\u009b31m":           `\u009b31m`,
		"evil\u202egnp.exe":   `evil\u202egnp.exe`,
		"\u2066x\u2069\u200b": `\u2066x\u2069\u200b`,
		"a\u2028b\nc":         `a\u2028b\x0ac`,
		"bad \xff\xfe utf-8":  `bad \xff\xfe utf-8`,
	} {
		if got := TerminalText(in); got != want {
			t.Errorf("TerminalText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnescapeJSON(t *testing.T) {
	for in, want := range map[string]string{
		`etcd1`:                 `etcd1`,
		`caf\u00e9`:             "café",
		`\u001b[2J\u202e`:       "\x1b[2J\u202e",
		`\ud83d\ude00 \"q\" \\`: "😀 \"q\" \\",
		`a\/b\tc\n`:             "a/b\tc\n",
		`C:\path \u12`:          `C:\path \u12`,
		`trailing\`:             `trailing\`,
		`\ud83d alone`:          "\ufffd alone",
	} {
		if got := unescapeJSON(in); got != want {
			t.Errorf("unescapeJSON(%q) = %q, want %q", in, got, want)
		}
	}
}
