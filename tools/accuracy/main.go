// Command accuracy scores etcdpm's verdicts on the real public log excerpts
// of testdata/public (cases.tsv names each file's expected verdict and its
// source) and writes the table of docs/accuracy.md.
//
//	go run ./tools/accuracy            # print the table
//	go run ./tools/accuracy -w         # rewrite docs/accuracy.md
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/parser"
)

// Case is one row of cases.tsv.
type Case struct {
	File, Source, Version, Layout, Expected, Justification string
}

// Score is what etcdpm said of one case.
type Score struct {
	Case
	Verdict  string
	Detected string // the layout etcdpm detected
	Events   int64
	Right    bool
	Scored   bool // the case has an expected verdict (not "?")
}

// readCases reads dir/cases.tsv.
func readCases(dir string) ([]Case, error) {
	f, err := os.Open(filepath.Join(dir, "cases.tsv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = '\t'
	r.LazyQuotes = true
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("cases.tsv: %w", err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("cases.tsv: empty")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"file", "source", "etcd_version", "layout", "expected", "justification"} {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("cases.tsv: no column %q", h)
		}
	}
	var cs []Case
	for n, row := range rows[1:] {
		if len(row) != len(rows[0]) {
			return nil, fmt.Errorf("cases.tsv:%d: %d columns, want %d", n+2, len(row), len(rows[0]))
		}
		cs = append(cs, Case{
			File: row[col["file"]], Source: row[col["source"]], Version: row[col["etcd_version"]],
			Layout: row[col["layout"]], Expected: row[col["expected"]], Justification: row[col["justification"]],
		})
	}
	return cs, nil
}

// score analyzes each case's file as `etcdpm analyze FILE` does.
func score(dir string, cases []Case) ([]Score, error) {
	var out []Score
	for _, c := range cases {
		path := filepath.Join(dir, c.File)
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		src := parser.Source{R: f, Opts: parser.Options{Name: c.File, TZ: time.UTC}}
		res, stats, err := analysis.Analyze(context.Background(), []parser.Source{src}, nil, nil, analysis.Options{})
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		s := Score{Case: c, Verdict: res.Diagnosis.Verdict, Scored: c.Expected != "?"}
		if len(stats) > 0 {
			s.Detected, s.Events = stats[0].Layout, stats[0].Events
		}
		s.Right = s.Scored && s.Verdict == c.Expected
		out = append(out, s)
	}
	return out, nil
}

// writeTable writes the Markdown document of docs/accuracy.md.
func writeTable(w io.Writer, scores []Score) {
	right, scored := 0, 0
	for _, s := range scores {
		if s.Scored {
			scored++
			if s.Right {
				right++
			}
		}
	}
	fmt.Fprintf(w, "# Accuracy on real public excerpts\n\n")
	fmt.Fprintf(w, "etcdpm's verdict on each excerpt of [testdata/public](../testdata/public/README.md): real etcd\n")
	fmt.Fprintf(w, "logs that people posted in public issue threads, none written or run here. The expected verdict\n")
	fmt.Fprintf(w, "is what the thread and the lines establish (cases.tsv says why, per file); `?` marks excerpts whose\n")
	fmt.Fprintf(w, "lines cannot decide, not counted. Made by `go run ./tools/accuracy -w`; `go test ./tools/accuracy`\n")
	fmt.Fprintf(w, "fails when this page and the code disagree.\n\n")
	fmt.Fprintf(w, "One judgement call shapes the score: a lone member whose silent peers could form a quorum, with\n")
	fmt.Fprintf(w, "no line showing them down or unreachable, may be cut off from a working majority or left by a\n")
	fmt.Fprintf(w, "dead one; the lines cannot tell. etcdpm calls it a candidacy or pre-vote loop, not a quorum loss,\n")
	fmt.Fprintf(w, "so excerpts whose threads know the peers had stopped (010, 027) count as misses.\n\n")
	fmt.Fprintf(w, "**%d of %d right.**\n\n", right, scored)
	fmt.Fprintf(w, "| file | source | etcd | what the thread and the lines say happened | layout (detected) | events | expected | etcdpm | right |\n")
	fmt.Fprintf(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, s := range scores {
		mark := "no"
		switch {
		case !s.Scored:
			mark = "(not scored)"
		case s.Right:
			mark = "yes"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %d | %s | %s | %s |\n", cell(s.File), cell(shortSource(s.Source)),
			cell(short(s.Version, 40)), cell(short(firstSentence(s.Justification), 160)), cell(s.Detected), s.Events,
			cell(s.Expected), cell(s.Verdict), mark)
	}
}

// notesMark starts the hand-written part of docs/accuracy.md (why the
// misses miss), which -w keeps as it is.
const notesMark = "<!-- notes: written by hand, kept by -w -->"

// notes returns the hand-written part of doc, from notesMark on, with a
// blank line before it; nothing when doc has none.
func notes(doc []byte) []byte {
	i := bytes.Index(doc, []byte(notesMark))
	if i < 0 {
		return nil
	}
	return append([]byte("\n"), doc[i:]...)
}

// generated returns the part of doc that writeTable makes.
func generated(doc []byte) []byte {
	if i := bytes.Index(doc, []byte("\n"+notesMark)); i >= 0 {
		return doc[:i]
	}
	return doc
}

// shortSource turns a GitHub URL into owner/repo#N.
func shortSource(u string) string {
	u = strings.TrimPrefix(u, "https://github.com/")
	for _, sep := range []string{"/issues/", "/pull/"} {
		if i := strings.Index(u, sep); i >= 0 {
			return u[:i] + "#" + u[i+len(sep):]
		}
	}
	return u
}

// firstSentence is s up to its first ". " (the justification's summary).
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

func short(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func run(dir, doc string, write bool, stdout io.Writer) error {
	cases, err := readCases(dir)
	if err != nil {
		return err
	}
	scores, err := score(dir, cases)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	writeTable(&b, scores)
	if write {
		old, err := os.ReadFile(doc)
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		b.Write(notes(old))
		return os.WriteFile(doc, b.Bytes(), 0o644)
	}
	_, err = stdout.Write(b.Bytes())
	return err
}

func main() {
	write := flag.Bool("w", false, "rewrite docs/accuracy.md instead of printing the table")
	dir := flag.String("dir", "testdata/public", "the excerpts and their cases.tsv")
	doc := flag.String("doc", "docs/accuracy.md", "the page -w writes")
	flag.Parse()
	if err := run(*dir, *doc, *write, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "accuracy:", err)
		os.Exit(1)
	}
}
