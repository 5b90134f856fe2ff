package analysis

import (
	"time"
)

// detectLeaderChanges reports unplanned changes of leader: not a transfer,
// not the recovery from a quorum loss, not a whole-cluster stop or start. It
// leaves them in f.changes.
func (a *Analyzer) detectLeaderChanges(f *facts) []Finding {
	var out []Finding
	ls := a.lead.list // sorted by term
	if len(ls) > 0 {
		if fd, ok := a.changeFromUnseen(f, ls[0]); ok {
			out = append(out, fd)
		}
	}
	for i := 1; i < len(ls); i++ {
		prev, cur := ls[i-1], ls[i]
		if prev.leader == cur.leader {
			continue
		}
		if f.recovers[cur] || a.planned(prev, cur) || a.coldAt(cur.start) ||
			a.clusterStop(cur.start) != nil || a.clusterStop(prev.until) != nil {
			continue
		}
		out = append(out, a.leaderChange(f, prev, cur))
	}
	f.changes = out
	return out
}

// changeFromUnseen reports the first leadership of the logs as a change of
// leader when the cluster had one before them that the lines do not name:
// the winner ran before the logs begin (no start line) and its requests'
// log term, above the bootstrap entries, is a leader's of a lower term, which
// is gone. Not when the winner's own failed campaigns came first (that is
// the recovery from its loop or a quorum loss), nor after a stop.
func (a *Analyzer) changeFromUnseen(f *facts, cur *leadership) (Finding, bool) {
	w := a.mem[cur.leader]
	if cur.fromBefore || !a.runningBefore(w) || cur.term <= w.reqLogTerm || f.recovers[cur] ||
		a.clusterStop(cur.start) != nil {
		return Finding{}, false
	}
	for _, s := range a.streaks {
		if s.member == cur.leader && s.outcome == streakWon && s.wonTerm == cur.term {
			return Finding{}, false
		}
	}
	cause := "the leader of term " + utoa(w.reqLogTerm) + ", which wrote " + w.label() +
		"'s last entries, was gone, and the logs do not show who it was or why it went"
	sum := w.label() + " was elected leader at term " + utoa(cur.term) + " at " + f.at(cur.start) + ": " + cause + "."
	fd := Finding{
		Kind: LeaderChange, Severity: Warning, Members: a.ids(cur.leader),
		Start: cur.start, End: cur.start, Count: 1, TermFrom: w.reqLogTerm, TermTo: cur.term,
		Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, one(w.electionEv), one(cur.startEv)),
	}
	fd.detail.change = &changeInfo{cur: cur, cause: causeUnknown, text: cause}
	return fd, true
}

// planned reports whether cur took over from prev by a leadership transfer.
// The transfers that count started from transferWindow before cur to 2 s
// after it.
func (a *Analyzer) planned(prev, cur *leadership) bool {
	for _, i := range a.transfersIn(cur.start.Add(-transferWindow), cur.start.Add(2*time.Second)) {
		if tr := a.transfers[i]; tr.from == prev.leader && (tr.to < 0 || tr.to == cur.leader) {
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
		Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, ev...),
	}
	fd.detail.change = &changeInfo{prev: prev, cur: cur, cause: kind, text: cause}
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

func (a *Analyzer) diagLeaderChange(f *facts, p *Finding) Diagnosis {
	ci := p.detail.change
	d := Diagnosis{Headline: p.Summary, Explanation: p.Summary}
	if ci == nil {
		return d
	}
	nw := a.mem[ci.cur.leader]
	var old *member
	if ci.prev != nil {
		old = a.mem[ci.prev.leader]
		d.Headline = "Unplanned leader change: " + old.label() + " to " + nw.label() + " at term " + utoa(ci.cur.term)
	} else {
		d.Headline = "Unplanned leader change: " + nw.label() + " elected at term " + utoa(ci.cur.term) +
			" after a leader the logs do not show"
	}
	var ex para
	ex.add(p.Summary)
	ex.add("Until a new leader is elected (an election timeout or more) writes stall, and clients see " +
		"\"leader changed\" or timeout errors.")
	switch ci.cause {
	case causeStall:
		ex.add("A stalled leader cannot send heartbeats, so its followers elect another leader; when it resumes it " +
			"finds a higher term and steps down. This is not a rejoin problem: it had been replaced while it was away.")
		d.Remedies = []string{remedyCPU, remedyDisk}
	case causeKilled:
		ex.add("Its log ends without a shutdown line, so the process was killed or crashed; the others elected a " +
			"new leader after an election timeout, as they should.")
		d.Remedies = []string{"Find why " + old.label() + " died: its own last lines, the system journal, the OOM " +
			"killer (`dmesg`), the container runtime's exit code."}
	case causeStopped:
		d.Remedies = []string{"Stop members with SIGTERM and let them finish: a stopping leader hands leadership over " +
			"first, which avoids the election timeout."}
	case causeCheckQuorum:
		d.Remedies = []string{remedyNetwork}
	case causeSlow:
		d.Remedies = []string{remedyDisk, remedyCPU, remedyTimeouts}
	default:
		d.Remedies = []string{remedyNetwork, remedyDisk}
	}
	if old != nil && a.stillDown(old) {
		d.Remedies = append([]string{old.label() + " is still down when the logs end: start it again (it rejoins as a " +
			"follower and catches up); until then the cluster has one failure less to spare."}, d.Remedies...)
	}
	d.Explanation = ex.String()
	return d
}

// stillDown says whether m is down when the logs end while another member
// still runs: not the stop of the whole cluster that ends a run.
func (a *Analyzer) stillDown(m *member) bool {
	if !m.downAtEnd() {
		return false
	}
	for _, o := range a.mem {
		if o != m && o.hasLogs && !o.downAtEnd() {
			return true
		}
	}
	return false
}

// downAtEnd says whether m is down when the logs end: shut down, or in a
// down interval with no restart.
func (m *member) downAtEnd() bool {
	if m.hasLogs && !m.up {
		return true
	}
	n := len(m.downs)
	return n > 0 && m.downs[n-1].to.IsZero()
}

func leaderChangeNoun(w *repeats) (string, string) {
	if w.pair && len(w.ixs) >= 2 {
		return "The leader changed from " + w.a.label(w.ixs[0]) + " to " + w.a.label(w.ixs[1]), ""
	}
	return "The leader changed", " among " + w.names
}
