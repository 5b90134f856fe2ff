package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// drift is the clock difference one member measured against a peer.
type drift struct {
	reporter, subject int32
	first, last       time.Time
	count             int
	max               time.Duration
	ev                evidence
}

func (a *Analyzer) clockDrift(m *member, ev *parser.Event, t time.Time) {
	s := a.member(ev.Peer)
	if s == nil {
		return
	}
	var d *drift
	for _, x := range a.drifts {
		if x.reporter == m.ix && x.subject == s.ix {
			d = x
			break
		}
	}
	if d == nil {
		if len(a.drifts) >= maxEpisodes {
			return
		}
		d = &drift{reporter: m.ix, subject: s.ix, first: t}
		a.drifts = append(a.drifts, d)
		a.tl.add(ev, m, t, &a.cur)
	}
	d.last = t
	d.count++
	if ev.Duration > d.max || -ev.Duration > d.max {
		d.max = ev.Duration
		if d.max < 0 {
			d.max = -d.max
		}
	}
	if d.ev.total < evHead {
		d.ev.add(ev, t, &a.cur)
	}
}

func (a *Analyzer) detectDrift(f *facts) []Finding {
	var out []Finding
	for _, d := range a.drifts {
		sum := a.label(d.reporter) + " measured " + a.label(d.subject) + "'s clock off by up to " + dur(d.max) +
			" (" + plural(d.count, "time", "times") + ", " + f.at(d.first) + " to " + f.at(d.last) +
			"); etcd warns above 1s: leases and TTLs suffer, elections do not."
		out = append(out, Finding{
			Kind: ClockDrift, Severity: Warning, Members: a.ids(d.reporter, d.subject),
			Start: d.first, End: d.last, Count: d.count,
			Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, d.ev.lines()),
			weight: d.max.Seconds(),
		})
	}
	return out
}

func (a *Analyzer) diagDrift(f *facts, p *Finding) Diagnosis {
	return plain(p, "Clocks differ between members",
		"Raft counts ticks, not wall-clock time, so clock drift does not cause elections; it makes lease TTLs and "+
			"the times in different members' logs disagree.",
		"Synchronize the members' clocks (chrony or ntpd), and check again with `etcdctl endpoint status`.")
}

func driftNoun(w *repeats) (string, string) {
	return "Clocks were measured apart", " between " + w.names
}
