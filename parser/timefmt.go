package parser

import (
	"bytes"
	"encoding/binary"
	"math/bits"
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
	// based: base is the Unix seconds of y-mo-d h:mi:00 read as UTC (see clockCache)
	based bool
	base  int64
}

func (st *stamp) time(loc *time.Location) time.Time {
	if st.based && st.zoned {
		return time.Unix(st.base+int64(st.s)-int64(st.off), int64(st.nsec)).UTC()
	}
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
	n, ok := scanFracZone(b, &st)
	if !ok || !validDate(st.y, st.mo, st.d, st.h, st.mi, st.s) {
		return st, 0, false
	}
	return st, n, true
}

// scanFracZone reads the "[.frac](Z|±hh:mm|±hhmm)" after an RFC 3339 stamp's seconds (at 19)
// into st, and returns the stamp's length.
func scanFracZone(b []byte, st *stamp) (int, bool) {
	n := 19
	var fn int
	st.nsec, fn = parseFrac(b[n:])
	n += fn
	if n >= len(b) {
		return 0, false
	}
	switch b[n] {
	case 'Z':
		n++
	case '+', '-':
		off, on, ok := parseOffset(b[n:])
		if !ok {
			return 0, false
		}
		st.off = off
		n += on
	default:
		return 0, false
	}
	st.zoned = true
	return n, true
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

// localMonths are glibc's abbreviated month names (%b) in the locales
// journalctl is most often run in, beside English: de, fr, es, it, pt, nl,
// ru, pl (compared without case; a trailing dot is dropped). Chinese,
// Japanese and Korean ("1月", " 1月", "1월") are read as numbers.
var localMonths = [...]struct {
	name string
	mo   int
}{
	{"mär", 3}, {"mai", 5}, {"okt", 10}, {"dez", 12}, // de
	{"janv", 1}, {"févr", 2}, {"mars", 3}, {"avr", 4}, {"avril", 4}, {"juin", 6}, {"juil", 7},
	{"août", 8}, {"sept", 9}, {"déc", 12}, // fr
	{"ene", 1}, {"abr", 4}, {"ago", 8}, {"dic", 12}, // es
	{"gen", 1}, {"mag", 5}, {"giu", 6}, {"lug", 7}, {"set", 9}, {"ott", 10}, // it
	{"fev", 2}, {"out", 10}, // pt
	{"mrt", 3}, {"mei", 5}, // nl
	{"янв", 1}, {"фев", 2}, {"мар", 3}, {"апр", 4}, {"мая", 5}, {"май", 5}, {"июн", 6},
	{"июл", 7}, {"авг", 8}, {"сен", 9}, {"окт", 10}, {"ноя", 11}, {"дек", 12}, // ru
	{"sty", 1}, {"lut", 2}, {"kwi", 4}, {"maj", 5}, {"cze", 6}, {"lip", 7}, {"sie", 8},
	{"wrz", 9}, {"paź", 10}, {"lis", 11}, {"gru", 12}, // pl
}

// syslogMonth reads the month that opens a syslog stamp and returns it with
// the bytes it took (0, 0 when there is none).
func syslogMonth(b []byte) (mo, n int) {
	if len(b) >= 4 && b[3] == ' ' {
		for i, m := range months {
			if string(b[:3]) == m {
				return i + 1, 3
			}
		}
	}
	i := 0
	if len(b) > 0 && b[0] == ' ' {
		i = 1 // ja_JP and ko_KR pad "1月" to " 1月"
	}
	j := i
	for j < len(b) && j-i < 2 && isDigit(b[j]) {
		j++
	}
	if j > i && (bytes.HasPrefix(b[j:], []byte("月")) || bytes.HasPrefix(b[j:], []byte("월"))) {
		v, _ := digits(b[i:], j-i)
		if v >= 1 && v <= 12 {
			return v, j + 3
		}
		return 0, 0
	}
	sp := bytes.IndexByte(b, ' ')
	if sp < 3 || sp > 9 || b[0] < 0x80 && !isASCIILetter(b[0]) {
		return 0, 0
	}
	w := b[:sp]
	if w[len(w)-1] == '.' {
		w = w[:len(w)-1]
	}
	for _, m := range localMonths {
		if equalFoldASCII(w, m.name) {
			return m.mo, sp
		}
	}
	return 0, 0
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// equalFoldASCII compares b with lower-case s, folding b's ASCII letters.
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// scanSyslogTime takes apart journalctl's short "Jan _2 15:04:05[.000000]"
// (the month in English or a common locale, see syslogMonth). The line
// prints no year: st.y is left 0 for the caller to settle.
func scanSyslogTime(b []byte) (stamp, int, bool) {
	var st stamp
	mo, n := syslogMonth(b)
	if mo == 0 || n >= len(b) || b[n] != ' ' {
		return st, 0, false
	}
	n++
	switch {
	case n+1 < len(b) && b[n] == ' ' && isDigit(b[n+1]): // " 5"
		st.d, n = int(b[n+1]-'0'), n+2
	case n+1 < len(b) && isDigit(b[n]) && isDigit(b[n+1]): // "05", "18"
		st.d, _ = digits(b[n:], 2)
		n += 2
	case n < len(b) && isDigit(b[n]): // "5"
		st.d, n = int(b[n]-'0'), n+1
	default:
		return st, 0, false
	}
	if n >= len(b) || b[n] != ' ' {
		return st, 0, false
	}
	n++
	var ok bool
	if st.h, st.mi, st.s, ok = parseClock(b[n:]); !ok || !validDate(2000, mo, st.d, st.h, st.mi, st.s) {
		return st, 0, false
	}
	st.mo = mo
	n += 8
	var fn int
	st.nsec, fn = parseFrac(b[n:])
	return st, n + fn, true
}

// scanShortFull takes apart journalctl -o short-full's
// "Mon 2006-01-02 15:04:05[.000000] UTC" (the weekday in any language). The
// stamp is zoned when the zone is a number or one of zoneAbbrevs.
func scanShortFull(b []byte) (stamp, int, bool) {
	var st stamp
	sp := bytes.IndexByte(b, ' ')
	if sp < 2 || sp > 12 || isDigit(b[0]) || len(b) < sp+21 || b[sp+11] != ' ' {
		return st, 0, false
	}
	d := b[sp+1:]
	var ok bool
	if st.y, st.mo, st.d, ok = parseDate(d, '-'); !ok {
		return st, 0, false
	}
	if st.h, st.mi, st.s, ok = parseClock(d[11:]); !ok || !validDate(st.y, st.mo, st.d, st.h, st.mi, st.s) {
		return st, 0, false
	}
	n := sp + 1 + 19
	var fn int
	st.nsec, fn = parseFrac(b[n:])
	n += fn
	if n >= len(b) || b[n] != ' ' {
		return st, 0, false
	}
	n++
	z := n
	for z < len(b) && b[z] != ' ' {
		z++
	}
	zone := b[n:z]
	if len(zone) == 0 {
		return st, 0, false
	}
	if zone[0] == '+' || zone[0] == '-' {
		if off, on, ok := parseOffset(zone); ok && on == len(zone) {
			st.off, st.zoned = off, true
		}
	} else {
		for _, za := range zoneAbbrevs {
			if string(zone) == za.name {
				st.off, st.zoned = za.off, true
				break
			}
		}
	}
	return st, z, true
}

// zoneAbbrevs are the zone names short-full prints whose offset is certain
// enough to use; any other name leaves the time in Options.TZ.
var zoneAbbrevs = [...]struct {
	name string
	off  int
}{
	{"UTC", 0}, {"GMT", 0}, {"UT", 0}, {"Z", 0},
	{"EST", -5 * 3600}, {"EDT", -4 * 3600}, {"CST", -6 * 3600}, {"CDT", -5 * 3600},
	{"MST", -7 * 3600}, {"MDT", -6 * 3600}, {"PST", -8 * 3600}, {"PDT", -7 * 3600},
	{"CET", 3600}, {"CEST", 2 * 3600}, {"EET", 2 * 3600}, {"EEST", 3 * 3600}, {"MSK", 3 * 3600},
	{"JST", 9 * 3600}, {"KST", 9 * 3600}, {"AEST", 10 * 3600}, {"AEDT", 11 * 3600},
}

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

// parseFrac parses an optional ".ddd" fraction into nanoseconds (digits past the ninth are
// read and dropped).
func parseFrac(b []byte) (nsec, n int) {
	if len(b) < 2 || b[0] != '.' || !isDigit(b[1]) {
		return 0, 0
	}
	if len(b) >= 9 {
		return parseFrac8(b)
	}
	return parseFracLoop(b)
}

// parseFracLoop is parseFrac one digit a loop, for b holding '.' and a digit first: the
// fractions too short for parseFrac8, and its reference in the tests.
func parseFracLoop(b []byte) (nsec, n int) {
	n = 1
	for n < len(b) && n <= 9 && isDigit(b[n]) {
		nsec = nsec*10 + int(b[n]-'0')
		n++
	}
	nsec *= fracScale[n-1]
	for n < len(b) && isDigit(b[n]) {
		n++
	}
	return nsec, n
}

// parseFrac8 is parseFrac for a fraction with 8 bytes after its '.', a digit first: the
// digits among them are found and read 8 at a time (SWAR), instead of one a loop.
func parseFrac8(b []byte) (nsec, n int) {
	w := binary.LittleEndian.Uint64(b[1:9]) // the first byte is the lowest
	// A byte is a digit when its high nibble is 3 and adding 6 keeps it so. A carry out of a
	// byte (0xfa and over: no digit) can only spoil the bytes after it, so the first byte
	// flagged is the first that is no digit.
	const ones = 0x0101010101010101
	m := (w&(0xf0*ones) ^ 0x30*ones) | ((w+0x06*ones)&(0xf0*ones) ^ 0x30*ones)
	flags := ((m&(0x7f*ones) + 0x7f*ones) | m) & (0x80 * ones) // the high bit of each byte flagged
	k := bits.TrailingZeros64(flags) / 8                       // the digits before the first flagged byte: 1 to 8
	// Shifted up, the k digits are the last k of 8, after zeros: their value.
	v := eightDigits(w << (8 * (8 - k)) & (0x0f * ones))
	if k < 8 {
		return int(v) * fracScale[k], k + 1
	}
	n = 9
	if n < len(b) && isDigit(b[n]) {
		nsec = int(v)*10 + int(b[n]-'0')
		n++
	} else {
		nsec = int(v) * 10
	}
	for n < len(b) && isDigit(b[n]) {
		n++
	}
	return nsec, n
}

// eightDigits is the value of 8 decimal digits, one a byte (0 to 9), the first in the
// lowest byte.
func eightDigits(x uint64) uint64 {
	x = x * (1 + 10<<8) >> 8 & 0x00ff00ff00ff00ff
	x = x * (1 + 100<<16) >> 16 & 0x0000ffff0000ffff
	return x * (1 + 10000<<32) >> 32 & 0xffffffff
}

// fracScale[k] turns k digits of a fraction into nanoseconds.
var fracScale = [10]int{0, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 10, 1}

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
