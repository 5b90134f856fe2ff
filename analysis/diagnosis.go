package analysis

import (
	"strings"
	"time"
)

// kindRank orders finding kinds of one severity for the verdict: the one
// that explains the most comes first.
var kindRank = map[string]int{
	QuorumLoss:          0,
	LeaderFlapping:      1,
	CheckQuorumStepDown: 2,
	DisruptiveRejoin:    3,
	LeaderChange:        4,
	CandidacyLoop:       5,
	PreVoteLoop:         6,
	TermInflation:       7,
	SplitVote:           8,
	SlowLeader:          9,
	ClockDrift:          10,
	PeerUnreachable:     11,
	LeadershipTransfer:  12,
	Shutdown:            13,
	Recovery:            14,
}

// principal picks the finding the verdict is about, by its index (-1: none).
func principal(fs []Finding) int {
	bi := -1
	for i := range fs {
		f := &fs[i]
		if bi < 0 {
			bi = i
			continue
		}
		best := &fs[bi]
		if r, br := f.Severity.Rank(), best.Severity.Rank(); r != br {
			if r < br {
				bi = i
			}
			continue
		}
		if r, br := kindRank[f.Kind], kindRank[best.Kind]; r != br {
			if r < br {
				bi = i
			}
			continue
		}
		if f.Start.Before(best.Start) {
			bi = i
		}
	}
	return bi
}

// diagnose writes the verdict about p, the principal finding (nil: none),
// from the findings of r (not yet merged: see merge.go). A merged p is
// explained by its first episode.
func (a *Analyzer) diagnose(f *facts, r *Result, p *Finding) Diagnosis {
	if p != nil && p.merged != nil {
		p = &p.merged.first
	}
	if p == nil || p.Severity == Info {
		return a.healthy(f, r)
	}
	var d Diagnosis
	switch p.Kind {
	case QuorumLoss:
		d = a.diagQuorumLoss(f, r, p)
	case DisruptiveRejoin:
		d = a.diagRejoin(f, r, p)
	case CheckQuorumStepDown:
		d = a.diagStepDown(f, r, p)
	case LeaderChange:
		d = a.diagLeaderChange(f, r, p)
	case LeaderFlapping:
		d = a.diagFlapping(f, r, p)
	case CandidacyLoop, PreVoteLoop:
		d = a.diagLoop(f, r, p)
	case TermInflation:
		d = a.diagInflation(f, r, p)
	case SplitVote:
		d = a.diagSplitVote(f, r, p)
	case SlowLeader:
		d = a.diagSlow(f, r, p)
	case PeerUnreachable:
		d = a.diagUnreachable(f, r, p)
	case ClockDrift:
		d = a.diagDrift(f, r, p)
	case LeadershipTransfer:
		d = a.diagTransfer(f, r, p)
	default:
		d = Diagnosis{Headline: p.Summary, Explanation: p.Summary}
	}
	d.Verdict = p.Kind
	if d.Remedies == nil {
		d.Remedies = []string{}
	}
	return d
}

// para joins sentences and paragraphs of an explanation.
type para struct{ ps []string }

func (p *para) add(s string) {
	if s == "" {
		return
	}
	if n := len(p.ps); n > 0 && !strings.HasSuffix(p.ps[n-1], "\n") {
		p.ps[n-1] += " " + s
		return
	}
	p.ps = append(p.ps, s)
}

func (p *para) br() {
	if n := len(p.ps); n > 0 {
		p.ps[n-1] += "\n"
	}
}

func (p *para) String() string {
	var b strings.Builder
	for i, s := range p.ps {
		s = strings.TrimSuffix(s, "\n")
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(s)
	}
	return b.String()
}

// preVoteOff reports whether a pre-vote setting (1 on, -1 off) is off.
func preVoteOff(setting int8) bool { return setting < 0 }

