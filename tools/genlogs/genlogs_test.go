package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/parser"
)

var formats = []struct {
	name   string
	format outFormat
	layout string
}{
	{"zap-json", outZapJSON, "bare+zap-json"},
	{"compose", outCompose, "compose-v2+zap-json"},
	{"capnslog", outCapnslog, "bare+raft-stdlog,capnslog"},
}

var samples sync.Map // "format/size" -> []byte

// sample generates size bytes of a format once per test binary.
func sample(tb testing.TB, format outFormat, size int64) []byte {
	tb.Helper()
	key := strconv.Itoa(int(format)) + "/" + strconv.FormatInt(size, 10)
	if b, ok := samples.Load(key); ok {
		return b.([]byte)
	}
	root, err := moduleRoot()
	if err != nil {
		tb.Fatal(err)
	}
	tpl, err := loadTemplates(root, format, "3.6.16")
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	buf.Grow(int(size) + 1<<20)
	if _, err := generate(&buf, tpl, format, size, 5, 1, tb.TempDir()); err != nil {
		tb.Fatal(err)
	}
	samples.Store(key, buf.Bytes())
	return buf.Bytes()
}

// TestGenerated checks that every format reads back whole: the layout etcdpm detects, no
// malformed line, five members, leaders at rising terms (per member) and long campaign loops (storms); and
// the same bytes for the same seed. The analysis runs too, its findings only logged.
func TestGenerated(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			data := sample(t, f.format, 24<<20)
			if len(data) < 24<<20 {
				t.Fatalf("%d bytes, want at least %d", len(data), 24<<20)
			}
			a := analysis.New(analysis.Options{Inputs: []string{f.name}})
			members := map[parser.ID]bool{}
			leaders := map[parser.ID]bool{}
			var lastLeaderTerm uint64
			leaderTerm := map[parser.ID]uint64{} // per member: compose groups lines per container
			campaigns := map[parser.ID]int{}     // in a row, without a leader elected
			longest := 0
			add := func(e *parser.Event) {
				members[e.Member] = true
				switch e.Kind {
				case parser.BecameCandidate, parser.BecamePreCandidate:
					campaigns[e.Member]++
					longest = max(longest, campaigns[e.Member])
				case parser.BecameLeader:
					if e.Term <= leaderTerm[e.Member] {
						t.Errorf("line %d: %v leader at term %d after term %d", e.Line, e.Member, e.Term, leaderTerm[e.Member])
					}
					leaderTerm[e.Member] = e.Term
					lastLeaderTerm = max(lastLeaderTerm, e.Term)
					leaders[e.Member] = true
					clear(campaigns)
				}
				a.Add(e)
			}
			src := parser.Source{R: bytes.NewReader(data), Opts: parser.Options{Name: f.name}}
			stats, err := parser.Read(context.Background(), []parser.Source{src}, runtime.GOMAXPROCS(0), add)
			if err != nil {
				t.Fatal(err)
			}
			st := stats[0]
			if st.Layout != f.layout {
				t.Errorf("layout %q, want %q", st.Layout, f.layout)
			}
			if st.Malformed > 0 {
				t.Errorf("%d malformed lines: %v", st.Malformed, st.Errors)
			}
			delete(members, 0)
			if len(members) != 5 {
				t.Errorf("%d members, want 5", len(members))
			}
			if len(leaders) < 2 || longest < 100 {
				t.Errorf("%d leaders, longest campaign loop %d: want leaders changing and a storm of 100+ campaigns", len(leaders), longest)
			}
			kinds := map[string]int{}
			for _, fd := range a.Finish().Findings {
				kinds[fd.Kind]++
			}
			t.Logf("%d lines, %d events, %d leaders up to term %d, longest loop %d; findings %v", st.Lines, st.Events, len(leaders), lastLeaderTerm, longest, kinds)
		})
	}
	t.Run("deterministic", func(t *testing.T) {
		root, err := moduleRoot()
		if err != nil {
			t.Fatal(err)
		}
		tpl, err := loadTemplates(root, outCompose, "3.6.16")
		if err != nil {
			t.Fatal(err)
		}
		var a, b bytes.Buffer
		generate(&a, tpl, outCompose, 4<<20, 5, 7, t.TempDir())
		generate(&b, tpl, outCompose, 4<<20, 5, 7, t.TempDir())
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Error("two runs with seed 7 differ")
		}
		if !strings.HasPrefix(a.String(), "etcd1-1  | 2026-11-23T") {
			t.Errorf("compose output starts %q", a.String()[:40])
		}
	})
}

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{{"1GiB", 1 << 30}, {"100MB", 100e6}, {"64MiB", 64 << 20}, {"5000", 5000}, {"1.5KiB", 1536}} {
		if got, err := parseSize(c.in); err != nil || got != c.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

// The benchmarks run etcdpm's pipeline on 64 MiB of generated logs (set GENLOGS_BENCH_SIZE,
// e.g. 256MiB, for more): Reader, one parser.Reader on one core, on the bytes in memory (what
// parser.BenchmarkReader measures on repeated fixtures); Read, parser.Read on every core;
// Analyze, parser.Read and the analysis, in memory; AnalyzeFile, what
// `etcdpm analyze --format json FILE` does (cmd/etcdpm/analyze.go): the file through a 256 KiB
// bufio.Reader, parser.Read on every core, the analysis, and the indented JSON document.
// Profile with:
//
//	go test ./tools/genlogs -run '^$' -bench AnalyzeFile/zap-json -benchtime 5x -cpuprofile cpu.out
//	go tool pprof -top cpu.out
func benchSize(b *testing.B) int64 {
	if s := os.Getenv("GENLOGS_BENCH_SIZE"); s != "" {
		n, err := parseSize(s)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return 64 << 20
}

func BenchmarkReader(b *testing.B) {
	for _, f := range formats {
		b.Run(f.name, func(b *testing.B) {
			data := sample(b, f.format, benchSize(b))
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r := parser.NewReader(bytes.NewReader(data), parser.Options{})
				for r.Scan() {
				}
			}
		})
	}
}

func BenchmarkRead(b *testing.B) {
	for _, f := range formats {
		b.Run(f.name, func(b *testing.B) {
			data := sample(b, f.format, benchSize(b))
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				src := parser.Source{R: bytes.NewReader(data), Opts: parser.Options{Name: f.name}}
				if _, err := parser.Read(context.Background(), []parser.Source{src}, runtime.GOMAXPROCS(0), func(*parser.Event) {}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAnalyze(b *testing.B) {
	for _, f := range formats {
		b.Run(f.name, func(b *testing.B) {
			data := sample(b, f.format, benchSize(b))
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				a := analysis.New(analysis.Options{Inputs: []string{f.name}})
				src := parser.Source{R: bytes.NewReader(data), Opts: parser.Options{Name: f.name}}
				if _, err := parser.Read(context.Background(), []parser.Source{src}, runtime.GOMAXPROCS(0), a.Add); err != nil {
					b.Fatal(err)
				}
				a.Finish()
			}
		})
	}
}

func BenchmarkAnalyzeFile(b *testing.B) {
	if path := os.Getenv("GENLOGS_BENCH_FILE"); path != "" { // e.g. .cache/bench/zap-1GiB.log
		b.Run("file", func(b *testing.B) { analyzeFile(b, path) })
		return
	}
	for _, f := range formats {
		b.Run(f.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), f.name+".log")
			if err := os.WriteFile(path, sample(b, f.format, benchSize(b)), 0o644); err != nil {
				b.Fatal(err)
			}
			analyzeFile(b, path)
		})
	}
}

func analyzeFile(b *testing.B, path string) {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		in, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		a := analysis.New(analysis.Options{Inputs: []string{path}})
		src := parser.Source{R: bufio.NewReaderSize(in, 256<<10), Opts: parser.Options{Name: path}}
		if _, err := parser.Read(context.Background(), []parser.Source{src}, runtime.GOMAXPROCS(0), a.Add); err != nil {
			b.Fatal(err)
		}
		res := a.Finish()
		in.Close()
		w := bufio.NewWriterSize(io.Discard, 64<<10)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			b.Fatal(err)
		}
		w.Flush()
	}
}

