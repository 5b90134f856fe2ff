package parser

import (
	"encoding/binary"
	"time"
)

// clockCache remembers the minute of the last RFC 3339 stamp one field of an input carried
// (the envelope's, or the record's): a storm's lines change minute rarely, so a stamp of the
// same minute compares its first 16 bytes ("2006-01-02T15:04") instead of parsing them, and
// its time is built from the minute's Unix seconds instead of by time.Date.
type clockCache struct {
	key             [2]uint64 // the 16 bytes, as two words
	y, mo, d, h, mi int
	unix            int64 // the minute's first second, read as UTC
	set             bool
}

// scan is scanRFC3339 for a stamp at the start of b, the same stamps accepted and the same
// fields returned, written into *st (zero when b holds no stamp: a stamp is 80 bytes, copied
// twice a line when returned); st.base is set, so that st.time needs no time.Date.
func (c *clockCache) scan(b []byte, st *stamp) (int, bool) {
	if len(b) < 20 || !c.set || binary.LittleEndian.Uint64(b) != c.key[0] || binary.LittleEndian.Uint64(b[8:]) != c.key[1] {
		var n int
		var ok bool
		if *st, n, ok = scanRFC3339(b); !ok {
			*st = stamp{}
			return n, ok
		}
		c.key = [2]uint64{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])}
		c.y, c.mo, c.d, c.h, c.mi, c.set = st.y, st.mo, st.d, st.h, st.mi, true
		c.unix = time.Date(st.y, time.Month(st.mo), st.d, st.h, st.mi, 0, 0, time.UTC).Unix()
		st.base, st.based = c.unix, true
		return n, true
	}
	// the date and the clock up to the minute are those of the key, valid; the rest as
	// scanRFC3339 reads it
	s, ok := digits(b[17:], 2)
	if b[16] != ':' || !ok || s > 60 {
		*st = stamp{}
		return 0, false
	}
	// field by field: a stamp built on the stack and copied over st is read back in 16-byte
	// loads from 8-byte stores, which the CPU cannot forward (a stall a stamp)
	st.y, st.mo, st.d, st.h, st.mi, st.s, st.off = c.y, c.mo, c.d, c.h, c.mi, s, 0
	n, ok := scanFracZone(b, st) // sets nsec, zoned and any offset
	if !ok {
		*st = stamp{}
		return 0, false
	}
	st.base, st.based = c.unix, true
	return n, true
}
