package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/parser"
)

// lineOrder is how an input's lines follow each other in time, from its
// steps back and forth (parser.Stats.Backward and Forward).
type lineOrder uint8

const (
	inOrder lineOrder = iota
	// newestFirst: nearly every step goes back (journalctl -r, a backward
	// log query, tac).
	newestFirst
	// shuffled: many steps go back, many forward. Real logs go back only a
	// little: a raft std-logger line's whole second beside capnslog's µs, or
	// compose's streams of several containers.
	shuffled
)

func orderOf(st parser.Stats) lineOrder {
	steps := st.Backward + st.Forward
	switch {
	case st.Backward >= 2 && st.Backward >= 9*st.Forward:
		return newestFirst
	case steps >= 10 && 5*st.Backward >= steps:
		return shuffled
	}
	return inOrder
}

// maxReverseBytes bounds a newest-first input that is read into memory to be
// read forwards.
const maxReverseBytes = 256 << 20

// reorder checks the time order of each input's lines from what reading them
// gave, since the analysis places a line that goes back in time at the time
// of the member's line before it. When an input is newest-first, it returns
// every input opened again to be read once more, that one with its lines
// reversed in memory; nil when none is. A shuffled input is an error, and so
// is a newest-first one that cannot be read again (stdin, a FIFO, a file
// over maxReverseBytes or changed since).
func reorder(ctx context.Context, ins []input, stats []parser.Stats, warn func(string)) ([]input, error) {
	any := false
	for i, st := range stats {
		switch orderOf(st) {
		case shuffled:
			return nil, fmt.Errorf("%s: its lines are out of time order (%d of %d steps from line to line go back in time), so the analysis would misplace them: sort them by time, or give each member's log as it was written",
				ins[i].name, st.Backward, st.Backward+st.Forward)
		case newestFirst:
			if ins[i].fi == nil || !ins[i].fi.Mode().IsRegular() {
				return nil, fmt.Errorf("%s: its lines are newest first (%d of %d steps go back in time) and it cannot be read again: reverse it (tac) before giving it to etcdpm",
					ins[i].name, st.Backward, st.Backward+st.Forward)
			}
			any = true
		}
	}
	if !any {
		return nil, nil
	}
	again := make([]input, 0, len(ins))
	fail := func(err error) ([]input, error) {
		for _, in := range again {
			in.c.Close()
		}
		return nil, err
	}
	for i, in := range ins {
		if in.fi == nil || !in.fi.Mode().IsRegular() {
			return fail(fmt.Errorf("%s cannot be read again, to read the newest-first inputs oldest first: reverse them (tac) before giving them to etcdpm", in.name))
		}
		f, err := os.Open(in.name)
		if err != nil {
			return fail(pathError(err))
		}
		fi, err := f.Stat()
		if err != nil || !os.SameFile(fi, in.fi) {
			f.Close()
			return fail(fmt.Errorf("%s: changed while read", in.name))
		}
		re := in
		re.c = f
		again = append(again, re)
		br, err := maybeGunzip(newCtxReader(ctx, f, true), in.name)
		if err != nil {
			return fail(err)
		}
		again[i].r = br
		if orderOf(stats[i]) != newestFirst {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(br, maxReverseBytes+1))
		if err != nil {
			return fail(fmt.Errorf("reading %s: %w", in.name, err))
		}
		if len(data) > maxReverseBytes {
			return fail(fmt.Errorf("%s: its lines are newest first and it is over %d MiB: reverse it (tac) before giving it to etcdpm", in.name, maxReverseBytes>>20))
		}
		again[i].r = bytes.NewReader(reverseLines(data))
		warn(fmt.Sprintf("%s: its lines are newest first (%d of %d steps go back in time); read it oldest first",
			in.name, stats[i].Backward, stats[i].Backward+stats[i].Forward))
	}
	return again, nil
}

// reverseLines returns data's lines in reverse order, each ended by "\n".
func reverseLines(data []byte) []byte {
	out := make([]byte, 0, len(data)+1)
	for end := len(data); end > 0; {
		if data[end-1] == '\n' {
			end--
		}
		start := bytes.LastIndexByte(data[:end], '\n') + 1
		out = append(out, data[start:end]...)
		out = append(out, '\n')
		end = start
	}
	return out
}

// warnMisplaced names the inputs with lines out of order that the analysis
// had to place later than their time: too few to refuse the input, never
// placed silently.
func warnMisplaced(res *analysis.Result, warn func(string)) {
	for _, in := range res.Inputs {
		if in.Misplaced > 0 {
			warn(fmt.Sprintf("%s: partly out of order: %s a time more than a second before that of its member's line before it, and is placed at that time",
				in.Name, lines(in.Misplaced, "event line")+map[bool]string{true: " has", false: " each have"}[in.Misplaced == 1]))
		}
	}
}
