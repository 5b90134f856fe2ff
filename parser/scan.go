// The sequential Reader: its scanning loop, line reading and the per-line path (envelope,
// record, event, time) that chunk workers run too. They share the Reader's state and are read
// together, hence one file over 450 lines.

package parser

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// MaxLineBytes bounds one line. Longer lines are counted as malformed and
// skipped whole; the lines after them are read as usual.
const MaxLineBytes = 16 << 20

// sniffLines is how many lines layout detection looks at.
const sniffLines = 64

// Reader reads one input and yields its events, bufio.Scanner style:
//
//	r := parser.NewReader(f, parser.Options{Name: "logs.txt"})
//	for r.Scan() {
//		ev := r.Event() // valid until the next Scan
//	}
//	if err := r.Err(); err != nil { ... } // I/O errors only; bad lines are counted in Stats
type Reader struct {
	opts Options
	br   *bufio.Reader
	tz   *time.Location
	err  error
	eof  bool

	env      envelope
	outer    outer // a prefix in front of the envelope (see envelope_outer.go)
	detected bool
	forced   bool     // the envelope was set by Options.Layout
	variant  string   // envelope variant seen, e.g. "compose-v1"
	sample   [][]byte // lines read while detecting the layout, replayed first
	long     []byte   // a line longer than the read buffer
	ansi     []byte
	unesc    []byte
	msgBuf   []byte
	wrapped  []byte // a record unquoted from its wrapper (see record_logrus.go)
	cutMsg   []byte // a record cut inside its msg, its msg's quote closed (see parseCutMsg)
	line     int64
	lastYear int

	lastMonth int    // of the last year-less stamp (see syslogYear)
	procDate  [3]int // the last record date a Procfile line carried
	joined    []byte // a CRI line with its partial lines joined

	rec record
	ev  Event
	out *Event // where the next event goes, when not in ev (a chunk's slice, see chunk.parse)

	envClock, recClock clockCache // the minutes of the last envelope and record stamps
	stats              Stats
	span               span // line times (see span.go)
	guess              span
	order              timeOrder
	recs               [recFormats]int64

	// chunk mode (see Read): lines come from chunk; the in-order pass
	// numbers them and drops repeated shutdown lines.
	chunked bool
	chunk   []byte
	frame   framed // the envelope of the line being handled

	rest     []byte // records glued after the current one on its line
	restLine []byte
	restF    framed

	lastKey  []byte // the envelope name last seen, and its interned display form
	lastName string
	shut     shutdowns
	strs     map[string]string // interned names and versions
	memo     *raftMemo         // how raft's messages parsed, but for their terms
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader, opts Options) *Reader {
	if opts.MaxErrors == 0 {
		opts.MaxErrors = 5
	}
	if opts.Name == "" {
		opts.Name = "input"
	}
	rd := &Reader{
		opts: opts,
		br:   bufio.NewReaderSize(r, 256<<10),
		tz:   opts.TZ,
		strs: make(map[string]string),
		span: span{max: MaxGaps}, guess: span{max: MaxGaps},
		memo: memoPool.Get().(*raftMemo),
	}
	if rd.tz == nil {
		rd.tz = time.UTC
	}
	if opts.Layout != "" && opts.Layout != "auto" {
		if env, ok := parseEnvelopeName(opts.Layout); ok {
			rd.env, rd.forced = env, true
		} else {
			rd.err = fmt.Errorf("%s: unknown layout %q (want one of %s)", opts.Name, opts.Layout, strings.Join(Layouts, ", "))
			rd.eof = true
		}
	}
	return rd
}

