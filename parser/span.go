package parser

import (
	"slices"
	"sort"
	"time"
)

// GapMin is the shortest stretch of time without a line that Stats.Gaps
// records.
const GapMin = 10 * time.Second

// MaxGaps bounds Stats.Gaps.
const MaxGaps = 64

// Gap is a stretch of time in which an input has no line.
type Gap struct {
	From, To time.Time // the times of the lines on either side
}

// span follows the times of an input's lines, events or not: the earliest,
// the latest, and the gaps between consecutive times in time order, which
// do not depend on the order of the lines (an input that holds one member's
// lines, then another's, as docker-compose v1's logs do, has none where the
// other member's lines fill it). Lines in time order cost a comparison.
type span struct {
	first, last time.Time
	lastUnix    int64 // last.Unix(), once first is set
	gaps        []Gap // in time order
	max         int   // bound on gaps; 0: none (a chunk's, merged by its stream)
	hint        int   // the gap the last time in a gap fell in

	keyed          bool
	recKey, envKey stamp // the stamps of the last line timed by timeLine, without fractions
	recUnix        int64 // and its times that came whole (epoch numbers, journald JSON)
	envUnix        int64
	how            uint8 // its record format and which stamps it had (see timeLine)
}

// see adds one line's time.
func (sp *span) see(t time.Time) {
	// most lines: at or after the last, by less than GapMin
	if ds := t.Unix() - sp.lastUnix; ds >= 0 && ds <= int64(GapMin/time.Second) && !sp.first.IsZero() {
		if d := ds*int64(time.Second) + int64(t.Nanosecond()-sp.last.Nanosecond()); d >= 0 && d < int64(GapMin) {
			sp.last, sp.lastUnix = t, t.Unix()
			return
		}
	}
	switch {
	case sp.first.IsZero():
		sp.first, sp.last, sp.lastUnix = t, t, t.Unix()
	case !t.Before(sp.last):
		if t.Sub(sp.last) >= GapMin && sp.room() {
			sp.gaps = append(sp.gaps, Gap{From: sp.last, To: t})
		}
		sp.last, sp.lastUnix = t, t.Unix()
	case t.Before(sp.first):
		if sp.first.Sub(t) >= GapMin && sp.room() {
			sp.gaps = slices.Insert(sp.gaps, 0, Gap{From: t, To: sp.first})
		}
		sp.first = t
	case len(sp.gaps) > 0:
		i := sp.hint // the gap the last time fell in: lines that fill a gap in time order
		if i >= len(sp.gaps) || !sp.gaps[i].From.Before(t) || !sp.gaps[i].To.After(t) {
			i = sort.Search(len(sp.gaps), func(i int) bool { return sp.gaps[i].To.After(t) })
			if i == len(sp.gaps) || !sp.gaps[i].From.Before(t) {
				return
			}
		}
		sp.hint = i
		g := sp.gaps[i]
		if short(g.From, t) { // only the gap's start moves (what the split below comes to)
			if !short(t, g.To) {
				sp.gaps[i].From = t
			} else {
				sp.gaps = slices.Delete(sp.gaps, i, i+1)
			}
			return
		}
		sp.gaps = slices.Delete(sp.gaps, i, i+1)
		for _, h := range [2]Gap{{From: t, To: g.To}, {From: g.From, To: t}} {
			if h.To.Sub(h.From) >= GapMin && sp.room() {
				sp.gaps = slices.Insert(sp.gaps, i, h)
			}
		}
	}
}

// short reports whether b.Sub(a) < GapMin, for a not after b: as seconds and nanoseconds
// (t.Sub is dearer), the seconds first so that nothing overflows.
func short(a, b time.Time) bool {
	ds := b.Unix() - a.Unix()
	return ds <= int64(GapMin/time.Second) && ds*int64(time.Second)+int64(b.Nanosecond()-a.Nanosecond()) < int64(GapMin)
}

func (sp *span) room() bool { return sp.max == 0 || len(sp.gaps) < sp.max }

