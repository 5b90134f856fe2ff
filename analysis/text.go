package analysis

import (
	"strconv"
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// Helpers for the texts of findings and the diagnosis. They run at Finish only.

func (a *Analyzer) label(ix int32) string {
	if ix < 0 || int(ix) >= len(a.mem) {
		return "an unknown member"
	}
	return a.mem[ix].label()
}

// labelID names a member by name and ID: "etcd3 (bd388e7810915853)".
func (a *Analyzer) labelID(ix int32) string {
	if ix < 0 || int(ix) >= len(a.mem) {
		return "an unknown member"
	}
	m := a.mem[ix]
	if m.name == "" {
		return m.id.String()
	}
	return m.name + " (" + m.id.String() + ")"
}

// names lists members: "etcd1", "etcd1 and etcd2", "etcd1, etcd2 and etcd3".
func (a *Analyzer) names(ixs []int32) string {
	ls := make([]string, len(ixs))
	for i, ix := range ixs {
		ls[i] = a.label(ix)
	}
	return list(ls)
}

func list(ls []string) string {
	switch len(ls) {
	case 0:
		return ""
	case 1:
		return ls[0]
	}
	return strings.Join(ls[:len(ls)-1], ", ") + " and " + ls[len(ls)-1]
}

// ids returns the members' IDs, without repeats, in the order given.
func (a *Analyzer) ids(ixs ...int32) []parser.ID {
	out := make([]parser.ID, 0, len(ixs))
	var seen uint64
	for _, ix := range ixs {
		if ix < 0 || int(ix) >= len(a.mem) {
			continue
		}
		if b := bit(ix); b != 0 {
			if seen&b != 0 {
				continue
			}
			seen |= b
		}
		out = append(out, a.mem[ix].id)
	}
	return out
}

// ixsOf lists the members of a bitmask, by index.
func ixsOf(mask uint64) []int32 {
	var out []int32
	for ix := int32(0); ix < 64 && mask != 0; ix++ {
		if mask&1 != 0 {
			out = append(out, ix)
		}
		mask >>= 1
	}
	return out
}

// dur renders a duration the way people read it: 850ms, 1.2s, 42s, 10m23s, 2h5m.
func dur(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Round(time.Millisecond).Milliseconds(), 10) + "ms"
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Round(100*time.Millisecond).Seconds(), 'f', -1, 64) + "s"
	case d < time.Minute:
		return strconv.FormatInt(int64(d.Round(time.Second).Seconds()), 10) + "s"
	case d < time.Hour:
		d = d.Round(time.Second)
		m, s := int64(d/time.Minute), int64(d%time.Minute/time.Second)
		if s == 0 {
			return strconv.FormatInt(m, 10) + "m"
		}
		return strconv.FormatInt(m, 10) + "m" + strconv.FormatInt(s, 10) + "s"
	default:
		d = d.Round(time.Minute)
		h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
		if m == 0 {
			return strconv.FormatInt(h, 10) + "h"
		}
		return strconv.FormatInt(h, 10) + "h" + strconv.FormatInt(m, 10) + "m"
	}
}

// at renders a time of day, with the date when the logs span several days.
func (f *facts) at(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	if f.end.Sub(f.start) > 20*time.Hour || f.start.YearDay() != f.end.YearDay() {
		return t.Format("Jan 2 15:04:05")
	}
	return t.Format("15:04:05")
}

// plural renders "1 election", "3 elections".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func itoa(n int) string    { return strconv.Itoa(n) }
func utoa(n uint64) string { return strconv.FormatUint(n, 10) }

// wasWere agrees a verb with a count.
func isAre(n int) string {
	if n == 1 {
		return "holds"
	}
	return "hold"
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}
