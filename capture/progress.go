package capture

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/report"
)

// Snapshot is how a running capture stands, for the live status.
type Snapshot struct {
	Dir     string
	Elapsed time.Duration
	// Leader is the name of the leader the members that answer agree on,
	// "" when none has one.
	Leader  string
	Members []MemberState
	// LogLines, StatusRecords and Events count what was written.
	LogLines, StatusRecords, Events int64
	// LastError is the last thing that went wrong, and how long ago.
	LastError    string
	LastErrorAgo time.Duration
}

// MemberState is one member's last poll.
type MemberState struct {
	Name   string
	Polled bool
	OK     bool
	Term   uint64
	Leader string // the leader's name as this member sees it
	Error  string
}

// Snapshot returns how the capture stands. It is safe to call while Run runs.
func (s *Session) Snapshot() Snapshot {
	sum := s.summary()
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{
		Dir: s.dir, LogLines: s.lines.Load(), StatusRecords: sum.StatusRecords, Events: s.nEvents,
		LastError: s.lastErr,
	}
	if !s.start.IsZero() {
		snap.Elapsed = time.Since(s.start)
		if !s.end.IsZero() {
			snap.Elapsed = s.end.Sub(s.start)
		}
	}
	if m := s.lastErrMember; m != nil && m.last.OK && m.last.Time.After(s.lastErrAt) {
		snap.LastError = "" // the member answers again
	}
	if snap.LastError != "" {
		snap.LastErrorAgo = time.Since(s.lastErrAt)
	}
	views := make([]memberView, len(s.members))
	for i, m := range s.members {
		views[i] = memberView{name: m.name, id: hexID(m.id), last: m.last, polled: m.polled}
	}
	snap.Leader, snap.Members = memberStates(views, 2*s.opts.Interval+s.timeout)
	return snap
}

// noteError keeps err as the last error, for the live status.
func (s *Session) noteError(format string, args ...any) {
	s.noteMemberError(nil, fmt.Sprintf(format, args...))
}

// noteMemberError keeps msg as the last error, a poll of m's (nil: not a
// member's): the live status stops showing it once m answers again.
func (s *Session) noteMemberError(m *memberSlot, msg string) {
	s.mu.Lock()
	s.lastErr, s.lastErrAt, s.lastErrMember = msg, time.Now(), m
	s.mu.Unlock()
}

// memberView is what a snapshot takes of one polled member.
type memberView struct {
	name   string
	id     string // hex, "" until known
	last   capdir.StatusRecord
	polled bool
}

// memberStates returns each member's state, and the leader: the one named by
// the members of the latest status round (a record older than the newest by
// more than round is stale: it names no leader) at the latest term; "" when
// a member at a later term has none.
func memberStates(views []memberView, round time.Duration) (leader string, states []MemberState) {
	nameOf := func(id string) string {
		for _, v := range views {
			if v.id != "" && v.id == id {
				return v.name
			}
		}
		return id
	}
	var newest time.Time
	for _, v := range views {
		if v.polled && v.last.Time.After(newest) {
			newest = v.last.Time
		}
	}
	fresh := func(v memberView) bool { return v.last.OK && !v.last.Time.Before(newest.Add(-round)) }
	var bestTerm uint64
	for _, v := range views {
		ms := MemberState{Name: v.name, Polled: v.polled, OK: v.last.OK, Term: v.last.CurrentTerm(), Error: v.last.Error}
		if v.last.OK && v.last.Leader != "" {
			ms.Leader = nameOf(v.last.Leader)
			if fresh(v) && ms.Term >= bestTerm {
				bestTerm, leader = ms.Term, ms.Leader
			}
		}
		states = append(states, ms)
	}
	for _, v := range views { // the latest term wins; a member at a later term without a leader means none
		if fresh(v) && v.last.CurrentTerm() > bestTerm {
			leader = ""
		}
	}
	return leader, states
}