// Scan advances to the next event. It returns false at the end of the input
// or on an I/O error (see Err).
func (r *Reader) Scan() bool {
	if !r.detected {
		r.detect()
	}
	for {
		var kept bool
		if len(r.rest) > 0 {
			p := r.rest
			r.rest = nil
			r.stats.Glued++
			kept = r.handleRecord(r.restLine, &r.restF, p)
		} else {
			line, ok := r.nextLine()
			if !ok {
				return false
			}
			kept = r.handle(line)
		}
		if kept && !r.chunked && !r.shut.keep(r.Event()) {
			r.stats.Records++ // a repeated shutdown line
			continue
		}
		if kept {
			r.stats.Events++
			if ev := r.Event(); !r.chunked && !ev.Time.IsZero() {
				r.order.step(ev.Time.UnixNano(), &r.stats)
			}
			return true
		}
	}
}

// Event returns the current event, valid until the next Scan.
func (r *Reader) Event() *Event {
	if r.out != nil {
		return r.out
	}
	return &r.ev
}

// Err returns the first I/O error, if any (not io.EOF).
func (r *Reader) Err() error { return r.err }

// Stats returns what was read so far.
func (r *Reader) Stats() Stats {
	s := r.stats
	s.Layout = r.Layout()
	spanStats(&s, &r.span, &r.guess)
	return s
}

// Layout names the input's layout: the envelope, then the record formats
// seen, e.g. "compose-v1+raft-stdlog,capnslog".
func (r *Reader) Layout() string {
	env := envNames[r.env]
	if r.variant != "" {
		env = r.variant
	}
	if r.outer != outerNone {
		env = outerNames[r.outer] + "/" + env
	}
	var recs []string
	for f := recStdlog; f < recFormats; f++ {
		if r.recs[f] > 0 {
			recs = append(recs, recNames[f])
		}
	}
	if len(recs) == 0 {
		return env
	}
	return env + "+" + strings.Join(recs, ",")
}

// detect reads the first lines, guesses the envelope by a vote (unless
// Options.Layout forced it), and keeps the lines to replay them. For
// journald's year-less stamps, it also looks in them for a dated stamp.
func (r *Reader) detect() {
	r.detected = true
	if r.forced && r.env != envJournald {
		return
	}
	var v envVote
	for len(r.sample) < sniffLines && (r.forced || v.decisive < 16) {
		line, ok := r.readLine()
		if !ok {
			break
		}
		r.sample = append(r.sample, append([]byte(nil), line...))
		v.add(line)
	}
	if !r.forced {
		r.env, r.outer = v.best(), v.outer.best()
	}
	if r.env == envJournald {
		r.sampleYear()
	}
}

// envVote guesses an input's envelope from its first lines.
type envVote struct {
	votes    [envCount]int
	decisive int
	outer    outerVote
}

func (v *envVote) add(line []byte) {
	if bytes.IndexByte(line, 0x1b) >= 0 {
		line = stripANSI(nil, line)
	}
	line = v.outer.add(line)
	if env, ok := sniffEnvelope(line); ok {
		v.votes[env]++
		v.decisive++
	}
}

func (v *envVote) best() envelope {
	best := envBare
	for env, n := range v.votes {
		if n > v.votes[best] {
			best = envelope(env)
		}
	}
	return best
}

// nextLine returns the next line, replaying the detection sample first. A
// CRI partial line comes with the lines that continue it (see joinPartial).
func (r *Reader) nextLine() ([]byte, bool) {
	line, ok := r.sampleOrRead()
	if ok && r.env == envCRI {
		if _, partial, _, cri := criHeader(line); cri && partial {
			return r.joinPartial(line), true
		}
	}
	return line, ok
}

func (r *Reader) sampleOrRead() ([]byte, bool) {
	if len(r.sample) > 0 {
		l := r.sample[0]
		r.sample[0] = nil
		r.sample = r.sample[1:]
		return l, true
	}
	return r.readLine()
}

