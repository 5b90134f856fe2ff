package parser

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// accounted checks that every line of an input is counted in exactly one
// statistic: Lines + Glued == Events + Skipped + Malformed + Records +
// Continued.
func accounted(st Stats) bool {
	return st.Lines+st.Glued == st.Events+st.Skipped+st.Malformed+st.Records+st.Continued
}

// fixtures returns every log under testdata, gunzipped.
func fixtures(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.Walk("../testdata", func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		if !strings.HasSuffix(p, ".log") && !strings.HasSuffix(p, ".txt") && !strings.HasSuffix(p, ".gz") && !strings.HasSuffix(p, ".jsonl") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				return err
			}
			if data, err = io.ReadAll(zr); err != nil {
				return err
			}
		}
		out[p] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEveryLineCounted: over every fixture, read sequentially and in
// parallel chunks, each line is counted once, and the line count is that of
// the input.
func TestEveryLineCounted(t *testing.T) {
	files := fixtures(t)
	if len(files) < 100 {
		t.Fatalf("only %d fixtures", len(files))
	}
	defer func(n int) { ChunkBytes = n }(ChunkBytes)
	for p, data := range files {
		lines := int64(bytes.Count(data, []byte("\n")))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			lines++
		}
		r := NewReader(bytes.NewReader(data), Options{Name: p})
		for r.Scan() {
		}
		seq := r.Stats()
		if !accounted(seq) || seq.Lines != lines {
			t.Errorf("%s: sequential: %d lines in the input, stats %+v", p, lines, seq)
		}
		for _, chunk := range []int{1 << 20, 4 << 10} {
			ChunkBytes = chunk
			stats, err := Read(context.Background(), []Source{{R: bytes.NewReader(data), Opts: Options{Name: p}}}, 2, func(*Event) {})
			if err != nil {
				t.Fatal(err)
			}
			if st := stats[0]; !accounted(st) || st.Lines != lines || st.Records != seq.Records || st.Events != seq.Events {
				t.Errorf("%s: parallel (%d B chunks): %d lines in the input, stats %+v, sequential %+v", p, chunk, lines, st, seq)
			}
		}
	}
}

// FuzzEveryLineCounted: whatever the input and layout, each line is counted
// once, sequentially and in parallel.
func FuzzEveryLineCounted(f *testing.F) {
	seedLines(f, func(l []byte) { f.Add(l, uint8(0)) })
	f.Add([]byte("2024-01-02T03:04:05.123456789Z stderr P {\"level\":\"info\",\"ts\":\"2024-01-02T03:04:05Z\",\n2024-01-02T03:04:05.123456789Z stderr F \"msg\":\"a became leader at term 2\"}\n"), uint8(0))
	f.Add([]byte(`{"level":"info","ts":"2026-11-23T21:07:10Z","msg":"a became leader at term 2"}{"level":"info","msg":"x"}`+"\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, layout uint8) {
		name := "auto"
		if int(layout) < len(Layouts)+1 && layout > 0 {
			name = Layouts[layout-1]
		}
		r := NewReader(bytes.NewReader(data), Options{Name: "fuzz", Layout: name})
		for r.Scan() {
		}
		if st := r.Stats(); !accounted(st) {
			t.Fatalf("sequential: stats %+v", st)
		}
		stats, _ := Read(context.Background(), []Source{{R: bytes.NewReader(data), Opts: Options{Name: "fuzz", Layout: name}}}, 2, func(*Event) {})
		if st := stats[0]; !accounted(st) {
			t.Fatalf("parallel: stats %+v", st)
		}
	})
}
