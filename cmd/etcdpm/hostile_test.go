package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
)

// A gzip file cut short is an error, not a silently shorter log; what came
// before the cut is still analyzed and written (a cut inside the gzip header
// leaves nothing to read), and no temporary file is left beside -o.
func TestAnalyzeTruncatedGzip(t *testing.T) {
	data, err := os.ReadFile(demo)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	full := filepath.Join(dir, "full.log.gz")
	writeGzip(t, full, data)
	gz, _ := os.ReadFile(full)
	for _, n := range []int{len(gz) / 2, len(gz) - 4, 5} {
		cut := filepath.Join(dir, "cut.log.gz")
		os.WriteFile(cut, gz[:n], 0o644)
		out := filepath.Join(dir, "out.json")
		stdout, errOut, code := etcdpm(t, "", "analyze", cut, "-o", out)
		if code != 1 || !strings.Contains(errOut, "cut.log.gz") || !strings.Contains(errOut, "truncated") || stdout != "" {
			t.Errorf("%d of %d bytes: exit %d, stderr %q, want exit 1 and a truncation error", n, len(gz), code, errOut)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".out.json*")); len(left) > 0 {
			t.Errorf("%d of %d bytes: left behind %v", n, len(gz), left)
		}
		const header = 10 // bytes of a gzip header
		if exists(out) != (n > header) {
			t.Errorf("%d of %d bytes: output written %v, want %v", n, len(gz), exists(out), n > header)
		}
		if n == len(gz)/2 {
			if b, _ := os.ReadFile(out); !bytes.Contains(b, []byte(`"events": `)) || bytes.Contains(b, []byte(`"lines": 0,`)) {
				t.Errorf("half the file: the analysis does not cover what was read:\n%.600s", b)
			}
		}
		os.Remove(out)
	}
}

// A file named twice, directly or through its directory, is read once: its
// events would otherwise be counted twice.
func TestAnalyzeDuplicateInputs(t *testing.T) {
	once, _, _ := etcdpm(t, "", "analyze", "--format", "events", demo)
	for _, args := range [][]string{{demo, demo}, {demo, "./" + demo}} {
		twice, errOut, code := etcdpm(t, "", append([]string{"analyze", "--format", "events"}, args...)...)
		if code != 0 || !strings.Contains(errOut, "reading it once") {
			t.Errorf("%v: exit %d, stderr %q, want a warning", args, code, errOut)
		}
		if twice != once {
			t.Errorf("%v: %d events, want %d", args, strings.Count(twice, "\n"), strings.Count(once, "\n"))
		}
	}
	data, _ := os.ReadFile(demo)
	out, errOut, code := etcdpm(t, string(data), "analyze", "--format", "events", "-", "-")
	if code != 0 || strings.Count(out, "\n") != 66 || !strings.Contains(errOut, "stdin") {
		t.Errorf("- -: exit %d, %d events, stderr %q", code, strings.Count(out, "\n"), errOut)
	}
}

// -o never replaces an input, a directory, or the other output.
func TestAnalyzeOutputSafety(t *testing.T) {
	dir := t.TempDir()
	data, _ := os.ReadFile(demo)
	in := filepath.Join(dir, "n1.log")
	os.WriteFile(in, data, 0o644)

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{in, "--format", "text", "-o", in}, 1, "would overwrite the input"},
		{[]string{in, "-o", filepath.Join(dir, "r.pdf")}, 2, "-o " + filepath.Join(dir, "r.pdf") + ": no format writes .pdf files"},
		{[]string{in, "-o", filepath.Join(dir, "r.log")}, 2, "or give --format"},
		{[]string{dir, "--md", in}, 1, "would overwrite the input"},
		{[]string{in, "-o", dir}, 1, "is a directory"},
		{[]string{in, "-o", filepath.Join(dir, "r.md"), "--md", filepath.Join(dir, ".", "r.md")}, 2, "both name"},
		{[]string{in, "--format", "events", "--md", filepath.Join(dir, "r.md")}, 2, "--md"},
		{[]string{in, "-o", filepath.Join(dir, "r.html"), "--md", filepath.Join(dir, "missing", "r.md")}, 1, "missing"},
	} {
		_, errOut, code := etcdpm(t, "", append([]string{"analyze"}, c.args...)...)
		if code != c.code || !strings.HasPrefix(errOut, "etcdpm: ") || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want exit %d and %q", c.args, code, errOut, c.code, c.want)
		}
	}
	if got, _ := os.ReadFile(in); !bytes.Equal(got, data) {
		t.Errorf("the input was overwritten")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left behind: %v", entries)
	}

	// an existing file keeps its mode
	kept := filepath.Join(dir, "kept.txt")
	os.WriteFile(kept, nil, 0o600)
	if _, errOut, code := etcdpm(t, "", "analyze", in, "-o", kept); code != 0 {
		t.Fatalf("-o file: exit %d: %s", code, errOut)
	}
	if fi, _ := os.Stat(kept); fi.Mode().Perm() != 0o600 {
		t.Errorf("-o file: mode %v, want 0600", fi.Mode().Perm())
	}
}

