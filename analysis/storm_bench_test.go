package analysis

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/etcdpm/etcdpm/parser"
	"github.com/etcdpm/etcdpm/tools/genlogs/stormfile"
)

// stormLog is a real election storm's events, parsed once per test binary.
var stormLog struct {
	once sync.Once
	name string
	size int64
	evs  []parser.Event
	err  error
}

// stormEvents parses the storm of stormfile.Data (64 MiB of `genlogs --format storm` unless
// ETCDPM_STORM_FILE or ETCDPM_STORM_SIZE says otherwise) and keeps its events, each owning its
// text.
func stormEvents(b *testing.B) []parser.Event {
	b.Helper()
	s := &stormLog
	s.once.Do(func() {
		name, data := stormfile.Data(b)
		s.name, s.size = name, int64(len(data))
		src := parser.Source{R: bytes.NewReader(data), Opts: parser.Options{Name: name}}
		_, s.err = parser.Read(context.Background(), []parser.Source{src}, 2, func(ev *parser.Event) {
			s.evs = append(s.evs, ev.Clone())
		})
	})
	if s.err != nil {
		b.Fatal(s.err)
	}
	return s.evs
}

// BenchmarkStormAnalysis measures the analysis alone on a real storm's events (parsed before
// the clock starts): New, Add for each, Finish. One op is the whole storm; ns/event,
// allocs/event and B/event are per Add, Finish included.
//
//	go test ./analysis -run '^$' -bench StormAnalysis -benchmem -cpuprofile cpu.out -memprofile mem.out
//
// The storm-run variant (43 % of lines events, Finish about half the time) is the same
// benchmark on another file: ETCDPM_STORM_FILE=.cache/bench/storm-run-256MiB.log.
func BenchmarkStormAnalysis(b *testing.B) {
	evs := stormEvents(b)
	b.SetBytes(stormLog.size)
	done := stormfile.PerEvent(b)
	n := 0
	for b.Loop() {
		a := New(Options{Inputs: []string{stormLog.name}})
		for i := range evs {
			a.Add(&evs[i])
		}
		a.Finish()
		n += len(evs)
	}
	done(n)
	b.ReportMetric(float64(len(evs)), "events")
}

// BenchmarkStormFinish measures Finish alone: the events are added with the clock stopped.
// Finish's cost grows with the storm's leaderships, windows and streaks, so run it on a long
// storm-run (a real 3.5 quorum loss replayed, 43 % of lines events):
//
//	go run ./tools/genlogs --format storm-run --size 256MiB -o /tmp/sr256.log
//	ETCDPM_STORM_FILE=/tmp/sr256.log go test ./analysis -run '^$' -bench StormFinish -benchmem -cpuprofile cpu.out
func BenchmarkStormFinish(b *testing.B) {
	evs := stormEvents(b)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		a := New(Options{Inputs: []string{stormLog.name}})
		for i := range evs {
			a.Add(&evs[i])
		}
		b.StartTimer()
		a.Finish()
	}
	b.ReportMetric(float64(len(evs)), "events")
}
