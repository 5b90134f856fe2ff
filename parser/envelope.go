package parser

import (
	"bytes"
	"time"
)

// envelope is the wrapper a tool put around etcd's own lines.
type envelope uint8

const (
	envBare         envelope = iota // etcd's lines as printed (one member per input)
	envCompose                      // docker-compose v1/v2 "name  | " prefix, optional timestamp
	envDocker                       // "2006-01-02T15:04:05.000000000Z " (docker logs -t, kubectl --timestamps)
	envKubectl                      // "[pod/<pod>/<container>] " prefix, optional timestamp
	envJournald                     // journalctl short, short-precise, short-iso[-precise]
	envJournaldJSON                 // journalctl -o json
)

// Layouts are the envelope names Options.Layout accepts.
var Layouts = []string{"bare", "compose", "docker", "kubectl", "journald", "journald-json"}

var envNames = [...]string{"bare", "compose", "docker", "kubectl", "journald", "journald-json"}

func parseEnvelopeName(s string) (envelope, bool) {
	for i, n := range envNames {
		if n == s {
			return envelope(i), true
		}
	}
	return 0, false
}

// framed is a line with its envelope taken off.
type framed struct {
	source  []byte    // service, container, pod or host; nil when the envelope names none
	t       time.Time // the envelope's time, once built (see when)
	st      stamp     // the envelope's time, taken apart, while lazy
	lazy    bool      // t is still to be built from st
	hasTime bool
	// exact: the envelope's time has a zone and a year, so it can stand in
	// for a zone-less record time.
	exact   bool
	payload []byte
}

// unwrap takes the envelope env off line. ok is false when the line does not
// carry that envelope (the whole line is then the payload).
func (r *Reader) unwrap(env envelope, line []byte) (f framed, ok bool) {
	switch env {
	case envBare:
		return framed{payload: line}, true
	case envCompose:
		name, rest, ok := composePrefix(line)
		if !ok {
			return framed{payload: line}, false
		}
		f = framed{source: name}
		f.leadingTimestamp(rest)
		return f, true
	case envDocker:
		f.leadingTimestamp(line)
		return f, f.hasTime
	case envKubectl:
		rest := line
		if bytes.HasPrefix(line, []byte("[pod/")) {
			end := bytes.IndexByte(line, ']')
			if end < 0 {
				return framed{payload: line}, false
			}
			pod := line[5:end]
			if k := bytes.IndexByte(pod, '/'); k >= 0 {
				pod = pod[:k]
			}
			f.source = pod
			rest = line[end+1:]
			if len(rest) > 0 && rest[0] == ' ' {
				rest = rest[1:]
			}
		}
		f.leadingTimestamp(rest)
		return f, true
	case envJournald:
		return r.journaldShort(line)
	case envJournaldJSON:
		return r.journaldJSON(line)
	}
	return framed{payload: line}, false
}

// composePrefix matches "name<spaces>| " at the start of a line, as
// docker-compose v1 and docker compose v2 print it.
func composePrefix(line []byte) (name, rest []byte, ok bool) {
	n := 0
	for n < len(line) && isNameByte(line[n]) {
		n++
	}
	if n == 0 || n >= len(line) || line[n] != ' ' {
		return nil, nil, false
	}
	i := n
	for i < len(line) && line[i] == ' ' {
		i++
	}
	if i >= len(line) || line[i] != '|' {
		return nil, nil, false
	}
	i++
	if i < len(line) && line[i] == ' ' {
		i++
	}
	return line[:n], line[i:], true
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '.'
}

// leadingTimestamp takes a daemon timestamp ("2006-01-02T15:04:05.999999999Z07:00")
// off the front of b, leaving the rest as the payload. The timestamp is
// followed by a space, or glued to the line (compose up --timestamps
// v2.14-v2.38). A timestamp followed by a tab is not an envelope: it is a zap
// console record.
func (f *framed) leadingTimestamp(b []byte) {
	f.payload = b
	if len(b) < 20 || !isDigit(b[0]) || b[10] != 'T' {
		return
	}
	st, n, ok := scanRFC3339(b)
	if !ok {
		return
	}
	if n < len(b) {
		switch b[n] {
		case '\t':
			return
		case ' ':
			n++
		}
	}
	f.st, f.lazy, f.hasTime, f.exact = st, true, true, true
	f.payload = b[n:]
}

// when returns the envelope's time.
func (f *framed) when() time.Time {
	if f.lazy {
		f.t, f.lazy = f.st.time(time.UTC), false
	}
	return f.t
}

// journaldShort parses "<time> <host> <ident>[<pid>]: <message>".
func (r *Reader) journaldShort(line []byte) (framed, bool) {
	var f framed
	var n int
	var ok bool
	if len(line) > 0 && isDigit(line[0]) {
		f.t, n, ok = parseJournaldISO(line)
		f.exact = ok
	} else {
		f.t, n, ok = parseSyslogTime(line, r.year(), r.tz)
	}
	if !ok || n >= len(line) || line[n] != ' ' {
		return framed{payload: line}, false
	}
	f.hasTime = true
	rest := line[n+1:]
	sp := bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return framed{payload: line}, false
	}
	f.source = rest[:sp]
	rest = rest[sp+1:]
	colon := bytes.Index(rest, []byte(": "))
	if colon <= 0 {
		// "host ident[pid]:" with an empty message
		if bytes.HasSuffix(rest, []byte(":")) {
			f.payload = nil
			return f, true
		}
		return framed{payload: line}, false
	}
	ident := rest[:colon]
	if bytes.IndexByte(ident, ' ') >= 0 {
		return framed{payload: line}, false
	}
	f.payload = rest[colon+2:]
	return f, true
}

