package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestMain runs etcdpm's main instead of the tests when ETCDPM_TEST_MAIN=1:
// the tests that need a process of its own (signals) run the test binary
// as etcdpm.
func TestMain(m *testing.M) {
	if os.Getenv("ETCDPM_TEST_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// etcdpm runs the command in-process.
func etcdpm(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb})
	return out.String(), errb.String(), code
}

// golden compares got with testdata/name, rewriting it under -update and
// writing name.got-* next to it on a mismatch.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		os.WriteFile(path+".got-"+filepath.Base(path), []byte(got), 0o644)
		t.Errorf("%s differs from the golden file; see %s.got-*; run go test -update if the change is right", path, path)
	}
}

func TestHelp(t *testing.T) {
	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"help/etcdpm.txt", []string{"--help"}},
		{"help/analyze.txt", []string{"analyze", "--help"}},
		{"help/version.txt", []string{"version", "--help"}},
		{"help/capture.txt", []string{"capture", "--help"}},
		{"help/repro.txt", []string{"repro", "--help"}},
		{"help/bundle.txt", []string{"bundle", "--help"}},
	} {
		out, errOut, code := etcdpm(t, "", c.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, stderr %s", c.args, code, errOut)
		}
		golden(t, c.golden, out)
	}
}

func TestVersion(t *testing.T) {
	out, _, code := etcdpm(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "etcdpm ") {
		t.Fatalf("version: %q, exit %d", out, code)
	}
	if flag, _, code := etcdpm(t, "", "--version"); code != 0 || flag != out {
		t.Errorf("--version: %q, exit %d; version says %q", flag, code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{}, "Run 'etcdpm --help' for usage."},
		{[]string{"analyze"}, "expected \"<input> ...\"\nRun 'etcdpm analyze --help' for usage."},
		{[]string{"analyze", "--format", "xml", "x"}, "--format"},
		{[]string{"repro", "--bogus"}, "Run 'etcdpm repro --help' for usage."},
		{[]string{"analyze", "--md", "-", demo}, "--format md"},
		{[]string{"analyze", "--tz", "+2:00", demo}, "+02:00"},
		{[]string{"analyze", "--tz", "Mars/Olympus", "../../testdata/shared/seed/etcd-demo-compose-logs.txt"}, "--tz"},
		{[]string{"analyze", "no-such-file.log"}, "no-such-file.log"},
	} {
		_, errOut, code := etcdpm(t, "", c.args...)
		if code == 0 {
			t.Errorf("%v: exit 0, want an error", c.args)
		}
		if !strings.Contains(errOut, c.want) || !strings.HasPrefix(errOut, "etcdpm: ") {
			t.Errorf("%v: stderr %q, want it to start with etcdpm: and mention %q", c.args, errOut, c.want)
		}
	}
}

const demo = "../../testdata/shared/seed/etcd-demo-compose-logs.txt"

// The demo's logs, end to end through the command: the must-show.
func TestAnalyzeDemo(t *testing.T) {
	out, errOut, code := etcdpm(t, "", "analyze", "--format", "json", demo)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res analysis.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Schema != "etcdpm.analysis/v1" || res.Diagnosis.Verdict != "quorum-loss" {
		t.Fatalf("schema %q verdict %q", res.Schema, res.Diagnosis.Verdict)
	}
	names := map[string]string{}
	for _, m := range res.Members {
		names[m.ID.String()] = m.Name
	}
	for id, name := range map[string]string{"ade526d28b1f92f7": "etcd1", "d282ac2ce600c1ce": "etcd2", "bd388e7810915853": "etcd3"} {
		if names[id] != name {
			t.Errorf("member %s is named %q, want %s", id, names[id], name)
		}
	}
	has := func(kind string, term uint64, member string) bool {
		for _, f := range res.Findings {
			if f.Kind != kind || f.TermTo != term {
				continue
			}
			for _, m := range f.Members {
				if m.String() == member {
					return true
				}
			}
		}
		return false
	}
	for _, w := range []struct {
		kind   string
		term   uint64
		member string
	}{
		{"candidacy-loop", 422, "bd388e7810915853"},
		{"leadership-transfer", 3, "bd388e7810915853"},
		{"leadership-transfer", 3, "ade526d28b1f92f7"},
		{"check-quorum-step-down", 3, "bd388e7810915853"},
		{"recovery", 422, "bd388e7810915853"},
	} {
		if !has(w.kind, w.term, w.member) {
			t.Errorf("no %s finding at term %d naming %s; findings: %s", w.kind, w.term, w.member, out)
		}
	}
	// text output piped: no colour, the prose at 100 columns, each evidence
	// line printed whole on one line (its source reference at its end)
	text, _, code := etcdpm(t, "", "analyze", demo)
	if code != 0 || strings.Contains(text, "\x1b[") {
		t.Fatalf("text output: exit %d, colour codes present: %v", code, strings.Contains(text, "\x1b["))
	}
	long := 0
	for _, l := range strings.Split(text, "\n") {
		if n := len([]rune(l)); n > 100 {
			long++
			if !evidenceLine.MatchString(l) {
				t.Errorf("text line of %d columns that is not a whole evidence line: %q", n, l)
			}
		}
	}
	if long == 0 {
		t.Errorf("piped text output cut every evidence line at 100 columns:\n%s", text)
	}
	if !strings.Contains(text, "Verdict: quorum-loss") {
		t.Errorf("text output lacks the verdict:\n%s", text)
	}
}

