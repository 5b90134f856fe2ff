package parser

import (
	"sync"
	"time"
)

// Timestamp layouts are parsed by hand: time.Parse allocates and is slow
// on the per-line path.

// stamp is a timestamp taken apart but not yet turned into a time.Time:
// scanning is cheap, building the time is not, and most lines never need it.
type stamp struct {
	y, mo, d, h, mi, s, nsec int
	off                      int  // zone offset in seconds
	zoned                    bool // the text carried a zone
}

func (st *stamp) time(loc *time.Location) time.Time {
	if st.zoned {
		loc = fixedZone(st.off)
	}
	return time.Date(st.y, time.Month(st.mo), st.d, st.h, st.mi, st.s, st.nsec, loc).UTC()
}

// scanRFC3339 takes apart a leading "2006-01-02T15:04:05[.frac](Z|±hh:mm|±hhmm)"
// and returns the number of bytes consumed. Zone-less forms are rejected.
func scanRFC3339(b []byte) (stamp, int, bool) {
	var st stamp
	if len(b) < 20 || b[10] != 'T' {
		return st, 0, false
	}
	var ok bool
	if st.y, st.mo, st.d, ok = parseDate(b, '-'); !ok {
		return st, 0, false
	}
	if st.h, st.mi, st.s, ok = parseClock(b[11:]); !ok {
		return st, 0, false
	}
	n := 19
	var fn int
	st.nsec, fn = parseFrac(b[n:])
	n += fn
	if n >= len(b) {
		return st, 0, false
	}
	switch b[n] {
	case 'Z':
		n++
	case '+', '-':
		off, on, ok := parseOffset(b[n:])
		if !ok {
			return st, 0, false
		}
		st.off = off
		n += on
	default:
		return st, 0, false
	}
	st.zoned = true
	if !validDate(st.y, st.mo, st.d, st.h, st.mi, st.s) {
		return st, 0, false
	}
	return st, n, true
}

// parseRFC3339 parses a leading RFC 3339 timestamp (see scanRFC3339).
func parseRFC3339(b []byte) (time.Time, int, bool) {
	st, n, ok := scanRFC3339(b)
	if !ok {
		return time.Time{}, 0, false
	}
	return st.time(time.UTC), n, true
}

// scanCapnslogTime takes apart capnslog's "2006-01-02 15:04:05.000000"
// (local time, no zone).
func scanCapnslogTime(b []byte) (stamp, int, bool) {
	var st stamp
	if len(b) < 19 || b[10] != ' ' {
		return st, 0, false
	}
	var ok bool
	if st.y, st.mo, st.d, ok = parseDate(b, '-'); !ok {
		return st, 0, false
	}
	if st.h, st.mi, st.s, ok = parseClock(b[11:]); !ok || !validDate(st.y, st.mo, st.d, st.h, st.mi, st.s) {
		return st, 0, false
	}
	var fn int
	st.nsec, fn = parseFrac(b[19:])
	return st, 19 + fn, true
}