// TestStorm checks the storm formats: compose --timestamps over zap JSON that parses with no
// malformed line, about the size asked, every member's terms only rising, and the same bytes for
// the same size. storm: one campaign loop into thousands of terms, and its recovery (a leader at
// the loop's last term); storm-run: the quorum loss replayed whole, a leader after each loop, terms
// into the thousands, 40 to 60 % of the lines events.
func TestStorm(t *testing.T) {
	const size = 8 << 20
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	e, err := loadStorm(root, "3.5.35")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		gen  func(io.Writer, *episode, int64, int, uint64, string) (stats, error)
	}{{"storm", generateStorm}, {"storm-run", generateStormRun}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf, again bytes.Buffer
			st, err := tc.gen(&buf, e, size, 3, 1, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tc.gen(&again, e, size, 3, 1, t.TempDir()); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Error("two storms of the same size differ")
			}
			if n := buf.Len(); n < size*97/100 || n > size+4096 || int64(n) != st.bytes {
				t.Errorf("%d bytes (stats say %d), want about %d", n, st.bytes, size)
			}
			ps, longest, leaders, leaderTerm := readStorm(t, buf.Bytes())
			share := float64(ps.Events) / float64(ps.Lines)
			switch tc.name {
			case "storm":
				if longest < 5000 || longest < st.stormCampaigns || longest > st.stormCampaigns+10 {
					t.Errorf("longest campaign loop %d, stats say %d repeated: want one loop of 5000+", longest, st.stormCampaigns)
				}
				if leaderTerm < uint64(st.term) || st.term < 5000 {
					t.Errorf("last leader at term %d, terms up to %d: want a recovery at the storm's last term, 5000+", leaderTerm, st.term)
				}
			case "storm-run":
				if leaders < st.storms-1 || st.storms < 50 || st.term < 300 || longest > 20 {
					t.Errorf("%d leaders elected, %d replays, terms up to %d, %d campaigns in a row: want a leader after each of 50+ replays, terms 300+", leaders, st.storms, st.term, longest)
				}
				if share < 0.4 || share > 0.6 {
					t.Errorf("%.0f%% of the lines are events, want 40 to 60%%", 100*share)
				}
			}
			t.Logf("%d lines, %d events (%.0f%%), %d campaigns in a row, %d leaders, terms up to %d", ps.Lines, ps.Events, 100*share, longest, leaders, st.term)
		})
	}
}

