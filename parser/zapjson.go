package parser

import "bytes"

// parseZapJSON reads a zap JSON record (etcd 3.4 --logger=zap to 3.7).
func (r *Reader) parseZapJSON(p []byte, rec *record) (status, string) {
	end := trimSpace(p)
	if end[len(end)-1] != '}' {
		if jsonEnd(p) > 0 {
			return stMalformed, "bytes after the JSON record's closing brace"
		}
		if end[len(end)-1] == '>' { // cut by a pager
			return r.parseCutZapJSON(end[:len(end)-1], rec)
		}
		return stMalformed, "truncated JSON record"
	}
	// Fast path: zap writes level, ts, [logger,] caller and msg first, in
	// this order, and most lines are not events. Find msg by that layout,
	// and read the rest only when the line may be an event.
	var h zapHeader
	ok := zapLayout(p, &h)
	// Records glued on one line ("...}{"level":...): read the first, and
	// leave the rest for the next Scan. The first `}{"level":` is looked for
	// from where it can be: a header of quoted strings holds none before the
	// last bytes of msg (see glueFrom).
	from := 0
	if ok && h.tsString {
		from = glueFrom(h.fieldsAt)
	}
	if i := bytes.Index(p[from:], []byte(`}{"level":`)); i >= 0 {
		if n := jsonEnd(p); n == from+i+1 {
			rec.glued, p = n, p[:n]
			if !ok || !h.tsString || n < h.fieldsAt {
				ok = zapLayout(p, &h) // the header was read in the uncut line
			}
		}
	}
	if ok {
		rec.looked, rec.raft = true, raftCandidate(h.msg)
		if !rec.raft {
			rec.kind = zapKind(h.msg)
		}
		if !rec.raft && rec.kind == KindNone {
			rec.format, rec.msg, rec.fields = recZapJSON, h.msg, p
			return stOK, ""
		}
		if h.time(rec, &r.recClock) {
			rec.format, rec.msg, rec.fields, rec.fieldsAt = recZapJSON, h.msg, p, h.fieldsAt
			return stOK, ""
		}
		rec.looked = false // the generic walk below may find another msg
	}
	it := newJSONIter(p)
	var haveMsg, haveLevel bool
	for !haveMsg {
		k, v, typ, esc, ok := it.next()
		if !ok {
			break
		}
		switch string(k) {
		case "level":
			rec.level = parseLevelWord(v)
			haveLevel = true
		case "ts":
			var ok bool
			if typ == jsonString {
				rec.st, _, ok = scanRFC3339(v)
				rec.lazy = ok
			} else if typ == jsonNumber {
				rec.t, ok = parseEpoch(v)
			}
			if !ok {
				return stMalformed, "bad zap timestamp"
			}
			rec.hasTime = true
		case "msg":
			if typ != jsonString {
				return stMalformed, "zap msg is not a string"
			}
			if esc {
				r.msgBuf = unescape(r.msgBuf[:0], v)
				v = r.msgBuf
			}
			rec.msg = v
			haveMsg = true
		}
	}
	if it.bad {
		return stMalformed, "invalid JSON record"
	}
	if !haveMsg && haveLevel && rec.hasTime {
		return stMalformed, "zap JSON record without msg"
	}
	if !haveMsg || !haveLevel {
		return r.parseShipperJSON(p, rec) // some other JSON, or zap's renamed
	}
	rec.format = recZapJSON
	rec.fields, rec.fieldsAt = p, it.i
	return stOK, ""
}

// glueFrom is where the first `}{"level":` of a line can start when zapLayout found a header
// whose ts is quoted: every '"' before fieldsAt is one of the header's own, each followed by a
// key's or a value's bytes, or by ',' or ':', never by `level":`, but for msg's closing quote
// (at fieldsAt-1): msg may end in "}{".
func glueFrom(fieldsAt int) int { return max(fieldsAt-3, 0) }

// zapHeader is the head of a zap JSON line, located but not decoded.
type zapHeader struct {
	level, ts []byte
	tsString  bool
	msg       []byte // without escapes
	fieldsAt  int    // just after msg's closing quote
}

