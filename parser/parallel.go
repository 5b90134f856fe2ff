// The parallel reader, Read: a producer cuts each source into chunks, workers
// parse them, and an in-order pass merges the sources by time. Its parts share
// the stream's state and are read together, hence one file over 450 lines.

package parser

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// Source is one input for Read: its bytes and how to read them.
type Source struct {
	R    io.Reader
	Opts Options
}

// ChunkBytes is the size of the chunks Read parses in parallel: large enough
// that a chunk's fixed cost is lost in its parse, small enough that the chunks
// in flight (a buffer and its events each) keep the heap small.
var ChunkBytes = 512 << 10

// A Sink takes Read's events in order, as ReadSink's caller wants them kept:
// unlike Read's fn, it may keep an event's Text after Add returns, until its
// next Release, which ReadSink calls before it reuses the memory of the texts
// added so far (once a chunk of a source is consumed, and at the end). Release
// must copy what the sink still needs of those texts.
type Sink interface {
	Add(*Event)
	Release()
}

// funcSink is Read's fn as a Sink that keeps no text.
type funcSink func(*Event)

func (f funcSink) Add(e *Event) { f(e) }
func (funcSink) Release()       {}

// Read parses every source and calls fn with all events in one order: within
// a source, line order; across sources, by time (an event with no time takes
// the time of the one before it in its source), ties going to the lower
// Input. Each source is cut into chunks at line ends and the chunks are parsed
// on up to workers goroutines, like pgzip. A line's event depends on that line
// only, so an in-order pass has only to number the lines and drop the shutdown
// lines that repeat another (as a Reader does): the events and the stats are
// exactly those of one Reader per source. The Event passed to fn is
// valid during the call only. Read returns each source's Stats and the I/O
// errors, joined. Once ctx is done, each source stops at its next read and
// Read returns what was read with ctx's error.
func Read(ctx context.Context, srcs []Source, workers int, fn func(*Event)) ([]Stats, error) {
	return ReadSink(ctx, srcs, workers, funcSink(fn))
}

// ReadSink is Read with a Sink for fn: the sink may keep texts until its
// Release.
func ReadSink(ctx context.Context, srcs []Source, workers int, sink Sink) ([]Stats, error) {
	var release func()
	if _, plain := sink.(funcSink); !plain {
		release = sink.Release
	}
	if ctx.Done() != nil {
		srcs = slices.Clone(srcs)
		for i := range srcs {
			srcs[i].R = ctxReader{ctx, srcs[i].R}
		}
	}
	if workers < 1 {
		workers = 1
	}
	jobs := make(chan *chunk, workers)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				c.parse()
				close(c.done)
			}
		}()
	}
	// Per source, enough chunks queued to keep the workers busy while the
	// in-order pass reads one, and no more: each queued chunk is a buffer
	// and its events (some 1 MB), and they set the heap's floor.
	n := max(len(srcs), 1)
	depth := (workers + n) / n // workers+1 over the sources, rounded up
	depth = min(max(depth, 2), 8)
	streams := make([]*stream, len(srcs))
	var producers sync.WaitGroup
	for i, src := range srcs {
		s := newStream(src, depth)
		s.ctx = ctx
		s.release = release
		streams[i] = s
		producers.Add(1)
		go func() {
			defer producers.Done()
			s.produce(jobs)
		}()
	}
	go func() {
		producers.Wait()
		close(jobs)
	}()

	merge(streams, sink.Add)
	if release != nil {
		release()
	}
	wg.Wait()
	stats := make([]Stats, len(streams))
	var errs []error
	for i, s := range streams {
		stats[i] = s.finalStats()
		if s.err != nil {
			errs = append(errs, s.err)
		}
	}
	return stats, errors.Join(errs...)
}

// merge is Read's in-order pass: the streams' events to fn, by time.
func merge(streams []*stream, fn func(*Event)) {
	live := make([]*stream, 0, len(streams))
	for _, s := range streams {
		if s.next() {
			live = append(live, s)
		}
	}
	for len(live) > 0 {
		if len(live) == 1 {
			live[0].drain(fn)
			break
		}
		best := 0
		for j := 1; j < len(live); j++ {
			if live[j].key() < live[best].key() {
				best = j
			}
		}
		s := live[best]
		s.emit(fn)
		if !s.next() {
			live = append(live[:best], live[best+1:]...)
		}
	}
}

// chunk is a run of whole lines of one source, parsed on its own.
type chunk struct {
	s       *stream
	data    []byte
	tooLong bool // stands for one line longer than MaxLineBytes
	done    chan struct{}

	buf []byte // the pooled buffer data lives in; event texts point into it

	// results
	evs []Event
	r   *Reader
}

