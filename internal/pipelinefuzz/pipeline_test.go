package pipelinefuzz

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/parser"
	"github.com/etcdpm/etcdpm/report"
)

// maxRun bounds one run of the fuzz target: its inputs are small.
const maxRun = 20 * time.Second

// maxMarkdown is what GitHub takes in an issue or a comment.
const maxMarkdown = 65536

// seedCapture is a real capture (etcdpm capture of the demo's recipe).
const seedCapture = "../../capture/testdata/recipe-prevote-off"

// seedLogs are real logs of several layouts.
var seedLogs = []string{
	"../../testdata/shared/seed/etcd-demo-compose-logs.txt",
	"../../testdata/real/3.6.16-leader-kill-prevote-off/n2.log",
	"../../testdata/shared/etcd-3.4.45/L01-v3.4.45-capnslog/n2.log",
	"../../testdata/public/030-etcd14666-zap-console-tabs-prevote-loop.log",
	"../../testdata/public/002-etcd9668-journald-leader-change.log",
}

// head returns the first n lines of a file.
func head(tb testing.TB, path string, n int) []byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > n {
		lines = lines[:n]
	}
	return bytes.Join(lines, nil)
}

func addSeeds(f *testing.F) {
	meta := head(f, filepath.Join(seedCapture, capdir.MetaFile), 1000)
	status := head(f, filepath.Join(seedCapture, capdir.StatusFile), 12)
	events := head(f, filepath.Join(seedCapture, capdir.EventsFile), 6)
	f.Add(head(f, filepath.Join(seedCapture, capdir.LogsFile), 80), meta, status, events)
	for _, p := range seedLogs {
		f.Add(head(f, p, 60), []byte(nil), []byte(nil), []byte(nil))
	}
	// hostile text in the places a log puts it in a report
	f.Add([]byte("etcd1  | {\"level\":\"info\",\"ts\":\"2026-11-23T21:53:08.758185Z\",\"logger\":\"raft\",\"msg\":\"bdcae6fa5537fba0 became leader at term 2\",\"name\":\"</script><img src=x onerror=alert(1)>\\u001b]0;pwned\\u0007\\u202e\"}\n"+
		"etcd1  | {\"level\":\"info\",\"ts\":\"2026-11-23T21:53:09Z\",\"msg\":\"starting an etcd server\",\"name\":\"<b>x</b>`|**\\u001b[2J\"}\n"),
		meta, []byte(`{"time":"2026-11-23T22:10:24Z","member":"bdcae6fa5537fba0","name":"<svg/onload=1>","ok":true,"term":2,"state":"leader"}`+"\n"),
		[]byte(`{"time":"2026-11-23T22:10:26Z","type":"container","action":"kill","name":"</script>","service":"<iframe>"}`+"\n"))
}

// clean takes out of log text what HTML would read as markup.
func clean(b []byte) []byte {
	return bytes.Map(func(r rune) rune {
		if r == '<' || r == '>' || r == '&' {
			return '_'
		}
		return r
	}, b)
}

// FuzzPipeline runs a capture directory (a log, meta.json, status.jsonl,
// events.jsonl) through capdir.Read, the parser, the analysis and every
// renderer, and checks the outputs' guarantees: no panic; JSON valid;
// Markdown under 65,536 characters; text without control, escape or bidi
// characters; HTML with its script elements balanced, as many as in the
// report of the same files with the markup characters taken out, and no
// element that report has not.
func FuzzPipeline(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, logs, meta, status, events []byte) {
		// a hang is a failure too: the fuzzer keeps the input that crashed
		timer := time.AfterFunc(maxRun, func() { panic("the pipeline ran over " + maxRun.String()) })
		defer timer.Stop()
		outs := run(t, logs, meta, status, events)
		want := run(t, clean(logs), meta, clean(status), clean(events))
		checkOutputs(t, outs, want["html"])
	})
}

// run writes the capture directory, reads it and renders every format.
func run(t *testing.T, logs, meta, status, events []byte) map[string]string {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		capdir.LogsFile: logs, capdir.MetaFile: meta, capdir.StatusFile: status, capdir.EventsFile: events,
	} {
		if data == nil && name != capdir.LogsFile {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var capt capdir.Capture
	if meta != nil {
		c, err := capdir.Read(dir)
		if c != nil {
			capt = *c
		}
		_ = err // a damaged capture is an error or a warning, never a crash
	}
	srcs := []parser.Source{{R: bytes.NewReader(logs), Opts: parser.Options{Name: "logs.txt"}}}
	res, _, err := analysis.Analyze(context.Background(), srcs, capt.Faults, capt.Status,
		analysis.Options{Inputs: []string{"logs.txt"}, Start: capt.Start, End: capt.End})
	if err != nil {
		t.Fatal(err)
	}
	opts := report.Options{Title: "fuzz", Version: "test", Generated: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)}
	outs := map[string]string{}
	for _, format := range []string{"json", "html", "md", "text"} {
		var b bytes.Buffer
		if err := report.Write(&b, format, res, opts); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		outs[format] = b.String()
	}
	return outs
}

func checkOutputs(t *testing.T, outs map[string]string, cleanPage string) {
	if !json.Valid([]byte(outs["json"])) {
		t.Errorf("JSON is not valid")
	}
	if n := utf8.RuneCountInString(outs["md"]); n >= maxMarkdown {
		t.Errorf("Markdown has %d characters", n)
	}
	for i, r := range outs["text"] {
		if r == '\n' || r == '\t' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError {
			t.Errorf("text output has %U at byte %d: %q", r, i, around(outs["text"], i))
			break
		}
	}
	page := outs["html"]
	cleanNames, cleanScripts := elements(t, cleanPage)
	if open, closed := strings.Count(page, "<script"), strings.Count(page, "</script>"); open != closed || open != cleanScripts {
		t.Errorf("HTML has %d <script and %d </script>, want %d each", open, closed, cleanScripts)
	}
	names, scripts := elements(t, page)
	if scripts != cleanScripts {
		t.Errorf("HTML has %d script elements, want %d", scripts, cleanScripts)
	}
	for n := range names {
		if !cleanNames[n] {
			t.Errorf("HTML has a <%s> element that the report of clean text has not", n)
		}
	}
}

// elements returns the names of the elements of an HTML page, and how many
// script elements it has.
func elements(t *testing.T, page string) (map[string]bool, int) {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	scripts := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			names[n.Data] = true
			if n.Data == "script" {
				scripts++
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return names, scripts
}

func around(s string, i int) string {
	return s[max(0, i-40):min(len(s), i+40)]
}
