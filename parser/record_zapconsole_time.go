package parser

// Zap console timestamps beyond RFC 3339. etcd's own encoder config writes
// ISO 8601 with a zone (zapcore.ISO8601TimeEncoder, "2006-01-02T15:04:05.000Z0700",
// read by scanRFC3339); programs that embed etcd's raft with their own zap
// config also write the zone-less "2006-01-02T15:04:05.000" (a custom layout)
// and zap's epoch encoder's float seconds ("1666948345.024").

// scanZapConsoleTime takes apart a leading zone-less ISO 8601 time, or epoch
// seconds, as a zap console record starts. The zone-less wall clock comes back
// with zoned false, to be placed in Options.TZ as capnslog's is.
func scanZapConsoleTime(b []byte) (stamp, int, bool) {
	if st, n, ok := scanZonelessISO(b); ok {
		return st, n, true
	}
	return scanEpochStamp(b)
}

// scanZonelessISO takes apart "2006-01-02T15:04:05[.frac]" not followed by a
// zone: capnslog's wall clock with a 'T' for the space.
func scanZonelessISO(b []byte) (stamp, int, bool) {
	if len(b) < 19 || b[10] != 'T' {
		return stamp{}, 0, false
	}
	var wall [19]byte
	copy(wall[:], b)
	wall[10] = ' '
	st, _, ok := scanCapnslogTime(wall[:])
	if !ok {
		return st, 0, false
	}
	var fn int
	st.nsec, fn = parseFrac(b[19:])
	n := 19 + fn
	if n < len(b) && b[n] != '\t' && b[n] != ' ' {
		return st, 0, false
	}
	return st, n, true
}

// scanEpochStamp takes apart zap's epoch seconds ("1666948345.024"; 9 to 11
// integer digits: the years 2001 to 5138) into a UTC stamp.
func scanEpochStamp(b []byte) (stamp, int, bool) {
	var st stamp
	n := 0
	for n < len(b) && isDigit(b[n]) {
		n++
	}
	if n < 9 || n > 11 {
		return st, 0, false
	}
	_, fn := parseFrac(b[n:])
	n += fn
	if n < len(b) && b[n] != '\t' && b[n] != ' ' {
		return st, 0, false
	}
	t, ok := parseEpoch(b[:n])
	if !ok {
		return st, 0, false
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	st = stamp{y: y, mo: int(mo), d: d, h: h, mi: mi, s: s, nsec: t.Nanosecond(), zoned: true}
	return st, n, true
}

// looksLikeEpochConsole reports whether p starts as a zap console record
// with epoch seconds: "1666948345.024<TAB>info<TAB>...".
func looksLikeEpochConsole(p []byte) bool {
	_, n, ok := scanEpochStamp(p)
	return ok && n < len(p) && p[n] == '\t' && n+1 < len(p) && isLevelWord(firstWord(p[n+1:]))
}