const (
	remedyPreVote = "Turn pre-vote on (`--pre-vote=true`; the default since etcd 3.5, so upgrading from 3.4 does it): " +
		"a member then asks whether it could win before it raises its term, so a member that cannot win stops raising it."
	remedyNetwork = "Find why the member was cut off: check the network between the members (partitions, packet loss, " +
		"firewall rules, the peer port 2380, DNS), and its host (CPU starvation, a stopped or paused process)."
	remedyDisk = "Give etcd a fast, dedicated disk for its WAL (`--wal-dir` on SSD/NVMe): the 99th percentile of " +
		"etcd_disk_wal_fsync_duration_seconds should stay under 10ms; check with fio the way the etcd docs describe."
	remedyCPU = "Keep etcd off starved or throttled CPUs and out of swap; look for long pauses of the process " +
		"(a stopped container, a VM migration, memory pressure)."
	remedyTimeouts = "If the network between members is slow, raise `--heartbeat-interval` (about the round-trip time) " +
		"and `--election-timeout` (at least 10 times the heartbeat) on every member."
)

func (a *Analyzer) diagQuorumLoss(f *facts, r *Result, p *Finding) Diagnosis {
	w, _ := a.detailOf(p).(*qlWindow)
	if w == nil {
		return Diagnosis{Headline: p.Summary, Explanation: p.Summary}
	}
	up, missing, n := a.qlMembers(w)
	q := n/2 + 1
	end := w.endOr(f.end)
	length := dur(end.Sub(w.start))

	var d Diagnosis
	reachable := len(up) >= q // enough members ran, but could not reach one another
	d.Headline = "Quorum lost: only " + itoa(len(up)) + " of " + itoa(n) + " members " + wasWere(len(up)) +
		" up, so the cluster had no leader for " + length
	if reachable {
		d.Headline = "Quorum lost: no election reached " + itoa(q) + " of the " + itoa(n) +
			" members, so the cluster had no leader for " + length
	}
	if w.end.IsZero() {
		d.Headline += " (and still none when the logs end)"
	}

	var ex para
	s := "From " + f.at(w.start)
	if w.end.IsZero() {
		s += " until the logs end (" + length + ")"
	} else {
		s += " to " + f.at(w.end) + " (" + length + ")"
	}
	switch {
	case reachable:
		s += " no election reached a quorum, though " + itoa(len(up)) + " of the " + itoa(n) + " members (" +
			a.names(up) + ") were running, by their own lines"
	case len(up) == 1:
		s += " only 1 of the " + itoa(n) + " members, " + a.names(up) + ", was up"
	default:
		s += " only " + itoa(len(up)) + " of the " + itoa(n) + " members (" + a.names(up) + ") were up"
	}
	if len(missing) > 0 {
		s += "; " + a.whyMissing(f, missing, w.start)
	}
	ex.add(s + ".")
	ex.add("A cluster of " + itoa(n) + " members needs " + itoa(q) + " of them (a quorum) to elect a leader and to commit " +
		"any write, so during that time it could serve neither writes nor linearizable reads.")
	if reachable {
		ex.add("The members that ran could not reach one another in time: a network partition, a blocked peer port " +
			"(2380), or members too slow to answer.")
	}
	if b := w.before; b != nil {
		l := a.mem[b.leader]
		switch {
		case b.why == endCheckQuorum:
			ex.add(l.label() + ", leader at term " + utoa(b.term) + ", stepped down at " + f.at(b.until) +
				" when it no longer heard from a quorum.")
		case b.why == endStopped && b.stopAt.IsZero():
			ex.add("The leader " + l.label() + " (term " + utoa(b.term) + ") was stopped at " + f.at(b.until) +
				": it had been elected while shutting down, and led until its shutdown ended.")
		case b.why == endStopped:
			ex.add("The leader " + l.label() + " (term " + utoa(b.term) + ") was stopped at " + f.at(b.until) + ".")
		case b.why == endFollowersLost && b.reason == endCheckQuorum:
			ex.add(l.label() + ", leader at term " + utoa(b.term) + ", was left without a quorum at " + f.at(b.until) +
				" and stepped down at " + f.at(b.end) + " (check-quorum).")
		case b.why == endSilent || b.why == endRestarted:
			ex.add("The leader " + l.label() + " (term " + utoa(b.term) + ") stopped responding at " + f.at(b.until) + ".")
		default:
			ex.add("The last leader was " + l.label() + " (term " + utoa(b.term) + "), until " + f.at(b.until) + ".")
		}
	}
	if n, failed, max, who, _ := a.waitedDuring(w.start, end.Add(time.Second)); n > 0 {
		s := "Clients felt it: " + a.names(ixsOf(who)) + " logged " + plural(n, "request", "requests") +
			" that waited up to " + dur(max) + " for a leader"
		switch {
		case failed == n && n == 1:
			s += " and ended in an error (a timeout or a cancel)"
		case failed == n:
			s += ", all ending in an error (a timeout or a cancel)"
		case failed > 0:
			s += ", " + itoa(failed) + " of them ending in an error (a timeout or a cancel)"
		}
		ex.add(s + ".")
	}
	ex.br()

	var failed int
	var setting int8
	var campaigners []int32
	var termFrom, termTo uint64
	var dragged []int32
	for _, s := range w.streaks {
		campaigners = append(campaigners, s.member)
		m := a.mem[s.member]
		if st := m.preVoteSetting(); st != 0 {
			setting = st
		}
		failed += s.attempts()
		if termFrom == 0 || s.termFrom < termFrom {
			termFrom = s.termFrom
		}
		if s.termTo > termTo {
			termTo = s.termTo
		}
		dragged = append(dragged, m.infl.dragged...)
	}
	if setting == 0 {
		setting = f.preVote
	}
	attempts := failed
	ex.add(a.names(campaigners) + " kept campaigning: " + plural(attempts, "election", "elections") +
		" that no quorum answered. This loop is Raft working as designed, not a bug: a member that hears from no " +
		"leader keeps trying to become one, and it stops by itself as soon as enough members are back.")
	switch {
	case preVoteOff(setting):
		ex.add("Pre-vote was off (etcd 3.4's default), so every attempt raised the term, from " + utoa(termFrom) +
			" to " + utoa(termTo) + ". etcd 3.5 and later turn pre-vote on by default: a member first asks whether it " +
			"could win and raises its term only when a quorum says yes, so the term would have stayed at " +
			utoa(termFrom) + ".")
		if len(dragged) > 0 {
			ex.add("On its return " + a.names(uniq(dragged)) + " had to adopt term " + utoa(termTo) + ".")
		}
	case setting > 0:
		ex.add("Pre-vote was on, so these attempts did not raise the term: it stayed at " + utoa(termFrom) + ".")
	}
	ex.br()
	if w.after != nil {
		var cands uint64
		for _, ix := range missing {
			cands |= bit(ix)
		}
		back := a.returned(w.after, w.start, w.streaks, cands)
		if len(back) > 0 && cands&bit(w.after.leader) != 0 {
			back = append([]int32{w.after.leader}, back...) // the leader was missing too
		}
		s := "At " + f.at(w.after.start) + " "
		if len(back) > 0 {
			s += a.names(back) + " came back and "
		}
		s += a.label(w.after.leader) + " was elected leader at term " + utoa(w.after.term)
		if by, next := a.deposedAtOnce(w.after); by >= 0 {
			ex.add(s + ".")
			s = a.deposedText(f, w.after, by, next, w.streaks) + " The cluster recovered by itself."
		} else {
			s += ": the cluster recovered by itself."
		}
		ex.add(s)
	} else {
		ex.add("No leader was elected before the logs end.")
	}
	d.Explanation = ex.String()

	need := q - len(up)
	if need < 1 {
		need = 1
	}
	rem := "Bring back at least " + plural(need, "member", "members")
	if len(missing) > 0 {
		rem = "Bring back at least " + itoa(need) + " of " + a.names(missing)
	}
	rem += " (start the stopped process or container, or repair the network to it): with " + itoa(q) + " of " +
		itoa(n) + " members up the cluster elects a leader by itself"
	if w.after != nil {
		rem += ", as it did at " + f.at(w.after.start)
	}
	if reachable {
		d.Remedies = append(d.Remedies, remedyNetwork)
	}
	d.Remedies = append(d.Remedies, rem+".")
	d.Remedies = append(d.Remedies, "Never run the cluster on 2 members, and never size one at 2: a quorum of 2 "+
		"out of 2 means that losing either member stops it. Run 3 members (tolerates 1 failure) or 5 (tolerates 2), "+
		"and replace a failed member promptly instead of running one failure away from this.")
	survivor := "a surviving member"
	if len(up) == 1 {
		survivor = a.label(up[0])
	}
	d.Remedies = append(d.Remedies, "If the missing members are gone for good (lost disks or hosts), rebuild from "+
		"what survives: restore a snapshot into a new cluster (`etcdutl snapshot restore`, from `etcdctl snapshot save` "+
		"or the member's member/snap/db), or restart "+survivor+" with `--force-new-cluster` to make it a 1-member "+
		"cluster that keeps its data. Both lose any write that a quorum had committed but that member had not "+
		"received, and the other members must then be wiped and added back as new members (`etcdctl member add`, "+
		"then started with an empty data directory and `--initial-cluster-state=existing`); never restart them on "+
		"their old data.")
	if preVoteOff(setting) {
		d.Remedies = append(d.Remedies, remedyPreVote)
	}
	return d
}

