//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// A newest-first file beside a FIFO cannot be read forwards: the FIFO cannot
// be read again. It is an error, at once, not a wait for a writer.
func TestNewestFirstBesideFIFO(t *testing.T) {
	dir := t.TempDir()
	rev := filepath.Join(dir, "n1.log")
	writeFile(t, rev, []byte("x\n"))
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	var ins []input
	for _, p := range []string{rev, fifo} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, input{name: p, fi: fi})
	}
	stats := []parser.Stats{{Backward: 50}, {Forward: 50}}
	done := make(chan error, 1)
	go func() {
		_, err := reorder(context.Background(), ins, stats, func(string) {})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), fifo+" cannot be read again") {
			t.Errorf("got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reorder waits for the FIFO")
	}
}
