package parser

import (
	"bytes"
	"time"
)

// Go's standard log with flags beyond the default (see parseGoLog), as
// etcd 2.0's development builds printed it (log.Ltime|log.Lmicroseconds|
// log.Lshortfile):
//
//	17:07:59.527067 raft.go:419: raft: 4ed8a71b21f7187a is starting a new election at term 1
//	2014/12/05 17:07:59.527067 raft.go:419: raft: ...
//
// PingCAP's PD, which embeds etcd, logs the same way with milliseconds and
// a level in brackets ("2018/12/21 22:18:33.768 raft.go:857: [info] ...").
//
// A time without a date takes the date of Options.ReferenceTime (the file's
// mtime, a capture's meta), else today's, in Options.TZ.

// looksLikeGoLogClock reports whether p starts with "15:04:05[.micro] file.go:N: ".
func looksLikeGoLogClock(p []byte) bool {
	_, _, _, ok := parseClock(p)
	if !ok || len(p) < 10 {
		return false
	}
	_, fn := parseFrac(p[8:])
	q := p[8+fn:]
	return len(q) > 1 && q[0] == ' ' && goFileLine(q[1:]) > 0
}

// goFileLine returns the length of a leading "file.go:N: ", 0 if none.
func goFileLine(b []byte) int {
	i := bytes.Index(b, []byte(".go:"))
	if i <= 0 || bytes.IndexByte(b[:i], ' ') >= 0 {
		return 0
	}
	_, n, ok := parseUint(b[i+4:])
	j := i + 4 + n
	if !ok || j+1 >= len(b) || b[j] != ':' || b[j+1] != ' ' {
		return 0
	}
	return j + 2
}

// parseGoLogFlags reads a Go std-log record with microseconds or a file:line,
// with or without a date (dated tells which p starts with).
func (r *Reader) parseGoLogFlags(p []byte, rec *record, dated bool) (status, string) {
	var st stamp
	q := p
	if dated {
		var ok bool
		if st, ok = scanStdlogTime(p); !ok {
			return stMalformed, "bad Go log timestamp"
		}
		q = p[19:]
	} else {
		var ok bool
		if st.h, st.mi, st.s, ok = parseClock(p); !ok {
			return stNoise, ""
		}
		st.y, st.mo, st.d = r.goLogDate()
		if !validDate(st.y, st.mo, st.d, st.h, st.mi, st.s) {
			return stMalformed, "bad Go log time"
		}
		q = p[8:]
	}
	var fn int
	st.nsec, fn = parseFrac(q)
	q = q[fn:]
	if len(q) == 0 || q[0] != ' ' {
		return stNoise, ""
	}
	q = q[1:]
	if n := goFileLine(q); n > 0 {
		q = q[n:]
	} else if !dated {
		return stNoise, "" // a bare clock is too common a start to take for a record
	}
	rec.level = LevelInfo
	if lv, n := bracketLevel(q); n > 0 { // PD's logger: "[info] "
		rec.level, q = lv, q[n:]
	}
	if c := bytes.Index(q, []byte(": ")); c > 0 && bytes.IndexByte(q[:c], ' ') < 0 && string(q[:c]) != "raft.node" {
		q = q[c+2:]
		// PD's capnslog adapter brackets the message: "rafthttp: [peer X became inactive]"
		if len(q) > 2 && q[0] == '[' && q[len(q)-1] == ']' {
			q = q[1 : len(q)-1]
		}
	}
	rec.format = recGoLog
	rec.st, rec.lazy, rec.hasTime, rec.zoneless = st, true, true, true
	rec.msg = q
	return stOK, ""
}

// goLogDate is the date of time-only records.
func (r *Reader) goLogDate() (y, mo, d int) {
	t := r.opts.ReferenceTime
	if t.IsZero() {
		t = time.Now()
	}
	y, m, d := t.In(r.tz).Date()
	return y, int(m), d
}

// bracketLevel reads a leading "[info] ", "[warning] ", ...: the level and
// the length taken, 0 if none.
func bracketLevel(b []byte) (Level, int) {
	if len(b) < 4 || b[0] != '[' {
		return LevelUnknown, 0
	}
	e := bytes.IndexByte(b[:min(len(b), 10)], ']')
	if e < 0 || e+1 >= len(b) || b[e+1] != ' ' {
		return LevelUnknown, 0
	}
	lv := shipperLevel(b[1:e])
	if lv == LevelUnknown {
		return LevelUnknown, 0
	}
	return lv, e + 2
}
