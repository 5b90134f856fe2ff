package capture

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"time"
)

// maxLine bounds a log line held while its end has not arrived.
const maxLine = 16 << 20

// follower copies one container's log into logs.txt, from its first line,
// across stops and starts, with no line lost and none repeated.
//
// Resume and dedup: the daemon stamps each line; the follower remembers the
// last timestamp it wrote (and the lines written at exactly that time).
// After a stream ends (the container stopped, the stream broke, the capture
// is shutting down), the next stream starts at since = that timestamp, which
// the daemon treats as inclusive, so nothing in between is missed; until a
// line stamped after it arrives, lines stamped before it, and lines stamped
// at it that were already written, are dropped as the replay they are.
// Lines of a live stream are never dropped, even if stdout and stderr
// interleave slightly out of time order.
type follower struct {
	s    *Session
	info containerInfo // ID and names; fixed
	wake chan struct{} // a start event for this container (buffered, 1)

	// Owned by the follower's goroutine, then by the shutdown's catch-up.
	last     time.Time
	lastText string         // last's text as the daemon printed it: since for the next stream
	atLast   map[string]int // lines written with timestamp last, by text
	wrote    bool
	replay   map[string]int // during a replay: lines at last not yet seen again
	replayOn bool
	partial  []byte
	out      []byte
	err      error // logs.txt's write error
	dropped  int64 // replayed lines dropped
}

func newFollower(s *Session, info containerInfo) *follower {
	return &follower{s: s, info: info, wake: make(chan struct{}, 1), atLast: make(map[string]int)}
}

// signal wakes a follower waiting for its container to start again.
func (f *follower) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// run follows the container until ctx ends or the container is removed.
func (f *follower) run(ctx context.Context) {
	pause := 250 * time.Millisecond
	for {
		began := time.Now()
		f.begin()
		err := f.s.eng.Logs(ctx, f.info.ID, f.lastText, true, f)
		if ctx.Err() != nil || f.err != nil {
			return
		}
		if isNotFound(err) {
			return
		}
		if err != nil && !errors.Is(err, io.EOF) {
			f.s.noteError("logs of %s: %v", f.info.Name, err)
		} else {
			f.endOfStream()
		}
		// The stream ended: the container stopped, or the stream broke. Go on
		// when it runs (again).
		for {
			c, err := f.s.eng.Inspect(ctx, f.info.ID)
			if ctx.Err() != nil || isNotFound(err) {
				return
			}
			if err == nil && c.Running {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-f.wake:
			case <-time.After(2 * time.Second): // in case an event is missed
			}
		}
		// A running container whose stream keeps ending at once (a broken
		// connection, a log driver that cannot be read): back off.
		if time.Since(began) < time.Second {
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
			pause = min(2*pause, 5*time.Second)
		} else {
			pause = 250 * time.Millisecond
		}
	}
}

// catchUp reads what the container logged since the last line written,
// without following: the end of a capture.
func (f *follower) catchUp(ctx context.Context) error {
	if f.err != nil {
		return f.err
	}
	f.begin()
	err := f.s.eng.Logs(ctx, f.info.ID, f.lastText, false, f)
	if err == nil || errors.Is(err, io.EOF) {
		f.endOfStream()
	}
	if f.err != nil {
		return f.err
	}
	if isNotFound(err) {
		return nil
	}
	return err
}

// begin starts a stream: a replay when lines were written before.
func (f *follower) begin() {
	f.partial = f.partial[:0]
	f.replayOn = f.wrote
	f.replay = maps.Clone(f.atLast)
}

// endOfStream writes a last line that had no newline.
func (f *follower) endOfStream() {
	if len(f.partial) > 0 {
		f.line(f.partial)
		f.partial = f.partial[:0]
	}
}

// Write takes a stream's bytes and writes its whole lines.
func (f *follower) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && f.err == nil {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			f.partial = append(f.partial, p...)
			if len(f.partial) > maxLine {
				f.line(f.partial)
				f.partial = f.partial[:0]
			}
			break
		}
		if len(f.partial) > 0 {
			f.partial = append(f.partial, p[:i]...)
			f.line(f.partial)
			f.partial = f.partial[:0]
		} else {
			f.line(p[:i])
		}
		p = p[i+1:]
	}
	if f.err != nil {
		return 0, f.err
	}
	return n, nil
}

// line handles one line of the daemon's: "<timestamp> <text>".
func (f *follower) line(raw []byte) {
	var ts time.Time
	var text []byte
	stamped := false
	if sp := bytes.IndexByte(raw, ' '); sp > 0 {
		if t, err := time.Parse(time.RFC3339Nano, string(raw[:sp])); err == nil {
			ts, text, stamped = t, raw[sp+1:], true
		}
	}
	if stamped && f.replayOn {
		switch ts.Compare(f.last) {
		case -1:
			f.dropped++
			return
		case 0:
			if f.replay[string(text)] > 0 {
				f.replay[string(text)]--
				f.dropped++
				return
			}
		default:
			f.replayOn = false
		}
	}
	name := f.info.logName()
	width := f.s.prefixWidth()
	b := append(f.out[:0], name...)
	for i := len(name); i < width; i++ {
		b = append(b, ' ')
	}
	b = append(b, " | "...)
	b = append(b, raw...)
	f.out = b
	if err := f.s.logs.Add(b); err != nil {
		f.err = err
		f.s.fail(err)
		return
	}
	f.s.lines.Add(1)
	f.wrote = true
	if !stamped {
		return
	}
	switch ts.Compare(f.last) {
	case 1:
		f.last, f.lastText = ts, string(raw[:len(raw)-len(text)-1])
		clear(f.atLast)
		f.atLast[string(text)] = 1
	case 0:
		f.atLast[string(text)]++
	}
}
