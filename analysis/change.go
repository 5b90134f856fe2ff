package analysis

import (
	"time"
)

// detectLeaderChanges reports unplanned changes of leader: not a transfer,
// not the recovery from a quorum loss, not a whole-cluster stop or start.
func (a *Analyzer) detectLeaderChanges(f *facts, qls []*qlWindow) []Finding {
	var out []Finding
	ls := a.lead.list // sorted by term
	for i := 1; i < len(ls); i++ {
		prev, cur := ls[i-1], ls[i]
		if prev.leader == cur.leader {
			continue
		}
		if a.recovered(cur, qls) || a.planned(prev, cur) || a.coldAt(cur.start) ||
			a.clusterStop(cur.start) != nil || a.clusterStop(prev.until) != nil {
			continue
		}
		out = append(out, a.leaderChange(f, prev, cur))
	}
	return out
}

func (a *Analyzer) recovered(rec *leadership, qls []*qlWindow) bool {
	for _, w := range qls {
		if w.after == rec {
			return true
		}
	}
	return false
}

// planned reports whether cur took over from prev by a leadership transfer.
func (a *Analyzer) planned(prev, cur *leadership) bool {
	for _, tr := range a.transfers {
		if tr.from != prev.leader || (tr.to >= 0 && tr.to != cur.leader) {
			continue
		}
		if d := cur.start.Sub(tr.start); d >= -2*time.Second && d <= transferWindow {
			return true
		}
	}
	return false
}

// leaderChange explains one unplanned change of leader.
func (a *Analyzer) leaderChange(f *facts, prev, cur *leadership) Finding {
	old, nw := a.mem[prev.leader], a.mem[cur.leader]
	cause, kind, ev := a.changeCause(f, prev, cur)
	gap := cur.start.Sub(prev.until)
	sum := "The leader changed from " + old.label() + " (term " + utoa(prev.term) + ") to " + nw.label() +
		" (term " + utoa(cur.term) + ") at " + f.at(cur.start) + ": " + cause
	if gap >= minWindow {
		sum += "; no leader for " + dur(gap)
	}
	sum += "."
	ev = append(ev, one(cur.startEv))
	fd := Finding{
		Kind: LeaderChange, Severity: Warning, Members: a.ids(prev.leader, cur.leader),
		Start: prev.until, End: cur.start, Count: 1, TermFrom: prev.term, TermTo: cur.term,
		Summary: sum, Evidence: a.evidenceOf(a.opts.MaxEvidence, ev...),
	}
	a.note(&fd, &changeInfo{prev: prev, cur: cur, cause: kind, text: cause})
	return fd
}

// changeInfo is what the diagnosis needs of a leader change.
type changeInfo struct {
	prev, cur *leadership
	cause     causeKind
	text      string
}

// causeKind classifies why a leader lost its leadership.
type causeKind uint8

const (
	causeUnknown causeKind = iota
	causeRejoin
	causeCheckQuorum
	causeStall
	causeStopped
	causeKilled
	causeDeposed
	causeSlow
)

// causeTexts name the causes of leader changes, in the order texts list them.
var causeTexts = []struct {
	k causeKind
	s string
}{
	{causeRejoin, "a member coming back with a higher term"},
	{causeCheckQuorum, "a leader losing contact with a quorum"},
	{causeStall, "a stalled leader"},
	{causeKilled, "a leader killed or crashed"},
	{causeStopped, "a leader stopped without handover"},
	{causeDeposed, "an election at a higher term"},
	{causeSlow, "a slow leader"},
	{causeUnknown, "followers timing out"},
}

// causeList renders counts of leader changes by cause: "a stalled leader (3)".
func causeList(counts [nCauses]int) []string {
	var out []string
	for _, c := range causeTexts {
		if n := counts[c.k]; n > 0 {
			out = append(out, c.s+" ("+itoa(n)+")")
		}
	}
	return out
}