// whyMissing says what happened to the members missing from a quorum:
// "n3 was shut down at 21:48:24, n1 at 21:48:25", "n2 stopped responding at
// 21:03:36 (killed or crashed)", or "down or unreachable".
func (a *Analyzer) whyMissing(f *facts, missing []int32, at time.Time) string {
	var stopped, died, other []string
	for _, ix := range missing {
		m := a.mem[ix]
		if st := m.stoppedNear(at, time.Minute, 2*time.Second); !st.IsZero() {
			stopped = append(stopped, m.label()+" at "+f.at(st))
			continue
		}
		if d := m.killedNear(at); !d.IsZero() {
			died = append(died, m.label()+" (last line at "+f.at(d)+")")
			continue
		}
		other = append(other, m.label())
	}
	var ps []string
	if len(stopped) > 0 {
		ps = append(ps, "shut down: "+list(stopped))
	}
	if len(died) > 0 {
		ps = append(ps, "killed or crashed, without a shutdown line: "+list(died))
	}
	if len(other) > 0 {
		ps = append(ps, list(other)+" "+wasWere(len(other))+" down or unreachable")
	}
	return strings.Join(ps, "; ")
}

// killedNear returns when m went silent before a restart without a shutdown
// line, if that was within a minute before at.
func (m *member) killedNear(at time.Time) time.Time {
	for _, d := range m.downs {
		if d.to.IsZero() || !m.stoppedNear(d.from, 0, 0).IsZero() {
			continue
		}
		if !d.from.After(at.Add(2*time.Second)) && d.from.After(at.Add(-time.Minute)) {
			return d.from
		}
	}
	return time.Time{}
}

