package parser

import "bytes"

// outer is a prefix a tool put in front of a whole line, whatever its
// envelope: the line number a search printed, or the member a test harness
// named. It is detected once per input, with the envelope (see envVote), and
// taken off before the envelope is.
type outer uint8

const (
	outerNone   outer = iota
	outerGrep         // grep -n "123:<line>", grep -rn "file:123:<line>", editors' "\tLine 123: <line>"
	outerMember       // etcd's test framework: "(member-2) (19803): <line>"
	outerCount
)

var outerNames = [outerCount]string{"", "grep-n", "member-prefix"}

// stripOuter takes the prefix k off line. src is the name the prefix gives
// the line's stream (a file, a member), nil when it names none.
func stripOuter(k outer, line []byte) (src, rest []byte, ok bool) {
	switch k {
	case outerGrep:
		return grepPrefix(line)
	case outerMember:
		return memberPrefix(line)
	}
	return nil, line, false
}

// sniffOuter finds the prefix in front of a line that says nothing as it
// is: the prefix counts only when the rest of the line does say something.
func sniffOuter(line []byte) (k outer, rest []byte) {
	for k := outerGrep; k < outerCount; k++ {
		if _, rest, ok := stripOuter(k, line); ok {
			return k, rest
		}
	}
	return outerNone, line
}

// grepPrefix matches "123:", "file:123:" (grep -n, grep -rn; "-" instead
// of the second ":" on a context line) and "Line 123: " with leading blanks
// (the find-in-files results of editors such as Notepad++).
func grepPrefix(line []byte) (src, rest []byte, ok bool) {
	b := trimLeftSpace(line)
	if bytes.HasPrefix(b, []byte("Line ")) {
		_, n, ok := parseUint(b[5:])
		if !ok || 5+n+1 >= len(b) || b[5+n] != ':' {
			return nil, line, false
		}
		return nil, trimLeftSpace(b[5+n+1:]), true
	}
	if len(b) != len(line) {
		return nil, line, false
	}
	if _, n, ok := parseUint(b); ok {
		if n < len(b) && (b[n] == ':' || b[n] == '-') {
			return nil, b[n+1:], true
		}
		return nil, line, false
	}
	// file:123: a name without spaces
	c := bytes.IndexByte(b, ':')
	if c <= 0 || bytes.IndexByte(b[:c], ' ') >= 0 || bytes.IndexByte(b[:c], '\t') >= 0 {
		return nil, line, false
	}
	_, n, ok := parseUint(b[c+1:])
	if !ok || c+1+n >= len(b) || (b[c+1+n] != ':' && b[c+1+n] != '-') {
		return nil, line, false
	}
	return b[:c], b[c+1+n+1:], true
}

// memberPrefix matches "(name) (pid): ", the prefix etcd's e2e and
// robustness test framework puts on each member process's lines.
func memberPrefix(line []byte) (src, rest []byte, ok bool) {
	if len(line) < 8 || line[0] != '(' {
		return nil, line, false
	}
	e := bytes.IndexByte(line, ')')
	if e <= 1 || e+3 >= len(line) || line[e+1] != ' ' || line[e+2] != '(' {
		return nil, line, false
	}
	name := line[1:e]
	for _, c := range name {
		if !isNameByte(c) {
			return nil, line, false
		}
	}
	q := line[e+3:]
	_, n, ok := parseUint(q)
	if !ok || n+2 > len(q) || q[n] != ')' || q[n+1] != ':' {
		return nil, line, false
	}
	return name, trimLeftSpace(q[n+2:]), true
}

// outerVote counts the prefixes seen while the envelope is voted on.
type outerVote struct {
	votes [outerCount]int
	lines int
}

// add takes line's prefix off, if it has one and says nothing without it
// taken off, and returns what is left for the envelope vote.
func (v *outerVote) add(line []byte) []byte {
	if _, ok := sniffEnvelope(line); ok {
		v.lines++
		return line
	}
	k, rest := sniffOuter(line)
	if k == outerNone {
		return line
	}
	if _, ok := sniffEnvelope(rest); !ok {
		return line
	}
	v.lines++
	v.votes[k]++
	return rest
}

// best is the prefix of most of the lines that say something, if any.
func (v *outerVote) best() outer {
	for k := outerGrep; k < outerCount; k++ {
		if v.votes[k] > 0 && 2*v.votes[k] > v.lines {
			return k
		}
	}
	return outerNone
}

// unwrapOuter takes the input's prefix off line, if it has it, before
// the envelope is taken off; src names the stream when the prefix does.
func (r *Reader) unwrapOuter(line []byte) (src, rest []byte) {
	if s, rest, ok := stripOuter(r.outer, line); ok {
		return s, rest
	}
	return nil, line
}
