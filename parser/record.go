package parser

import (
	"bytes"
	"time"
)

// recFormat is the layout of etcd's own line, inside any envelope.
type recFormat uint8

const (
	recNone       recFormat = iota
	recStdlog               // etcd 3.4 raft std-logger: "raft2020/04/30 17:20:31 INFO: ..."
	recCapnslog             // "2020-04-30 17:20:31.622130 W | rafthttp: ..." (3.3, 3.4)
	recZapJSON              // {"level":"info","ts":"...","logger":"raft","caller":"...","msg":"..."}
	recZapConsole           // "2026-...Z<TAB>info<TAB>raft<TAB>caller<TAB>msg<TAB>{fields}"
	recText                 // a bare message (journald's capnslog formatter)
	recGoLog                // etcd 2.0/2.1 Go std log: "2015/08/20 15:43:27 raft: ..."
	recShipper              // zap's record re-encoded by a log shipper (see record_shipper.go)
	recFormats
)

var recNames = [...]string{"", "raft-stdlog", "capnslog", "zap-json", "zap-console", "text", "go-log", "shipper-json"}

// record is one etcd log record, taken apart. Slices alias the line.
type record struct {
	format   recFormat
	t        time.Time // the record's time, once built (see when)
	st       stamp     // the record's time, taken apart, while lazy
	lazy     bool      // t is still to be built from st
	hasTime  bool
	zoneless bool // t is a zone-less wall clock (capnslog, std-logger), held as UTC
	level    Level
	msg      []byte
	fields   []byte // zap: the JSON object holding the fields (the whole line for zap JSON)
	fieldsAt int    // zap JSON: where the fields after msg start in fields
	glued    int    // zap JSON: where a record glued after this one starts, 0 if none
	// looked: raft and kind say what raftCandidate and zapKind said of msg (zap JSON's fast
	// path looks before handleRecord would)
	looked bool
	raft   bool
	kind   Kind
	cut    bool // msg is the start of the record's msg, the rest cut by a pager (see parseCutMsg)
}

// status of parsing one payload.
type status uint8

const (
	stOK        status = iota
	stNoise            // not a log record: skipped and counted
	stMalformed        // looks like a record but is broken
)

// parseRecord takes payload apart. On stMalformed, why says what is wrong.
func (r *Reader) parseRecord(payload []byte, rec *record) (st status, why string) {
	*rec = record{}
	p := payload
	if len(p) == 0 {
		return stNoise, ""
	}
	switch c := p[0]; {
	case c == '{':
		return r.parseZapJSON(p, rec)
	case c == 't' && bytes.HasPrefix(p, []byte(`time="`)):
		return r.parseLogrus(p, rec)
	case c == 'r' && bytes.HasPrefix(p, []byte("raft")):
		if st, why := r.parseStdlog(p, rec); st != stNoise {
			return st, why
		}
	case isDigit(c):
		if len(p) >= 20 && p[10] == 'T' || len(p) >= 12 && p[10] == '.' && looksLikeEpochConsole(p) {
			return r.parseZapConsole(p, rec)
		}
		if len(p) >= 19 && p[4] == '-' && p[10] == ' ' {
			return r.parseCapnslog(p, rec)
		}
		if len(p) >= 20 && p[4] == '/' && p[7] == '/' && p[10] == ' ' && p[13] == ':' {
			return r.parseGoLog(p, rec)
		}
		if len(p) >= 10 && p[2] == ':' && p[5] == ':' {
			return r.parseGoLogFlags(p, rec, false)
		}
	}
	// A bare raft or server message, as journald's capnslog formatter
	// stores it.
	if looksLikeRaftMessage(p) || looksLikeServerMessage(p) {
		rec.format = recText
		rec.msg = p
		return stOK, ""
	}
	if cutGlued(p, rec) {
		return stMalformed, "a record cut at the start of the line, whole records glued after it"
	}
	return stNoise, ""
}

// looksLikeRaftMessage reports whether b starts with "<hex id> " or one of the
// raft wordings that do not start with an ID.
func looksLikeRaftMessage(b []byte) bool {
	if bytes.HasPrefix(b, []byte("raft.node: ")) || bytes.HasPrefix(b, []byte("newRaft ")) {
		return true
	}
	if len(b) > 16 && b[16] == ' ' && hex16(b) {
		return true // most IDs: 16 digits, as the loop below finds them
	}
	n := 0
	for n < len(b) && n <= 32 && isHex(b[n]) {
		n++
	}
	// up to 32 digits: an ID too long is reported, not taken for noise
	return n >= 1 && n <= 32 && n < len(b) && b[n] == ' ' && hasHexLetterOrLong(b[:n])
}

