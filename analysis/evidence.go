package analysis

import (
	"cmp"
	"slices"
	"sort"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// evLine is a log line kept as evidence, its text copied from the event: a
// tracker that follows the latest line (a ring's slot, a member's latest
// vote) reuses its own buffer (set), so that a storm of lines costs no
// allocation; a record that keeps a line for good (a leadership's start, the
// first lines of a streak) shares the copy every such record of the same
// event shares (keep). A text is never written in place once shared: copying
// an evLine from a tracker that reuses its buffer takes a clone.
type evLine struct {
	t      time.Time
	seq    int64
	input  int32
	packed bool // text is packed (see pack.go)
	lent   bool // text is the parser's, until the lender settles it (see lend)
	line   int64
	who    parser.ID // the member the analysis attributed the line to
	text   []byte
}

// set copies the event's line into l's own buffer.
func (l *evLine) set(ev *parser.Event, t time.Time, c *adding) {
	l.t, l.seq, l.input, l.line, l.who = t, c.seq, int32(ev.Input), ev.Line, ev.Member
	if l.lent { // l.text is the parser's: its buffer waits in the lender
		l.text, l.lent = nil, false
	}
	l.text, l.packed = append(l.text[:0], ev.Text...), false
}

// lend is set for a line that a later one soon replaces (a ring's): while
// the parser lends the event's text (see parser.Sink), l takes it as it is
// and the lender copies it into l's buffer only before the parser reuses it,
// so that a storm's millions of campaign lines, each replacing the one
// before, cost one copy a chunk instead of one each. l must not move (sit in
// a slice that grows, be copied as a value) until the lender settles.
func (l *evLine) lend(ev *parser.Event, t time.Time, c *adding) {
	if c.lender == nil || c.top != ev {
		l.set(ev, t, c)
		return
	}
	l.t, l.seq, l.input, l.line, l.who = t, c.seq, int32(ev.Input), ev.Line, ev.Member
	if !l.lent {
		c.lender.lines = append(c.lender.lines, lentLine{l, l.text[:0]})
		l.lent = true
	}
	l.text, l.packed = ev.Text, false
}

// lender holds the lines that keep a text the parser lent, each with the
// buffer it is to be copied into.
type lender struct{ lines []lentLine }

type lentLine struct {
	l   *evLine
	own []byte
}

// settle copies each lent text into its line's buffer. A line cleared since
// it was lent is skipped.
func (ln *lender) settle() {
	for _, e := range ln.lines {
		if e.l.lent {
			e.l.text, e.l.lent = append(e.own, e.l.text...), false
		}
	}
	clear(ln.lines)
	ln.lines = ln.lines[:0]
}

// keep makes l the event's line, sharing its text with the other records
// that keep it. l must not be set afterwards.
func (l *evLine) keep(ev *parser.Event, t time.Time, c *adding) {
	l.t, l.seq, l.input, l.line, l.who = t, c.seq, int32(ev.Input), ev.Line, ev.Member
	l.text, l.packed = c.text(ev)
}

// adding is the event Add is adding: its sequence number and, once a record
// keeps its line, the line's one copy, which is never written to (a storm's
// leadership start, the streak it won and the safety check's record of the
// election keep the same line: at the end of the 1 GiB storm-run, 135,697
// lines in 172,395 trackers).
type adding struct {
	seq int64
	ev  *parser.Event // whose text line is (events re-added from within Add are others)
	top *parser.Event // the event Add was called with (nil in Finish)
	// lender, when set, takes top's text, which the parser lends until it
	// settles (nil when Add's caller lends none)
	lender *lender
	line   []byte
	packed bool    // line is packed by pk
	pk     *packer // nil: lines are kept whole
}

func (c *adding) text(ev *parser.Event) ([]byte, bool) {
	if c.ev != ev {
		c.ev, c.line, c.packed = ev, nil, false
		if c.pk != nil {
			c.line = c.pk.pack(ev.Text)
			c.packed = c.line != nil
		}
		if c.line == nil {
			c.line = slices.Clone(ev.Text)
		}
	}
	return c.line, c.packed
}

func (l *evLine) empty() bool { return l.line == 0 && len(l.text) == 0 }

// evidence keeps the first lines of something and the latest ones, the
// latest in a ring of buffers reused.
type evidence struct {
	head  []evLine
	tail  []evLine // ring
	next  int      // next tail slot
	total int
}

const (
	evHead = 3
	evTail = 2
)

func (e *evidence) add(ev *parser.Event, t time.Time, c *adding) {
	e.total++
	if len(e.head) < evHead {
		e.head = append(e.head, evLine{})
		e.head[len(e.head)-1].keep(ev, t, c) // the head is never overwritten
		return
	}
	if len(e.tail) < evTail {
		if e.tail == nil {
			e.tail = make([]evLine, 0, evTail) // never grown: the lines do not move (see lend)
		}
		e.tail = append(e.tail, evLine{})
		e.tail[len(e.tail)-1].lend(ev, t, c)
		return
	}
	e.tail[e.next].lend(ev, t, c)
	e.next = (e.next + 1) % evTail
}

// trim keeps the first n lines only.
func (e *evidence) trim(n int) {
	if len(e.head) > n {
		clear(e.head[n:])
		e.head = e.head[:n]
	}
	clear(e.tail)
	e.tail, e.next = nil, 0
}

// lines returns the kept lines in order.
func (e *evidence) lines() []evLine {
	out := make([]evLine, 0, len(e.head)+len(e.tail))
	out = append(out, e.head...)
	for i := range e.tail {
		out = append(out, e.tail[(e.next+i)%len(e.tail)])
	}
	return out
}

// evRef is a line a finding quotes, not rendered yet, its text shared with
// the analyzer's state: two thirds of an evLine, for the tens of thousands
// of findings a storm makes before they are merged.
type evRef struct {
	text   []byte
	line   int64
	who    parser.ID
	input  int32
	packed bool
}

// evidenceOf picks up to max lines from several sources, in time order,
// without duplicates, spreading the picks over the sources. The lines keep
// sharing their text with the analyzer's state: a finding renders them only
// if it is kept whole (see renderEvidence), so that the thousands of
// findings of a storm, merged into a few, copy no text.
func (a *Analyzer) evidenceOf(max int, sets ...[]evLine) []evRef {
	var buf [8]evLine
	kept := buf[:0]
	// Round-robin over the sets so that each contributes its first lines;
	// at most max lines are kept, so a scan of them finds the duplicates
	// without a map per finding (a storm has thousands of findings).
pick:
	for i := 0; ; i++ {
		more := false
		for _, s := range sets {
			if i >= len(s) {
				continue
			}
			more = true
			l := &s[i]
			if l.empty() || slices.ContainsFunc(kept, func(k evLine) bool { return k.input == l.input && k.line == l.line }) {
				continue
			}
			kept = append(kept, *l)
			if len(kept) == max {
				break pick
			}
		}
		if !more {
			break
		}
	}
	slices.SortStableFunc(kept, func(x, y evLine) int {
		if c := x.t.Compare(y.t); c != 0 {
			return c
		}
		return cmp.Compare(x.seq, y.seq)
	})
	out := make([]evRef, len(kept))
	for i, l := range kept {
		out[i] = evRef{text: l.text, line: l.line, who: l.who, input: l.input, packed: l.packed}
	}
	return out
}

// evidenceList is a finding's evidence: its lines rendered, then what its
// Evidence already holds (lines from elsewhere: metrics).
func (a *Analyzer) evidenceList(x *Finding) []Evidence {
	if len(x.lines) == 0 {
		return x.Evidence
	}
	out := make([]Evidence, 0, len(x.lines)+len(x.Evidence))
	for _, l := range x.lines {
		out = append(out, a.render1(l))
	}
	return append(out, x.Evidence...)
}

// lastEvidence is the last line of a finding's evidence.
func (a *Analyzer) lastEvidence(x *Finding) (Evidence, bool) {
	if n := len(x.Evidence); n > 0 {
		return x.Evidence[n-1], true
	}
	if n := len(x.lines); n > 0 {
		return a.render1(x.lines[n-1]), true
	}
	return Evidence{}, false
}

func (a *Analyzer) render1(l evRef) Evidence {
	return Evidence{Input: a.inputName(int(l.input)), Line: l.line, Member: l.who, Text: a.textOf(l.text, l.packed)}
}

// renderEvidence renders the evidence of the findings Finish returns.
func (a *Analyzer) renderEvidence(fs []Finding) {
	for i := range fs {
		x := &fs[i]
		x.Evidence, x.lines = a.evidenceList(x), nil
		if x.Evidence == nil {
			x.Evidence = []Evidence{}
		}
	}
}

func (a *Analyzer) inputName(i int) string {
	if i >= 0 && i < len(a.opts.Inputs) {
		return a.opts.Inputs[i]
	}
	return ""
}

// one makes a single-line evidence set.
func one(l evLine) []evLine {
	if l.empty() {
		return nil
	}
	return []evLine{l}
}

// timeline keeps notable events: the first ones, and a ring of the latest.
type timeline struct {
	max     int
	head    []tlEntry
	tail    []tlEntry
	next    int
	omitted int
}

type tlEntry struct {
	member parser.ID
	kind   parser.Kind
	term   uint64
	l      evLine
}

func (tl *timeline) init(max int) {
	tl.max = max
}

func (tl *timeline) add(ev *parser.Event, m *member, t time.Time, c *adding) {
	headMax := tl.max - tl.max/4
	tailMax := tl.max / 4
	term := ev.Term
	if term == 0 && m != nil {
		term = m.term
	}
	var id parser.ID
	if m != nil {
		id = m.id
	}
	if len(tl.head) < headMax {
		tl.head = append(tl.head, tlEntry{member: id, kind: ev.Kind, term: term})
		tl.head[len(tl.head)-1].l.keep(ev, t, c)
		return
	}
	if tailMax == 0 {
		tl.omitted++
		return
	}
	if len(tl.tail) < tailMax {
		tl.tail = append(tl.tail, tlEntry{member: id, kind: ev.Kind, term: term})
		tl.tail[len(tl.tail)-1].l.set(ev, t, c)
		return
	}
	tl.omitted++
	e := &tl.tail[tl.next]
	e.member, e.kind, e.term = id, ev.Kind, term
	e.l.set(ev, t, c)
	tl.next = (tl.next + 1) % tailMax
}

func (a *Analyzer) timelineResult() ([]TimelineEvent, int) {
	tl := &a.tl
	var es []tlEntry
	es = append(es, tl.head...)
	for i := range tl.tail {
		es = append(es, tl.tail[(tl.next+i)%len(tl.tail)])
	}
	sort.SliceStable(es, func(i, j int) bool {
		if !es[i].l.t.Equal(es[j].l.t) {
			return es[i].l.t.Before(es[j].l.t)
		}
		return es[i].l.seq < es[j].l.seq
	})
	out := make([]TimelineEvent, len(es))
	for i, e := range es {
		out[i] = TimelineEvent{
			Time: e.l.t, Member: e.member, Kind: e.kind, Term: e.term,
			Input: a.inputName(int(e.l.input)), Line: e.l.line, Text: a.textOf(e.l.text, e.l.packed),
		}
	}
	return out, tl.omitted
}
