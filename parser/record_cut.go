package parser

import "bytes"

// A paste that starts in the middle of a line of glued zap JSON records
// ("remaining ticks: 4)"}{"level":"info",...}{"level":...}") leaves the
// first record cut: it is malformed, and the whole records glued after it
// are read as any glued records are (see parseZapJSON).

// cutGlued reports whether p is the tail of a cut record with zap records
// glued after it, and marks where they start.
func cutGlued(p []byte, rec *record) bool {
	i := bytes.Index(p, []byte(`}{"level":`))
	if i < 0 {
		return false
	}
	rec.glued = i + 1
	return true
}

// A pager that cuts long lines (journalctl's less, marking the cut with '>')
// cuts an election's longest lines inside their message: behind journald and
// a logrus wrapper, etcd's vote requests lose their peer and term
// ("...sent MsgPreVote>", k0s#3977). What is left still says that the member
// asked for votes, and when: the first round of an excerpt may be only that.

// cutInMsg is the warning for a record cut inside its msg that says nothing.
const cutInMsg = "JSON record cut inside its message (by a pager?)"

// parseCutMsg reads a zap JSON record cut inside its msg: its head is whole
// up to the msg's opening quote, and the msg's start is rec.msg, rec.cut set.
func (r *Reader) parseCutMsg(p []byte, rec *record) (status, string) {
	const key = `,"msg":"`
	i := bytes.Index(p, []byte(key))
	if i < 0 || bytes.IndexByte(p[i+len(key):], '"') >= 0 {
		return stMalformed, cutInMsg
	}
	q := append(append(r.cutMsg[:0], p...), '"') // the head as zapLayout reads it; p may be the input's
	r.cutMsg = q
	var h zapHeader
	ok := zapLayout(q, &h)
	if !ok || !h.time(rec, &r.recClock) {
		return stMalformed, cutInMsg
	}
	rec.format, rec.msg, rec.fields, rec.fieldsAt, rec.cut = recZapJSON, h.msg, q[:i], i, true
	return stOK, ""
}

// parseRaftCut reads the start of a raft message the rest of which was cut:
// a vote request cut after its message type ("<self> [logterm: L, index: I]
// sent MsgPreVote"). Its peer is read when it is whole (" at" follows it);
// its term, which a cut may have shortened, is the least the line can state:
// raft states the member's term, which its last entry's term L cannot pass; a
// candidate (MsgVote) has raised it past L.
// Any other message cut short is no event (KindNone).
func parseRaftCut(msg []byte, ev *Event) (Kind, ID) {
	c := newCursor(msg)
	self := c.hex()
	c.lit(" [logterm: ")
	ev.LogTerm = c.uint()
	c.lit(", index: ")
	ev.Index = c.uint()
	c.lit("] sent ")
	if !c.ok || self == 0 || ev.LogTerm == 0 {
		*ev = Event{}
		return KindNone, 0
	}
	switch w := c.word(); string(w) {
	case "MsgVote", "vote": // "vote request to" until 3.0
		ev.Msg = MsgVote
	case "MsgPreVote":
		ev.Msg = MsgPreVote
	default:
		*ev = Event{}
		return KindNone, 0
	}
	if c.peek(" request to ") {
		if p := c.hex(); c.ok && c.lit(" at") {
			ev.Peer = p
		}
	}
	ev.Term = ev.LogTerm
	if ev.Msg == MsgVote {
		ev.Term++
	}
	return VoteRequest, self
}
