package parser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// parallelInputs are real logs in several layouts, plus hostile ones.
func parallelInputs(t *testing.T) map[string]string {
	t.Helper()
	ins := map[string]string{}
	files, _ := filepath.Glob("../testdata/real/*/n[12].log")
	files = append(files, realMemberLogs(t)...)
	files = append(files, "../testdata/shared/seed/etcd-demo-compose-logs.txt")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ins[f] = string(data)
	}
	// every envelope, around one real log with restarts and shutdowns
	path := "../testdata/shared/etcd-3.4.45/L01-v3.4.45-capnslog/n2.log"
	lines := readLines(t, path)
	times := lineTimes(t, lines)
	for _, ec := range envelopeCases() {
		var b strings.Builder
		for i, l := range lines {
			b.WriteString(ec.wrap("n2", times[i], l))
			b.WriteByte('\n')
		}
		ins[path+"/"+ec.name] = b.String()
	}
	// the three members of a run in one compose stream, interleaved
	var b strings.Builder
	for i, f := range []string{"n1", "n2", "n3"} {
		for _, l := range readLines(t, "../testdata/real/3.6.16-quorum-loss-prevote-off/"+f+".log") {
			fmt.Fprintf(&b, "etcd%d-1  | %s\n", i+1, l)
		}
	}
	ins["compose-3-members"] = b.String()
	ins["hostile"] = "\x00\xff\n" + strings.Repeat("x", 3<<10) + "\n" + `{"level":"info","ts":"2026-11-23T21:07:10Z","msg":"trunc` + "\r\n" + survivor + "\n"
	ins["empty"] = ""
	return ins
}

// Read, cutting inputs into many small chunks parsed on several goroutines,
// gives exactly the events and stats of one Reader per input.
func TestReadMatchesOneReader(t *testing.T) {
	defer func(n int) { ChunkBytes = n }(ChunkBytes)
	for _, size := range []int{512, 4 << 10, 1 << 20} {
		ChunkBytes = size
		for name, data := range parallelInputs(t) {
			want := NewReader(strings.NewReader(data), Options{Name: name, Input: 3})
			wantEvs := drain(want)
			var got []Event
			stats, err := Read(context.Background(), []Source{{R: strings.NewReader(data), Opts: Options{Name: name, Input: 3}}}, 3, func(e *Event) {
				got = append(got, e.Clone())
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(wantEvs) {
				t.Fatalf("chunk %d, %s: %d events, want %d", size, name, len(got), len(wantEvs))
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], wantEvs[i]) {
					t.Fatalf("chunk %d, %s: event %d\n   got %+v\n  want %+v", size, name, i, got[i], wantEvs[i])
				}
			}
			if ws := want.Stats(); !reflect.DeepEqual(stats[0], ws) {
				t.Fatalf("chunk %d, %s: stats\n   got %+v\n  want %+v", size, name, stats[0], ws)
			}
		}
	}
}

// Several inputs come out merged by time, as Merge merges plain Readers.
func TestReadMergesLikeMerge(t *testing.T) {
	defer func(n int) { ChunkBytes = n }(ChunkBytes)
	ChunkBytes = 2 << 10
	dir := "../testdata/real/3.7.3-quorum-loss-prevote-off/"
	var srcs []Source
	var readers []*Reader
	for i, f := range []string{"n1.log", "n2.log", "n3.log"} {
		data, err := os.ReadFile(dir + f)
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{Name: f, Input: i}
		srcs = append(srcs, Source{R: strings.NewReader(string(data)), Opts: opts})
		readers = append(readers, NewReader(strings.NewReader(string(data)), opts))
	}
	var want, got []Event
	if err := Merge(readers, func(e *Event) { want = append(want, e.Clone()) }); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(context.Background(), srcs, 2, func(e *Event) { got = append(got, e.Clone()) }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Read and Merge disagree: %d vs %d events", len(got), len(want))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Input != got[i-1].Input && got[i].Time.Before(got[i-1].Time) {
			t.Fatalf("event %d at %v comes after %v from another input", i, got[i].Time, got[i-1].Time)
		}
	}
}