// changeCause says why prev's leadership ended, in words, with its lines.
func (a *Analyzer) changeCause(f *facts, prev, cur *leadership) (string, causeKind, [][]evLine) {
	old := a.mem[prev.leader]
	ev := [][]evLine{one(prev.endEv)}
	from := prev.until.Add(-slowLead)
	if from.Before(prev.start) {
		from = prev.start
	}
	slow := a.slowNear(prev.leader, from, cur.start.Add(10*time.Second))
	slowText := ""
	if slow != nil {
		slowText = "; etcd logged it slow (" + slowWhat(slow) + ")"
		ev = append(ev, slow.ev.lines())
	}
	for _, r := range a.rejoins {
		if r.leader == prev.leader && r.term == prev.term && a.validRejoin(r) {
			return a.label(r.by) + " came back with a higher term (" + utoa(r.peerTerm) +
				") and deposed it", causeRejoin, append(ev, one(r.ev))
		}
	}
	if prev.reason == endCheckQuorum && !prev.end.After(cur.start.Add(time.Second)) {
		return old.label() + " lost contact with a quorum and stepped down (check-quorum)" + slowText, causeCheckQuorum, ev
	}
	if sp, ok := a.stalled(prev, cur); ok {
		s := old.label() + " stalled"
		if sp.to.After(sp.from) {
			s += ": silent from " + f.at(sp.from) + " to " + f.at(sp.to) + " (" + dur(sp.to.Sub(sp.from)) + ")"
		}
		s += " (a pause such as SIGSTOP, a long GC, swapping or blocked disk I/O), and resumed to find " +
			a.label(cur.leader) + " leading" + slowText
		return s, causeStall, ev
	}
	if !prev.stopAt.IsZero() && !prev.stopAt.After(cur.start) {
		return old.label() + " was stopped at " + f.at(prev.stopAt) + " without handing leadership over" + slowText, causeStopped, ev
	}
	if rs := a.restartAfter(old, prev.until); !rs.IsZero() || prev.why == endSilent || prev.why == endRestarted ||
		(old.hasLogs && old.lastSeen.Before(cur.start) && f.end.Sub(old.lastSeen) > 10*time.Second) {
		s := old.label() + " stopped responding at " + f.at(prev.until) + " with no shutdown line (killed or crashed)"
		if !rs.IsZero() {
			s += "; it restarted at " + f.at(rs)
		}
		return s + slowText, causeKilled, ev
	}
	if prev.reason == endHigherTerm && prev.by != 0 {
		return a.mem[a.index(prev.by)].label() + "'s election at a higher term deposed it" + slowText, causeDeposed, ev
	}
	if slow != nil {
		return "its followers stopped hearing from it in time" + slowText, causeSlow, ev
	}
	return "its followers stopped hearing from it (election timeout)", causeUnknown, ev
}

// stalled finds a silence of prev's leader, broken without a restart while
// it still believed it led, that covers the new leader's election; or its
// "changed leader from <itself>" line when it resumed.
func (a *Analyzer) stalled(prev, cur *leadership) (span, bool) {
	old := a.mem[prev.leader]
	for _, sp := range old.resumes {
		if !sp.from.After(cur.start) && !sp.to.Before(cur.start.Add(-time.Second)) && sp.from.After(prev.start.Add(-time.Second)) {
			return sp, true
		}
	}
	if prev.woke && !prev.end.IsZero() {
		return span{prev.end, prev.end}, true
	}
	return span{}, false
}

// restartAfter returns when m restarted after going down around t (from a
// minute before to 30 s after: the process that lost the leadership), or zero.
func (a *Analyzer) restartAfter(m *member, t time.Time) time.Time {
	for _, d := range m.downs {
		if !d.to.IsZero() && !d.from.Before(t.Add(-time.Minute)) && !d.from.After(t.Add(30*time.Second)) && d.to.After(t) {
			return d.to
		}
	}
	return time.Time{}
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

// flapWindow and flapMin: that many unplanned leader changes within the
// window make leader flapping.
const (
	flapWindow = time.Minute
	flapMin    = 3
)

func (a *Analyzer) detectFlapping(f *facts, changes []Finding) []Finding {
	var out []Finding
	n := len(changes)
	for i := 0; i < n; {
		j := i
		for j+1 < n && changes[j+1].End.Sub(changes[i].End) <= flapWindow {
			j++
		}
		if j-i+1 < flapMin {
			i++
			continue
		}
		// Extend while each next change is within the window of the previous.
		for j+1 < n && changes[j+1].End.Sub(changes[j].End) <= flapWindow {
			j++
		}
		cs := changes[i : j+1]
		var ixs []int32
		var seen uint64
		for _, c := range cs {
			for _, id := range c.Members {
				ix := a.index(id)
				if bit(ix)&seen == 0 {
					seen |= bit(ix)
					ixs = append(ixs, ix)
				}
			}
		}
		first, last := cs[0], cs[len(cs)-1]
		sev := Warning
		if len(cs) >= 2*flapMin {
			sev = Critical
		}
		sum := "The leader changed " + plural(len(cs), "time", "times") + " in " + dur(last.End.Sub(first.Start)) +
			" (" + f.at(first.Start) + " to " + f.at(last.End) + ", terms " + utoa(first.TermFrom) + " to " +
			utoa(last.TermTo) + "), among " + a.names(ixs) + "."
		var evs []Evidence
		for _, c := range cs {
			if len(c.Evidence) > 0 && len(evs) < a.opts.MaxEvidence {
				evs = append(evs, c.Evidence[len(c.Evidence)-1])
			}
		}
		out = append(out, Finding{
			Kind: LeaderFlapping, Severity: sev, Members: a.ids(ixs...),
			Start: first.Start, End: last.End, Count: len(cs), TermFrom: first.TermFrom, TermTo: last.TermTo,
			Summary: sum, Evidence: evs,
		})
		i = j + 1
	}
	return out
}
