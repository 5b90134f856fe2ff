package parser

import "sync"

// A storm's raft lines are a few wordings said again and again, each time at the next term:
// "<id> became candidate at term N", "<id> [logterm: L, index: I] sent MsgVote request to <peer>
// at term N". raftMemo remembers what parseRaft made of such a message, by its text before the
// final " at term N", so that a message seen before but for its term costs a comparison. Each
// entry is checked when it is stored: the same text with two other terms must parse the same
// but for Term, read from those digits. parseRaft depends on the message alone, so a memo can
// serve every chunk and every source; a worker holds one at a time (memoPool).
type raftMemo struct {
	slots   [memoSlots]memoEntry
	next    uint8  // which way of a pair the next store replaces
	scratch []byte // a message with another term, to check an entry
}

const (
	memoSlots     = 128 // in pairs (two ways)
	memoMaxPrefix = 200 // longer texts are parsed each time
	atTerm        = " at term "
	memoMaxDigits = 19 // a term of up to 19 digits cannot overflow
)

// memoEntry is one remembered message: its text before the term, and what parseRaft set.
type memoEntry struct {
	n      int // len of the text; 0: empty
	text   [memoMaxPrefix]byte
	kind   Kind
	self   ID
	fields raftFields
}

// raftFields are the Event fields parseRaft sets, but for Term.
type raftFields struct {
	Peer, Peer2            ID
	PeerTerm               uint64
	Msg                    MsgType
	LogTerm, Index         uint64
	Granted, Rejected      int
	PeerLogTerm, PeerIndex uint64
}

func fieldsOf(ev *Event) raftFields {
	return raftFields{ev.Peer, ev.Peer2, ev.PeerTerm, ev.Msg, ev.LogTerm, ev.Index, ev.Granted,
		ev.Rejected, ev.PeerLogTerm, ev.PeerIndex}
}

func (f *raftFields) set(ev *Event) {
	ev.Peer, ev.Peer2, ev.PeerTerm, ev.Msg, ev.LogTerm, ev.Index = f.Peer, f.Peer2, f.PeerTerm, f.Msg, f.LogTerm, f.Index
	ev.Granted, ev.Rejected, ev.PeerLogTerm, ev.PeerIndex = f.Granted, f.Rejected, f.PeerLogTerm, f.PeerIndex
}

var memoPool = sync.Pool{New: func() any { return new(raftMemo) }}

// parseRaft is parseRaft(msg, ev) for an ev cleared by the caller, from the memo when msg's
// text before its term is in it. A nil memo parses every message.
func (m *raftMemo) parseRaft(msg []byte, ev *Event) (Kind, ID, string) {
	if m == nil {
		return parseRaft(msg, ev)
	}
	d := len(msg)
	for d > 0 && len(msg)-d < memoMaxDigits && isDigit(msg[d-1]) {
		d--
	}
	if d == len(msg) || d > memoMaxPrefix || d < len(atTerm)+3 || string(msg[d-len(atTerm):d]) != atTerm {
		return parseRaft(msg, ev) // also when more than memoMaxDigits digits end msg: no space before the last 19
	}
	text, term := msg[:d], msg[d:]
	i := memoSlot(text)
	for w := range 2 {
		if e := &m.slots[i^w]; e.n == d && string(e.text[:d]) == string(text) {
			e.fields.set(ev)
			ev.Term, _, _ = parseUint(term)
			return e.kind, e.self, ""
		}
	}
	kind, self, bad := parseRaft(msg, ev)
	if kind != KindNone && bad == "" && m.holds(text, term, ev, kind, self) {
		e := &m.slots[i^int(m.next&1)]
		m.next++
		e.n, e.kind, e.self, e.fields = d, kind, self, fieldsOf(ev)
		copy(e.text[:], text)
	}
	return kind, self, bad
}

// holds reports whether ev, parsed from text+term as kind and self, can stand for text with
// any term: ev holds no field parseRaft does not set, Term is term's value, and text with two
// other terms parses the same but for Term, read from their digits.
func (m *raftMemo) holds(text, term []byte, ev *Event, kind Kind, self ID) bool {
	if v, _, _ := parseUint(term); ev.Term != v || !onlyRaftFields(ev) {
		return false
	}
	want := fieldsOf(ev)
	for _, alt := range [2]string{"1", "9999999999999999999"} {
		m.scratch = append(append(m.scratch[:0], text...), alt...)
		var e Event
		k, s, bad := parseRaft(m.scratch, &e)
		v, _, _ := parseUint([]byte(alt))
		if k != kind || s != self || bad != "" || e.Term != v || fieldsOf(&e) != want || !onlyRaftFields(&e) {
			return false
		}
	}
	return true
}

// onlyRaftFields reports whether ev has no field set but Term and raftFields.
func onlyRaftFields(ev *Event) bool {
	return ev.Time.IsZero() && ev.Kind == KindNone && ev.Level == 0 && ev.Member == 0 && ev.Name == "" &&
		ev.Source == "" && ev.PeerName == "" && ev.Duration == 0 && !ev.Failed && ev.PreVote == 0 &&
		ev.Version == "" && ev.Input == 0 && ev.Line == 0 && ev.Text == nil
}

// memoSlot picks the pair of slots for a text: its length and a few of its bytes, among them
// the last of a peer ID before " at term ".
func memoSlot(text []byte) int {
	n := len(text)
	h := uint(n)*31 + uint(text[n/2])
	h = h*31 + uint(text[n-len(atTerm)-1])
	h = h*31 + uint(text[n-len(atTerm)-3])
	return int(h*2654435761>>7) % memoSlots &^ 1
}
