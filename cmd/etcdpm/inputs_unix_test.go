//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// etcdpmWithin runs the command in-process with a context that cancel ends,
// and fails the test when it has not returned within d. The FIFOs are then
// opened for writing until it returns, so that an open(2) waiting on them
// returns and the test does not hang.
func etcdpmWithin(t *testing.T, d time.Duration, ctx context.Context, fifos []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, args, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb})
	}()
	select {
	case code = <-done:
		return out.String(), errb.String(), code
	case <-time.After(d):
	}
	for {
		for _, f := range fifos {
			if w, err := os.OpenFile(f, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
		}
		select {
		case <-done:
			t.Fatalf("%v: still running after %v", args, d)
			return "", "", 0
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip(err)
	}
}

// A FIFO named as an input with no writer: its open(2) blocks until one
// comes. Ctrl-C or SIGTERM still ends the analysis, at once, writing nothing.
func TestAnalyzeFIFOArgInterrupted(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.fifo")
	mkfifo(t, fifo)
	out := filepath.Join(dir, "out.json")
	for _, args := range [][]string{{fifo, "-o", out}, {"--format", "events", fifo}} {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		_, errOut, code := etcdpmWithin(t, 5*time.Second, ctx, []string{fifo}, append([]string{"analyze"}, args...)...)
		if code != 1 || errOut != "etcdpm: interrupted\n" {
			t.Errorf("%v: exit %d, stderr %q, want exit 1 and interrupted", args, code, errOut)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("%v: files left behind: %v", args, entries)
		}
	}
	// a writer that connects and sends nothing: the read is interrupted too
	w := make(chan *os.File, 1)
	go func() {
		f, _ := os.OpenFile(fifo, os.O_WRONLY, 0)
		w <- f
	}()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, errOut, code := etcdpmWithin(t, 5*time.Second, ctx, []string{fifo}, "analyze", fifo, "-o", out)
	if f := <-w; f != nil {
		f.Close()
	}
	if code != 1 || errOut != "etcdpm: interrupted\n" || exists(out) {
		t.Errorf("silent writer: exit %d, stderr %q, output written %v", code, errOut, exists(out))
	}
}

// A FIFO named as an input is read whole once a writer comes.
func TestAnalyzeFIFOArg(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "in.fifo")
	mkfifo(t, fifo)
	data, err := os.ReadFile(demo)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.Write(data)
		f.Close()
	}()
	out, errOut, code := etcdpmWithin(t, 10*time.Second, context.Background(), []string{fifo}, "analyze", "--format", "events", fifo)
	if code != 0 || strings.Count(out, "\n") != 66 {
		t.Errorf("exit %d, %d events, stderr %q; want 66 events", code, strings.Count(out, "\n"), errOut)
	}
}

// A FIFO inside a log directory is refused with a warning, never waited
// for; the directory's other files are analyzed.
func TestAnalyzeDirSkipsFIFO(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, demo, filepath.Join(dir, "n1.log"))
	fifo := filepath.Join(dir, "x.log")
	mkfifo(t, fifo)
	if err := os.Symlink("x.log", filepath.Join(dir, "to-fifo.log")); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := etcdpmWithin(t, 5*time.Second, context.Background(), []string{fifo}, "analyze", "--format", "events", dir)
	want := "etcdpm: warning: " + filepath.Join(dir, "to-fifo.log") + ": a FIFO, not a regular file; skipped\n" +
		"etcdpm: warning: " + fifo + ": a FIFO, not a regular file; skipped\n" +
		"etcdpm: warning: 2 files skipped; the analysis covers the rest\n"
	if code != 0 || errOut != want || strings.Count(out, "\n") != 66 {
		t.Errorf("exit %d, %d events, stderr:\n%s\nwant exit 0, 66 events and stderr:\n%s", code, strings.Count(out, "\n"), errOut, want)
	}
}

// A file that fails on its first read (/proc/self/mem: EIO at offset 0,
// even for root) is skipped in a directory, and an error as an argument.
func TestAnalyzeDirSkipsFailingRead(t *testing.T) {
	if _, err := os.Stat("/proc/self/mem"); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	copyFile(t, demo, filepath.Join(dir, "n1.log"))
	mem := filepath.Join(dir, "mem.log")
	if err := os.Symlink("/proc/self/mem", mem); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := etcdpm(t, "", "analyze", "--format", "events", dir)
	if code != 0 || !strings.Contains(errOut, mem+": reading: input/output error; skipped") || strings.Count(out, "\n") != 66 {
		t.Errorf("exit %d, %d events, stderr %q", code, strings.Count(out, "\n"), errOut)
	}
	if _, errOut, code := etcdpm(t, "", "analyze", mem); code != 1 || !strings.Contains(errOut, "input/output error") {
		t.Errorf("as an argument: exit %d, stderr %q, want exit 1", code, errOut)
	}
}
