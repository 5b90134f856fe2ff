package report

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// TerminalText makes s safe to print on a terminal: control characters
// (C0, DEL, C1, so ESC and CSI), format characters (bidi overrides and
// isolates, zero-width characters) and line or paragraph separators are
// shown as visible escapes such as \x1b or \u202e, and bytes that are not
// UTF-8 as \xff. Tabs become spaces. It is the text output's sanitizer:
// every string of log origin goes through it before a terminal sees it.
func TerminalText(s string) string {
	if !strings.ContainsFunc(s, needsEscape) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x80 && needsEscape(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r != utf8.RuneError && needsEscape(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// needsEscape reports whether r must not reach a terminal as it is.
// utf8.RuneError stands for an invalid byte here (a real U+FFFD is
// harmless, and shown as itself).
func needsEscape(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// unescapeJSON decodes the JSON escapes (\", \\, \/, \b, \f, \n, \r, \t,
// \uXXXX with surrogate pairs) of a string the parser took raw from a zap
// JSON field, such as a member's "name". A backslash that starts no valid
// escape is kept as it is, so other text passes unchanged.
func unescapeJSON(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			b.WriteByte(e)
			i++
		case 'b', 'f', 'n', 'r', 't':
			b.WriteByte(map[byte]byte{'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}[e])
			i++
		case 'u':
			r, n := hexRune(s[i:])
			if n == 0 {
				b.WriteByte(c)
				continue
			}
			if utf16.IsSurrogate(r) {
				if r2, n2 := hexRune(s[i+n:]); n2 > 0 {
					if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
						r, n = pair, n+n2
					}
				}
			}
			b.WriteRune(r)
			i += n - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// hexRune reads a \uXXXX escape at the start of s: the rune and the
// escape's length, or 0 when s starts with none.
func hexRune(s string) (rune, int) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, 0
	}
	v, err := strconv.ParseUint(s[2:6], 16, 32)
	if err != nil {
		return 0, 0
	}
	return rune(v), 6
}
