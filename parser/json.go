package parser

import (
	"bytes"
	"unicode/utf8"
)

// jsonIter walks the top-level members of one JSON object as bytes, without
// decoding values it is not asked for (the loki way: no maps, no reflection).
type jsonIter struct {
	b   []byte
	i   int
	bad bool // the object is malformed or truncated
}

// JSON value types reported by jsonIter.next.
const (
	jsonString = '"'
	jsonNumber = '0'
	jsonBool   = 't'
	jsonNull   = 'n'
	jsonObject = '{'
	jsonArray  = '['
)

func newJSONIter(b []byte) jsonIter {
	it := jsonIter{b: b}
	it.skipWS()
	if it.i >= len(b) || b[it.i] != '{' {
		it.bad = true
		return it
	}
	it.i++
	return it
}

func (it *jsonIter) skipWS() {
	for it.i < len(it.b) {
		switch it.b[it.i] {
		case ' ', '\t', '\r', '\n':
			it.i++
		default:
			return
		}
	}
}

// jsonEnd returns the offset just after the closing brace of the object b
// starts with, or -1 when b does not hold a whole object.
func jsonEnd(b []byte) int {
	it := newJSONIter(b)
	for {
		if _, _, _, _, ok := it.next(); !ok {
			break
		}
	}
	if it.bad {
		return -1
	}
	return it.i
}

// newJSONIterAt continues walking an object from offset i, just after a
// member's value.
func newJSONIterAt(b []byte, i int) jsonIter { return jsonIter{b: b, i: i} }

// stringField finds the string member key (given as `"key":"`) in a JSON
// object's raw bytes and returns its raw value. A JSON string cannot hold
// an unescaped quote, so the pattern only ever matches a real key.
func stringField(b []byte, key string) ([]byte, bool) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return nil, false
	}
	it := jsonIter{b: b, i: i + len(key) - 1}
	v, _, ok := it.str()
	return v, ok
}

// next returns the next member. For strings val is the raw content between
// the quotes and esc tells whether it holds escapes (see unescape). At the
// end of the object it returns ok=false with bad unset.
func (it *jsonIter) next() (key, val []byte, typ byte, esc, ok bool) {
	if it.bad {
		return nil, nil, 0, false, false
	}
	it.skipWS()
	if it.i >= len(it.b) {
		it.bad = true
		return nil, nil, 0, false, false
	}
	if it.b[it.i] == '}' {
		it.i++
		return nil, nil, 0, false, false
	}
	if it.b[it.i] == ',' {
		it.i++
		it.skipWS()
	}
	if it.i >= len(it.b) || it.b[it.i] != '"' {
		it.bad = true
		return nil, nil, 0, false, false
	}
	key, _, okk := it.str()
	if !okk {
		it.bad = true
		return nil, nil, 0, false, false
	}
	it.skipWS()
	if it.i >= len(it.b) || it.b[it.i] != ':' {
		it.bad = true
		return nil, nil, 0, false, false
	}
	it.i++
	it.skipWS()
	if it.i >= len(it.b) {
		it.bad = true
		return nil, nil, 0, false, false
	}
	switch c := it.b[it.i]; {
	case c == '"':
		v, e, oks := it.str()
		if !oks {
			it.bad = true
			return nil, nil, 0, false, false
		}
		return key, v, jsonString, e, true
	case c == '{' || c == '[':
		start := it.i
		if !it.skipNested() {
			it.bad = true
			return nil, nil, 0, false, false
		}
		return key, it.b[start:it.i], c, false, true
	default:
		start := it.i
		for it.i < len(it.b) {
			c := it.b[it.i]
			if c == ',' || c == '}' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				break
			}
			it.i++
		}
		v := it.b[start:it.i]
		if len(v) == 0 {
			it.bad = true
			return nil, nil, 0, false, false
		}
		switch v[0] {
		case 't', 'f':
			return key, v, jsonBool, false, true
		case 'n':
			return key, v, jsonNull, false, true
		}
		return key, v, jsonNumber, false, true
	}
}

// str reads a string starting at the opening quote.
func (it *jsonIter) str() (val []byte, esc, ok bool) {
	start := it.i + 1
	j := start
	for {
		k := bytes.IndexByte(it.b[j:], '"')
		if k < 0 {
			return nil, false, false
		}
		j += k
		// count backslashes before the quote
		n := 0
		for p := j - 1; p >= start && it.b[p] == '\\'; p-- {
			n++
		}
		if n > 0 {
			esc = true
		}
		if n%2 == 0 {
			break
		}
		j++
	}
	if !esc {
		esc = bytes.IndexByte(it.b[start:j], '\\') >= 0
	}
	it.i = j + 1
	return it.b[start:j], esc, true
}

// skipNested skips an object or array starting at it.i.
func (it *jsonIter) skipNested() bool {
	depth := 0
	for it.i < len(it.b) {
		switch it.b[it.i] {
		case '"':
			if _, _, ok := it.str(); !ok {
				return false
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				it.i++
				return true
			}
		}
		it.i++
	}
	return false
}

// unescape appends the decoded JSON string content raw to dst.
func unescape(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			dst = append(dst, c)
			continue
		}
		i++
		switch raw[i] {
		case '"', '\\', '/':
			dst = append(dst, raw[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, n := hex4(raw[i+1:])
			if n == 0 {
				dst = append(dst, '\\', 'u')
				continue
			}
			i += n
			if r >= 0xd800 && r < 0xdc00 && i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if r2, n2 := hex4(raw[i+3:]); n2 > 0 && r2 >= 0xdc00 && r2 < 0xe000 {
					r = (r-0xd800)<<10 + (r2 - 0xdc00) + 0x10000
					i += 2 + n2
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			dst = append(dst, '\\', raw[i])
		}
	}
	return dst
}

func hex4(b []byte) (rune, int) {
	if len(b) < 4 {
		return 0, 0
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, 0
		}
	}
	return r, 4
}