func (c *chunk) parse() {
	if c.tooLong {
		// the producer may not have settled the layout yet: this reader reads no line
		c.r = &Reader{opts: c.s.opts}
		c.r.line++
		c.r.stats.Lines++
		c.r.malformed("line longer than " + strconv.Itoa(MaxLineBytes>>20) + " MiB")
		return
	}
	r := &Reader{
		opts:     c.s.opts,
		tz:       c.s.tz,
		env:      c.s.env,
		outer:    c.s.outer,
		detected: true,
		chunked:  true,
		chunk:    c.data,
		strs:     make(map[string]string),
		memo:     memoPool.Get().(*raftMemo),
	}
	defer func() {
		memoPool.Put(r.memo)
		r.memo = nil
	}()
	c.r = r
	if len(c.data) == 0 {
		return
	}
	// the events are parsed in place, into the slice's next slot (cleared by the parser
	// for each event it makes)
	evs := getEvents()
	if cap(evs) == 0 {
		// a new slice: sized for one event a line, it does not grow (and leave
		// garbage) while the pipeline fills; a recycled one is already sized
		evs = make([]Event, 0, bytes.Count(c.data, newline)+1)
	}
	for {
		if len(evs) == cap(evs) {
			evs = slices.Grow(evs, 1)
		}
		r.out = &evs[:len(evs)+1][len(evs)]
		if !r.Scan() {
			break
		}
		e := r.out
		evs = evs[:len(evs)+1]
		if !within(e.Text, c.data) {
			// a line rewritten while read (colours stripped): keep a copy
			e.Text = append([]byte(nil), e.Text...)
		}
	}
	r.out = nil
	c.evs = evs
}