// Line renders the snapshot on one line, as the live status shows it:
//
//	0:42 leader etcd2 | etcd1 t7 | etcd2 t7 | etcd3 down | 1234 lines 12 events | last error 3s ago: etcd3: ...
func (sn Snapshot) Line() string {
	var b strings.Builder
	b.WriteString(fmtElapsed(sn.Elapsed))
	if sn.Leader != "" {
		b.WriteString(" leader " + sn.Leader)
	} else {
		b.WriteString(" no leader")
	}
	for _, m := range sn.Members {
		b.WriteString(" | " + m.Name + " ")
		switch {
		case !m.Polled:
			b.WriteString("…")
		case m.OK:
			fmt.Fprintf(&b, "t%d", m.Term)
		default:
			b.WriteString("down")
		}
	}
	fmt.Fprintf(&b, " | %d lines %d events", sn.LogLines, sn.Events)
	if sn.LastError != "" {
		fmt.Fprintf(&b, " | last error %s ago: %s", fmtElapsed(sn.LastErrorAgo), oneLine(sn.LastError))
	}
	return report.TerminalText(b.String()) // names and errors come from the members and containers
}

// Plain renders the snapshot as a log line, for output that is not a
// terminal.
func (sn Snapshot) Plain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "capture %s: ", fmtElapsed(sn.Elapsed))
	if sn.Leader != "" {
		b.WriteString("leader " + sn.Leader)
	} else {
		b.WriteString("no leader")
	}
	for i, m := range sn.Members {
		sep := ", "
		if i == 0 {
			sep = "; "
		}
		b.WriteString(sep + m.Name + " ")
		switch {
		case !m.Polled:
			b.WriteString("not polled yet")
		case m.OK:
			fmt.Fprintf(&b, "term %d", m.Term)
		default:
			b.WriteString("down")
		}
	}
	fmt.Fprintf(&b, "; %d log lines, %d status records, %d events", sn.LogLines, sn.StatusRecords, sn.Events)
	if sn.LastError != "" {
		fmt.Fprintf(&b, "; last error (%s ago): %s", fmtElapsed(sn.LastErrorAgo), oneLine(sn.LastError))
	}
	return report.TerminalText(b.String())
}

func fmtElapsed(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:199]) + "…"
	}
	return s
}

// Display shows a running capture's status: on a terminal, one line redrawn
// in place (by mpb, which sizes it to the terminal's width); elsewhere, a
// plain line every few seconds.
type Display struct {
	w        io.Writer
	terminal bool
	every    time.Duration
	snap     func() Snapshot

	p    *mpb.Progress
	bar  *mpb.Bar
	stop chan struct{}
	done sync.WaitGroup
}

// NewDisplay returns a display of snap on w; terminal says whether w is
// one. Plain lines come every `every` (default 5s).
func NewDisplay(w io.Writer, terminal bool, every time.Duration, snap func() Snapshot) *Display {
	if every <= 0 {
		every = 5 * time.Second
	}
	return &Display{w: w, terminal: terminal, every: every, snap: snap, stop: make(chan struct{})}
}

// Start starts showing the status.
func (d *Display) Start() {
	if d.terminal {
		opts := []mpb.ContainerOption{mpb.WithOutput(d.w), mpb.WithRefreshRate(250 * time.Millisecond)}
		if f, ok := d.w.(*os.File); ok {
			opts = append(opts, mpb.WithConsoleWriter(sizedTerminal{cupwriter.New(f, false)}))
		}
		d.p = mpb.New(opts...)
		d.bar = d.p.New(0, mpb.NopStyle(), mpb.BarFillerTrim(),
			mpb.PrependDecorators(
				decor.Spinner(nil, decor.WC{C: decor.DindentRight}),
				decor.Any(func(decor.Statistics) string { return " " + d.snap().Line() }),
			),
		)
		return
	}
	d.done.Go(func() {
		t := time.NewTicker(d.every)
		defer t.Stop()
		for {
			select {
			case <-d.stop:
				return
			case <-t.C:
				fmt.Fprintln(d.w, d.snap().Plain())
			}
		}
	})
}

// sizedTerminal is a terminal whose height is at least one line: mpb
// draws nothing on a terminal that reports no rows (some pseudo-terminals).
type sizedTerminal struct{ *cupwriter.Writer }

func (t sizedTerminal) GetTermSize() (width, height int, err error) {
	width, height, err = t.Writer.GetTermSize()
	if err == nil && height < 1 {
		height = 24
	}
	if err == nil && width < 1 {
		width = 80
	}
	return width, height, err
}

// Stop stops the display, leaving the last status line on a terminal.
func (d *Display) Stop() {
	if d.p != nil {
		d.bar.Abort(false)
		d.p.Wait()
		return
	}
	close(d.stop)
	d.done.Wait()
}