// scanStdlogTime takes apart Go's log.LstdFlags "2006/01/02 15:04:05".
func scanStdlogTime(b []byte) (stamp, bool) {
	var st stamp
	if len(b) < 19 || b[10] != ' ' {
		return st, false
	}
	var ok bool
	if st.y, st.mo, st.d, ok = parseDate(b, '/'); !ok {
		return st, false
	}
	if st.h, st.mi, st.s, ok = parseClock(b[11:]); !ok || !validDate(st.y, st.mo, st.d, st.h, st.mi, st.s) {
		return st, false
	}
	return st, true
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// parseSyslogTime parses journalctl's short "Jan _2 15:04:05[.000000]"; the
// year is not in the line and is supplied.
func parseSyslogTime(b []byte, year int, loc *time.Location) (time.Time, int, bool) {
	if len(b) < 15 || b[3] != ' ' || b[6] != ' ' {
		return time.Time{}, 0, false
	}
	mo := 0
	for i, m := range months {
		if string(b[:3]) == m {
			mo = i + 1
			break
		}
	}
	if mo == 0 {
		return time.Time{}, 0, false
	}
	var d int
	switch {
	case b[4] == ' ' && isDigit(b[5]):
		d = int(b[5] - '0')
	default:
		v, ok := digits(b[4:], 2)
		if !ok {
			return time.Time{}, 0, false
		}
		d = v
	}
	h, mi, s, ok := parseClock(b[7:])
	if !ok || !validDate(year, mo, d, h, mi, s) {
		return time.Time{}, 0, false
	}
	nsec, fn := parseFrac(b[15:])
	return time.Date(year, time.Month(mo), d, h, mi, s, nsec, loc).UTC(), 15 + fn, true
}

// parseJournaldISO parses journalctl's short-iso "2026-11-23T21:05:15+0000"
// (or +00:00, or with .ffffff), returning the consumed length.
func parseJournaldISO(b []byte) (time.Time, int, bool) { return parseRFC3339(b) }

// parseEpoch parses seconds since the epoch with an optional fraction, as
// early 3.4 zap builds wrote "ts":1531181998.753459.
func parseEpoch(b []byte) (time.Time, bool) {
	sec, n, ok := parseUint(b)
	if !ok || sec > 1<<40 {
		return time.Time{}, false
	}
	nsec, fn := parseFrac(b[n:])
	if n+fn != len(b) {
		return time.Time{}, false
	}
	return time.Unix(int64(sec), int64(nsec)).UTC(), true
}

// parseEpochMicros parses journald's __REALTIME_TIMESTAMP.
func parseEpochMicros(b []byte) (time.Time, bool) {
	us, n, ok := parseUint(b)
	if !ok || n != len(b) || us > 1<<62 {
		return time.Time{}, false
	}
	return time.UnixMicro(int64(us)).UTC(), true
}

func parseDate(b []byte, sep byte) (y, mo, d int, ok bool) {
	if len(b) < 10 || b[4] != sep || b[7] != sep {
		return 0, 0, 0, false
	}
	y, ok1 := digits(b, 4)
	mo, ok2 := digits(b[5:], 2)
	d, ok3 := digits(b[8:], 2)
	return y, mo, d, ok1 && ok2 && ok3
}

func parseClock(b []byte) (h, mi, s int, ok bool) {
	if len(b) < 8 || b[2] != ':' || b[5] != ':' {
		return 0, 0, 0, false
	}
	h, ok1 := digits(b, 2)
	mi, ok2 := digits(b[3:], 2)
	s, ok3 := digits(b[6:], 2)
	return h, mi, s, ok1 && ok2 && ok3
}

// parseFrac parses an optional ".ddd" fraction into nanoseconds.
func parseFrac(b []byte) (nsec, n int) {
	if len(b) < 2 || b[0] != '.' || !isDigit(b[1]) {
		return 0, 0
	}
	n = 1
	scale := 100000000
	for n < len(b) && isDigit(b[n]) {
		nsec += int(b[n]-'0') * scale
		scale /= 10
		n++
	}
	return nsec, n
}

// parseOffset parses "+hh:mm", "+hhmm" or "+hh".
func parseOffset(b []byte) (off, n int, ok bool) {
	sign := 1
	if b[0] == '-' {
		sign = -1
	}
	h, ok := digits(b[1:], 2)
	if !ok {
		return 0, 0, false
	}
	n = 3
	m := 0
	switch {
	case len(b) >= 6 && b[3] == ':':
		m, ok = digits(b[4:], 2)
		n = 6
	case len(b) >= 5 && isDigit(b[3]):
		m, ok = digits(b[3:], 2)
		n = 5
	}
	if !ok || h > 23 || m > 59 {
		return 0, 0, false
	}
	return sign * (h*3600 + m*60), n, true
}

func validDate(y, mo, d, h, mi, s int) bool {
	return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 &&
		h <= 23 && mi <= 59 && s <= 60
}

var zones sync.Map // offset seconds -> *time.Location

func fixedZone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if l, ok := zones.Load(off); ok {
		return l.(*time.Location)
	}
	l := time.FixedZone("", off)
	zones.Store(off, l)
	return l
}
