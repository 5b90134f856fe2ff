package parser

// Log shippers (Fluentd, Fluent Bit, Vector, Logstash/Elastic, Loki's
// promtail, Google Cloud Logging agents) often re-encode etcd's zap JSON
// under their own field names: the message as "message" or "log", the time
// as "@timestamp", "timestamp" or "time", the level as "severity",
// "log.level" or an ECS "log":{"level":...}. Such a line is read as a record
// of its own format when it holds a message and a time under those names.

// shipperKeys are the top-level names read, by what they hold.
var (
	shipperMsgKeys   = [...]string{"message", "msg", "log", "MESSAGE", "textPayload"}
	shipperTimeKeys  = [...]string{"@timestamp", "timestamp", "time", "ts", "date", "@t"}
	shipperLevelKeys = [...]string{"severity", "level", "log.level", "levelname", "lvl", "@l"}
)

func oneOf(k []byte, names []string) bool {
	for _, n := range names {
		if string(k) == n {
			return true
		}
	}
	return false
}

// parseShipperJSON reads p, a JSON object that is not zap's own record. It
// returns stNoise when p lacks a message or a time under the shippers'
// names, or when its message is not one etcd's raft or server writes.
func (r *Reader) parseShipperJSON(p []byte, rec *record) (status, string) {
	*rec = record{}
	it := newJSONIter(p)
	var msg []byte
	var msgEsc, haveTime bool
	for {
		k, v, typ, esc, ok := it.next()
		if !ok {
			break
		}
		switch {
		case typ == jsonString && msg == nil && oneOf(k, shipperMsgKeys[:]):
			msg, msgEsc = v, esc
		case !haveTime && oneOf(k, shipperTimeKeys[:]):
			if typ == jsonString {
				if st, n, ok := scanRFC3339(v); ok && n == len(v) {
					rec.st, rec.lazy, haveTime = st, true, true
				}
			} else if typ == jsonNumber {
				rec.t, haveTime = parseEpoch(v)
			}
		case rec.level == LevelUnknown && typ == jsonString && oneOf(k, shipperLevelKeys[:]):
			rec.level = shipperLevel(v)
		case rec.level == LevelUnknown && typ == jsonObject && string(k) == "log":
			if lv, ok := stringField(v, `"level":"`); ok {
				rec.level = shipperLevel(lv)
			}
		}
	}
	if it.bad || msg == nil || !haveTime {
		*rec = record{}
		return stNoise, ""
	}
	if msgEsc {
		r.msgBuf = unescape(r.msgBuf[:0], msg)
		msg = r.msgBuf
	}
	msg = trimSpace(msg)
	if !raftCandidate(msg) && zapKind(msg) == KindNone && !looksLikeServerMessage(msg) {
		*rec = record{}
		return stNoise, ""
	}
	if rec.level == LevelUnknown {
		rec.level = LevelInfo
	}
	rec.format, rec.hasTime, rec.msg, rec.fields = recShipper, true, msg, p
	return stOK, ""
}

// shipperLevel reads a level word in any case, with syslog's and Cloud
// Logging's names beside zap's.
func shipperLevel(v []byte) Level {
	for _, w := range [...]struct {
		s string
		l Level
	}{{"info", LevelInfo}, {"notice", LevelInfo}, {"warn", LevelWarn}, {"warning", LevelWarn},
		{"error", LevelError}, {"err", LevelError}, {"debug", LevelDebug},
		{"fatal", LevelFatal}, {"panic", LevelFatal}, {"dpanic", LevelFatal}, {"critical", LevelFatal}} {
		if equalFoldASCII(v, w.s) {
			return w.l
		}
	}
	return LevelUnknown
}
