package analysis

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/etcdpm/etcdpm/parser"
)

// TestSinkMatchesAdd checks the texts the parser lends (Analyzer.Sink): on
// every real run, its members' logs read together, the Result of Analyze
// (a Sink, chunks of 2 KiB so that buffers are reused and lent lines settled
// hundreds of times) is the one of Add, which copies every line it keeps. A
// lent line left unsettled would show another line's text once its chunk's
// buffer is reused.
func TestSinkMatchesAdd(t *testing.T) {
	defer func(n int) { parser.ChunkBytes = n }(parser.ChunkBytes)
	parser.ChunkBytes = 2 << 10
	firsts, _ := filepath.Glob("../testdata/real/*/n1.log")
	if len(firsts) < 10 {
		t.Fatalf("%d runs under testdata/real", len(firsts))
	}
	for _, first := range firsts {
		dir := filepath.Dir(first)
		logs, _ := filepath.Glob(filepath.Join(dir, "n*.log"))
		name := filepath.Base(dir)
		want := analyzeLogs(t, logs, false)
		if got := analyzeLogs(t, logs, true); !bytes.Equal(got, want) {
			t.Errorf("%s: the Sink's result differs from Add's", name)
		}
	}
}

// analyzeLogs analyzes the files together and returns the Result as JSON:
// through the Analyzer's Sink, or through Add.
func analyzeLogs(t *testing.T, logs []string, lend bool) []byte {
	t.Helper()
	srcs := openLogs(t, logs)
	var res *Result
	if lend {
		var err error
		if res, _, err = Analyze(context.Background(), srcs, nil, nil, Options{Inputs: logs}); err != nil {
			t.Fatal(err)
		}
	} else {
		a := New(Options{Inputs: logs})
		stats, err := parser.Read(context.Background(), srcs, 2, a.Add)
		if err != nil {
			t.Fatal(err)
		}
		a.Lines(stats)
		res = a.Finish()
		res.Inputs = InputStats(logs, stats)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openLogs opens the files as the sources of one analysis, closed at the
// test's end.
func openLogs(t *testing.T, logs []string) []parser.Source {
	t.Helper()
	srcs := make([]parser.Source, len(logs))
	for i, p := range logs {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		srcs[i] = parser.Source{R: f, Opts: parser.Options{Name: p, Input: i}}
	}
	return srcs
}
