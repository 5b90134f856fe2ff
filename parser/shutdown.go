package parser

import "time"

// shutdowns drops the shutdown line that repeats another: "closing etcd
// server" follows the signal line within a millisecond. It keys the streams
// of an input by their envelope name, in line order; a start clears it.
type shutdowns struct {
	last map[string]time.Time
}

// keep tells whether ev is kept.
func (d *shutdowns) keep(ev *Event) bool {
	switch ev.Kind {
	case Shutdown:
		if d.last == nil {
			d.last = make(map[string]time.Time)
		}
		prev, ok := d.last[ev.Source]
		if gap := ev.Time.Sub(prev); ok && !prev.IsZero() && gap >= 0 && gap < 2*time.Second {
			return false
		}
		if ok || len(d.last) < maxSources {
			d.last[ev.Source] = ev.Time
		}
	case ServerStart, NewRaft:
		if _, ok := d.last[ev.Source]; ok {
			d.last[ev.Source] = time.Time{}
		}
	}
	return true
}

// maxSources bounds the envelope names tracked: hostile input cannot grow
// the tables without bound.
const maxSources = 4096
