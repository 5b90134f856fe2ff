//go:build unix

package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// -o to a FIFO or a device (/dev/null, /dev/stdout) writes to it: it is not
// replaced by a regular file.
func TestAnalyzeOutputToFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "out.txt")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	got := make(chan string)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	_, errOut, code := etcdpm(t, "", "analyze", demo, "-o", fifo)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	select {
	case s := <-got:
		if !strings.Contains(s, "Verdict: quorum-loss") {
			t.Errorf("the FIFO got %.60q", s)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("nothing was written to the FIFO")
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("%s is no longer a FIFO", fifo)
	}
}

// One SIGTERM stops etcdpm, even one stuck opening a FIFO that nobody
// writes to, where no context reaches (issue 15).
func TestOneSIGTERMStops(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "in.log")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(os.Args[0], "analyze", fifo)
	cmd.Env = append(os.Environ(), "ETCDPM_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		if code := cmd.ProcessState.ExitCode(); code == 0 {
			t.Errorf("exit 0 after SIGTERM; stderr %q", stderr.String())
		}
	case <-time.After(defaultGrace + 5*time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("still running %v after one SIGTERM", defaultGrace+5*time.Second)
	}
}
