package parser

import "bytes"

// A paste that starts in the middle of a line of glued zap JSON records
// ("remaining ticks: 4)"}{"level":"info",...}{"level":...}") leaves the
// first record cut: it is malformed, and the whole records glued after it
// are read as any glued records are (see parseZapJSON).

// cutGlued reports whether p is the tail of a cut record with zap records
// glued after it, and marks where they start.
func cutGlued(p []byte, rec *record) bool {
	i := bytes.Index(p, []byte(`}{"level":`))
	if i < 0 {
		return false
	}
	rec.glued = i + 1
	return true
}