// readLine reads one line without its line ending. Lines longer than the
// read buffer are assembled; lines over MaxLineBytes are reported and
// skipped whole.
func (r *Reader) readLine() ([]byte, bool) {
	if r.eof {
		return nil, false
	}
	if r.chunked {
		return r.chunkLine()
	}
	line, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.long = append(r.long[:0], line...)
		tooLong := false
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = r.br.ReadSlice('\n')
			if len(r.long)+len(line) > MaxLineBytes {
				tooLong = true
				r.long = r.long[:0]
			}
			if !tooLong {
				r.long = append(r.long, line...)
			}
		}
		if tooLong {
			r.line++
			r.stats.Lines++
			r.malformed("line longer than " + strconv.Itoa(MaxLineBytes>>20) + " MiB")
			if err != nil {
				r.finish(err)
			}
			return r.readLine()
		}
		line = r.long
	}
	if err != nil {
		r.finish(err)
		if len(line) == 0 {
			return nil, false
		}
	}
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
	}
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	return line[:n], true
}

func (r *Reader) finish(err error) {
	r.eof = true
	if err != io.EOF && r.err == nil {
		r.err = fmt.Errorf("reading %s: %w", r.opts.Name, err)
	}
}

func (r *Reader) malformed(why string) {
	r.stats.Malformed++
	if len(r.stats.Errors) < r.opts.MaxErrors {
		r.stats.Errors = append(r.stats.Errors, SyntaxError{File: r.opts.Name, Line: r.line, Msg: why})
	}
}

// handle reads one line and reports whether it produced an event in r.Event().
func (r *Reader) handle(line []byte) bool {
	r.line++
	r.stats.Lines++
	if bytes.IndexByte(line, 0x1b) >= 0 {
		r.ansi = stripANSI(r.ansi, line)
		line = r.ansi
	}
	inner, src := line, []byte(nil)
	if r.outer != outerNone {
		src, inner = r.unwrapOuter(line)
	}
	f := &r.frame
	r.unwrap(r.env, inner, f)
	if f.source == nil {
		f.source = src
	}
	return r.handleRecord(line, f, f.payload)
}

// handleRecord reads the record in payload, a part of line inside the
// envelope f, and reports whether it produced an event in r.Event(). The event
// says what the line itself says: its member when the wording names it, a
// name it announces, and the envelope's name of its stream; who wrote a
// line that names no member is the analysis' to decide.
func (r *Reader) handleRecord(line []byte, f *framed, payload []byte) bool {
	rec := &r.rec
	st, why := r.parseRecord(payload, rec)
	if rec.glued > 0 {
		r.rest, r.restLine, r.restF = payload[rec.glued:], line, *f
	}
	switch st {
	case stNoise:
		r.stats.Skipped++
		r.timeLine(rec, f)
		return false
	case stMalformed:
		r.malformed(why)
		return false
	}
	ev := r.Event()
	kind, self, bad := KindNone, ID(0), ""
	if rec.cut { // only its msg's start: a message cut short, else as malformed as any record cut in its msg
		*ev = Event{}
		if kind, self = parseRaftCut(rec.msg, ev); kind == KindNone {
			r.malformed(cutInMsg)
			return false
		}
	}
	r.recs[rec.format]++
	if !rec.cut && (rec.looked && rec.raft || !rec.looked && raftCandidate(rec.msg)) {
		*ev = Event{}
		kind, self, bad = r.memo.parseRaft(rec.msg, ev)
	}
	fromRaft := kind != KindNone
	var h serverHint
	if kind == KindNone && bad == "" {
		switch rec.format {
		case recZapJSON, recZapConsole, recShipper:
			k := rec.kind
			if !rec.looked {
				k = zapKind(rec.msg)
			}
			if k != KindNone {
				parseZapFields(k, rec.fields, rec.fieldsAt, &h)
			}
		case recGoLog, recText:
			if parseServerText(rec.msg, &h); h.kind == KindNone {
				parseLinkFailure(rec.msg, &h)
			}
		default:
			parseServerText(rec.msg, &h)
		}
		kind, self, bad = h.kind, h.self, h.bad
	}
	if bad != "" {
		r.malformed(bad)
		return false
	}
	if kind == KindNone {
		r.timeLine(rec, f)
		r.stats.Records++
		return false
	}
	if !fromRaft {
		*ev = Event{} // only lines that are events pay for clearing it
	}
	ev.Kind, ev.Level = kind, rec.level
	ev.Input, ev.Line, ev.Text = r.opts.Input, r.line, line
	t := r.zoneTime(rec, f) // read from here, not from ev: the event's memory is cold
	ev.Time = t
	if u := t.Unix(); u < minUnix || u >= maxUnix {
		r.malformed("time outside the years 0 to 9999")
		return false
	}
	if !t.IsZero() {
		r.seeTime(t, rec, f)
	}
	if r.env == envJournald && !t.IsZero() && (f.exact || rec.hasTime) {
		r.lastYear = t.Year() // for journald's year-less stamps only
	}
	ev.Member = self
	ev.Source = r.sourceName(f.source)
	if len(h.name) > 0 {
		ev.Name = r.intern(h.name)
	}
	if h.kind != KindNone {
		ev.Peer, ev.Peer2 = h.peer, h.peer2
		if host := hostName(h.peerURL); host != nil {
			ev.PeerName = r.intern(host)
		}
		ev.PreVote, ev.Failed = h.preVote, h.failed
		if len(h.version) > 0 {
			ev.Version = r.intern(h.version)
		}
		if len(h.duration) > 0 {
			ev.Duration, _ = parseDuration(h.duration)
		}
	}
	return true
}