// journaldJSON parses one "journalctl -o json" object.
func (r *Reader) journaldJSON(line []byte) (framed, bool) {
	var f framed
	it := newJSONIter(line)
	var msg []byte
	var msgEsc, haveMsg bool
	for {
		k, v, typ, esc, ok := it.next()
		if !ok {
			break
		}
		switch string(k) {
		case "MESSAGE":
			if typ == jsonString {
				msg, msgEsc, haveMsg = v, esc, true
			}
		case "__REALTIME_TIMESTAMP":
			if typ == jsonString {
				f.t, f.hasTime = parseEpochMicros(v)
				f.exact = f.hasTime
			}
		case "_HOSTNAME":
			if typ == jsonString {
				f.source = v
			}
		}
	}
	if it.bad || !haveMsg {
		return framed{payload: line}, false
	}
	if msgEsc {
		r.unesc = unescape(r.unesc[:0], msg)
		msg = r.unesc
	}
	f.payload = msg
	return f, true
}

// year is the year assumed for journald short timestamps, which print none:
// the year of the last full timestamp seen, else the current year.
func (r *Reader) year() int {
	if r.lastYear != 0 {
		return r.lastYear
	}
	return time.Now().Year()
}

// sniffEnvelope guesses the envelope of one line; ok is false when the
// line says nothing (blank, an elision).
func sniffEnvelope(line []byte) (envelope, bool) {
	line = trimSpace(line)
	if len(line) == 0 || bytes.Equal(line, []byte("[...]")) || bytes.Equal(line, []byte("...")) {
		return 0, false
	}
	switch {
	case line[0] == '{':
		if bytes.Contains(line, []byte(`"MESSAGE"`)) &&
			(bytes.Contains(line, []byte(`"__REALTIME_TIMESTAMP"`)) || bytes.Contains(line, []byte(`"__CURSOR"`))) {
			return envJournaldJSON, true
		}
		return envBare, true
	case bytes.HasPrefix(line, []byte("[pod/")):
		return envKubectl, true
	}
	if _, _, ok := composePrefix(line); ok {
		return envCompose, true
	}
	if _, _, ok := parseSyslogTime(line, 2000, time.UTC); ok {
		return envJournald, true
	}
	if isDigit(line[0]) {
		if _, n, ok := scanRFC3339(line); ok && n < len(line) {
			switch line[n] {
			case '\t':
				return envBare, true // zap console
			case ' ':
				// journald short-iso names a host and an ident: "host ident[pid]: "
				rest := line[n+1:]
				if sp := bytes.IndexByte(rest, ' '); sp > 0 {
					if c := bytes.Index(rest[sp+1:], []byte(": ")); c > 0 &&
						bytes.IndexByte(rest[sp+1:sp+1+c], ' ') < 0 && rest[0] != '{' {
						ident := rest[sp+1 : sp+1+c]
						if bytes.HasSuffix(ident, []byte("]")) || !bytes.ContainsAny(ident, "{\"") {
							if looksLikeIdent(ident) {
								return envJournald, true
							}
						}
					}
				}
				// a zap console line pasted with spaces: "ts  level  caller  msg"
				if isLevelWord(firstWord(rest)) {
					return envBare, true
				}
				return envDocker, true
			default:
				return envDocker, true
			}
		}
	}
	return envBare, true
}

// looksLikeIdent matches a syslog identifier: "etcd[1001]", "etcd", "k3s[1249]".
func looksLikeIdent(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if i := bytes.IndexByte(b, '['); i > 0 {
		if b[len(b)-1] != ']' {
			return false
		}
		_, n, ok := parseUint(b[i+1 : len(b)-1])
		return ok && n == len(b)-i-2
	}
	for _, c := range b {
		if !isNameByte(c) {
			return false
		}
	}
	return true
}

func firstWord(b []byte) []byte {
	b = trimSpace(b)
	for i, c := range b {
		if c == ' ' || c == '\t' {
			return b[:i]
		}
	}
	return b
}

func isLevelWord(w []byte) bool {
	switch string(w) {
	case "debug", "info", "warn", "error", "dpanic", "panic", "fatal":
		return true
	}
	return false
}

// composeVersion tells compose v1 names ("etcd3_1") from v2 ("etcd3-1").
func composeVersion(name []byte) string {
	i := len(name)
	for i > 0 && isDigit(name[i-1]) {
		i--
	}
	if i == len(name) || i < 2 {
		return "compose"
	}
	switch name[i-1] {
	case '_':
		return "compose-v1"
	case '-':
		return "compose-v2"
	}
	return "compose"
}

// serviceName strips compose's replica suffix: "etcd3_1" and "etcd3-1" are
// service etcd3.
func serviceName(name []byte) []byte {
	i := len(name)
	for i > 0 && isDigit(name[i-1]) {
		i--
	}
	if i < len(name) && i >= 2 && (name[i-1] == '_' || name[i-1] == '-') {
		return name[:i-1]
	}
	return name
}