// A journald short input (no year in its lines) is read in one piece.
func TestReadJournaldShort(t *testing.T) {
	defer func(n int) { ChunkBytes = n }(ChunkBytes)
	ChunkBytes = 1 << 10
	var b strings.Builder
	for i, l := range readLines(t, "../testdata/shared/etcd-3.4.45/L01-v3.4.45-capnslog/n1.log") {
		ts := time.Date(2026, 11, 23, 21, 3, 5, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
		b.WriteString(ts.Format("Jan _2 15:04:05.000000") + " n1 etcd[7]: " + l + "\n")
	}
	want := drain(NewReader(strings.NewReader(b.String()), Options{}))
	var got []Event
	if _, err := Read(context.Background(), []Source{{R: strings.NewReader(b.String())}}, 2, func(e *Event) { got = append(got, e.Clone()) }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || len(got) == 0 {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
}

// TestReadKeepsReaderErrors: a reader that fails with io.ErrUnexpectedEOF (a truncated gzip
// stream) is an error of the input, not its end.
func TestReadKeepsReaderErrors(t *testing.T) {
	b, err := os.ReadFile("../testdata/real/3.6.16-quorum-loss-prevote-off/n1.log")
	if err != nil {
		t.Fatal(err)
	}
	whole, err := Read(context.Background(), []Source{{R: bytes.NewReader(b), Opts: Options{Name: "n1.log"}}}, 2, func(*Event) {})
	if err != nil {
		t.Fatal(err)
	}
	r := io.MultiReader(bytes.NewReader(b), iotest.ErrReader(io.ErrUnexpectedEOF))
	cut, err := Read(context.Background(), []Source{{R: r, Opts: Options{Name: "n1.log"}}}, 2, func(*Event) {})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Read: %v, want the reader's io.ErrUnexpectedEOF", err)
	}
	// What came before the failure is read all the same.
	if cut[0].Lines != whole[0].Lines || cut[0].Events != whole[0].Events {
		t.Errorf("before the failure: %d lines, %d events; want %d, %d", cut[0].Lines, cut[0].Events, whole[0].Lines, whole[0].Events)
	}
}

// FuzzParallelSequential: Read, cutting one input into small chunks, gives
// the events and stats of one sequential Reader, whatever the input and
// wherever the cuts fall. The seeds are runs of lines from the fixtures.
func FuzzParallelSequential(f *testing.F) {
	paths := append(slices.Clip(seedFiles), "../testdata/real/3.6.16-quorum-loss-prevote-off/n1.log",
		"../testdata/real/3.7.3-leader-stop-prevote-on/n3.log")
	readSeeds(f, paths, func(data []byte) {
		lines := bytes.SplitAfter(data, []byte("\n"))
		for start := 0; start < len(lines); start += len(lines)/3 + 1 {
			run := bytes.Join(lines[start:min(start+80, len(lines))], nil)
			f.Add(run, uint16(start*37), uint8(0))
		}
	})
	// one member's lines after another's, as docker-compose v1 prints them:
	// out of time order, with the seed demo's "[...]" gap in the middle
	var blocks []byte
	for _, p := range []string{"../testdata/real/3.6.16-quorum-loss-prevote-off/n2.log", "../testdata/shared/seed/etcd-demo-compose-logs.txt",
		"../testdata/real/3.6.16-quorum-loss-prevote-off/n1.log"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		lines := bytes.SplitAfter(data, []byte("\n"))
		blocks = append(blocks, bytes.Join(lines[:min(60, len(lines))], nil)...)
	}
	f.Add(blocks, uint16(300), uint8(0))
	f.Add([]byte("etcd1-1  | {\"level\":\"info\",\"ts\":\"2026-11-23T21:07:10Z\",\"msg\":\"received signal; shutting down\"}\n"+
		"etcd1-1  | {\"level\":\"info\",\"ts\":\"2026-11-23T21:07:10.0001Z\",\"msg\":\"closing etcd server\"}\n"), uint16(40), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16, layout uint8) {
		name := "auto"
		if int(layout) <= len(Layouts) && layout > 0 {
			name = Layouts[layout-1]
		}
		opts := Options{Name: "fuzz", Input: 1, Layout: name}
		want := NewReader(bytes.NewReader(data), opts)
		wantEvs := drain(want)
		defer func(n int) { ChunkBytes = n }(ChunkBytes)
		ChunkBytes = 16 + int(chunk)%2048
		var got []Event
		stats, err := Read(context.Background(), []Source{{R: bytes.NewReader(data), Opts: opts}}, 3, func(e *Event) {
			got = append(got, e.Clone())
		})
		if (err != nil) != (want.Err() != nil) {
			t.Fatalf("error %v, the Reader's %v", err, want.Err())
		}
		if len(got) != len(wantEvs) {
			t.Fatalf("chunks of %d: %d events, want %d", ChunkBytes, len(got), len(wantEvs))
		}
		for i := range got {
			if !reflect.DeepEqual(got[i], wantEvs[i]) {
				t.Fatalf("chunks of %d: event %d\n   got %+v\n  want %+v", ChunkBytes, i, got[i], wantEvs[i])
			}
		}
		if ws := want.Stats(); !reflect.DeepEqual(stats[0], ws) {
			t.Fatalf("chunks of %d: stats\n   got %+v\n  want %+v", ChunkBytes, stats[0], ws)
		}
	})
}

// Lines near MaxLineBytes are assembled in buffers that double, not grow a
// chunk at a time: three 16 MiB lines allocated 450 MB on the way.
func TestLongLinesAllocation(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 48 MiB of input")
	}
	head := `{"level":"warn","ts":"2026-11-23T21:07:10.243997Z","caller":"etcdserver/util.go:170","msg":"apply request took too long","took":"1.2s","request":"`
	line := head + strings.Repeat("x", MaxLineBytes-len(head)-3) + `"}` + "\n"
	data := strings.Repeat(line, 3)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := 0
	stats, err := Read(context.Background(), []Source{{R: strings.NewReader(data)}}, 2, func(*Event) { n++ })
	runtime.ReadMemStats(&after)
	if err != nil || n != 3 || stats[0].Malformed != 0 {
		t.Fatalf("%d events, %+v, %v", n, stats[0], err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 160<<20 {
		t.Errorf("%d MiB allocated for three 16 MiB lines, want at most 160", got>>20)
	}
}
