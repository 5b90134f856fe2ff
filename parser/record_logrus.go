package parser

import "bytes"

// Programs that embed etcd and log through logrus (k0s, some k3s builds)
// wrap each of etcd's zap JSON records in a logrus text line, the record
// quoted as its msg:
//
//	time="2024-01-26 12:16:11" level=info msg="{\"level\":\"info\",\"ts\":...,\"msg\":\"...\"}" component=etcd
//
// The inner record is read as zap JSON; a logrus line whose msg is not a
// JSON record is the program's own, and noise. Pagers (journalctl's less)
// cut long lines and mark the cut with '>': a record cut after its msg is
// still read (see parseCutZapJSON), one cut inside its msg only when the
// start of its msg still says what it was (see parseRaftCut).

// parseLogrus reads p, a logrus text line ("time=... level=... msg=...").
func (r *Reader) parseLogrus(p []byte, rec *record) (status, string) {
	i := bytes.Index(p, []byte(` msg="{`))
	if i < 0 {
		return stNoise, ""
	}
	q := p[i+len(` msg="`):]
	r.wrapped = r.wrapped[:0]
	closed := false
	for j := 0; j < len(q); j++ {
		c := q[j]
		if c == '"' {
			closed = true
			break
		}
		if c == '\\' && j+1 < len(q) {
			j++
			switch q[j] {
			case 'n':
				c = '\n'
			case 't':
				c = '\t'
			case 'r':
				c = '\r'
			default:
				c = q[j] // \" and \\; others as they are
			}
		}
		r.wrapped = append(r.wrapped, c)
	}
	inner := r.wrapped
	if !closed {
		if !bytes.HasSuffix(p, []byte(">")) {
			return stMalformed, "logrus msg without its closing quote"
		}
		inner = inner[:len(inner)-1] // the pager's mark
		return r.parseCutZapJSON(inner, rec)
	}
	st, why := r.parseZapJSON(inner, rec)
	rec.glued = 0 // offsets into inner, not into the line
	return st, why
}

// parseCutZapJSON reads a zap JSON record cut short (by a pager): the record
// holds when its head up to msg is whole; its fields are lost. One cut inside
// its msg is read by parseCutMsg.
func (r *Reader) parseCutZapJSON(p []byte, rec *record) (status, string) {
	var h zapHeader
	ok := zapLayout(p, &h)
	if !ok {
		return r.parseCutMsg(p, rec)
	}
	if !h.time(rec, &r.recClock) {
		return stMalformed, cutInMsg
	}
	rec.format, rec.msg, rec.fields, rec.fieldsAt = recZapJSON, h.msg, p[:h.fieldsAt], h.fieldsAt
	return stOK, ""
}
