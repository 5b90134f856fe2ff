package parser

import (
	"bytes"
	"time"
)

// cursor is a forward-only reader over one message, for matching etcd's
// fixed wordings without regexps or allocations. Every method reports
// whether it matched; a failed match leaves ok false and the rest no-ops.
type cursor struct {
	b  []byte
	ok bool
}

func newCursor(b []byte) cursor { return cursor{b: b, ok: true} }

// lit consumes s if the input starts with it.
func (c *cursor) lit(s string) bool {
	if !c.ok {
		return false
	}
	if len(c.b) < len(s) || string(c.b[:len(s)]) != s {
		c.ok = false
		return false
	}
	c.b = c.b[len(s):]
	return true
}

// peek reports whether the input starts with s, consuming it if so; a miss
// leaves the cursor usable.
func (c *cursor) peek(s string) bool {
	if c.ok && len(c.b) >= len(s) && string(c.b[:len(s)]) == s {
		c.b = c.b[len(s):]
		return true
	}
	return false
}

// hex consumes a member ID: 1 to 16 lowercase hex digits (a 17th fails it).
func (c *cursor) hex() ID {
	if !c.ok {
		return 0
	}
	var v uint64
	n := 0
	for n < len(c.b) && n < 17 {
		d := hexVal[c.b[n]]
		if d > 15 {
			break
		}
		v = v<<4 | uint64(d)
		n++
	}
	if n == 0 || n > 16 {
		c.ok = false
		return 0
	}
	c.b = c.b[n:]
	return ID(v)
}

// hexVal is the value of a lowercase hex digit, 0xff for any other byte.
var hexVal = func() (t [256]uint8) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = uint8(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = uint8(c - 'a' + 10)
	}
	return t
}()

// uint consumes a decimal number.
func (c *cursor) uint() uint64 {
	if !c.ok {
		return 0
	}
	v, n, ok := parseUint(c.b)
	if !ok {
		c.ok = false
		return 0
	}
	c.b = c.b[n:]
	return v
}

// word consumes bytes up to (not including) the next space.
func (c *cursor) word() []byte {
	if !c.ok {
		return nil
	}
	i := bytes.IndexByte(c.b, ' ')
	if i < 0 {
		i = len(c.b)
	}
	w := c.b[:i]
	c.b = c.b[i:]
	if len(w) == 0 {
		c.ok = false
	}
	return w
}

// until consumes bytes up to sep and the separator, returning what came before.
func (c *cursor) until(sep string) []byte {
	if !c.ok {
		return nil
	}
	i := bytes.Index(c.b, []byte(sep))
	if i < 0 {
		c.ok = false
		return nil
	}
	w := c.b[:i]
	c.b = c.b[i+len(sep):]
	return w
}

// msgType consumes a raft message type name such as MsgVote.
func (c *cursor) msgType() MsgType {
	w := c.word()
	if !c.ok {
		return MsgNone
	}
	return parseMsgType(w)
}

func parseMsgType(w []byte) MsgType {
	switch string(w) {
	case "MsgVote":
		return MsgVote
	case "MsgPreVote":
		return MsgPreVote
	case "MsgVoteResp":
		return MsgVoteResp
	case "MsgPreVoteResp":
		return MsgPreVoteResp
	case "MsgApp":
		return MsgApp
	case "MsgAppResp":
		return MsgAppResp
	case "MsgHeartbeat":
		return MsgHeartbeat
	case "MsgHeartbeatResp":
		return MsgHeartbeatResp
	case "MsgTimeoutNow":
		return MsgTimeoutNow
	}
	if len(w) > 3 && string(w[:3]) == "Msg" {
		return MsgOther
	}
	return MsgNone
}

func isHex(c byte) bool { return hexVal[c] <= 15 }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseUint parses a leading decimal number, returning its value and length.
func parseUint(b []byte) (uint64, int, bool) {
	var v uint64
	n := 0
	for n < len(b) && isDigit(b[n]) {
		d := uint64(b[n] - '0')
		if v >= (1<<64-1)/10 && (v > (1<<64-1)/10 || d > (1<<64-1)%10) { // v*10+d overflows
			return 0, 0, false
		}
		v = v*10 + d
		n++
	}
	return v, n, n > 0
}

// digits parses exactly n decimal digits.
func digits(b []byte, n int) (int, bool) {
	if len(b) < n {
		return 0, false
	}
	v := 0
	for i := 0; i < n; i++ {
		if !isDigit(b[i]) {
			return 0, false
		}
		v = v*10 + int(b[i]-'0')
	}
	return v, true
}

// parseDuration parses a Go duration string ("2.891716341s", "604.076876ms",
// "1m2.5s") without allocating. It returns false on anything else.
func parseDuration(b []byte) (time.Duration, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var total float64
	for len(b) > 0 {
		// number
		n := 0
		for n < len(b) && (isDigit(b[n]) || b[n] == '.') {
			n++
		}
		if n == 0 {
			return 0, false
		}
		v, ok := parseDecimal(b[:n])
		if !ok {
			return 0, false
		}
		b = b[n:]
		// unit
		u := 0
		for u < len(b) && !isDigit(b[u]) && b[u] != '.' {
			u++
		}
		var scale float64
		switch string(b[:u]) {
		case "ns":
			scale = 1
		case "us", "µs", "μs":
			scale = 1e3
		case "ms":
			scale = 1e6
		case "s":
			scale = 1e9
		case "m":
			scale = 60e9
		case "h":
			scale = 3600e9
		default:
			return 0, false
		}
		total += v * scale
		b = b[u:]
	}
	return time.Duration(total), true
}

// parseDecimal parses "123" or "123.456".
func parseDecimal(b []byte) (float64, bool) {
	var whole, frac float64
	div := 1.0
	seenDot, any := false, false
	for _, c := range b {
		switch {
		case c == '.' && !seenDot:
			seenDot = true
		case isDigit(c):
			any = true
			if seenDot {
				frac = frac*10 + float64(c-'0')
				div *= 10
			} else {
				whole = whole*10 + float64(c-'0')
			}
		default:
			return 0, false
		}
	}
	return whole + frac/div, any
}

// trimSpace trims ASCII spaces and tabs.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// stripANSI removes SGR colour sequences (ESC [ ... m) into dst.
func stripANSI(dst, b []byte) []byte {
	dst = dst[:0]
	for i := 0; i < len(b); i++ {
		if b[i] == 0x1b && i+1 < len(b) && b[i+1] == '[' {
			j := i + 2
			for j < len(b) && (isDigit(b[j]) || b[j] == ';') {
				j++
			}
			if j < len(b) && b[j] == 'm' {
				i = j
				continue
			}
		}
		dst = append(dst, b[i])
	}
	return dst
}
