package parser

import "bytes"

// parseZapJSON reads a zap JSON record (etcd 3.4 --logger=zap to 3.7).
func (r *Reader) parseZapJSON(p []byte, rec *record) (status, string) {
	end := trimSpace(p)
	if end[len(end)-1] != '}' {
		if jsonEnd(p) > 0 {
			return stMalformed, "bytes after the JSON record's closing brace"
		}
		return stMalformed, "truncated JSON record"
	}
	// Records glued on one line ("...}{"level":...): read the first, and
	// leave the rest for the next Scan.
	if i := bytes.Index(p, []byte(`}{"level":`)); i >= 0 {
		if n := jsonEnd(p); n == i+1 {
			rec.glued, p = n, p[:n]
		}
	}
	// Fast path: zap writes level, ts, [logger,] caller and msg first, in
	// this order, and most lines are not events. Find msg by that layout,
	// and read the rest only when the line may be an event.
	if h, ok := zapLayout(p); ok {
		if !raftCandidate(h.msg) && zapKind(h.msg) == KindNone {
			rec.format, rec.msg, rec.fields = recZapJSON, h.msg, p
			return stOK, ""
		}
		if h.time(rec, &r.recClock) {
			rec.format, rec.msg, rec.fields, rec.fieldsAt = recZapJSON, h.msg, p, h.fieldsAt
			return stOK, ""
		}
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
		return stNoise, "" // some other JSON
	}
	rec.format = recZapJSON
	rec.fields, rec.fieldsAt = p, it.i
	return stOK, ""
}

// zapHeader is the head of a zap JSON line, located but not decoded.
type zapHeader struct {
	level, ts []byte
	tsString  bool
	msg       []byte // without escapes
	fieldsAt  int    // just after msg's closing quote
}

// zapLayout locates the keys zap writes first, in its own order:
// {"level":"info","ts":"2026-11-23T21:07:10.243997Z"[,"logger":"raft"],"caller":"x.go:1","msg":"..."
// with IndexByte over short spans. Anything else (another order, escapes in
// msg) is left to the generic walk.
func zapLayout(p []byte) (zapHeader, bool) {
	var h zapHeader
	i := 0
	str := func(key string) ([]byte, bool) {
		if !bytes.HasPrefix(p[i:], []byte(key)) {
			return nil, false
		}
		i += len(key)
		e := bytes.IndexByte(p[i:], '"')
		if e < 0 {
			return nil, false
		}
		v := p[i : i+e]
		i += e + 1
		return v, true
	}
	var ok bool
	if h.level, ok = str(`{"level":"`); !ok {
		return h, false
	}
	if bytes.HasPrefix(p[i:], []byte(`,"ts":"`)) {
		h.ts, _ = str(`,"ts":"`)
		h.tsString = true
	} else if bytes.HasPrefix(p[i:], []byte(`,"ts":`)) {
		i += len(`,"ts":`)
		e := bytes.IndexByte(p[i:], ',')
		if e < 0 {
			return h, false
		}
		h.ts, i = p[i:i+e], i+e
	} else {
		return h, false
	}
	if bytes.HasPrefix(p[i:], []byte(`,"logger":"`)) {
		if _, ok = str(`,"logger":"`); !ok {
			return h, false
		}
	}
	if bytes.HasPrefix(p[i:], []byte(`,"caller":"`)) {
		if _, ok = str(`,"caller":"`); !ok {
			return h, false
		}
	}
	if h.msg, ok = str(`,"msg":"`); !ok || bytes.IndexByte(h.msg, '\\') >= 0 {
		return h, false
	}
	h.fieldsAt = i
	return h, true
}

// time decodes the header's level and ts into rec; c is the input's cache of record minutes.
func (h *zapHeader) time(rec *record, c *clockCache) bool {
	level := parseLevelWord(h.level)
	if level == LevelUnknown {
		return false
	}
	if h.tsString {
		st, n, ok := c.scan(h.ts)
		if !ok || n != len(h.ts) {
			return false
		}
		rec.st, rec.lazy = st, true
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
