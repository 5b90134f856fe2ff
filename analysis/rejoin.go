package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// rejoin is a working leader deposed by a member that came back with a term
// raised by its own failed elections.
type rejoin struct {
	leader, by     int32
	term, peerTerm uint64
	t              time.Time
	msg            parser.MsgType
	failed         int
	ev             evLine
	byEv           []evLine
	isolatedFrom   time.Time
	seenBy         int32 // a follower whose lines show it (it refused the vote and lost the leader); -1: the leader's own
	// suspected: only the follower's timeout right after it ignored the
	// candidate's votes shows it (see leaderFell); leader may then be -1.
	suspected bool
}

// leaderFell runs when follower m times out on its leader. A peer P whose
// vote requests, from a log behind m's, m ignored for its leader's lease for
// two election timeouts or more (P kept campaigning, cut off from the
// leader, raising its term without pre-vote), the last time less than an
// election timeout ago, most likely deposed that leader: it went silent
// right after. Suspected, since m's lines show neither P's term reaching the
// leader nor the leader's end; only when P's own lines are not in the logs.
func (a *Analyzer) leaderFell(m *member, ev *parser.Event, t time.Time) {
	if m.leaseBy == 0 || !m.leaseBehind || t.Sub(m.leaseAt) > rejoinWindow || len(a.rejoins) >= maxStreaks {
		return
	}
	p := a.member(m.leaseBy)
	if p == m || p.hasLogs || p.leaseIgnored < 2 || p.leaseLast.Sub(p.leaseFirst) < 2*rejoinWindow {
		return
	}
	for _, x := range a.rejoins {
		if x.by == p.ix && t.Sub(x.t) < 5*time.Second {
			return // known already
		}
	}
	leader := int32(-1)
	if m.lead != 0 && m.lead != m.id {
		leader = a.index(m.lead)
	}
	r := &rejoin{leader: leader, by: p.ix, term: m.term, t: m.leaseAt, msg: parser.MsgVote, seenBy: m.ix, suspected: true,
		isolatedFrom: p.leaseFirst}
	r.ev.set(ev, t, &a.cur)
	r.ev.text = append([]byte(nil), r.ev.text...)
	r.byEv = cloneLines([]evLine{p.outEv})
	a.rejoins = append(a.rejoins, r)
}

// rejoinCheck runs when leader l receives a message with a higher term.
func (a *Analyzer) rejoinCheck(l *member, ev *parser.Event, t time.Time) {
	if ev.Peer == 0 || ev.PeerTerm <= ev.Term || len(a.rejoins) >= maxStreaks {
		return
	}
	if a.lead.maxTerm > ev.Term {
		return // a leader was elected at a higher term: l was no longer the cluster's leader
	}
	p := a.member(ev.Peer)
	r := &rejoin{leader: l.ix, by: p.ix, term: ev.Term, peerTerm: ev.PeerTerm, t: t, msg: ev.Msg, seenBy: -1}
	if p.hasLogs {
		s := p.streak
		if s == nil || s.failed == 0 {
			return // its term comes from an election under way, not from failed ones
		}
		r.failed, r.isolatedFrom = s.failed, s.start
		r.byEv = cloneLines(s.ev.lines())
	}
	if a.transferring(l.ix, p.ix, t) {
		return
	}
	r.ev.set(ev, t, &a.cur)
	r.ev.text = append([]byte(nil), r.ev.text...)
	a.rejoins = append(a.rejoins, r)
}

func cloneLines(ls []evLine) []evLine {
	out := make([]evLine, len(ls))
	for i, l := range ls {
		out[i] = l
		out[i].text = append([]byte(nil), l.text...)
	}
	return out
}

// validRejoin checks a rejoin at Finish: the deposed leader's followers still
// followed it when the higher term arrived (a stalled leader's followers had
// already left it: that is a leader change, not a rejoin).
func (a *Analyzer) validRejoin(r *rejoin) bool {
	rec := a.lead.byTerm[r.term]
	if rec == nil || rec.leader != r.leader {
		return true
	}
	d := rec.decisiveLoss()
	return d.IsZero() || !d.Before(r.t.Add(-rejoinWindow))
}

// rejoinWindow is how close (a default election timeout) a follower's loss
// of its leader and a higher term from a member whose log is behind must be
// for the one to be taken for the cause of the other.
const rejoinWindow = time.Second

// suspect is a higher-term vote request a follower received while it had a
// leader, waiting for the proof that it deposed that leader: the follower
// refusing the vote at the new term (the candidate's log is behind: it had
// not voted at that term yet) and losing the leader within rejoinWindow.
type suspect struct {
	active, refused, lost bool
	by, leader            int32 // leader -1: not known yet
	t                     time.Time
	term, peerTerm        uint64
	ev                    evLine
}