// within reports whether b lies inside buf, so that it stays valid as long
// as buf does.
func within(b, buf []byte) bool {
	if len(b) == 0 || len(buf) == 0 {
		return len(b) == 0
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= start && p+uintptr(len(b)) <= start+uintptr(len(buf))
}

// Chunk buffers and event slices are recycled: at a gigabyte a second,
// garbage is what costs.
var (
	bufPool = sync.Pool{New: func() any { b := make([]byte, 0, ChunkBytes+ChunkBytes/4); return &b }}
	evPool  = sync.Pool{New: func() any { return new([]Event) }}
)

func getBuf(n int) []byte {
	b := *bufPool.Get().(*[]byte)
	if cap(b) < n {
		return make([]byte, 0, n)
	}
	return b[:0]
}

func putBuf(b []byte) {
	if cap(b) <= 2*ChunkBytes {
		b = b[:0]
		bufPool.Put(&b)
	}
}

var newline = []byte{'\n'}

func getEvents() []Event { return (*evPool.Get().(*[]Event))[:0] }

// release returns the chunk's memory to the pools once the in-order pass is
// done with it.
func (c *chunk) release() {
	if c.buf != nil {
		putBuf(c.buf)
	}
	if c.evs != nil {
		evs := c.evs[:0] // the events' texts point into pooled buffers only
		evPool.Put(&evs)
	}
	c.buf, c.data, c.evs, c.r = nil, nil, nil, nil
}

// chunkLine returns the next line of the chunk. Like readLine, it counts a
// line over MaxLineBytes as malformed and skips it.
func (r *Reader) chunkLine() ([]byte, bool) {
	for {
		if len(r.chunk) == 0 {
			r.eof = true
			return nil, false
		}
		line := r.chunk
		n := len(line)
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line, r.chunk, n = line[:i], line[i+1:], i+1
		} else {
			r.chunk = nil
		}
		if n > MaxLineBytes {
			r.line++
			r.stats.Lines++
			r.malformed("line longer than " + strconv.Itoa(MaxLineBytes>>20) + " MiB")
			continue
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		return line, true
	}
}

// stream is one source: its chunks in order, and what the in-order pass
// carries from chunk to chunk.
type stream struct {
	src   Source
	opts  Options
	tz    *time.Location
	env   envelope
	order chan *chunk
	err   error // set by the producer before it closes order

	cur     *chunk
	i       int
	lastKey int64
	times   timeOrder
	lines   int64 // lines of the chunks consumed so far
	shut    shutdowns
	stats   Stats
	span    span
	guessed span
	recs    [recFormats]int64
	variant string
	outer   outer // the prefix in front of the envelope, if any
	ctx     context.Context
	seq     *seqReader // for layouts that cannot be cut (journald short)
	seqMode bool       // the in-order pass reads seq
	release func()     // has the sink copy the texts it kept (nil: it keeps none); see Sink
}

func newStream(src Source, depth int) *stream {
	s := &stream{src: src, opts: src.Opts, tz: src.Opts.TZ, order: make(chan *chunk, depth), span: span{max: MaxGaps}, guessed: span{max: MaxGaps}}
	if s.opts.MaxErrors == 0 {
		s.opts.MaxErrors = 5
	}
	if s.opts.Name == "" {
		s.opts.Name = "input"
	}
	if s.tz == nil {
		s.tz = time.UTC
	}
	return s
}

// produce reads the source in chunks cut at line ends, detects the layout on
// the first, and queues the chunks for the workers and for the in-order pass.
func (s *stream) produce(jobs chan<- *chunk) {
	defer close(s.order)
	br := bufio.NewReaderSize(s.src.R, 64<<10)
	first := true
	var carry []byte
	whole := false // carry is all of the last buffer: a line longer than a chunk
	for {
		var buf []byte
		switch {
		case whole && cap(carry)-len(carry) >= ChunkBytes:
			buf = carry
		case whole:
			// grow by doubling, not by a chunk at a time: a 16 MiB line
			// costs 32 MiB of buffers, not 150
			buf = make([]byte, len(carry), min(max(2*cap(carry), len(carry)+ChunkBytes), MaxLineBytes+ChunkBytes))
			copy(buf, carry)
		default:
			buf = getBuf(len(carry) + ChunkBytes)[:len(carry)]
			copy(buf, carry)
		}
		n, err := fill(br, buf[len(carry):cap(buf)])
		data := buf[:len(carry)+n]
		eof := err == io.EOF
		if err != nil && !eof {
			// Parse what was read, then stop: the lines before a
			// failure (a truncated gzip stream, say) still count.
			s.err = fmt.Errorf("reading %s: %w", s.opts.Name, err)
			eof = true
		}
		carry, whole = nil, false
		if first && !eof && len(data) < MaxLineBytes && bytes.Count(data, []byte("\n")) < sniffLines {
			carry, whole = data, true // the layout is detected on as many lines as a Reader's
			continue
		}
		if !eof {
			i := bytes.LastIndexByte(data, '\n')
			if i < 0 {
				if len(data) <= MaxLineBytes {
					carry, whole = data, true // a long line: read on
					continue
				}
				// a line over the limit: skip to its end, count it malformed
				for {
					_, err := br.ReadSlice('\n')
					if !errors.Is(err, bufio.ErrBufferFull) {
						eof = err != nil
						break
					}
				}
				s.send(jobs, &chunk{s: s, tooLong: true, done: make(chan struct{})})
				if eof {
					return
				}
				continue
			}
			carry = append([]byte(nil), data[i+1:]...)
			data = data[:i+1]
		}
		if first {
			first = false
			if !s.layout(data) {
				if s.err != nil {
					return
				}
				// journald short prints no year: its lines depend on the
				// lines before them, so the source is read in one piece.
				s.seq = &seqReader{r: io.MultiReader(bytes.NewReader(data), bytes.NewReader(carry), br)}
				s.seq.run(s)
				return
			}
		}
		s.send(jobs, &chunk{s: s, data: data, buf: buf, done: make(chan struct{})})
		if eof {
			return
		}
	}
}

func (s *stream) send(jobs chan<- *chunk, c *chunk) {
	s.order <- c
	select {
	case jobs <- c:
	default:
		// every worker is busy and the queue is full: parse it here, while the bytes read(2)
		// just copied are in this core's cache
		c.parse()
		close(c.done)
	}
}

// layout settles the source's envelope from its first lines and reports
// whether the source can be cut into chunks.
func (s *stream) layout(data []byte) bool {
	if s.opts.Layout != "" && s.opts.Layout != "auto" {
		env, ok := parseEnvelopeName(s.opts.Layout)
		if !ok {
			s.err = fmt.Errorf("%s: unknown layout %q", s.opts.Name, s.opts.Layout)
			return false
		}
		s.env = env
	} else {
		var v envVote
		for n := 0; n < sniffLines && v.decisive < 16 && len(data) > 0; n++ {
			line := data
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				data = nil
			}
			v.add(bytes.TrimSuffix(line, []byte("\r")))
		}
		s.env, s.outer = v.best(), v.outer.best()
	}
	return !sequential(s.env)
}

// next moves to the next event, waiting for its chunk to be parsed.
func (s *stream) next() bool {
	if s.seqMode {
		return s.seq.next()
	}
	if s.cur != nil {
		s.i++
	}
	for {
		if s.cur != nil && s.i < len(s.cur.evs) {
			if s.patch() {
				return true
			}
			continue
		}
		if s.cur != nil {
			if s.release != nil {
				s.release() // the sink's texts of this chunk, before its memory goes
			}
			s.absorb(s.cur)
			s.cur.release()
			s.cur = nil
		}
		c, ok := <-s.order
		if !ok {
			if s.seq != nil {
				s.seqMode = true
				return s.seq.next()
			}
			return false
		}
		<-c.done
		s.cur, s.i = c, 0
	}
}

