//go:build unix

package main

import (
	"io"
	"os"
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
