package repro

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/etcdpm/etcdpm/capture"
	"github.com/etcdpm/etcdpm/report"
)

// progress prints one line per step, "[ 12.3s] text", the time counted from the command's
// start. On a terminal it also keeps a live line under the steps (the capture's status: the
// leader, each member's term), redrawn in place while a step waits. It is safe for concurrent use.
type progress struct {
	w        io.Writer
	terminal bool
	start    time.Time

	mu    sync.Mutex
	live  func() capture.Snapshot // nil: no live line
	shown bool                    // a live line is on the screen
	stop  chan struct{}
	done  chan struct{}
}

// liveWidth bounds the live line, so that it never wraps on a common terminal.
const liveWidth = 100

func newProgress(w io.Writer, terminal bool, start time.Time) *progress {
	if w == nil {
		w = io.Discard
		terminal = false
	}
	return &progress{w: w, terminal: terminal, start: start}
}

// elapsed is the time since the command started, as the step lines show it.
func (p *progress) elapsed() time.Duration { return time.Since(p.start) }

// step prints one step line. Its text names members and quotes errors, from
// untrusted sources: it is shown as report.TerminalText shows log text.
func (p *progress) step(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
	fmt.Fprintf(p.w, "[%5.1fs] %s\n", p.elapsed().Seconds(), report.TerminalText(fmt.Sprintf(format, args...)))
	p.drawLocked()
}

// printf prints format as is (the summary at the end), its string
// arguments through report.TerminalText.
func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = report.TerminalText(s)
		}
	}
	fmt.Fprintf(p.w, format, args...)
	p.drawLocked()
}

// showLive starts redrawing snap's line on a terminal until hideLive.
func (p *progress) showLive(snap func() capture.Snapshot) {
	if !p.terminal {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live != nil {
		return
	}
	p.live = snap
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go func(stop, done chan struct{}) {
		defer close(done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				p.mu.Lock()
				p.drawLocked()
				p.mu.Unlock()
			}
		}
	}(p.stop, p.done)
}

// hideLive stops the live line and erases it.
func (p *progress) hideLive() {
	p.mu.Lock()
	if p.live == nil {
		p.mu.Unlock()
		return
	}
	stop, done := p.stop, p.done
	p.live = nil
	p.clearLocked()
	p.mu.Unlock()
	close(stop)
	<-done
}

func (p *progress) clearLocked() {
	if p.shown {
		io.WriteString(p.w, "\r\x1b[K")
		p.shown = false
	}
}

func (p *progress) drawLocked() {
	if p.live == nil {
		return
	}
	line := liveLine(p.elapsed(), p.live())
	io.WriteString(p.w, "\r\x1b[K"+line)
	p.shown = true
}

// liveLine is the capture's status line, counted from the command's start and cut to liveWidth.
func liveLine(elapsed time.Duration, sn capture.Snapshot) string {
	sn.Elapsed = elapsed
	line := sn.Line()
	if r := []rune(line); len(r) > liveWidth {
		line = string(r[:liveWidth-1]) + "…"
	}
	return line
}

// describe sums a snapshot up for a step line:
// "no leader; etcd1 not answering, etcd2 not answering, etcd3 term 23".
func describe(sn capture.Snapshot) string {
	var b strings.Builder
	if sn.Leader != "" {
		b.WriteString("leader " + sn.Leader)
	} else {
		b.WriteString("no leader")
	}
	for i, m := range sn.Members {
		if i == 0 {
			b.WriteString("; ")
		} else {
			b.WriteString(", ")
		}
		switch {
		case !m.Polled:
			fmt.Fprintf(&b, "%s not polled yet", m.Name)
		case m.OK:
			fmt.Fprintf(&b, "%s term %d", m.Name, m.Term)
		default:
			fmt.Fprintf(&b, "%s not answering", m.Name)
		}
	}
	return b.String()
}