// zapLayout locates, into h, the keys zap writes first, in its own order:
// {"level":"info","ts":"2026-11-23T21:07:10.243997Z"[,"logger":"raft"],"caller":"x.go:1","msg":"..."
// Each key is compared where the one before it ended, and its value's end found with
// IndexByte over a short span; `","ts":"` and `,"logger":"raft","caller":"` are compared at
// once where zap writes them. Anything else (another order, escapes in msg) is left to the
// generic walk.
func zapLayout(p []byte, h *zapHeader) bool {
	*h = zapHeader{}
	const levelKey, tsKey = `{"level":"`, `,"ts":"`
	if !hasAt(p, 0, levelKey) {
		return false
	}
	i := len(levelKey)
	// the level's closing quote and the ts key, at once for the levels of 4 and 5 letters
	e := -1
	switch {
	case hasAt(p, i+4, `"`+tsKey) && noQuote(p[i:i+4]):
		e = i + 4
	case hasAt(p, i+5, `"`+tsKey) && noQuote(p[i:i+5]):
		e = i + 5
	default:
		if e = bytes.IndexByte(p[i:], '"'); e < 0 {
			return false
		}
		e += i
	}
	h.level, i = p[len(levelKey):e], e+1
	switch {
	case hasAt(p, i, tsKey):
		i += len(tsKey)
		e := bytes.IndexByte(p[i:], '"')
		if e < 0 {
			return false
		}
		h.ts, h.tsString, i = p[i:i+e], true, i+e+1
	case hasAt(p, i, `,"ts":`):
		i += len(`,"ts":`)
		e := bytes.IndexByte(p[i:], ',')
		if e < 0 {
			return false
		}
		h.ts, i = p[i:i+e], i+e
	default:
		return false
	}
	var ok bool
	switch {
	case hasAt(p, i, `,"logger":"raft","caller":"`):
		i += len(`,"logger":"raft","caller":"`)
		if i, ok = skipString(p, i); !ok {
			return false
		}
	default:
		if hasAt(p, i, `,"logger":"`) {
			if i, ok = skipString(p, i+len(`,"logger":"`)); !ok {
				return false
			}
		}
		if hasAt(p, i, `,"caller":"`) {
			if i, ok = skipString(p, i+len(`,"caller":"`)); !ok {
				return false
			}
		}
	}
	if !hasAt(p, i, `,"msg":"`) {
		return false
	}
	i += len(`,"msg":"`)
	e = bytes.IndexByte(p[i:], '"')
	if e < 0 || bytes.IndexByte(p[i:i+e], '\\') >= 0 {
		return false
	}
	h.msg, h.fieldsAt = p[i:i+e], i+e+1
	return true
}

// hasAt reports whether p holds s at i.
func hasAt(p []byte, i int, s string) bool {
	return i+len(s) <= len(p) && string(p[i:i+len(s)]) == s
}

// noQuote reports whether b holds no '"'.
func noQuote(b []byte) bool {
	for _, c := range b {
		if c == '"' {
			return false
		}
	}
	return true
}

// skipString returns the index after the closing quote of the string whose text starts at i.
func skipString(p []byte, i int) (int, bool) {
	e := bytes.IndexByte(p[i:], '"')
	if e < 0 {
		return i, false
	}
	return i + e + 1, true
}

// time decodes the header's level and ts into rec; c is the input's cache of record minutes.
func (h *zapHeader) time(rec *record, c *clockCache) bool {
	level := parseLevelWord(h.level)
	if level == LevelUnknown {
		return false
	}
	if h.tsString {
		if n, ok := c.scan(h.ts, &rec.st); !ok || n != len(h.ts) {
			rec.st = stamp{}
			return false
		}
		rec.lazy = true
	} else {
		t, ok := parseEpoch(h.ts)
		if !ok {
			return false
		}
		rec.t = t
	}
	rec.level, rec.hasTime = level, true
	return true
}