// -o and --md never write through a symbolic link (issue 15): the link
// itself is replaced, and what it points to is untouched.
func TestAnalyzeOutputReplacesLink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("precious\n"), 0o600)
	for _, name := range []string{"r.html", "r.md"} {
		if err := os.Symlink(victim, filepath.Join(dir, name)); err != nil {
			t.Skip(err)
		}
	}
	html, md := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.md")
	if _, errOut, code := etcdpm(t, "", "analyze", demo, "-o", html, "--md", md); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got, _ := os.ReadFile(victim); string(got) != "precious\n" {
		t.Errorf("the link's target was written: %.60q", got)
	}
	for _, c := range []struct{ path, want string }{{html, "<!DOCTYPE html>"}, {md, "## etcdpm: "}} {
		fi, err := os.Lstat(c.path)
		if err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s: %v, mode %v; want the link replaced by a regular file", c.path, err, fi.Mode())
			continue
		}
		if got, _ := os.ReadFile(c.path); !strings.HasPrefix(strings.TrimSpace(string(got)), c.want) {
			t.Errorf("%s: %.40q, want it to start with %q", c.path, got, c.want)
		}
	}
}

// --max-errors 0 lists no malformed line but still counts them.
func TestAnalyzeMaxErrorsZero(t *testing.T) {
	data, _ := os.ReadFile(demo)
	bad := string(data) + strings.Repeat("etcd3    | {\"level\":\"info\",\"ts\":\"2020-04-30T17:31:00Z\",\"msg\":\"trunc\n", 7)
	path := filepath.Join(t.TempDir(), "bad.log")
	os.WriteFile(path, []byte(bad), 0o644)
	_, errOut, code := etcdpm(t, "", "analyze", "--max-errors", "0", path)
	if code != 0 || errOut != "etcdpm: warning: "+path+": 7 malformed lines\n" {
		t.Errorf("--max-errors 0: exit %d, stderr %q", code, errOut)
	}
	_, errOut, _ = etcdpm(t, "", "analyze", "--max-errors", "1", path)
	if strings.Count(errOut, "\n") != 2 || !strings.Contains(errOut, "6 more malformed lines") {
		t.Errorf("--max-errors 1: stderr %q", errOut)
	}
	if _, _, code := etcdpm(t, "", "analyze", "--max-errors=-1", path); code != 2 {
		t.Errorf("--max-errors=-1: exit %d, want 2", code)
	}
}

// An input with no etcd line (empty, not a log, or read with the wrong
// --layout) is said to be so, rather than only reported as healthy: an
// error when no input has one, a warning when others do.
func TestAnalyzeNoEtcdLines(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.log")
	os.WriteFile(empty, nil, 0o644)
	text := filepath.Join(dir, "text.log")
	os.WriteFile(text, []byte("Lorem ipsum\ndolor sit amet\n"), 0o644)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{empty}, 1, "etcdpm: " + empty + ": empty input\n"},
		{[]string{"-"}, 1, "etcdpm: stdin: empty input\n"},
		{[]string{"--format", "events", "-"}, 1, "etcdpm: stdin: empty input\n"},
		{[]string{text}, 1, "etcdpm: " + text + ": no etcd log line in 2 lines; is it an etcd log?\n"},
		{[]string{"--layout", "docker", demo}, 1, "is --layout docker right?"},
		{[]string{empty, text}, 1, "etcdpm: warning: " + empty + ": empty input\netcdpm: warning: " + text + ": no etcd log line in 2 lines; is it an etcd log?\netcdpm: no input holds an etcd log line\n"},
		{[]string{demo, empty}, 0, "etcdpm: warning: " + empty + ": empty input\n"},
	} {
		out, errOut, code := etcdpm(t, "", append([]string{"analyze"}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want exit %d and %q", c.args, code, errOut, c.code, c.want)
		}
		if (code == 0) != strings.Contains(out, "Verdict") {
			t.Errorf("%v: exit %d, stdout %.60q", c.args, code, out)
		}
	}
	// a failed run leaves no output file behind
	if _, _, code := etcdpm(t, "", "analyze", empty, "-o", filepath.Join(dir, "r.html")); code != 1 || exists(filepath.Join(dir, "r.html")) {
		t.Errorf("-o with an empty input: exit %d, or the file was written", code)
	}
}