// followerRejoin runs when m, not leader, receives a vote request with a
// higher term: a member whose term its failed elections raised.
func (a *Analyzer) followerRejoin(m *member, ev *parser.Event, t time.Time) {
	if ev.Msg != parser.MsgVote || ev.Peer == 0 || ev.Peer == m.id || ev.PeerTerm <= ev.Term {
		return
	}
	leader := int32(-1)
	switch {
	case m.lead != 0 && m.lead != m.id:
		leader = a.index(m.lead)
	case !m.lostAt.IsZero() && t.Sub(m.lostAt) <= rejoinWindow && m.lostID != 0 && m.lostID != ev.Peer:
		leader = a.index(m.lostID)
	case m.leaseBy == ev.Peer && t.Sub(m.leaseAt) <= 2*rejoinWindow:
		// its lease held: it had a leader, not yet named
	case m.lead == 0 && m.lostAt.IsZero() && m.leadTerm == 0:
		// its lines have named no leader yet: a "lost leader" line within
		// rejoinWindow names the one it had (see suspectLost)
	default:
		return
	}
	s := &m.susp
	*s = suspect{active: true, by: a.member(ev.Peer).ix, leader: leader, t: t, term: ev.Term, peerTerm: ev.PeerTerm, ev: s.ev}
	s.lost = leader >= 0 && m.lead == 0
	s.ev.set(ev, t, &a.cur)
}

// suspectRefused: m refused the vote of ev.Peer.
func (a *Analyzer) suspectRefused(m *member, ev *parser.Event, t time.Time) {
	s := &m.susp
	if s.active && a.index(ev.Peer) == s.by && ev.Term == s.peerTerm {
		s.refused = true
		a.confirmSuspect(m, t)
	}
}

// suspectLost: m lost leader id.
func (a *Analyzer) suspectLost(m *member, id parser.ID, t time.Time) {
	s := &m.susp
	if !s.active || id == 0 {
		return
	}
	ix := a.index(id)
	if ix == s.by {
		s.active = false // it lost the candidate itself: no leader of another deposed
		return
	}
	if s.leader < 0 || s.leader == ix {
		s.leader, s.lost = ix, true
		a.confirmSuspect(m, t)
	}
}

func (a *Analyzer) confirmSuspect(m *member, t time.Time) {
	s := &m.susp
	if t.Sub(s.t) > rejoinWindow {
		s.active = false
		return
	}
	if !s.refused || !s.lost || s.leader < 0 || len(a.rejoins) >= maxStreaks {
		return
	}
	s.active = false
	l, p := a.mem[s.leader], a.mem[s.by]
	r := &rejoin{leader: l.ix, by: p.ix, term: s.term, peerTerm: s.peerTerm, t: s.t, msg: parser.MsgVote, seenBy: m.ix}
	if rec := l.lastLed; rec != nil && rec.term <= s.term {
		r.term = rec.term
		if !rec.fromBefore && s.t.Sub(rec.start) < rejoinWindow {
			return // elected a moment before: one round of elections, not a working leader deposed
		}
	}
	for _, x := range a.rejoins {
		if x.leader == r.leader && x.term == r.term {
			return // its deposition is known: later requests are the campaign that followed
		}
	}
	if p.hasLogs {
		st := p.streak
		if st == nil || st.failed == 0 {
			return
		}
		r.failed, r.isolatedFrom = st.failed, st.start
		r.byEv = cloneLines(st.ev.lines())
	}
	r.ev = s.ev
	r.ev.text = append([]byte(nil), s.ev.text...)
	a.rejoins = append(a.rejoins, r)
}

func (a *Analyzer) detectRejoins(f *facts) []Finding {
	var out []Finding
	for _, r := range a.rejoins {
		if !a.validRejoin(r) {
			continue
		}
		if r.suspected {
			out = append(out, a.suspectedRejoin(f, r))
			continue
		}
		by, l := a.mem[r.by], a.mem[r.leader]
		sum := by.label() + " came back with term " + utoa(r.peerTerm)
		if r.failed > 0 {
			sum += " (raised by " + plural(r.failed, "failed election", "failed elections") + " while it was cut off"
			if !r.isolatedFrom.IsZero() {
				sum += " since " + f.at(r.isolatedFrom)
			}
			sum += ")"
		}
		sum += " and deposed the working leader " + l.label() + " (term " + utoa(r.term) + ") at " + f.at(r.t) +
			" with a " + r.msg.String()
		if !a.preVoteShown(f) {
			sum += "; pre-vote would have kept its term"
		}
		sum += "."
		fd := Finding{
			Kind: DisruptiveRejoin, Severity: Warning, Members: a.ids(r.by, r.leader),
			Start: r.t, End: r.t, Count: 1, TermFrom: r.term, TermTo: r.peerTerm,
			Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, one(r.ev), r.byEv),
		}
		fd.detail.rejoin = r
		out = append(out, fd)
	}
	return mergeFindings(out, 5*time.Second)
}