// qlMembers splits a quorum-loss window's cluster into members up and missing.
func (a *Analyzer) qlMembers(w *qlWindow) (up, missing []int32, n int) {
	var campaigners, cluster uint64
	for _, s := range w.streaks {
		campaigners |= bit(s.member)
		cluster |= bit(s.member)
		for _, p := range a.mem[s.member].peers {
			cluster |= bit(a.index(p))
		}
	}
	alive := campaigners
	for _, m := range a.mem {
		if a.aliveDuring(m, w.runStart, w.runEnd) {
			alive |= bit(m.ix)
		}
	}
	n = popcount(cluster)
	if f := a.facts(a.clock); f.n > n {
		n = f.n
	}
	return ixsOf(alive), ixsOf(cluster &^ alive), n
}

func uniq(ixs []int32) []int32 {
	var seen uint64
	var out []int32
	for _, ix := range ixs {
		if seen&bit(ix) == 0 {
			seen |= bit(ix)
			out = append(out, ix)
		}
	}
	return out
}

func (a *Analyzer) diagRejoin(f *facts, r *Result, p *Finding) Diagnosis {
	rj, _ := a.detailOf(p).(*rejoin)
	if rj == nil {
		return Diagnosis{Headline: p.Summary, Explanation: p.Summary, Remedies: []string{remedyPreVote}}
	}
	by, l := a.mem[rj.by], a.mem[rj.leader]
	d := Diagnosis{Headline: by.label() + " came back with a higher term and deposed the working leader " + l.label()}
	var ex para
	s := by.label() + " was cut off from the others"
	if !rj.isolatedFrom.IsZero() {
		s += " from " + f.at(rj.isolatedFrom)
	}
	s += " while " + l.label() + " went on leading the rest of the cluster at term " + utoa(rj.term) + "."
	ex.add(s)
	if rj.failed > 0 {
		ex.add("Without pre-vote, each election it started raised its term: " + plural(rj.failed, "failed election", "failed elections") +
			" took it to term " + utoa(rj.peerTerm) + ".")
	}
	ex.add("When it could reach the cluster again at " + f.at(rj.t) + ", its higher term made " + l.label() +
		" step down (Raft makes a leader yield to any higher term), and the cluster had to elect a leader again.")
	if next := a.nextLeader(rj.term, rj.t); next != nil {
		ex.add(a.label(next.leader) + " was elected at term " + utoa(next.term) + " at " + f.at(next.start) + ".")
	}
	ex.br()
	ex.add("The cluster worked before and after; the interruption is the price of running without pre-vote, " +
		"which etcd 3.5 and later turn on by default.")
	d.Explanation = ex.String()
	d.Remedies = []string{remedyPreVote, remedyNetwork}
	return d
}

