package analysis

import (
	"context"
	"runtime"

	"github.com/etcdpm/etcdpm/parser"
)

// Analyze reads the sources on every core and analyzes their events together
// with a capture's faults and polled status (nil when the inputs are plain
// logs). The Result is built whole: its Inputs carry each source's Stats, and
// its Faults and Status are those given, its span widened to opts.Start and
// opts.End. A source that fails part way is analyzed up to the failure: the
// Result is still returned, with the I/O errors joined.
func Analyze(ctx context.Context, srcs []parser.Source, faults []Fault, status []StatusSeries, opts Options) (*Result, []parser.Stats, error) {
	if opts.Inputs == nil {
		opts.Inputs = make([]string, len(srcs))
		for i, s := range srcs {
			opts.Inputs[i] = s.Opts.Name
		}
	}
	a := New(opts)
	a.capture(faults, status)
	stats, err := parser.ReadSink(ctx, srcs, runtime.GOMAXPROCS(0), a.Sink())
	a.Lines(stats)
	res := a.Finish()
	res.Inputs = InputStats(opts.Inputs, stats)
	for i, n := range a.misplaced {
		if i < len(res.Inputs) {
			res.Inputs[i].Misplaced = n
		}
	}
	return res, stats, err
}

// InputStats describes each input by what reading it gave.
func InputStats(names []string, stats []parser.Stats) []Input {
	ins := make([]Input, len(stats))
	for i, st := range stats {
		ins[i] = Input{
			Layout: st.Layout, Lines: st.Lines, Events: st.Events,
			Skipped: st.Skipped, Malformed: st.Malformed,
			YearFrom: st.YearFrom,
		}
		if i < len(names) {
			ins[i].Name = names[i]
		}
		for _, se := range st.Errors {
			ins[i].Errors = append(ins[i].Errors, se.Error())
		}
	}
	return ins
}
