package parser

import (
	"errors"
	"sync"
)

// batch carries events from one input's reading goroutine to the merge.
// Event texts live in arena; texts holds their end offsets until sent.
type batch struct {
	evs   []Event
	keys  []int64
	ends  []int
	arena []byte
}

const (
	batchEvents = 512
	batchBytes  = 256 << 10
)

var batchPool = sync.Pool{New: func() any {
	return &batch{
		evs:   make([]Event, 0, batchEvents),
		keys:  make([]int64, 0, batchEvents),
		ends:  make([]int, 0, batchEvents),
		arena: make([]byte, 0, batchBytes),
	}
}}

// Merge reads every reader on its own goroutine and calls fn with all events
// in one order: within an input, file order; across inputs, by time (an event
// with no time takes the time of the event before it in its input), ties going
// to the lower input index. The Event passed to fn is valid during the call
// only. Merge returns the readers' I/O errors, joined.
func Merge(readers []*Reader, fn func(*Event)) error {
	type head struct {
		ch  chan *batch
		cur *batch
		i   int
	}
	heads := make([]*head, len(readers))
	var wg sync.WaitGroup
	for n, r := range readers {
		h := &head{ch: make(chan *batch, 4)}
		heads[n] = h
		wg.Add(1)
		go func(r *Reader, ch chan<- *batch) {
			defer wg.Done()
			defer close(ch)
			var last int64
			b := newBatch()
			for r.Scan() {
				e := r.Event()
				key := last
				if !e.Time.IsZero() {
					key = e.Time.UnixNano()
					last = key
				}
				b.arena = append(b.arena, e.Text...)
				b.evs = append(b.evs, *e)
				b.keys = append(b.keys, key)
				b.ends = append(b.ends, len(b.arena))
				if len(b.evs) == batchEvents || len(b.arena) >= batchBytes {
					ch <- b.seal()
					b = newBatch()
				}
			}
			if len(b.evs) > 0 {
				ch <- b.seal()
			} else {
				batchPool.Put(b)
			}
		}(r, h.ch)
	}
	next := func(h *head) bool {
		for h.cur == nil || h.i >= len(h.cur.evs) {
			if h.cur != nil {
				batchPool.Put(h.cur)
				h.cur = nil
			}
			b, ok := <-h.ch
			if !ok {
				return false
			}
			h.cur, h.i = b, 0
		}
		return true
	}
	live := make([]*head, 0, len(heads))
	for _, h := range heads {
		if next(h) {
			live = append(live, h)
		}
	}
	for len(live) > 0 {
		best := 0
		for j := 1; j < len(live); j++ {
			if live[j].cur.keys[live[j].i] < live[best].cur.keys[live[best].i] {
				best = j
			}
		}
		h := live[best]
		fn(&h.cur.evs[h.i])
		h.i++
		if !next(h) {
			live = append(live[:best], live[best+1:]...)
		}
	}
	wg.Wait()
	var errs []error
	for _, r := range readers {
		if err := r.Err(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func newBatch() *batch {
	b := batchPool.Get().(*batch)
	b.evs, b.keys, b.ends, b.arena = b.evs[:0], b.keys[:0], b.ends[:0], b.arena[:0]
	return b
}

// seal points each event's Text into the arena, which no longer grows.
func (b *batch) seal() *batch {
	start := 0
	for i := range b.evs {
		b.evs[i].Text = b.arena[start:b.ends[i]:b.ends[i]]
		start = b.ends[i]
	}
	return b
}
