package analysis

import (
	"math/bits"
	"slices"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// campaign is one election a member ran: from "is starting a new election"
// (or a MsgTimeoutNow) through pre-candidate and candidate to a win or not.
type campaign struct {
	open       bool
	start      time.Time
	termBefore uint64
	term       uint64 // the highest term it reached
	pre, cand  bool
	transfer   bool
	cut        bool   // its start is before the logs: opened from a vote request, a self-vote or a tally
	began      bool   // it logged becoming pre-candidate or candidate
	responders uint64 // peers that answered it or logged its request
}

// streak is a run of campaigns by one member with no leader in between: it
// ends when the member wins, follows a leader, or stops.
type streak struct {
	member     int32
	start, end time.Time // first and last campaign start
	termFrom   uint64    // the term before the first campaign
	termTo     uint64    // the highest term reached
	campaigns  int       // campaigns its lines show
	inferred   int       // campaigns its term implies that no line shows (see openCampaign)
	failed     int       // campaigns that ended without a win
	failedCand int       // ... having become candidate (term raised)
	failedPre  int       // ... having stayed pre-candidate (term kept)
	fullRound  bool      // a campaign of it shows a whole round: its start (became (pre-)candidate), then its requests
	rivals     uint64    // peers whose pre-votes at its term it refused or ignored for a lease while it ran
	resp       uint64    // the peers that answered the campaigns of its quorum-loss window (see quorumLosses)
	firstFail  time.Time
	lastFail   time.Time
	outcome    streakEnd
	endAt      time.Time
	wonTerm    uint64
	winners    uint64 // peers whose votes made the winning campaign
	grant      evLine // the latest vote a peer granted
	// runs[k] is the longest run of consecutive failed campaigns answered by
	// at most k peers: the quorum-loss signature for a cluster whose quorum
	// is k+2. cur holds the runs going on, while the streak is open.
	runs [4]silentRun
	cur  *[4]curRun
	ev   evidence
	win  evLine
}

type silentRun struct {
	best               int
	bestStart, bestEnd time.Time
	bestResp           uint64 // the peers that answered its campaigns
}

type curRun struct {
	n     int
	start time.Time
	resp  uint64
}

type streakEnd uint8

const (
	streakOpen streakEnd = iota
	streakWon
	streakFollowed
	streakStopped
)

// minLoop is the number of failed campaigns in a row that makes a loop: a
// member that timed out twice without a leader is not a one-off election.
const minLoop = 2

// maxImplied caps the failed elections a first vote request's term lead over
// its log implies (see impliedAttempts), so texts stay sane.
const maxImplied = 10

// answerWait is how long a campaign's requests wait for answers before one
// still open when the logs end counts as failed: a default election timeout.
const answerWait = time.Second

// openCampaign starts a campaign of m. Call it before m's term takes the
// line's: without pre-vote each failed campaign raises the term by one, so a
// term that rose between two campaigns of one streak with no line to say why
// counts campaigns the logs left out (elided with "[...]", or lost), the way
// etcd spent them. They count as failed campaigns of the streak and in m's
// total.
func (a *Analyzer) openCampaign(m *member, ev *parser.Event, t time.Time, termBefore uint64, transfer bool) {
	if m.camp.open {
		a.closeCampaign(m, t, false)
	}
	if s := m.streak; s != nil && !transfer && s.failedPre == 0 && !m.sawPre && m.term > 0 && termBefore > m.term {
		n := int(termBefore - m.term)
		s.inferred += n
		m.campaigns += n
	}
	m.camp = campaign{open: true, start: t, termBefore: termBefore, term: termBefore, transfer: transfer}
	if m.streak == nil {
		m.electionEv.set(ev, t, &a.cur) // a streak's first campaign: a storm copies no line
	}
	m.campaigns++
	a.campMarks.add(t)
	s := m.streak
	if s == nil {
		s = &streak{member: m.ix, start: t, termFrom: termBefore, termTo: termBefore}
		m.streak = s
	}
	s.campaigns++
	s.end = t
	s.ev.add(ev, t, &a.cur)
	if s.campaigns <= 3 {
		a.tl.add(ev, m, t, &a.cur)
	}
}

// closeCampaign ends the member's open campaign, won or not.
func (a *Analyzer) closeCampaign(m *member, t time.Time, won bool) {
	c := &m.camp
	if !c.open {
		return
	}
	c.open = false
	s := m.streak
	if s == nil {
		return
	}
	if c.term > s.termTo {
		s.termTo = c.term
	}
	if won {
		s.winners = c.responders
		return
	}
	s.failed++
	switch {
	case c.cand:
		s.failedCand++
	case c.pre || m.sawPre && !c.transfer: // with pre-vote, an election that logged only its start was one
		s.failedPre++
	}
	if s.firstFail.IsZero() {
		s.firstFail = c.start
	}
	s.lastFail = c.start
	n := bits.OnesCount64(c.responders)
	if s.cur == nil {
		s.cur = new([4]curRun)
	}
	for k := range s.runs {
		r, cur := &s.runs[k], &s.cur[k]
		if n > k {
			cur.n = 0
			continue
		}
		if cur.n == 0 {
			cur.start, cur.resp = c.start, 0
		}
		cur.n++
		cur.resp |= c.responders
		if cur.n > r.best {
			r.best, r.bestStart, r.bestEnd, r.bestResp = cur.n, cur.start, c.start, cur.resp
		}
	}
}

// endStreak closes the member's streak; loops are kept for Finish.
func (a *Analyzer) endStreak(m *member, t time.Time, how streakEnd) {
	s := m.streak
	if s == nil {
		return
	}
	m.streak = nil
	s.outcome, s.endAt = how, t
	s.cur = nil
	if s.attempts() < 1 {
		return
	}
	if len(a.streaks) >= maxStreaks {
		if how != streakOpen { // the logs' end closes the open ones: no record comes after
			a.fill(maxStreaks, "campaign streaks")
		}
		return
	}
	a.streaks = append(a.streaks, s)
}

// maxStreaks bounds the campaign streaks kept, and the step-downs and
// rejoins (a variable for the tests).
var maxStreaks = 10000

func (a *Analyzer) electionStart(m *member, ev *parser.Event, t time.Time) {
	a.followerTimeout(m, t)
	a.leaderFell(m, ev, t)
	c := &m.camp
	// From etcd 3.5 raft logs "is starting a new election" after "received
	// MsgTimeoutNow ... and starts an election": one campaign, not two.
	if !(c.open && c.transfer && !c.pre && !c.cand && ev.Term == c.termBefore) {
		a.openCampaign(m, ev, t, ev.Term, false)
	}
	m.bumpTerm(ev.Term, t, a.opts.MaxSeriesPoints)
}

func (a *Analyzer) becamePreCandidate(m *member, ev *parser.Event, t time.Time) {
	if m.state == StateLeader {
		a.ownEnd(m, t, ev, endStepDown)
	}
	if !m.camp.open || m.camp.pre || m.camp.cand {
		a.openCampaign(m, ev, t, ev.Term, false)
	} else if m.streak != nil && m.streak.campaigns == 1 {
		m.streak.ev.add(ev, t, &a.cur)
	}
	m.camp.pre = true
	m.camp.began = true
	m.sawPre = true
	if ev.Term > m.camp.term {
		m.camp.term = ev.Term
	}
	m.setState(StatePreCandidate, ev.Term, t, a.opts.MaxSeriesPoints)
}

func (a *Analyzer) becameCandidate(m *member, ev *parser.Event, t time.Time) {
	if m.state == StateLeader {
		a.ownEnd(m, t, ev, endStepDown)
	}
	if !m.camp.open || m.camp.cand {
		before := ev.Term
		if before > 0 {
			before--
		}
		a.openCampaign(m, ev, t, before, false)
	} else if m.streak != nil && m.streak.campaigns == 1 {
		m.streak.ev.add(ev, t, &a.cur)
	}
	if !m.camp.pre && !m.camp.transfer {
		m.sawPlain = true
	}
	m.camp.cand = true
	m.camp.began = true
	a.elections.add(ev.Term, t)
	if ev.Term > m.camp.term {
		m.camp.term = ev.Term
	}
	m.setState(StateCandidate, ev.Term, t, a.opts.MaxSeriesPoints)
	a.splits.candidate(a, m, ev, t)
}

func (a *Analyzer) becameLeader(m *member, ev *parser.Event, t time.Time) {
	if m.camp.open {
		if ev.Term > m.camp.term {
			m.camp.term = ev.Term
		}
		a.closeCampaign(m, t, true)
	}
	if s := m.streak; s != nil {
		s.wonTerm = ev.Term
		s.win.keep(ev, t, &a.cur)
		a.endStreak(m, t, streakWon)
	}
	if m.lead != 0 && m.lead != m.id {
		a.loss(m.lead, m.leadTerm, m, t)
	}
	m.lead, m.leadTerm = m.id, ev.Term
	m.timesLd++
	m.pendReason, m.pendBy = endNone, 0
	m.setState(StateLeader, ev.Term, t, a.opts.MaxSeriesPoints)
	a.observeLeader(m, ev.Term, t, ev, true)
	a.tl.add(ev, m, t, &a.cur)
}

func (a *Analyzer) becameFollower(m *member, ev *parser.Event, t time.Time) {
	if m.state == StateLeader {
		r := m.pendReason
		if r == endNone {
			r = endStepDown
		}
		a.ownEnd(m, t, ev, r)
	}
	m.pendReason, m.pendBy = endNone, 0
	if m.camp.open {
		a.closeCampaign(m, t, false)
	}
	m.setState(StateFollower, ev.Term, t, a.opts.MaxSeriesPoints)
}

func (a *Analyzer) voteRequest(m *member, ev *parser.Event, t time.Time) {
	a.cutCampaign(m, ev, t)
	a.impliedAttempts(m, ev)
	m.bumpTerm(ev.Term, t, a.opts.MaxSeriesPoints)
	if ev.Peer != 0 && ev.Peer != m.id && !slices.Contains(m.peers, ev.Peer) {
		m.addPeer(ev.Peer)
		a.member(ev.Peer) // a peer in m.peers has its member already
	}
	if ev.Msg == parser.MsgPreVote && m.camp.open && !m.camp.cand {
		m.camp.pre = true
		m.sawPre = true
	}
	if s := m.streak; s != nil && s.campaigns == 1 && s.ev.total < evHead {
		s.ev.add(ev, t, &a.cur)
	}
	if s := m.streak; s != nil && m.camp.open && m.camp.began {
		s.fullRound = true // the round's requests follow its start: they name every peer
	}
	m.infl.request(ev, t, &a.cur)
	if ev.LogTerm > 0 {
		m.reqLogTerm = ev.LogTerm
		m.maxReqLogTerm = max(m.maxReqLogTerm, ev.LogTerm)
	}
}

func (a *Analyzer) voteResponse(m *member, ev *parser.Event, t time.Time, granted bool) {
	if ev.Peer == m.id && granted {
		a.cutCampaign(m, ev, t) // its own vote
	}
	m.bumpTerm(ev.Term, t, a.opts.MaxSeriesPoints)
	if ev.Peer == 0 || ev.Peer == m.id {
		return
	}
	p := a.member(ev.Peer)
	if m.camp.open {
		m.camp.responders |= bit(p.ix)
	}
	if s := m.streak; s != nil && granted {
		s.grant.set(ev, t, &a.cur)
	}
}

// rivalPreVote notes that m, while its own pre-vote streak runs, refused
// or ignored for a lease the pre-vote of a peer at the same term: two
// pre-candidates at one term that do not vote for each other (etcd#10355:
// a pre-candidate keeps its leader, so its lease holds).
func (a *Analyzer) rivalPreVote(m *member, ev *parser.Event) {
	s := m.streak
	if s == nil || !m.camp.open || !m.camp.pre || m.camp.cand || ev.Msg != parser.MsgPreVote ||
		ev.Term != s.termFrom || ev.Peer == 0 || ev.Peer == m.id {
		return
	}
	s.rivals |= bit(a.member(ev.Peer).ix)
}

// respondedTo notes that voter received (and so was alive to answer) the
// vote request of candidate.
func (a *Analyzer) respondedTo(candidate parser.ID, voter *member) {
	if candidate == 0 || candidate == voter.id {
		return
	}
	c := a.member(candidate)
	if c.camp.open {
		c.camp.responders |= bit(voter.ix)
	}
}

// cutCampaign opens the campaign whose start the excerpt cut: a member whose
// first campaign line is a vote request, its own vote or a tally was already
// campaigning when the logs begin.
func (a *Analyzer) cutCampaign(m *member, ev *parser.Event, t time.Time) {
	if !m.camp.open && m.campaigns == 0 && m.lead == 0 { // inlined: mostly not
		a.openCut(m, ev, t)
	}
}

// openCut is cutCampaign's work, for a member with no campaign yet.
func (a *Analyzer) openCut(m *member, ev *parser.Event, t time.Time) {
	if m.state == StateLeader || ev.Term == 0 {
		return
	}
	pre := ev.Msg == parser.MsgPreVote || ev.Msg == parser.MsgPreVoteResp
	before := ev.Term // a pre-vote asks at the current term + 1
	if !pre {
		before--
	}
	a.openCampaign(m, ev, t, before, false)
	c := &m.camp
	c.cut, c.pre, c.cand = true, pre, !pre
	if pre {
		m.sawPre = true
	}
	c.term = ev.Term
}

// impliedAttempts counts the elections a member's first campaign implies
// without pre-vote: a vote request at term T with log term L follows T-1-L
// elections that failed since the last entry (a leader's first entry is at
// its own term). Only for a member whose lines show no leader and no term
// taken from another member before, so those terms were its own attempts.
func (a *Analyzer) impliedAttempts(m *member, ev *parser.Event) {
	if m.campaigns == 1 { // else past its first campaign: the common case, inlined
		a.firstAttempts(m, ev)
	}
}

// firstAttempts is impliedAttempts' work, during a member's first campaign.
func (a *Analyzer) firstAttempts(m *member, ev *parser.Event) {
	s := m.streak
	if s == nil || s.campaigns != 1 || s.inferred > 0 || m.campaigns != 1 || !m.camp.open || m.camp.transfer ||
		ev.Msg != parser.MsgVote || m.sawPre || m.leadTerm != 0 || m.adopted || ev.LogTerm == 0 || ev.Term <= ev.LogTerm+1 {
		return
	}
	n := int(ev.Term - 1 - ev.LogTerm)
	if n > maxImplied {
		n = maxImplied
	}
	for i := 1; i <= n; i++ {
		a.elections.add(ev.Term-uint64(i), a.start) // they were before its first line
	}
	s.inferred += n
	s.termFrom = min(s.termFrom, ev.Term-1-uint64(n))
	m.campaigns += n
}

// closeOpen ends, at the end of the logs, the campaign m still runs: it
// counts as failed when m had timed out before in the same streak, or when
// its requests had an election timeout to be answered; a lone campaign the
// logs cut right after its start is neither won nor lost.
func (a *Analyzer) closeOpen(m *member, end time.Time) {
	c := &m.camp
	if !c.open {
		return
	}
	if s := m.streak; s != nil && (s.campaigns > 1 || end.Sub(c.start) >= answerWait) {
		a.closeCampaign(m, end, false)
		return
	}
	c.open = false
}