// patch numbers the current event's line within the source and reports
// whether the event is kept; a dropped event (a shutdown line repeated right
// after the signal line) is skipped.
func (s *stream) patch() bool {
	e := &s.cur.evs[s.i]
	e.Line += s.lines
	if s.shut.keep(e) {
		return true
	}
	s.stats.Events--
	s.stats.Records++ // a repeated shutdown line
	s.i++
	return false
}

// absorb folds a consumed chunk's line count and stats into the stream.
func (s *stream) absorb(c *chunk) {
	r := c.r
	for _, e := range r.stats.Errors {
		if len(s.stats.Errors) < s.opts.MaxErrors {
			e.Line += s.lines
			s.stats.Errors = append(s.stats.Errors, e)
		}
	}
	s.lines += r.stats.Lines
	s.stats.Lines += r.stats.Lines
	s.stats.Events += r.stats.Events
	s.stats.Skipped += r.stats.Skipped
	s.stats.Malformed += r.stats.Malformed
	s.span.absorb(&r.span)
	s.guessed.absorb(&r.guess)
	s.stats.Records += r.stats.Records
	s.stats.Glued += r.stats.Glued
	s.stats.Continued += r.stats.Continued
	for f := range s.recs {
		s.recs[f] += r.recs[f]
	}
	if s.variant == "" {
		s.variant = r.variant
	}
}

// key is the merge key of the current event.
func (s *stream) key() int64 {
	e := s.current()
	if !e.Time.IsZero() {
		return e.Time.UnixNano()
	}
	return s.lastKey
}

func (s *stream) current() *Event {
	if s.seqMode {
		return s.seq.current()
	}
	return &s.cur.evs[s.i]
}

func (s *stream) emit(fn func(*Event)) {
	e := s.current()
	if !e.Time.IsZero() {
		s.lastKey = e.Time.UnixNano()
		if !s.seqMode {
			s.times.step(s.lastKey, &s.stats)
		}
	}
	fn(e)
}

// drain emits the current event and all the stream's events after it: with no other stream to
// merge, the rest of each chunk goes to fn in one loop, without a merge key each.
func (s *stream) drain(fn func(*Event)) {
	for {
		s.emit(fn)
		if !s.seqMode {
			evs := s.cur.evs
			for s.i+1 < len(evs) {
				s.i++
				e := &evs[s.i]
				e.Line += s.lines
				if s.shut.keep(e) {
					if !e.Time.IsZero() {
						s.lastKey = e.Time.UnixNano()
						s.times.step(s.lastKey, &s.stats)
					}
					fn(e)
				} else {
					s.stats.Events--
					s.stats.Records++ // a repeated shutdown line
				}
			}
		}
		if !s.next() {
			return
		}
	}
}

func (s *stream) finalStats() Stats {
	if s.seq != nil {
		return s.seq.rd.Stats()
	}
	st := s.stats
	r := Reader{env: s.env, outer: s.outer, variant: s.variant, recs: s.recs}
	st.Layout = r.Layout()
	spanStats(&st, &s.span, &s.guessed)
	return st
}

// seqReader reads a source in one piece, on the producer's goroutine, for
// layouts whose lines depend on the lines before them.
type seqReader struct {
	r   io.Reader
	rd  *Reader
	ch  chan *batch
	cur *batch
	i   int
}

func (q *seqReader) run(s *stream) {
	opts := s.opts
	opts.Layout = envNames[s.env]
	q.rd = NewReader(q.r, opts)
	q.rd.outer = s.outer
	q.ch = make(chan *batch, 4)
	go func() {
		defer close(q.ch)
		b := newBatch()
		for q.rd.Scan() {
			e := q.rd.Event()
			b.arena = append(b.arena, e.Text...)
			b.evs = append(b.evs, *e)
			b.ends = append(b.ends, len(b.arena))
			if len(b.evs) == batchEvents || len(b.arena) >= batchBytes {
				q.ch <- b.seal()
				b = newBatch()
			}
		}
		if len(b.evs) > 0 {
			q.ch <- b.seal()
		}
		if err := q.rd.Err(); err != nil {
			s.err = err
		}
	}()
}

func (q *seqReader) next() bool {
	if q.cur != nil {
		q.i++
	}
	for q.cur == nil || q.i >= len(q.cur.evs) {
		b, ok := <-q.ch
		if !ok {
			return false
		}
		q.cur, q.i = b, 0
	}
	return true
}

func (q *seqReader) current() *Event { return &q.cur.evs[q.i] }

// fill reads into p until it is full or the reader fails; unlike io.ReadFull
// it returns the reader's own error, so that only io.EOF ends the input (a
// reader's io.ErrUnexpectedEOF, a truncated gzip say, is an error).
func fill(r io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := r.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ctxReader fails once ctx is done; a read under way is not interrupted.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
