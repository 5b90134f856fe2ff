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
	envDockerJSON                   // docker's json-file driver: {"log":"<line>\n","stream":"stderr","time":"..."}
	envCRI                          // CRI/containerd pod log files: "<RFC 3339> stderr F <line>", P parts joined
	envProcfile                     // goreman, foreman: "15:04:05 name | <line>"
	envPodContainer                 // stern, kubetail: "<pod> <container> <line>"
	envCount
)

var envNames = [envCount]string{"bare", "compose", "docker", "kubectl", "journald", "journald-json",
	"docker-json", "cri", "procfile", "pod-container"}

// Layouts are the envelope names Options.Layout accepts.
var Layouts = append([]string(nil), envNames[:]...)

// sequential reports whether env's lines depend on the lines before them
// (a year or a date to carry, partial lines to join), so that an input in
// it is read in one piece rather than in parallel chunks.
func sequential(env envelope) bool {
	return env == envJournald || env == envCRI || env == envProcfile
}

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

// unwrap takes the envelope env off line into f. ok is false when the line does not
// carry that envelope (the whole line is then the payload). f is filled in place: a
// framed returned by value is built with 8-byte stores and copied with 16-byte loads,
// which the CPU cannot forward (a stall a line).
func (r *Reader) unwrap(env envelope, line []byte, f *framed) (ok bool) {
	switch env {
	case envBare:
		*f = framed{payload: line}
		return true
	case envCompose:
		name, rest, ok := composePrefix(line)
		if !ok {
			*f = framed{payload: line}
			return false
		}
		*f = framed{source: name}
		f.leadingTimestamp(rest, &r.envClock)
		return true
	case envDocker:
		*f = framed{}
		f.leadingTimestamp(line, &r.envClock)
		return f.hasTime
	case envKubectl:
		*f = framed{}
		rest := line
		if bytes.HasPrefix(line, []byte("[pod/")) {
			end := bytes.IndexByte(line, ']')
			if end < 0 {
				*f = framed{payload: line}
				return false
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
		f.leadingTimestamp(rest, &r.envClock)
		return true
	case envJournald:
		*f, ok = r.journaldShort(line)
	case envJournaldJSON:
		*f, ok = r.journaldJSON(line)
	case envDockerJSON:
		*f, ok = r.dockerJSON(line)
	case envCRI:
		*f, ok = criLine(line)
	case envProcfile:
		*f, ok = r.procfileLine(line)
	case envPodContainer:
		*f, ok = podContainerLine(line)
	default:
		*f = framed{payload: line}
	}
	return ok
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

func isNameByte(c byte) bool { return nameBytes[c] }

// nameBytes holds the bytes of a service, container or host name: letters, digits, '_', '-'
// and '.' (one lookup a byte, not seven comparisons: a compose line starts with its name).
var nameBytes = func() (t [256]bool) {
	for c := range t {
		b := byte(c)
		t[c] = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-' || b == '.'
	}
	return t
}()

// leadingTimestamp takes a daemon timestamp ("2006-01-02T15:04:05.999999999Z07:00")
// off the front of b, leaving the rest as the payload. The timestamp is
// followed by a space, or glued to the line (compose up --timestamps
// v2.14-v2.38). A timestamp followed by a tab is not an envelope: it is a zap
// console record. c is the input's cache of envelope minutes.
func (f *framed) leadingTimestamp(b []byte, c *clockCache) {
	f.payload = b
	if len(b) < 20 || !isDigit(b[0]) || b[10] != 'T' {
		return
	}
	n, ok := c.scan(b, &f.st)
	if !ok {
		return
	}
	if n < len(b) {
		switch b[n] {
		case '\t':
			f.st = stamp{}
			return
		case ' ':
			n++
		}
	}
	f.lazy, f.hasTime, f.exact = true, true, true
	f.payload = b[n:]
}

// when returns the envelope's time.
func (f *framed) when() time.Time {
	if f.lazy {
		f.t, f.lazy = f.st.time(time.UTC), false
	}
	return f.t
}

// sniffEnvelope guesses the envelope of one line; ok is false when the
// line says nothing (blank, an elision, a line that is neither in an
// envelope nor a record: a `systemctl status` header, a panic, k3s's own
// lines).
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
		if bytes.HasPrefix(line, []byte(`{"log":"`)) { // zap's first key is "level"
			return envDockerJSON, true
		}
		return envBare, true
	case bytes.HasPrefix(line, []byte("[pod/")):
		return envKubectl, true
	}
	if _, _, ok := composePrefix(line); ok {
		return envCompose, true
	}
	if _, n, ok := scanSyslogTime(line); ok && n < len(line) && line[n] == ' ' {
		return envJournald, true
	}
	if _, n, ok := scanShortFull(line); ok && n < len(line) && line[n] == ' ' {
		return envJournald, true
	}
	if _, _, _, ok := parseClock(line); ok && len(line) > 9 && line[8] == ' ' {
		if _, _, ok := composePrefix(trimLeftSpace(line[9:])); ok {
			return envProcfile, true
		}
	}
	if _, _, rest, ok := podContainerPrefix(line); ok && looksLikeRecordStart(rest) && !looksLikeRecordStart(line) {
		return envPodContainer, true
	}
	if isDigit(line[0]) {
		if _, _, _, ok := criHeader(line); ok {
			return envCRI, true
		}
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
	if looksLikeRecordStart(line) {
		return envBare, true
	}
	return 0, false
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