// hex16 reports whether b's first 16 bytes are lowercase hex digits: 16 lookups, no
// branch between them (hexVal is 0xff for any other byte).
func hex16(b []byte) bool {
	_ = b[15]
	x := hexVal[b[0]] | hexVal[b[1]] | hexVal[b[2]] | hexVal[b[3]] | hexVal[b[4]] | hexVal[b[5]] |
		hexVal[b[6]] | hexVal[b[7]] | hexVal[b[8]] | hexVal[b[9]] | hexVal[b[10]] | hexVal[b[11]] |
		hexVal[b[12]] | hexVal[b[13]] | hexVal[b[14]] | hexVal[b[15]]
	return x <= 15
}

// looksLikeServerMessage reports whether b is one of the server wordings
// that make events.
func looksLikeServerMessage(b []byte) bool {
	var h serverHint
	parseServerText(b, &h)
	if h.kind == KindNone {
		parseLinkFailure(b, &h)
	}
	return h.kind != KindNone
}

// hasHexLetterOrLong rejects short plain words that happen to be hex ("added").
func hasHexLetterOrLong(b []byte) bool {
	if len(b) >= 12 {
		return true
	}
	for _, c := range b {
		if isDigit(c) {
			return true
		}
	}
	return false
}

func (r *Reader) parseStdlog(p []byte, rec *record) (status, string) {
	q := p[4:]
	if len(q) > 0 && q[0] == ' ' {
		q = q[1:]
	}
	if len(q) < 20 || q[4] != '/' {
		return stNoise, ""
	}
	st, ok := scanStdlogTime(q) // wall clock; the zone is settled in zoneTime
	if !ok {
		return stMalformed, "bad raft std-logger timestamp"
	}
	rec.format = recStdlog
	rec.st, rec.lazy, rec.hasTime, rec.zoneless = st, true, true, true
	q = q[19:]
	if len(q) > 0 && q[0] == ' ' {
		q = q[1:]
	}
	rec.level = LevelInfo
	for _, lv := range [...]struct {
		s string
		l Level
	}{{"INFO: ", LevelInfo}, {"WARN: ", LevelWarn}, {"ERROR: ", LevelError}, {"DEBUG: ", LevelDebug}, {"FATAL: ", LevelFatal}} {
		if bytes.HasPrefix(q, []byte(lv.s)) {
			rec.level = lv.l
			q = q[len(lv.s):]
			break
		}
	}
	rec.msg = q
	return stOK, ""
}

// parseGoLog reads etcd 2.0 and 2.1's records, written by Go's standard log
// with its default flags: "2015/08/20 15:43:27 raft: 8e9e05c52164694d became
// candidate at term 5", the package, then the message; no level.
func (r *Reader) parseGoLog(p []byte, rec *record) (status, string) {
	st, ok := scanStdlogTime(p) // wall clock; the zone is settled in zoneTime
	if !ok {
		return stMalformed, "bad Go log timestamp"
	}
	q := p[19:]
	if len(q) > 0 && q[0] == '.' { // log.Lmicroseconds
		return r.parseGoLogFlags(p, rec, true)
	}
	if len(q) == 0 || q[0] != ' ' {
		return stNoise, ""
	}
	q = q[1:]
	// "pkg: message"; raft's "raft.node: ..." is a message of its own
	if c := bytes.Index(q, []byte(": ")); c > 0 && bytes.IndexByte(q[:c], ' ') < 0 && string(q[:c]) != "raft.node" {
		q = q[c+2:]
	}
	rec.format, rec.level = recGoLog, LevelInfo
	rec.st, rec.lazy, rec.hasTime, rec.zoneless = st, true, true, true
	rec.msg = q
	return stOK, ""
}