// evidenceLine is an evidence line of the text output, whole: its time,
// member and message, then its source reference.
var evidenceLine = regexp.MustCompile(`^ {11}\d\d:\d\d:\d\d\.\d{3}  \S+  .*  \(\S+:\d+\)$`)

// On a terminal the text output wraps the evidence at the terminal's width,
// cutting nothing; written to a file it prints the evidence whole.
func TestAnalyzeTextWidth(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"analyze", "--color", "never", demo},
		&env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, isTerminal: true, termWidth: 72})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, l := range strings.Split(out.String(), "\n") {
		if n := len([]rune(l)); n > 72 && strings.HasPrefix(l, "           ") { // evidence, and its continuations
			t.Errorf("evidence line of %d columns on a 72-column terminal: %q", n, l)
		}
	}
	// Joined back, the cut evidence holds the whole of a long message.
	joined := strings.ReplaceAll(out.String(), "\n             ", "")
	const msg = "bd388e7810915853 [logterm: 3, index: 12] sent MsgVote request to ade526d28b1f92f7 at term 4  (" + demo + ":"
	if !strings.Contains(joined, msg) {
		t.Errorf("a wrapped evidence line lost text: no %q in\n%s", msg, out.String())
	}

	path := filepath.Join(t.TempDir(), "report.txt")
	if _, errOut, code := etcdpm(t, "", "analyze", "-o", path, demo); code != 0 {
		t.Fatalf("-o %s: exit %d: %s", path, code, errOut)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), msg) {
		t.Errorf("%s lacks the whole line %q:\n%s", path, msg, data)
	}
}

// Reading from stdin and gzip give the same result as the file.
func TestAnalyzeStdinAndGzip(t *testing.T) {
	data, err := os.ReadFile(demo)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, _, _ := etcdpm(t, "", "analyze", "--format", "events", demo)
	fromStdin, errOut, code := etcdpm(t, string(data), "analyze", "--format", "events", "-")
	if code != 0 {
		t.Fatalf("stdin: exit %d %s", code, errOut)
	}
	if strings.ReplaceAll(fromStdin, `"input":"stdin"`, `"input":"`+demo+`"`) != fromFile {
		t.Errorf("stdin events differ from file events")
	}
	gz := filepath.Join(t.TempDir(), "logs.txt.gz")
	writeGzip(t, gz, data)
	fromGz, errOut, code := etcdpm(t, "", "analyze", "--format", "events", gz)
	if code != 0 {
		t.Fatalf("gzip: exit %d %s", code, errOut)
	}
	if strings.ReplaceAll(fromGz, `"input":"`+gz+`"`, `"input":"`+demo+`"`) != fromFile {
		t.Errorf("gzip events differ from file events")
	}
	if n := strings.Count(fromFile, "\n"); n != 66 {
		t.Errorf("%d events from the demo, want 66", n)
	}
}