// Ctrl-C ends an analysis, even one waiting on stdin.
func TestAnalyzeInterrupted(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	out := filepath.Join(t.TempDir(), "out.txt")
	done := make(chan int)
	var errb bytes.Buffer
	go func() {
		done <- run(ctx, []string{"analyze", "-", "-o", out}, &env{stdin: pr, stdout: io.Discard, stderr: &errb})
	}()
	pw.Write([]byte("etcd1  | not yet done\n"))
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case code := <-done:
		if code != 1 || !strings.Contains(errb.String(), "interrupted") {
			t.Errorf("exit %d, stderr %q", code, errb.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5s after the interruption")
	}
	if left, _ := os.ReadDir(filepath.Dir(out)); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// rawTerminalControl finds what would drive a terminal in s: C0 controls
// but newline, DEL, C1 controls, bidi and other format characters. The
// colours etcdpm itself writes (SGR, ESC [ ... m) are allowed.
func rawTerminalControl(s string) (rune, bool) {
	s = regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(s, "")
	for _, r := range s {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029') {
			return r, true
		}
	}
	return 0, false
}

// A log can name its member with escape sequences (embed: name = ..., zap's
// "name"): the text output shows them as visible escapes, never raw, and
// zap's JSON escapes are decoded first (issue 15).
func TestTextNoTerminalEscapes(t *testing.T) {
	dir := t.TempDir()
	capnslog := filepath.Join(dir, "capnslog.log")
	os.WriteFile(capnslog, []byte("2020-04-30 17:20:31.000000 I | embed: name = etcd\x1b]0;pwned\x07\u202e\u009b2Jevil\n"+
		"2020-04-30 17:20:31.100000 I | raft: ade526d28b1f92f7 became candidate at term 2\n"+
		"2020-04-30 17:20:31.200000 I | raft: ade526d28b1f92f7 became leader at term 2\n"), 0o644)
	zap := filepath.Join(dir, "zap.log")
	os.WriteFile(zap, []byte(`{"level":"info","ts":"2024-01-01T00:00:00Z","caller":"embed/etcd.go:1","msg":"starting an etcd server","name":"caf\u00e9\u001b[2J\u202e"}`+"\n"+
		`{"level":"info","ts":"2024-01-01T00:00:01Z","logger":"raft","msg":"d282ac2ce600c1ce became candidate at term 2"}`+"\n"+
		`{"level":"info","ts":"2024-01-01T00:00:01.5Z","logger":"raft","msg":"d282ac2ce600c1ce became leader at term 2"}`+"\n"), 0o644)
	for _, c := range []struct {
		in, want string
	}{
		{capnslog, `etcd\x1b]0;pwned\x07\u202e\u009b2Jevil`},
		{zap, `café\x1b[2J\u202e`},
	} {
		for _, color := range []string{"never", "always"} {
			out, errOut, code := etcdpm(t, "", "analyze", "--color", color, c.in)
			if code != 0 {
				t.Fatalf("%s: exit %d: %s", c.in, code, errOut)
			}
			if r, ok := rawTerminalControl(out); ok {
				t.Errorf("%s --color %s: %U reaches the terminal:\n%s", c.in, color, r, out)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("%s --color %s: the member is not shown as %s:\n%s", c.in, color, c.want, out)
			}
		}
	}
}

// Warnings quote file names found in a directory, which a log's author may
// have chosen: they reach stderr escaped.
func TestWarningsNoTerminalEscapes(t *testing.T) {
	dir := t.TempDir()
	data, _ := os.ReadFile(demo)
	os.WriteFile(filepath.Join(dir, "demo.log"), data, 0o644)
	if err := os.WriteFile(filepath.Join(dir, "\x1b[2J\u202e.log"), nil, 0o644); err != nil {
		t.Skip(err)
	}
	_, errOut, code := etcdpm(t, "", "analyze", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if r, ok := rawTerminalControl(errOut); ok {
		t.Errorf("%U reaches the terminal: %q", r, errOut)
	}
	if !strings.Contains(errOut, `\x1b[2J\u202e.log: empty input`) {
		t.Errorf("stderr %q, want the empty file named with visible escapes", errOut)
	}
}