func (r *Reader) parseCapnslog(p []byte, rec *record) (status, string) {
	st, n, ok := scanCapnslogTime(p) // wall clock; the zone is settled in zoneTime
	if !ok {
		return stMalformed, "bad capnslog timestamp"
	}
	q := p[n:]
	if len(q) > 0 && q[0] == ' ' {
		q = q[1:]
	}
	// --debug inserts " [file.go:NNN]"
	if len(q) > 0 && q[0] == '[' {
		if e := bytes.IndexByte(q, ']'); e > 0 {
			q = q[e+1:]
			if len(q) > 0 && q[0] == ' ' {
				q = q[1:]
			}
		}
	}
	if len(q) < 4 || q[1] != ' ' || q[2] != '|' {
		return stMalformed, "capnslog line without level and package"
	}
	switch q[0] {
	case 'C':
		rec.level = LevelFatal
	case 'E':
		rec.level = LevelError
	case 'W':
		rec.level = LevelWarn
	case 'N', 'I':
		rec.level = LevelInfo
	case 'D', 'T':
		rec.level = LevelDebug
	default:
		return stMalformed, "unknown capnslog level"
	}
	q = q[3:]
	if len(q) > 0 && q[0] == ' ' {
		q = q[1:]
	}
	// "pkg: message"
	if c := bytes.Index(q, []byte(": ")); c > 0 && bytes.IndexByte(q[:c], ' ') < 0 {
		q = q[c+2:]
	}
	rec.format = recCapnslog
	rec.st, rec.lazy, rec.hasTime, rec.zoneless = st, true, true, true
	rec.msg = q
	return stOK, ""
}

// parseZapConsole reads "ts<TAB>level<TAB>[logger<TAB>]caller<TAB>msg[<TAB>{json}]",
// or the same with runs of spaces once pasted into an issue.
func (r *Reader) parseZapConsole(p []byte, rec *record) (status, string) {
	st, n, ok := scanRFC3339(p)
	if !ok {
		if st, n, ok = scanZapConsoleTime(p); !ok { // zone-less, epoch
			return stMalformed, "bad zap console timestamp"
		}
	}
	if n >= len(p) || (p[n] != '\t' && p[n] != ' ') {
		return stNoise, ""
	}
	rest := p[n:]
	cols := [3][]byte{}
	for i := range cols {
		rest = trimLeftSpace(rest)
		j := 0
		for j < len(rest) && rest[j] != '\t' && rest[j] != ' ' {
			j++
		}
		cols[i] = rest[:j]
		rest = rest[j:]
	}
	lv := parseLevelWord(cols[0])
	if lv == LevelUnknown {
		return stNoise, ""
	}
	rec.level = lv
	var msg []byte
	switch {
	case isCaller(cols[1]): // no logger column: the message starts at cols[2]
		msg = p[len(p)-len(rest)-len(cols[2]):]
	case isCaller(cols[2]):
		msg = trimLeftSpace(rest)
	default:
		return stMalformed, "zap console line without caller"
	}
	// fields: a trailing JSON object after a tab, or after spaces once pasted
	if i := bytes.LastIndex(msg, []byte("\t{")); i >= 0 {
		rec.fields = msg[i+1:]
		msg = msg[:i]
	} else if i := bytes.LastIndex(msg, []byte(" {\"")); i >= 0 && bytes.HasSuffix(trimSpace(msg), []byte("}")) {
		rec.fields = msg[i+1:]
		msg = msg[:i]
	}
	rec.format = recZapConsole
	rec.st, rec.lazy, rec.hasTime, rec.zoneless = st, true, true, !st.zoned
	rec.msg = trimSpace(msg)
	return stOK, ""
}

func trimLeftSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// isCaller matches zap's caller column, "dir/file.go:123".
func isCaller(b []byte) bool {
	i := bytes.Index(b, []byte(".go:"))
	return i > 0 && i+4 < len(b) && isDigit(b[i+4])
}

func parseLevelWord(b []byte) Level {
	switch string(b) {
	case "info", "INFO":
		return LevelInfo
	case "warn", "WARN", "warning":
		return LevelWarn
	case "error", "ERROR":
		return LevelError
	case "debug", "DEBUG":
		return LevelDebug
	case "fatal", "panic", "dpanic", "FATAL", "PANIC", "DPANIC":
		return LevelFatal
	}
	return LevelUnknown
}

// when returns the record's time (a zone-less wall clock is held as UTC).
func (rec *record) when() time.Time {
	if rec.lazy {
		rec.t, rec.lazy = rec.st.time(time.UTC), false
	}
	return rec.t
}