// nextLeader is the first leadership after term that started at or after t.
func (a *Analyzer) nextLeader(term uint64, t time.Time) *leadership {
	var best *leadership
	for _, rec := range a.lead.list {
		if rec.term > term && !rec.start.Before(t.Add(-time.Second)) && (best == nil || rec.term < best.term) {
			best = rec
		}
	}
	return best
}

func (a *Analyzer) diagStepDown(f *facts, r *Result, p *Finding) Diagnosis {
	sd, _ := a.detailOf(p).(*stepDown)
	if sd == nil {
		return Diagnosis{Headline: p.Summary, Explanation: p.Summary, Remedies: []string{remedyNetwork}}
	}
	m := a.mem[sd.member]
	d := Diagnosis{Headline: "Leader " + m.label() + " lost contact with a quorum and stepped down"}
	var ex para
	ex.add("At " + f.at(sd.t) + " " + m.label() + ", leader at term " + utoa(sd.term) + ", had not heard from a quorum (" +
		itoa(f.q) + " of " + itoa(f.n) + " members) within an election timeout and stepped down. This is etcd's " +
		"check-quorum at work: a leader cut off from the majority stops serving rather than accept writes it cannot commit.")
	if next := a.nextLeader(sd.term, sd.t.Add(-time.Minute)); next != nil && next.leader != sd.member {
		verb := "elected "
		if next.start.Before(sd.t) {
			verb = "had already elected "
		}
		ex.add("The other members " + verb + a.label(next.leader) + " at term " + utoa(next.term) + " at " + f.at(next.start) + ".")
	}
	for _, fd := range r.Findings {
		if fd.Kind == DisruptiveRejoin && fd.Start.After(sd.t) && len(fd.Members) > 0 && fd.Members[0] == m.id {
			ex.add("When " + m.label() + " came back, the term its failed elections had raised deposed the new leader: " +
				"a disruptive rejoin, which pre-vote prevents.")
			break
		}
	}
	d.Explanation = ex.String()
	d.Remedies = []string{remedyNetwork}
	if m.preVoteSetting() < 0 {
		d.Remedies = append(d.Remedies, remedyPreVote)
	}
	return d
}

func (a *Analyzer) diagLeaderChange(f *facts, r *Result, p *Finding) Diagnosis {
	ci, _ := a.detailOf(p).(*changeInfo)
	d := Diagnosis{Headline: p.Summary, Explanation: p.Summary}
	if ci == nil {
		return d
	}
	old, nw := a.mem[ci.prev.leader], a.mem[ci.cur.leader]
	d.Headline = "Unplanned leader change: " + old.label() + " to " + nw.label() + " at term " + utoa(ci.cur.term)
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
	d.Explanation = ex.String()
	return d
}