// suspectedRejoin writes the finding of a rejoin leaderFell suspects.
func (a *Analyzer) suspectedRejoin(f *facts, r *rejoin) Finding {
	by, w := a.mem[r.by], a.mem[r.seenBy]
	leader := "its leader"
	members := []int32{r.by, r.seenBy}
	if r.leader >= 0 {
		leader = "its leader " + a.label(r.leader)
		members = []int32{r.by, r.leader, r.seenBy}
	}
	sum := "Suspected disruptive rejoin: " + by.label() + " kept asking for votes from a log behind " + w.label() +
		"'s, from " + f.at(r.isolatedFrom) + " to " + f.at(r.t) + ", while " + w.label() + " ignored them for " + leader +
		"'s lease (" + by.label() + " was not hearing from the leader, and each election raised its term); then " +
		leader + " went silent and " + w.label() + " started an election at " + f.at(r.ev.t) + ": " + by.label() +
		"'s higher term most likely deposed the leader."
	fd := Finding{
		Kind: DisruptiveRejoin, Severity: Warning, Members: a.ids(members...),
		Start: r.t, End: r.ev.t, Count: 1, TermFrom: r.term, TermTo: r.term,
		Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, r.byEv, one(r.ev)),
	}
	fd.detail.rejoin = r
	return fd
}

func (a *Analyzer) diagRejoin(f *facts, p *Finding) Diagnosis {
	rj := p.detail.rejoin
	if rj != nil && rj.suspected {
		by := a.mem[rj.by]
		return Diagnosis{Headline: by.label() + " most likely came back with a higher term and deposed the leader",
			Explanation: p.Summary, Remedies: a.preVoteRemedies(f, "Find why "+by.label()+" could not hear from the leader: "+
				"its logs, and the network between it and the others (peer port 2380).")}
	}
	if rj == nil {
		return Diagnosis{Headline: p.Summary, Explanation: p.Summary, Remedies: a.preVoteRemedies(f)}
	}
	by, l := a.mem[rj.by], a.mem[rj.leader]
	d := Diagnosis{Headline: by.label() + " came back with a higher term and deposed the working leader " + l.label()}
	var ex para
	if rj.seenBy >= 0 && !by.hasLogs {
		return a.diagRejoinSeen(f, p, d)
	}
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
	if !a.preVoteShown(f) {
		ex.add("The cluster worked before and after; the interruption is the price of running without pre-vote, " +
			"which etcd 3.5 and later turn on by default.")
	}
	d.Explanation = ex.String()
	d.Remedies = a.preVoteRemedies(f, remedyNetwork)
	return d
}

func rejoinNoun(w *repeats) (string, string) {
	if w.pair {
		return w.a.label(w.ixs[0]) + " came back with a higher term and deposed the leader " + w.a.label(w.ixs[1]), ""
	}
	return "A member that came back with a higher term deposed the leader", " (" + w.names + ")"
}

// diagRejoinSeen explains a rejoin that only a follower's lines show: the
// rejoining member's own lines are not in the logs.
func (a *Analyzer) diagRejoinSeen(f *facts, p *Finding, d Diagnosis) Diagnosis {
	rj := p.detail.rejoin
	by, l, w := a.mem[rj.by], a.mem[rj.leader], a.mem[rj.seenBy]
	var ex para
	ex.add(by.label() + " asked for votes at term " + utoa(rj.peerTerm) + " while " + l.label() + " led at term " +
		utoa(rj.term) + ": its term had run ahead of the cluster's, which only failed elections do, so it had not been " +
		"hearing from the leader.")
	ex.add("Its log was behind: " + w.label() + " refused it the vote at " + f.at(rj.t) + ". It could not win, but its " +
		"higher term alone was enough: " + w.label() + " adopted it and dropped its leader " + l.label() +
		" (Raft makes every member, the leader too, yield to a higher term), and the cluster had to elect a leader again.")
	if next := a.nextLeader(rj.term, rj.t); next != nil {
		ex.add(a.label(next.leader) + " was elected at term " + utoa(next.term) + " at " + f.at(next.start) + ".")
	}
	if !a.preVoteShown(f) {
		ex.add("With pre-vote a member first asks whether it could win, and raises its term only when a quorum says " +
			"yes: " + by.label() + " would have kept its term and the leader.")
	}
	d.Explanation = ex.String()
	d.Remedies = a.preVoteRemedies(f, "Find why "+by.label()+" could not hear from the leader: "+
		"its logs, and the network between it and the others (peer port 2380).")
	return d
}
