package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/etcdpm/etcdpm/analysis"
)

// Events is the format that streams the parser's events (NewEventWriter)
// rather than rendering a Result.
const Events = "events"

// format is one output of etcdpm analyze: its --format name, the -o file
// extensions that select it, and its renderer (nil for Events).
type format struct {
	name  string
	exts  []string
	write func(io.Writer, *analysis.Result, Options) error
}

// formats is every output, in the order --help lists them.
var formats = []format{
	{"text", []string{".txt", ".text"}, writeText},
	{"json", []string{".json"}, writeJSON},
	{Events, []string{".jsonl", ".ndjson"}, nil},
	{"html", []string{".html", ".htm"}, HTML},
	{"md", []string{".md", ".markdown"}, Markdown},
}

// Formats returns the formats' names.
func Formats() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.name
	}
	return names
}

// Extensions returns the file extensions FormatOf knows, the first of
// each format.
func Extensions() []string {
	var exts []string
	for _, f := range formats {
		exts = append(exts, f.exts[0])
	}
	return exts
}

// FormatOf picks the format of an output file from its extension: text for
// no extension (stdout, /dev/null), an error for an extension no format
// writes (a .pdf).
func FormatOf(path string) (string, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == "" {
		return "text", nil
	}
	for _, f := range formats {
		if slices.Contains(f.exts, ext) {
			return f.name, nil
		}
	}
	return "", fmt.Errorf("%s: no format writes %s files; name it %s, or give --format", path, ext, strings.Join(Extensions(), ", "))
}

// Write renders res in the named format. Events has no Result to render:
// it is written as the parser reads, by an EventWriter.
func Write(w io.Writer, name string, res *analysis.Result, opts Options) error {
	for _, f := range formats {
		if f.name != name {
			continue
		}
		if f.write == nil {
			return fmt.Errorf("the %s format streams the parser's events: write it with NewEventWriter", name)
		}
		if res == nil {
			return fmt.Errorf("writing %s: no analysis result", name)
		}
		return f.write(w, res, opts)
	}
	return fmt.Errorf("unknown format %q: want one of %s", name, strings.Join(Formats(), ", "))
}

// writeJSON writes the etcdpm.analysis/v1 document, indented.
func writeJSON(w io.Writer, res *analysis.Result, _ Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// What every format shows the same way is decided below, once: the
// verdict's severity, its title and the order of the findings. (Member
// labels: newMemberSet.)

// verdictSeverity is the severity the verdict is shown with: the worst
// finding of the verdict's kind, else the worst finding overall.
func verdictSeverity(res *analysis.Result) analysis.Severity {
	if res.Diagnosis.Verdict == analysis.Healthy {
		return analysis.Info
	}
	best, found := analysis.Info, false
	for _, f := range res.Findings {
		if f.Kind == res.Diagnosis.Verdict && (!found || f.Severity.Rank() < best.Rank()) {
			best, found = f.Severity, true
		}
	}
	if found {
		return best
	}
	for _, f := range res.Findings {
		if f.Severity.Rank() < best.Rank() {
			best = f.Severity
		}
	}
	return best
}

// verdictTitle turns a verdict kind into words: "quorum-loss" → "Quorum loss".
func verdictTitle(v string) string {
	v = strings.ReplaceAll(oneLine(v), "-", " ")
	if v == "" {
		return "No verdict"
	}
	r, n := utf8.DecodeRuneInString(v)
	return string(unicode.ToUpper(r)) + v[n:]
}

// sortedFindings returns the findings worst first, then by time.
func sortedFindings(fs []analysis.Finding) []analysis.Finding {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b analysis.Finding) int {
		return cmp.Or(cmp.Compare(a.Severity.Rank(), b.Severity.Rank()), a.Start.Compare(b.Start))
	})
	return out
}

// severityCounts counts findings by severity.
func severityCounts(fs []analysis.Finding) (critical, warning, info int) {
	for _, f := range fs {
		switch f.Severity {
		case analysis.Critical:
			critical++
		case analysis.Warning:
			warning++
		default:
			info++
		}
	}
	return
}