// zoneTime settles an event's time. A record's own zoned time (zap) wins.
// A zone-less wall clock (capnslog, std-logger) takes its zone from an
// envelope time that has one: the std-logger's whole seconds give way to the
// envelope's time, capnslog's microseconds keep their precision and take the
// envelope's offset (rounded to 15 minutes). Otherwise the wall clock is in
// Options.TZ. A record without a time takes the envelope's.
func (r *Reader) zoneTime(rec *record, f *framed) time.Time {
	switch {
	case rec.hasTime && !rec.zoneless:
		return rec.when()
	case rec.hasTime && f.hasTime && f.exact:
		if rec.format == recStdlog || rec.format == recGoLog { // whole seconds
			return f.when()
		}
		wall := rec.when()
		return wall.Add(-wall.Sub(f.when()).Round(15 * time.Minute))
	case rec.hasTime:
		if r.tz == time.UTC {
			return rec.when()
		}
		return rec.st.time(r.tz)
	case f.hasTime:
		return f.when()
	}
	return time.Time{}
}

// raftCandidate is a cheap test for messages parseRaft may know: they start
// with a member ID and a space, or with one of raft's few other openings.
func raftCandidate(msg []byte) bool {
	if len(msg) == 0 {
		return false
	}
	switch msg[0] {
	case 'r':
		return bytes.HasPrefix(msg, []byte("raft.node: "))
	case 'n':
		if bytes.HasPrefix(msg, []byte("newRaft ")) {
			return true
		}
	case 'A':
		return bytes.HasPrefix(msg, []byte("A tick missed"))
	}
	return looksLikeRaftMessage(msg)
}

// sourceName returns the display form of an envelope name, interned: a
// compose service without its replica suffix, a pod, a host; Options.Source
// when the envelope names none.
func (r *Reader) sourceName(name []byte) string {
	if name == nil {
		return r.opts.Source
	}
	if r.lastName != "" && bytes.Equal(name, r.lastKey) {
		return r.lastName
	}
	display := name
	if r.env == envCompose {
		if r.variant == "" {
			r.variant = composeVersion(name)
		}
		display = serviceName(name)
	}
	r.lastName = r.intern(display)
	r.lastKey = append(r.lastKey[:0], name...)
	return r.lastName
}

// intern returns a string for b, allocating once per distinct value. The
// table is capped: hostile input cannot grow it without bound.
func (r *Reader) intern(b []byte) string {
	if s, ok := r.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(r.strs) < 4096 {
		r.strs[s] = s
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func parseHexID(b []byte) (ID, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return ID(v), true
}
