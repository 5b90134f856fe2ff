package parser

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
)

// A regular file is read through a read-only mapping of it, when the system
// can map it: the chunks are slices of the mapping, not copies. On a storm,
// read(2) copying the file into chunk buffers costs more CPU than finding its
// lines (1 GiB: some 0.15 s of system time against 0.02 s for the mapping's
// page faults). The pages a chunk held are dropped from the process (not from
// the page cache) once the in-order pass is done with it, so the mapping does
// not grow the resident set.

// mapping is a source's file, mapped whole.
type mapping struct {
	data    []byte
	dropped int // the bytes before it are given back (a multiple of the page size)
}

// dropStep is how many bytes of consumed pages are given back in one call.
const dropStep = 1 << 20

// drop gives back the whole pages before off once a dropStep of them is done.
func (m *mapping) drop(off int) {
	off &^= os.Getpagesize() - 1
	if off-m.dropped >= dropStep {
		dropPages(m.data[m.dropped:off])
		m.dropped = off
	}
}

// errShrank is the error of a source whose file got shorter while it was read
// (truncated by a log rotation, say): the mapping's pages past the new end
// fault when touched.
var errShrank = errors.New("the file got shorter while it was read (rotated with copytruncate?)")

// isFault reports whether a recovered panic is a memory fault (with
// debug.SetPanicOnFault): the mapped file shrank.
func isFault(v any) bool {
	err, ok := v.(runtime.Error)
	if !ok {
		return false
	}
	_, ok = err.(interface{ Addr() uintptr })
	return ok
}

// produceMapped is produce for a source read through its mapping: the same
// chunks, cut at line ends, the first one holding the lines the layout is
// detected on, a line over MaxLineBytes skipped and counted malformed.
func (s *stream) produceMapped(jobs chan<- *chunk) {
	defer close(s.order)
	debug.SetPanicOnFault(true) // the goroutine is Read's own
	defer func() {
		if v := recover(); v != nil {
			if !isFault(v) {
				panic(v)
			}
			s.err = fmt.Errorf("reading %s: %w", s.opts.Name, errShrank)
		}
	}()
	m := s.mapped.data
	first := true
	for off := 0; off < len(m); {
		if s.stop.Load() {
			return
		}
		if err := s.ctx.Err(); err != nil {
			s.err = fmt.Errorf("reading %s: %w", s.opts.Name, err)
			return
		}
		end := min(off+ChunkBytes, len(m))
		if first {
			for end < len(m) && end-off < MaxLineBytes && bytes.Count(m[off:end], newline) < sniffLines {
				end = min(end+ChunkBytes, len(m))
			}
		}
		if end < len(m) {
			if i := bytes.LastIndexByte(m[off:end], '\n'); i >= 0 {
				end = off + i + 1
			} else {
				// a line longer than a chunk: to its end, or skipped when over the limit
				j := bytes.IndexByte(m[end:], '\n')
				switch {
				case j < 0 && len(m)-off <= MaxLineBytes:
					end = len(m)
				case j >= 0 && end+j+1-off <= MaxLineBytes:
					end += j + 1
				default:
					s.send(jobs, &chunk{s: s, tooLong: true, done: make(chan struct{}), end: off})
					if j < 0 {
						return
					}
					off = end + j + 1
					continue
				}
			}
		}
		data := m[off:end:end]
		if first {
			first = false
			if !s.layout(data) {
				if s.err != nil {
					return
				}
				s.seq = &seqReader{r: bytes.NewReader(m[off:])}
				s.seq.run(s)
				return
			}
		}
		s.send(jobs, &chunk{s: s, data: data, done: make(chan struct{}), end: end})
		off = end
	}
}

// parseMapped is parse, a fault touching a mapped source's data (the file
// shrank) marking the chunk instead of crashing; the workers run with
// debug.SetPanicOnFault.
func (c *chunk) parseMapped() {
	if c.s.mapped == nil {
		c.parse()
		return
	}
	defer func() {
		if v := recover(); v != nil {
			if !isFault(v) {
				panic(v)
			}
			c.fault, c.evs = true, nil
		}
	}()
	c.parse()
}

// abandon gives the source up: its producer stops at its next chunk, and the
// chunks queued are waited for and dropped, so that the producer and the
// workers end.
func (s *stream) abandon() {
	s.stop.Store(true)
	if s.cur != nil {
		if s.release != nil {
			s.release()
		}
		s.cur.release()
		s.cur = nil
	}
	for c := range s.order {
		<-c.done
		c.release()
	}
	if s.seq != nil {
		for range s.seq.ch {
		}
	}
	s.seqMode = false
}

// settle has sink copy the texts it kept. A text in a mapped page that faults
// (the file shrank) makes Release panic; it is called again, having dropped
// that text, until it returns.
func settle(sink Sink) {
	for faulted(sink.Release) {
	}
}

// faulted runs fn with a fault touching memory (a mapped file's page past its
// new end) made a panic, and reports whether one stopped fn.
func faulted(fn func()) (hit bool) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if v := recover(); v != nil {
			if !isFault(v) {
				panic(v)
			}
			hit = true
		}
	}()
	fn()
	return false
}