// A malformed line is reported as file:line: why, and the rest still works.
func TestAnalyzeReportsMalformed(t *testing.T) {
	data, _ := os.ReadFile(demo)
	bad := string(data) + "etcd3    | {\"level\":\"info\",\"ts\":\"2020-04-30T17:31:00Z\",\"msg\":\"trunc\n"
	path := filepath.Join(t.TempDir(), "bad.log")
	os.WriteFile(path, []byte(bad), 0o644)
	out, errOut, code := etcdpm(t, "", "analyze", "--format", "json", path)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(errOut, path+":76: truncated JSON record") {
		t.Errorf("stderr %q lacks the file:line report", errOut)
	}
	if !strings.Contains(out, `"verdict": "quorum-loss"`) {
		t.Errorf("the rest of the file was not analysed")
	}
}

func writeGzip(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// -o report.html picks the HTML report; --md writes the Markdown beside it.
func TestAnalyzeReports(t *testing.T) {
	dir := t.TempDir()
	html, md := filepath.Join(dir, "report.html"), filepath.Join(dir, "report.md")
	_, errOut, code := etcdpm(t, "", "analyze", demo, "-o", html, "--md", md)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(bytes.TrimSpace(page), []byte("<!DOCTYPE html>")) || bytes.Contains(page, []byte("src=\"http")) {
		t.Errorf("report.html is not a self-contained page")
	}
	summary, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(summary, []byte("Quorum")) || len(summary) >= 65536 {
		t.Errorf("report.md: %d bytes, verdict missing or too long", len(summary))
	}
	// --format md to stdout gives the same summary, but for its timestamp
	out, _, code := etcdpm(t, "", "analyze", "--format", "md", demo)
	if code != 0 || !strings.Contains(out, "```mermaid") {
		t.Errorf("--format md: exit %d, no mermaid chart", code)
	}
	// a file that cannot be written is a clear error and leaves nothing behind
	_, errOut, code = etcdpm(t, "", "analyze", demo, "-o", filepath.Join(dir, "missing", "r.html"))
	if code == 0 || !strings.Contains(errOut, "writing "+filepath.Join(dir, "missing", "r.html")) {
		t.Errorf("unwritable output: exit %d, %q", code, errOut)
	}
}

// TestTZOffset: --tz takes a fixed offset; zone-less capnslog times move by it.
func TestTZOffset(t *testing.T) {
	const log = "../../testdata/shared/etcd-3.4.45/L01-v3.4.45-capnslog/n1.log"
	start := func(args ...string) time.Time {
		out, errOut, code := etcdpm(t, "", append([]string{"analyze", "--format", "json"}, append(args, log)...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var r struct{ Leaders []struct{ Start time.Time } }
		if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Leaders) == 0 {
			t.Fatalf("%v: %v, %d leaders", args, err, len(r.Leaders))
		}
		return r.Leaders[0].Start
	}
	utc, plus2, paris := start(), start("--tz", "+02:00"), start("--tz", "Europe/Paris")
	if d := utc.Sub(plus2); d != 2*time.Hour {
		t.Errorf("--tz +02:00 moved the first leadership by %v, want 2h", d)
	}
	if d := utc.Sub(paris); d != time.Hour { // November: CET, UTC+1
		t.Errorf("--tz Europe/Paris moved it by %v, want 1h", d)
	}
}

// version says the module version and the commit of the build info.
func TestDescribeVersion(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	for _, c := range []struct {
		ldflags string
		bi      *debug.BuildInfo
		want    string
	}{
		{"", nil, "dev"},
		{"v1.2.3", nil, "v1.2.3"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}}, "v0.4.0"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261203062000-8a9f6ce0d1e2"}, Settings: vcs("8a9f6ce0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f60", "false")},
			"v0.0.0-20261203062000-8a9f6ce0d1e2 (commit 8a9f6ce0d1e2)"},
		{"v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("8a9f6ce0d1e2f3a4", "true")}, "v1.2.3 (commit 8a9f6ce0d1e2, modified)"},
	} {
		if got := describeVersion(c.ldflags, c.bi); got != c.want {
			t.Errorf("describeVersion(%q, %+v) = %q, want %q", c.ldflags, c.bi, got, c.want)
		}
	}
}
