package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		{[]string{in, "-o", in}, 1, "would overwrite the input"},
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

	// a link is written through and an existing file keeps its mode
	target := filepath.Join(dir, "report.txt")
	os.WriteFile(target, nil, 0o600)
	link := filepath.Join(dir, "link.txt")
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	if _, errOut, code := etcdpm(t, "", "analyze", in, "-o", link); code != 0 {
		t.Fatalf("-o link: exit %d: %s", code, errOut)
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("-o link replaced the link")
	}
	fi, _ = os.Stat(target)
	if got, _ := os.ReadFile(target); !strings.Contains(string(got), "Verdict") || fi.Mode().Perm() != 0o600 {
		t.Errorf("-o link: target mode %v, content %.40q", fi.Mode().Perm(), got)
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
// --layout) is said to be so, rather than only reported as healthy.
func TestAnalyzeWarnsNoEtcdLines(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.log")
	os.WriteFile(empty, nil, 0o644)
	text := filepath.Join(dir, "text.log")
	os.WriteFile(text, []byte("Lorem ipsum\ndolor sit amet\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{empty}, empty + ": empty input"},
		{[]string{"-"}, "stdin: empty input"},
		{[]string{text}, text + ": no etcd log line in 2 lines; is it an etcd log?"},
		{[]string{"--layout", "docker", demo}, "is --layout docker right?"},
	} {
		_, errOut, code := etcdpm(t, "", append([]string{"analyze"}, c.args...)...)
		if code != 0 || !strings.HasPrefix(errOut, "etcdpm: warning: ") || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errOut, c.want)
		}
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
