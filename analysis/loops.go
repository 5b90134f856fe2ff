package analysis

import (
	"time"
)

// bootstrapGrace is how long members starting apart may campaign before the
// cluster's first leader without it being a loop.
const bootstrapGrace = 30 * time.Second

// bootstrapStreak reports whether s is a member's campaigning before the
// cluster's first leader (or the first after a whole-cluster stop), short
// enough to be members starting a few seconds apart.
func (a *Analyzer) bootstrapStreak(s *streak, end time.Time) bool {
	if !a.coldAt(s.start) || a.runningBefore(a.mem[s.member]) {
		return false
	}
	until := s.endAt
	if until.IsZero() {
		until = end
	}
	return until.Sub(s.start) <= bootstrapGrace
}

// runningBefore reports whether m ran with a cluster before the logs begin:
// no start line of its own, and vote requests whose log term (above 1, the
// bootstrap entries) shows a leader once wrote to it.
func (a *Analyzer) runningBefore(m *member) bool {
	return m.startLine.IsZero() && m.reqLogTerm > 1
}

// stopTail reports whether s is a member campaigning while the whole cluster
// was being stopped (the last member alone for a moment), or while it was
// shutting down itself (its handover waiting on peers already gone).
func (a *Analyzer) stopTail(s *streak) bool {
	if a.mem[s.member].stoppingAt(s.start) {
		if t, ok := a.stops.firstWide(s.member); ok && !t.After(s.start) {
			return true
		}
	}
	return a.clusterStop(s.start) != nil
}

// loopStreaks are the campaign streaks that may be loops or quorum losses:
// all but a cluster's bootstrap and the tail of a whole-cluster stop. The
// first detector to ask works them out.
func (a *Analyzer) loopStreaks(f *facts) []*streak {
	if f.streaks == nil {
		f.streaks = []*streak{}
		for _, s := range a.streaks {
			if !a.bootstrapStreak(s, f.end) && !a.stopTail(s) {
				f.streaks = append(f.streaks, s)
			}
		}
	}
	return f.streaks
}

// candidacyLoops reports the streaks with minLoop failed candidacies or more.
func (a *Analyzer) candidacyLoops(f *facts) []Finding {
	return a.loops(f, func(s *streak) int { return s.failedCand + s.inferred }, a.candidacyLoop)
}

// preVoteLoops reports the streaks with minLoop failed pre-votes or more.
// A streak still open when the logs end counts with its failed rounds the
// rival pre-candidates it did not vote for at its term: pre-candidates that
// never elect one another are the loop even with one round each.
func (a *Analyzer) preVoteLoops(f *facts) []Finding {
	return a.loops(f, preVoteRounds, a.preVoteLoop)
}

func preVoteRounds(s *streak) int {
	if s.failedPre > 0 && s.outcome == streakOpen {
		return s.failedPre + popcount(s.rivals)
	}
	return s.failedPre
}

// loops reports the streaks with minLoop failed campaigns or more, as
// failed counts them, each as finding writes it.
func (a *Analyzer) loops(f *facts, failed func(*streak) int, finding func(*facts, *streak) Finding) []Finding {
	var out []Finding
	for _, s := range a.loopStreaks(f) {
		if failed(s) >= minLoop {
			fd := finding(f, s)
			fd.detail.streak = s
			out = append(out, fd)
		}
	}
	return out
}

// streakUntil says how a streak ended, for texts.
func (a *Analyzer) streakUntil(f *facts, s *streak) string {
	switch s.outcome {
	case streakWon:
		return "until it won at term " + utoa(s.wonTerm) + " at " + f.at(s.endAt)
	case streakFollowed:
		return "until it followed a leader again at " + f.at(s.endAt)
	case streakStopped:
		return "until it stopped at " + f.at(s.endAt)
	}
	return "until the logs end"
}

func (a *Analyzer) candidacyLoop(f *facts, s *streak) Finding {
	m := a.mem[s.member]
	count := s.attempts()
	sum := m.label() + " campaigned " + plural(count, "time", "times") +
		" in a row without winning, each time at a higher term (" + utoa(s.termFrom) + " to " + utoa(s.termTo) +
		"; pre-vote off), from " + f.at(s.start) + " " + a.streakUntil(f, s) + "."
	return Finding{
		Kind: CandidacyLoop, Severity: Warning, Members: a.ids(s.member),
		Start: s.start, End: s.lastEnd(), Count: count, TermFrom: s.termFrom, TermTo: s.termTo,
		Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, s.ev.lines(), one(s.win)),
	}
}