// readStorm parses a storm, checking that it parses with no malformed line into 3 members whose
// terms never fall; it returns the parse's stats, the longest run of campaigns with no leader,
// the leaders elected and the last one's term.
func readStorm(t *testing.T, data []byte) (ps parser.Stats, longest, leaders int, leaderTerm uint64) {
	term := map[parser.ID]uint64{}
	campaigns := 0
	add := func(ev *parser.Event) {
		if ev.Term == 0 { // a server hint, with no term
			return
		}
		if ev.Term < term[ev.Member] {
			t.Errorf("line %d: %v at term %d after term %d", ev.Line, ev.Member, ev.Term, term[ev.Member])
		}
		term[ev.Member] = max(term[ev.Member], ev.Term)
		switch ev.Kind {
		case parser.BecameCandidate:
			campaigns++
			longest = max(longest, campaigns)
		case parser.BecameLeader:
			campaigns = 0
			leaders++
			leaderTerm = ev.Term
		}
	}
	src := parser.Source{R: bytes.NewReader(data), Opts: parser.Options{Name: "storm"}}
	stats, err := parser.Read(context.Background(), []parser.Source{src}, runtime.GOMAXPROCS(0), add)
	if err != nil {
		t.Fatal(err)
	}
	ps = stats[0]
	if ps.Layout != "compose-v2+zap-json" {
		t.Errorf("layout %q, want compose-v2+zap-json", ps.Layout)
	}
	if ps.Malformed > 0 {
		t.Errorf("%d malformed lines: %v", ps.Malformed, ps.Errors)
	}
	if len(term) != 3 {
		t.Errorf("%d members, want 3", len(term))
	}
	return ps, longest, leaders, leaderTerm
}