// absorb adds another span's times: the gaps of the two together are the
// stretches of GapMin or more that neither covers.
func (sp *span) absorb(c *span) {
	if c.first.IsZero() {
		return
	}
	if sp.first.IsZero() {
		sp.first, sp.last, sp.lastUnix = c.first, c.last, c.last.Unix()
		sp.gaps = append(sp.gaps[:0], c.gaps...)
		if sp.max > 0 && len(sp.gaps) > sp.max {
			sp.gaps = sp.gaps[:sp.max]
		}
		return
	}
	cover := append(sp.covered(), c.covered()...)
	sort.Slice(cover, func(i, j int) bool { return cover[i].From.Before(cover[j].From) })
	sp.gaps = sp.gaps[:0]
	end := cover[0].To
	for _, iv := range cover[1:] {
		if iv.From.Sub(end) >= GapMin && sp.room() {
			sp.gaps = append(sp.gaps, Gap{From: end, To: iv.From})
		}
		if iv.To.After(end) {
			end = iv.To
		}
	}
	sp.first, sp.last, sp.lastUnix = cover[0].From, end, end.Unix()
}

// covered returns the stretches the span's times cover, as Gaps.
func (sp *span) covered() []Gap {
	out := make([]Gap, 0, len(sp.gaps)+1)
	from := sp.first
	for _, g := range sp.gaps {
		out = append(out, Gap{From: from, To: g.From})
		from = g.To
	}
	return append(out, Gap{From: from, To: sp.last})
}

// Covered returns the stretches of time the inputs' lines cover together,
// in time order, from their Stats: what is not covered between the first
// and the last are gaps of GapMin or more in every input.
func Covered(stats []Stats) []Gap {
	var all span
	for _, st := range stats {
		all.absorb(&span{first: st.First, last: st.Last, gaps: st.Gaps})
	}
	if all.first.IsZero() {
		return nil
	}
	return all.covered()
}

// timeLine adds the time of a line that is not an event, to the second: its
// stamps are read without their fractions, so that its time depends on the
// line alone, and a line whose stamps repeat the second of the one before
// (most lines) costs a comparison.
func (r *Reader) timeLine(rec *record, f *framed) {
	if !rec.hasTime && !f.hasTime {
		return
	}
	sp := &r.span
	var ru, eu int64
	if rec.hasTime && !rec.lazy {
		ru = rec.t.Unix()
	}
	if f.hasTime && !f.lazy {
		eu = f.t.Unix()
	}
	how := uint8(rec.format)<<3 | b2u(rec.hasTime)<<2 | b2u(f.hasTime)<<1 | b2u(f.exact)
	if sp.keyed && how == sp.how && ru == sp.recUnix && eu == sp.envUnix && sameSecond(&rec.st, &sp.recKey) && sameSecond(&f.st, &sp.envKey) {
		return
	}
	sp.keyed, sp.how, sp.recKey, sp.envKey, sp.recUnix, sp.envUnix = true, how, rec.st, f.st, ru, eu
	rec.st.nsec, f.st.nsec = 0, 0
	if !rec.lazy {
		rec.t = rec.t.Truncate(time.Second)
	}
	if !f.lazy {
		f.t = f.t.Truncate(time.Second)
	}
	t := r.zoneTime(rec, f)
	if u := t.Unix(); t.IsZero() || u < minUnix || u >= maxUnix {
		return
	}
	r.seeTime(t, rec, f)
}

// seeTime adds a line's time to the input's span, or, when its zone is
// guessed (Options.TZ), to the span of such times, used only when the input
// has no other: a journald stamp beside zap's own time is hours off.
func (r *Reader) seeTime(t time.Time, rec *record, f *framed) {
	if rec.hasTime && (!rec.zoneless || f.hasTime && f.exact) || !rec.hasTime && f.exact {
		r.span.see(t)
	} else {
		r.guess.see(t)
	}
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// sameSecond reports whether two stamps are equal but for their fractions.
func sameSecond(a, b *stamp) bool {
	return a.s == b.s && a.mi == b.mi && a.h == b.h && a.d == b.d && a.mo == b.mo && a.y == b.y &&
		a.off == b.off && a.zoned == b.zoned
}

// spanStats sets the spans' part of Stats, its gaps copied.
func spanStats(st *Stats, exact, guessed *span) {
	sp := exact
	if sp.first.IsZero() {
		sp = guessed
	}
	st.First, st.Last, st.Gaps = sp.first, sp.last, nil
	if len(sp.gaps) > 0 {
		st.Gaps = slices.Clone(sp.gaps)
	}
}
