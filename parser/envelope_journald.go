package parser

import (
	"bytes"
	"time"
)

// journaldShort parses "<time> <host> <ident>[<pid>]: <message>", the time
// as journalctl's short (in English or a common locale), short-precise,
// short-iso[-precise] or short-full print it. The host may be missing, as
// in syslog files written without one ("Apr 26 23:15:56  etcd: ...").
func (r *Reader) journaldShort(line []byte) (framed, bool) {
	f, n, ok := r.journaldTime(line)
	if !ok || n >= len(line) || line[n] != ' ' {
		return framed{payload: line}, false
	}
	rest := line[n+1:]
	switch sp := bytes.IndexByte(rest, ' '); {
	case sp == 0: // no host: "  etcd: ..."
		rest = rest[1:]
	case sp < 0:
		return framed{payload: line}, false
	case rest[sp-1] == ':' && looksLikeIdent(rest[:sp-1]): // no host: " etcd[1]: ..."
	default:
		f.source = rest[:sp]
		rest = rest[sp+1:]
	}
	colon := bytes.Index(rest, []byte(": "))
	if colon <= 0 {
		// "host ident[pid]:" with an empty message
		if bytes.HasSuffix(rest, []byte(":")) && looksLikeIdent(rest[:len(rest)-1]) {
			f.payload = nil
			return f, true
		}
		return framed{payload: line}, false
	}
	ident := rest[:colon]
	if bytes.IndexByte(ident, ' ') >= 0 {
		return framed{payload: line}, false
	}
	f.payload = rest[colon+2:]
	return f, true
}

// journaldTime takes the time off the front of a journald line.
func (r *Reader) journaldTime(line []byte) (f framed, n int, ok bool) {
	var st stamp
	switch {
	case len(line) > 0 && isDigit(line[0]) && len(line) > 10 && line[10] == 'T':
		st, n, ok = scanRFC3339(line)
	default:
		if st, n, ok = scanSyslogTime(line); ok {
			st.y = r.syslogYear(st.mo, st.d)
		} else {
			st, n, ok = scanShortFull(line)
		}
	}
	if !ok {
		return f, 0, false
	}
	f.hasTime, f.exact = true, st.zoned
	f.t = st.time(r.tz)
	return f, n, true
}

// syslogYear is the year of a year-less "Jan _2" stamp: Options.Year; else
// the year of a dated stamp in the same input (one of the first lines', then
// the last event's), moved on when the months wrap from December to
// January; else the latest year that does not put the stamp more than a day
// after Options.ReferenceTime (a file's mtime, a capture's end: weaker than
// the input's own stamps, since a copied file loses its mtime); else the
// current year. Stats.YearFrom says which.
func (r *Reader) syslogYear(mo, d int) int {
	o := &r.opts
	switch {
	case o.Year != 0:
		r.stats.YearFrom = "option"
		return o.Year
	case r.lastYear != 0:
		if r.lastMonth >= 11 && mo <= 2 {
			r.lastYear++
		}
		r.lastMonth = mo
		if r.stats.YearFrom == "" {
			r.stats.YearFrom = "stamp in the input"
		}
		return r.lastYear
	case !o.ReferenceTime.IsZero():
		ref := o.ReferenceTime.In(r.tz)
		y := ref.Year()
		if mo*32+d > int(ref.Month())*32+ref.Day()+1 {
			y--
		}
		r.stats.YearFrom = o.ReferenceName
		if r.stats.YearFrom == "" {
			r.stats.YearFrom = "reference time"
		}
		return y
	}
	r.stats.YearFrom = "current year"
	return time.Now().In(r.tz).Year()
}

// sampleYear finds the year of the first dated stamp (an envelope's or a
// record's) in the lines read ahead, for the year-less stamps before any
// event gives one.
func (r *Reader) sampleYear() {
	if r.lastYear != 0 || r.opts.Year != 0 || !r.opts.ReferenceTime.IsZero() {
		return
	}
	saved, month := r.stats, r.lastMonth
	var rec record
	for _, line := range r.sample {
		_, line = r.unwrapOuter(line)
		var f framed
		r.unwrap(r.env, line, &f)
		if f.hasTime && f.exact {
			r.lastYear = f.when().Year()
		} else if st, _ := r.parseRecord(f.payload, &rec); st == stOK && rec.hasTime {
			r.lastYear = rec.when().Year()
		}
		if r.lastYear > 0 {
			break
		}
	}
	r.stats, r.lastMonth = saved, month
}

// journaldJSON parses one "journalctl -o json" object.
func (r *Reader) journaldJSON(line []byte) (framed, bool) {
	return r.jsonEnvelope(line, envJournaldJSON, "MESSAGE")
}

func journaldMember(f *framed, key, val []byte) {
	switch string(key) {
	case "__REALTIME_TIMESTAMP":
		f.t, f.hasTime = parseEpochMicros(val)
		f.exact = f.hasTime
	case "_HOSTNAME":
		f.source = val
	}
}

// jsonEnvelope walks an envelope env that is one JSON object: its string
// member msgKey, unescaped, is the payload; env's member function reads the
// other string members (called directly, so that f stays on the stack).
func (r *Reader) jsonEnvelope(line []byte, env envelope, msgKey string) (framed, bool) {
	var f framed
	it := newJSONIter(line)
	var msg []byte
	var msgEsc, haveMsg bool
	for {
		k, v, typ, esc, ok := it.next()
		if !ok {
			break
		}
		if typ != jsonString {
			continue
		}
		switch {
		case string(k) == msgKey:
			msg, msgEsc, haveMsg = v, esc, true
		case env == envJournaldJSON:
			journaldMember(&f, k, v)
		default:
			dockerMember(&f, k, v)
		}
	}
	if it.bad || !haveMsg {
		return framed{payload: line}, false
	}
	if msgEsc {
		r.unesc = unescape(r.unesc[:0], msg)
		msg = r.unesc
	}
	f.payload = msg
	return f, true
}