func (a *Analyzer) diagFlapping(f *facts, r *Result, p *Finding) Diagnosis {
	d := Diagnosis{Headline: "Leader flapping: the leader changed " + plural(p.Count, "time", "times") + " in " +
		dur(p.End.Sub(p.Start))}
	var ex para
	ex.add(p.Summary)
	ex.add("Each change stalls writes for an election timeout or more.")
	var counts [nCauses]int
	for i := range r.Findings {
		fd := &r.Findings[i]
		if fd.Kind != LeaderChange || fd.End.Before(p.Start) || fd.End.After(p.End) {
			continue
		}
		if ci, _ := a.detailOf(fd).(*changeInfo); ci != nil {
			counts[ci.cause]++
		}
	}
	if why := causeList(counts); len(why) > 0 {
		ex.add("Causes: " + list(why) + ".")
	}
	d.Explanation = ex.String()
	d.Remedies = []string{remedyNetwork, remedyDisk, remedyTimeouts}
	if f.preVote < 0 {
		d.Remedies = append(d.Remedies, remedyPreVote)
	}
	return d
}

func (a *Analyzer) diagLoop(f *facts, r *Result, p *Finding) Diagnosis {
	s, _ := a.detailOf(p).(*streak)
	d := Diagnosis{Headline: p.Summary, Explanation: p.Summary}
	if s == nil {
		return d
	}
	m := a.mem[s.member]
	var ex para
	ex.add(p.Summary)
	cutOff := a.cutOff(s.start, s.lastEnd(), s.member)
	if cutOff {
		ex.add("The rest of the cluster kept a leader meanwhile: " + m.label() + " alone was cut off from it.")
	}
	if p.Kind == CandidacyLoop {
		d.Headline = m.label() + " campaigned " + plural(p.Count, "time", "times") +
			" without pre-vote, raising its term to " + utoa(s.termTo)
		ex.add("Without pre-vote every attempt raises the term; a member stuck like this deposes the leader when it " +
			"comes back (a disruptive rejoin). Pre-vote, on by default from etcd 3.5, prevents both.")
		d.Remedies = []string{remedyNetwork, remedyPreVote}
	} else {
		d.Headline = m.label() + " could not reach a leader and kept asking for pre-votes at term " + utoa(s.termFrom)
		ex.add("With pre-vote its term stayed at " + utoa(s.termFrom) + ", so its return does not disturb the leader. " +
			"Nothing is wrong with etcd here; what needs a look is why the member was cut off.")
		d.Remedies = []string{remedyNetwork}
	}
	d.Explanation = ex.String()
	return d
}

func (a *Analyzer) diagInflation(f *facts, r *Result, p *Finding) Diagnosis {
	d := Diagnosis{Headline: "Term inflation: term " + utoa(p.TermTo) + " with a log at term " + utoa(p.TermFrom)}
	var ex para
	ex.add(p.Summary)
	ex.add("A term is spent on every election; a gap this large means many elections failed, which only happens " +
		"without pre-vote. It does no harm by itself, but the member deposes any leader with a lower term when it " +
		"gets through.")
	d.Explanation = ex.String()
	d.Remedies = []string{remedyPreVote, remedyNetwork}
	return d
}

func (a *Analyzer) diagSplitVote(f *facts, r *Result, p *Finding) Diagnosis {
	d := Diagnosis{Headline: "Split votes: " + plural(p.Count, "election", "elections") + " with several candidates and no winner"}
	var ex para
	ex.add(p.Summary)
	ex.add("Raft randomizes election timeouts to make this rare. Repeated split votes point to members whose timers " +
		"run in step (they all restarted together, or came back from one long pause), to an election timeout too " +
		"close to the network's round-trip, or to candidates whose logs are behind and whose votes are refused.")
	d.Explanation = ex.String()
	d.Remedies = []string{remedyTimeouts, remedyNetwork}
	return d
}

func (a *Analyzer) diagSlow(f *facts, r *Result, p *Finding) Diagnosis {
	d := Diagnosis{Headline: p.Summary}
	if len(p.Members) > 0 {
		d.Headline = a.label(a.index(p.Members[0])) + " was slow"
	}
	var ex para
	ex.add(p.Summary)
	ex.add("A leader has to send heartbeats every heartbeat interval and sync its WAL before it answers; when its disk " +
		"or CPU stalls, followers may time out and elect another leader, and clients see slow or failed requests.")
	d.Explanation = ex.String()
	d.Remedies = []string{remedyDisk, remedyCPU, remedyTimeouts}
	return d
}

