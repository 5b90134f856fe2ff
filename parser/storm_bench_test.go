package parser_test

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/etcdpm/etcdpm/parser"
	"github.com/etcdpm/etcdpm/tools/genlogs/stormfile"
)

// BenchmarkStormParse measures the parser alone on a real election storm in memory (64 MiB of
// `genlogs --format storm` unless ETCDPM_STORM_FILE or ETCDPM_STORM_SIZE says otherwise), to
// events and no further: Reader, one parser.Reader on one core; Read, parser.Read on every core
// (what etcdpm analyze runs). ns/event and allocs/event are per event produced; nearly every
// line of a storm is one.
//
//	go test ./parser -run '^$' -bench StormParse -benchmem -cpuprofile cpu.out
func BenchmarkStormParse(b *testing.B) {
	_, data := stormfile.Data(b)
	run := func(b *testing.B, parse func() int) {
		b.SetBytes(int64(len(data)))
		done := stormfile.PerEvent(b)
		events := 0
		for b.Loop() {
			events += parse()
		}
		done(events)
	}
	b.Run("Reader", func(b *testing.B) {
		run(b, func() int {
			r := parser.NewReader(bytes.NewReader(data), parser.Options{})
			n := 0
			for r.Scan() {
				n++
			}
			return n
		})
	})
	b.Run("Read", func(b *testing.B) {
		run(b, func() int {
			n := 0
			src := parser.Source{R: bytes.NewReader(data), Opts: parser.Options{Name: "storm"}}
			if _, err := parser.Read(context.Background(), []parser.Source{src}, runtime.GOMAXPROCS(0), func(*parser.Event) { n++ }); err != nil {
				b.Fatal(err)
			}
			return n
		})
	})
}
