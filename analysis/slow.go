package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

func (a *Analyzer) slowHint(m *member, ev *parser.Event, t time.Time) {
	if ev.Kind == parser.SlowApply && (ev.Failed || m.leaderlessSince(t.Add(-ev.Duration))) {
		a.waitedHint(m, ev, t)
		return
	}
	e := a.episode(&a.slow, &m.slowEp, m.ix, t)
	if t.After(e.end) {
		e.end = t
	}
	e.count++
	d := ev.Duration
	switch ev.Kind {
	case parser.HeartbeatLate:
		e.heartbeat, e.maxHeartbeat = e.heartbeat+1, max(e.maxHeartbeat, d)
	case parser.SlowFdatasync:
		e.fsync, e.maxFsync = e.fsync+1, max(e.maxFsync, d)
	case parser.SlowApply:
		e.apply, e.maxApply = e.apply+1, max(e.maxApply, d)
	case parser.TickMissed:
		e.tick++
	}
	if m.state == StateLeader {
		e.leader = true
	}
	if ev.Kind != parser.SlowApply || e.ev.total < evHead {
		e.ev.add(ev, t, &a.cur)
	}
	if e.count <= 2 {
		a.tl.add(ev, m, t, &a.cur)
	}
}

func slowWhat(e *episode) string {
	var ls []string
	if e.heartbeat > 0 {
		ls = append(ls, "heartbeats late by up to "+dur(e.maxHeartbeat))
	}
	if e.tick > 0 {
		ls = append(ls, plural(e.tick, "missed tick", "missed ticks"))
	}
	if e.fsync > 0 {
		ls = append(ls, "fdatasync up to "+dur(e.maxFsync))
	}
	if e.apply > 0 {
		ls = append(ls, plural(e.apply, "slow apply", "slow applies")+" up to "+dur(e.maxApply))
	}
	return list(ls)
}

// slowSeverity: a slow episode is a warning when it could cost a leader its
// leadership (a heartbeat late by half an election timeout, a slow disk sync,
// missed ticks) or clients a second; otherwise it is a busy member's hiccup.
func slowSeverity(e *episode) Severity {
	if e.maxHeartbeat >= slowHeartbeat || e.fsync+e.tick > 0 || e.maxApply >= time.Second {
		return Warning
	}
	return Info
}

func (a *Analyzer) detectSlow(f *facts) []Finding {
	items := make([]classed, len(a.slow.closed))
	for i, e := range a.slow.closed {
		items[i] = classed{e, slowClass(e)}
	}
	sev := func(class uint8) Severity {
		if class == 1 {
			return Warning
		}
		return Info
	}
	fs := a.episodeFindings(f, &a.slow, items, sev, func(e *episode, _ uint8) Finding { return a.slowFinding(f, e) })
	return a.metricsFindings(f, fs)
}

// slowClass is the class of a slow episode's fold (see fold.go): 1 for a
// warning.
func slowClass(e *episode) uint8 {
	if slowSeverity(e) == Warning {
		return 1
	}
	return 0
}

func (a *Analyzer) slowFinding(f *facts, e *episode) Finding {
	m := a.mem[e.subject]
	role := "member"
	if e.leader || e.heartbeat > 0 {
		role = "leader"
	}
	sum := m.label() + " (" + role + ") was slow "
	if e.end.Sub(e.start) < time.Second {
		sum += "at " + f.at(e.start)
	} else {
		sum += "from " + f.at(e.start) + " to " + f.at(e.end)
	}
	sum += ": " + slowWhat(e) + "."
	return Finding{
		Kind: SlowLeader, Severity: slowSeverity(e), Members: a.ids(e.subject),
		Start: e.start, End: e.end, Count: e.count, TermFrom: m.termAt(e.start), TermTo: m.termAt(e.end),
		Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, e.ev.lines()),
		weight: a.slow.weight(e).Seconds(),
	}
}

// slowHeartbeat is how late a heartbeat must be to matter: half the default
// election timeout. Shorter delays are a busy machine's hiccups.
const slowHeartbeat = 500 * time.Millisecond

// termAt is the member's term at t, from its series.
func (m *member) termAt(t time.Time) uint64 {
	var term uint64
	for _, p := range m.series.points {
		if p.Time.After(t) {
			break
		}
		term = p.Term
	}
	return term
}

// slowCause reports whether a slow episode may have cost a leader its
// leadership: late heartbeats, slow disk syncs, missed ticks, or an apply of
// a second.
func slowCause(e *episode) bool {
	return e.heartbeat+e.fsync+e.tick > 0 || e.maxApply >= time.Second
}

// slowLead is how long before its leadership ended a leader's slowness counts
// toward the change: followers give up on a leader an election timeout (1 s
// by default, rarely over 10 s) after its last heartbeat, so slowness much
// earlier than that did not cost it the leadership.
const slowLead = 30 * time.Second

// slowNear returns the first episode of the member that may have cost it
// its leadership (see slowCause) that overlaps [from, to].
func (a *Analyzer) slowNear(ix int32, from, to time.Time) *episode {
	var best *episode
	for _, e := range a.slow.closed {
		if e.subject != ix || e.end.Before(from) || e.start.After(to) || !slowCause(e) {
			continue
		}
		if best == nil || e.start.Before(best.start) {
			best = e
		}
	}
	return best
}

func (a *Analyzer) diagSlow(f *facts, p *Finding) Diagnosis {
	head := p.Summary
	if len(p.Members) > 0 {
		head = a.metricsLabel(p.Members[0]) + " was slow"
	}
	return plain(p, head,
		"A leader has to send heartbeats every heartbeat interval and sync its WAL before it answers; when its disk "+
			"or CPU stalls, followers may time out and elect another leader, and clients see slow or failed requests.",
		remedyDisk, remedyCPU, remedyTimeouts)
}

func slowNoun(w *repeats) (string, string) { return w.names + " " + wasWere(len(w.ixs)) + " slow", "" }