func (a *Analyzer) diagUnreachable(f *facts, r *Result, p *Finding) Diagnosis {
	d := Diagnosis{Headline: p.Summary}
	if len(p.Members) > 0 {
		d.Headline = a.label(a.index(p.Members[0])) + " was unreachable from its peers for " + dur(p.End.Sub(p.Start))
	}
	var ex para
	ex.add(p.Summary)
	ex.add("The cluster kept its leader, but it ran with one failure less to spare.")
	d.Explanation = ex.String()
	d.Remedies = []string{remedyNetwork}
	return d
}

func (a *Analyzer) diagDrift(f *facts, r *Result, p *Finding) Diagnosis {
	d := Diagnosis{Headline: "Clocks differ between members"}
	var ex para
	ex.add(p.Summary)
	ex.add("Raft counts ticks, not wall-clock time, so clock drift does not cause elections; it makes lease TTLs and " +
		"the times in different members' logs disagree.")
	d.Explanation = ex.String()
	d.Remedies = []string{"Synchronize the members' clocks (chrony or ntpd), and check again with `etcdctl endpoint status`."}
	return d
}

func (a *Analyzer) diagTransfer(f *facts, r *Result, p *Finding) Diagnosis {
	d := Diagnosis{Headline: "A leadership transfer did not go through"}
	var ex para
	ex.add(p.Summary)
	ex.add("A transfer (etcdctl move-leader, or a leader's shutdown) asks the transferee to campaign at once; it fails " +
		"when the transferee is behind, unreachable or stopping, and the cluster then falls back to an ordinary election.")
	d.Explanation = ex.String()
	d.Remedies = []string{"Transfer to a member that is up to date and reachable (check `etcdctl endpoint status`), " +
		"and stop members one at a time, waiting for a leader in between."}
	return d
}

// healthy writes the verdict when nothing rises above info.
func (a *Analyzer) healthy(f *facts, r *Result) Diagnosis {
	d := Diagnosis{Verdict: Healthy, Remedies: []string{}}
	if a.seq == 0 {
		d.Verdict = NoData
		d.Headline = "Nothing to analyze: no line of these inputs is an etcd raft or server line etcdpm knows"
		d.Explanation = "No event came out of these inputs, so nothing can be said about the cluster, good or bad. " +
			"Check that they are etcd's own logs (docker compose logs, journalctl -u etcd, kubectl logs) " +
			"and, when the lines are wrapped, that --layout fits them."
		return d
	}
	var logged []int32
	for _, m := range a.mem {
		if m.hasLogs {
			logged = append(logged, m.ix)
		}
	}
	if len(a.lead.list) == 0 {
		d.Headline = "Nothing to report: no election and no problem in these logs"
		d.Explanation = "The logs show no leader election and nothing that rises above information."
		return d
	}
	d.Headline = "Healthy: the cluster kept a leader and nothing rose above information"
	var ex para
	if len(logged) > 0 {
		ex.add("The logs cover " + plural(len(logged), "member", "members") + " (" + a.names(logged) + ") from " +
			f.at(f.start) + " to " + f.at(f.end) + ".")
	}
	first := a.lead.list[0]
	ex.add(a.label(first.leader) + " was leader at term " + utoa(first.term) + " from " + f.at(first.start) + ".")
	var transfers, shutdowns, recoveries int
	for _, fd := range r.Findings {
		switch fd.Kind {
		case LeadershipTransfer:
			transfers++
		case Shutdown:
			shutdowns++
		case Recovery:
			recoveries++
		}
	}
	if transfers > 0 {
		ex.add("Leadership moved " + plural(transfers, "time", "times") + " by planned transfer.")
	}
	if shutdowns > 0 {
		for _, g := range a.stops.groups {
			if g.clusterWide {
				ex.add("The cluster was stopped at " + f.at(g.start) + ".")
			}
		}
	}
	if len(r.Leaderless) == 0 {
		ex.add("There was no leaderless window.")
	}
	d.Explanation = ex.String()
	return d
}