func (a *Analyzer) preVoteLoop(f *facts, s *streak) Finding {
	m := a.mem[s.member]
	term := utoa(s.termFrom)
	sum := m.label() + " asked for pre-votes " + plural(s.failedPre, "time", "times") +
		" in a row without getting a quorum of them (pre-vote on: the term stayed at " + term + "), from " +
		f.at(s.start) + " " + a.streakUntil(f, s)
	count := preVoteRounds(s)
	members := []int32{s.member}
	if count > s.failedPre {
		rivals := ixsOf(s.rivals)
		sum += "; " + a.names(rivals) + " asked for pre-votes at the same term and " + m.label() +
			" did not grant " + agree(len(rivals), "it", "them") + ": pre-candidates that never elect one another"
		members = append(members, rivals...)
	}
	sum += "."
	return Finding{
		Kind: PreVoteLoop, Severity: Warning, Members: a.ids(members...),
		Start: s.start, End: s.lastEnd(), Count: count, TermFrom: s.termFrom, TermTo: s.termFrom,
		Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, s.ev.lines(), one(s.win)),
	}
}

// attempts counts the streak's failed elections: those its lines show, and
// those its term implies without pre-vote (see openCampaign).
func (s *streak) attempts() int { return s.failed + s.inferred }

func (s *streak) lastEnd() time.Time {
	if !s.endAt.IsZero() && s.outcome != streakOpen {
		return s.endAt
	}
	return s.end
}

func (a *Analyzer) diagLoop(f *facts, p *Finding) Diagnosis {
	s := p.detail.streak
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
	unseen, n := a.unseenPeers(f, s)
	q := n/2 + 1
	// down, they leave no quorum; up, they could elect a leader without it
	either := !cutOff && n-len(unseen) < q && len(unseen) >= q
	if either {
		ex.add("Nothing here is from " + a.names(unseen) + ": no line of " + agree(len(unseen), "its", "their") +
			" own, no answer to " + m.label() + ". These lines cannot tell whether " + agree(len(unseen), "it was", "they were") +
			" down or unreachable (then only " + itoa(n-len(unseen)) + " of " + itoa(n) + " members " + wasWere(n-len(unseen)) +
			" up, short of the quorum of " + itoa(q) + ": a quorum loss, with no leader until enough of them are back), or ran " +
			"with a leader of " + agree(len(unseen), "its", "their") + " own while " + m.label() + " alone was cut off.")
	}
	if p.Kind == CandidacyLoop {
		d.Headline = m.label() + " campaigned " + plural(p.Count, "time", "times") +
			" without pre-vote, raising its term to " + utoa(s.termTo)
		ex.add("Without pre-vote every attempt raises the term; a member stuck like this deposes the leader when it " +
			"comes back (a disruptive rejoin).")
		if !a.preVoteShown(f) {
			ex.add("Pre-vote, on by default from etcd 3.5, prevents both.")
		}
		d.Remedies = append([]string{remedyNetwork}, a.preVoteRemedies(f)...)
	} else {
		d.Headline = m.label() + " could not reach a leader and kept asking for pre-votes at term " + utoa(s.termFrom)
		why := "why the member was cut off"
		if either {
			why = "why no peer answered it"
		}
		ex.add("With pre-vote its term stayed at " + utoa(s.termFrom) + ", so its return does not disturb the leader. " +
			"Nothing is wrong with etcd here; what needs a look is " + why + ".")
		d.Remedies = []string{remedyNetwork}
	}
	if s.outcome == streakOpen { // still campaigning when the logs end: it is still out
		d.Remedies = append([]string{m.label() + " is still out when the logs end: repair the network between it and " +
			"the others (peer port 2380), or restart it if its process is stuck; it rejoins by itself as soon as it " +
			"hears from the leader."}, d.Remedies...)
	}
	if either {
		d.Remedies = append([]string{"Check " + a.names(unseen) + " first (`etcdctl endpoint status --cluster`, or " +
			agree(len(unseen), "its", "their") + " logs): if " + agree(len(unseen), "it is", "they are") + " down, start " +
			agree(len(unseen), "it", "them") + " (a leader needs " + itoa(q) + " of the " + itoa(n) + " members up); if " +
			agree(len(unseen), "it runs", "they run") + " with a leader, " + m.label() + " alone is cut off."}, d.Remedies...)
	}
	d.Explanation = ex.String()
	return d
}

// unseenPeers are the peers of s's member that nothing in the logs shows
// running: no line of their own, no raft message of theirs (a vote, an
// answer, a request) that another logged; and n, the cluster's size as far
// as s's member or the logs know it.
func (a *Analyzer) unseenPeers(f *facts, s *streak) (unseen []int32, n int) {
	m := a.mem[s.member]
	n = max(len(m.peers)+1, f.n)
	for _, id := range m.peers {
		if p := a.member(id); !p.hasLogs && p.askedAt.IsZero() && p.heardAt.IsZero() {
			unseen = append(unseen, p.ix)
		}
	}
	return unseen, n
}

func candidacyLoopNoun(w *repeats) (string, string) {
	return w.names + " campaigned in a row without winning (pre-vote off)", ""
}

func preVoteLoopNoun(w *repeats) (string, string) {
	return w.names + " asked for pre-votes in a row without getting a quorum of them", ""
}
