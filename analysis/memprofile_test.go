package analysis

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// TestMemoryProfile measures what the analysis keeps live on a file: it streams
// ETCDPM_MEM_FILE through parser.Read into an Analyzer as `etcdpm analyze` does, then
// writes heap profiles to ETCDPM_MEM_DIR (default: the test's temporary directory):
// after-add.pprof after the last Add (and a collection), finish-peak.pprof at the
// collection of Finish that saw the most live heap (as of a collection or two before),
// after-finish.pprof at the end (its alloc_space minus after-add's is what Finish
// allocated). Skipped without ETCDPM_MEM_FILE.
//
//	ETCDPM_MEM_FILE=storm-run-1GiB.log ETCDPM_MEM_DIR=/tmp/mem go test ./analysis -run MemoryProfile -v
//	go tool pprof -sample_index=inuse_space -top /tmp/mem/finish-peak.pprof
func TestMemoryProfile(t *testing.T) {
	path := os.Getenv("ETCDPM_MEM_FILE")
	if path == "" {
		t.Skip("ETCDPM_MEM_FILE not set")
	}
	dir := os.Getenv("ETCDPM_MEM_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	a := New(Options{Inputs: []string{path}})
	src := parser.Source{R: bufio.NewReaderSize(in, 256<<10), Opts: parser.Options{Name: path}}
	stats, err := parser.Read(context.Background(), []parser.Source{src}, runtime.GOMAXPROCS(0), a.Add)
	if err != nil {
		t.Fatal(err)
	}
	a.Lines(stats)
	runtime.GC()
	runtime.GC() // the profile is of the collection before last
	after := liveHeap()
	writeHeap(t, filepath.Join(dir, "after-add.pprof"))

	// Sample the live heap while Finish runs; keep the profile of the largest.
	var (
		mu      sync.Mutex
		peak    uint64
		peakBuf bytes.Buffer
		stop    = make(chan struct{})
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		var seen uint64
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			if c := gcCycles(); c != seen {
				seen = c
				if h := liveHeap(); h > peak {
					mu.Lock()
					peak = h
					peakBuf.Reset()
					pprof.Lookup("heap").WriteTo(&peakBuf, 0)
					mu.Unlock()
				}
			}
		}
	}()
	start := time.Now()
	r := a.Finish()
	took := time.Since(start)
	close(stop)
	<-done
	runtime.KeepAlive(r)
	if err := os.WriteFile(filepath.Join(dir, "finish-peak.pprof"), peakBuf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	writeHeap(t, filepath.Join(dir, "after-finish.pprof"))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("live heap after Add %.1f MB, peak live during Finish %.1f MB, Finish %v, %d findings; profiles in %s",
		float64(after)/1e6, float64(peak)/1e6, took, len(r.Findings), dir)
}

func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func writeHeap(t *testing.T, name string) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
}
