package parser

import (
	"bytes"
	"time"
)

// The envelopes of container runtimes and process runners: docker's
// json-file log driver, the CRI log files kubelet reads, Procfile runners
// (goreman, foreman) and stern-like pod prefixes.

// dockerJSON parses one line of docker's json-file driver:
// {"log":"<line>\n","stream":"stderr","time":"2020-06-21T08:11:23.123456789Z"}.
// The log string, unescaped and without its line end, is the payload.
func (r *Reader) dockerJSON(line []byte) (framed, bool) {
	f, ok := r.jsonEnvelope(line, envDockerJSON, "log")
	if ok {
		f.payload = bytes.TrimSuffix(bytes.TrimSuffix(f.payload, []byte("\n")), []byte("\r"))
	}
	return f, ok
}

func dockerMember(f *framed, key, val []byte) {
	if string(key) == "time" {
		if st, n, ok := scanRFC3339(val); ok && n == len(val) {
			f.st, f.lazy, f.hasTime, f.exact = st, true, true, true
		}
	}
}

// criHeader takes apart "<RFC 3339 time> <stdout|stderr> <tag> " at the
// front of a CRI log line; the tag is "F" for a full line or the last part
// of one, "P" for a part that the next line continues.
func criHeader(line []byte) (st stamp, partial bool, n int, ok bool) {
	if len(line) < 20 || !isDigit(line[0]) {
		return st, false, 0, false
	}
	st, n, ok = scanRFC3339(line)
	if !ok || n >= len(line) || line[n] != ' ' {
		return st, false, 0, false
	}
	rest := line[n+1:]
	if !bytes.HasPrefix(rest, []byte("stderr ")) && !bytes.HasPrefix(rest, []byte("stdout ")) {
		return st, false, 0, false
	}
	n += 8
	tag := line[n:]
	end := bytes.IndexByte(tag, ' ')
	if end < 0 {
		end = len(tag)
	}
	tag = tag[:end]
	if len(tag) == 0 || tag[0] != 'F' && tag[0] != 'P' || len(tag) > 1 && tag[1] != ':' {
		return st, false, 0, false
	}
	n += end
	if n < len(line) {
		n++
	}
	return st, tag[0] == 'P', n, true
}

// criLine parses one CRI log line, its partial lines already joined (see
// joinPartial).
func criLine(line []byte) (framed, bool) {
	st, _, n, ok := criHeader(line)
	if !ok {
		return framed{payload: line}, false
	}
	return framed{st: st, lazy: true, hasTime: true, exact: true, payload: line[n:]}, true
}

// joinPartial reads the lines that continue the CRI partial line first (a
// "P" tag) up to the one that ends it ("F"), and returns first with their
// contents appended. The lines joined count as lines read; a line that is
// not a CRI line ends the join and is read next on its own.
func (r *Reader) joinPartial(first []byte) []byte {
	r.joined = append(r.joined[:0], first...)
	for {
		next, ok := r.sampleOrRead()
		if !ok {
			return r.joined
		}
		_, partial, n, ok := criHeader(next)
		if !ok || len(r.joined)+len(next)-n > MaxLineBytes {
			r.sample = append([][]byte{append([]byte(nil), next...)}, r.sample...)
			return r.joined
		}
		r.line++
		r.stats.Lines++
		r.stats.Continued++
		r.joined = append(r.joined, next[n:]...)
		if !partial {
			return r.joined
		}
	}
}

// procfileLine parses goreman's and foreman's "15:04:05 name | <line>"
// (foreman names a process "etcd1.1"). The time has no date: it takes the
// date of the last record that had one, and stands only for records that
// carry no time of their own.
func (r *Reader) procfileLine(line []byte) (framed, bool) {
	h, mi, s, ok := parseClock(line)
	if !ok || len(line) < 9 || line[8] != ' ' {
		return framed{payload: line}, false
	}
	name, rest, ok := composePrefix(trimLeftSpace(line[9:])) // goreman pads names on the left
	if !ok {
		return framed{payload: line}, false
	}
	if i := bytes.LastIndexByte(name, '.'); i > 0 && i < len(name)-1 && isAllDigits(name[i+1:]) {
		name = name[:i]
	}
	f := framed{source: name, payload: rest}
	if y, mo, d, ok := recordDate(rest); ok {
		r.procDate = [3]int{y, mo, d}
	}
	if d := r.procDate; d[0] != 0 && validDate(d[0], d[1], d[2], h, mi, s) {
		f.t = time.Date(d[0], time.Month(d[1]), d[2], h, mi, s, 0, r.tz).UTC()
		f.hasTime = true
	}
	return f, true
}

// recordDate finds the date at the front of a record: capnslog's and zap
// console's "2006-01-02", Go's std-logger "2006/01/02" (after "raft" or not),
// zap JSON's "ts".
func recordDate(p []byte) (y, mo, d int, ok bool) {
	switch {
	case len(p) > 0 && p[0] == '{':
		v, found := stringField(p, `"ts":"`)
		if !found {
			return 0, 0, 0, false
		}
		p = v
	case bytes.HasPrefix(p, []byte("raft")):
		p = bytes.TrimPrefix(p[4:], []byte(" "))
	}
	if len(p) < 10 {
		return 0, 0, 0, false
	}
	sep := p[4]
	if sep != '-' && sep != '/' {
		return 0, 0, 0, false
	}
	if y, mo, d, ok = parseDate(p, sep); !ok || !validDate(y, mo, d, 0, 0, 0) {
		return 0, 0, 0, false
	}
	return y, mo, d, true
}

func isAllDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return len(b) > 0
}

// podContainerLine parses "<pod> <container> <line>", as stern and kubetail
// print a pod's lines; the pod names the member.
func podContainerLine(line []byte) (framed, bool) {
	pod, container, rest, ok := podContainerPrefix(line)
	if !ok || len(container) == 0 {
		return framed{payload: line}, false
	}
	return framed{source: pod, payload: rest}, true
}

func podContainerPrefix(line []byte) (pod, container, rest []byte, ok bool) {
	word := func(b []byte) int {
		n := 0
		for n < len(b) && isNameByte(b[n]) {
			n++
		}
		if n == 0 || n >= len(b) || b[n] != ' ' {
			return -1
		}
		return n
	}
	i := word(line)
	if i < 0 {
		return nil, nil, nil, false
	}
	j := word(line[i+1:])
	if j < 0 {
		return nil, nil, nil, false
	}
	return line[:i], line[i+1 : i+1+j], line[i+2+j:], true
}

// looksLikeRecordStart tells a line that opens like one of etcd's records:
// a JSON object, a std-logger, capnslog or zap console time, a bare raft
// message.
func looksLikeRecordStart(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if b[0] == '{' {
		return true
	}
	if bytes.HasPrefix(b, []byte("raft")) {
		b = bytes.TrimPrefix(b[4:], []byte(" "))
	}
	if len(b) >= 11 && isDigit(b[0]) && (b[4] == '-' || b[4] == '/') && b[7] == b[4] &&
		(b[10] == ' ' || b[10] == 'T') {
		_, _, _, ok := parseDate(b, b[4])
		return ok
	}
	return looksLikeRaftMessage(b) || looksLikeGoLogClock(b)
}
