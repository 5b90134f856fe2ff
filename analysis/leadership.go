package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// leadership is one member leading one term, as the lines of all members
// tell it.
type leadership struct {
	leader   int32
	term     uint64
	start    time.Time // the earliest line that shows it
	own      bool      // the leader logged its own election
	inferred bool      // only implied (a MsgTimeoutNow from it, say)
	// fromBefore: elected before the logs begin (see past.go); start is the
	// first line.
	fromBefore bool
	// A follower timed out on it (started an election while it followed it
	// at its term): when, and who (see shortlead.go).
	timeoutAt time.Time
	timeoutBy int32

	end    time.Time // the leader's own step-down line
	reason endReason
	by     parser.ID // who deposed it, for endHigherTerm
	woke   bool      // it logged "changed leader from <itself>": replaced while it stalled

	stopAt      time.Time // the leader's shutdown line
	restartEnd  time.Time // its last line before a restart without shutdown
	followers   uint64    // members that logged it as their leader
	losses      []loss    // followers that lost it, first time each
	silentSince time.Time // peers reported it unreachable while it was silent

	startEv, endEv evLine

	// Set by Finish.
	until time.Time
	why   endReason
}

type loss struct {
	ix int32
	t  time.Time
}

// endReason says how a leadership ended.
type endReason uint8

const (
	endNone          endReason = iota // still leading when the logs end
	endStepDown                       // it became follower
	endCheckQuorum                    // stepped down since quorum is not active
	endHigherTerm                     // a message with a higher term deposed it
	endWoke                           // it resumed to find another leader
	endFollowersLost                  // every follower lost it (it died or stalled)
	endSuperseded                     // a leader was elected at a higher term
	endSilent                         // peers lost it while it was silent
	endStopped                        // it was shut down
	endRestarted                      // it restarted without a shutdown line (killed)
)

type leaderBook struct {
	byTerm  map[uint64]*leadership
	list    []*leadership
	maxTerm uint64
}

// maxLeaderships bounds the leaderships kept (a variable for the tests).
var maxLeaderships = 20000

func (b *leaderBook) init() { b.byTerm = make(map[uint64]*leadership) }

// observeLeader records that l leads term. own says the line is l's own.
func (a *Analyzer) observeLeader(l *member, term uint64, t time.Time, ev *parser.Event, own bool) *leadership {
	l.marks.add(t)
	b := &a.lead
	rec := b.byTerm[term]
	if rec == nil {
		if len(b.list) >= maxLeaderships {
			a.fill(maxLeaderships, "leaderships")
			return nil
		}
		rec = &leadership{leader: l.ix, term: term, start: t, own: own}
		rec.startEv.keep(ev, t, &a.cur)
		b.byTerm[term] = rec
		b.list = append(b.list, rec)
		if term > b.maxTerm {
			b.maxTerm = term
		}
		a.splits.leader(term)
	}
	if rec.leader != l.ix {
		return nil // two leaders for one term: keep the first (safety.go reports it when both lines are the leaders' own)
	}
	if t.Before(rec.start) {
		rec.start = t
	}
	if own && !rec.own {
		rec.own = true
		rec.inferred = false
		rec.startEv.keep(ev, t, &a.cur)
	}
	if l.lastLed == nil || term >= l.lastLed.term {
		l.lastLed = rec
	}
	return rec
}

// inferLeader records a leadership only implied by a line (a MsgTimeoutNow
// from the leader, say).
func (a *Analyzer) inferLeader(l *member, term uint64, t time.Time, ev *parser.Event) {
	if term == 0 || a.lead.byTerm[term] != nil {
		return
	}
	if rec := a.observeLeader(l, term, t, ev, false); rec != nil {
		rec.inferred = true
	}
}

// ledLast is m's latest leadership as far as its own lines go: the one of
// its current term, or else its last one before that. (Its lastLed may be a
// later one that another member's line, read first, told of.)
func (a *Analyzer) ledLast(m *member) *leadership {
	if rec := a.lead.byTerm[m.term]; rec != nil && rec.leader == m.ix {
		return rec
	}
	if rec := m.lastLed; rec != nil && rec.term <= m.term {
		return rec
	}
	return nil
}

// ownEnd records the end of m's current leadership from m's own line.
func (a *Analyzer) ownEnd(m *member, t time.Time, ev *parser.Event, why endReason) {
	rec := a.ledLast(m)
	if rec == nil && why == endStepDown && ev.Kind == parser.LeaderLost {
		rec = a.pastLeader(m, m.formerTerm(ev.Term), ev) // "lost leader <itself>"
	}
	if rec == nil || !rec.end.IsZero() {
		return
	}
	rec.end, rec.reason = t, why
	m.marks.add(t)
	if why == endHigherTerm {
		rec.by = m.pendBy
	}
	rec.endEv.keep(ev, t, &a.cur)
}

// loss records that follower f no longer follows leader id at term (0: the
// leader's latest term).
func (a *Analyzer) loss(id parser.ID, term uint64, f *member, t time.Time) {
	l := a.member(id)
	if l == nil {
		return
	}
	rec := l.lastLed
	if term != 0 {
		rec = a.lead.byTerm[term]
	}
	if rec == nil || rec.leader != l.ix {
		return
	}
	l.marks.add(t)
	for _, x := range rec.losses {
		if x.ix == f.ix {
			return
		}
	}
	if len(rec.losses) < 64 {
		rec.losses = append(rec.losses, loss{f.ix, t})
	}
	// Peers losing the connection to a silent leader shortly before its
	// followers gave up on it: it died (or was cut off) then.
	if s := l.unreachSince; !s.IsZero() && !s.Before(l.lastSeen) && !s.Before(rec.start) && t.Sub(s) <= silentLead {
		if rec.silentSince.IsZero() || s.Before(rec.silentSince) {
			rec.silentSince = s
		}
	}
}

// silentLead bounds how long before its followers' loss a silent leader's
// connections may have dropped for the drop to mark its end.
const silentLead = 5 * time.Second

// follow records that m follows leader id at term.
func (a *Analyzer) follow(m *member, id parser.ID, term uint64, t time.Time, ev *parser.Event) {
	if m.lead != 0 && m.lead != m.id && (m.lead != id || m.leadTerm != term) {
		a.loss(m.lead, m.leadTerm, m, t)
	}
	m.lead, m.leadTerm = id, term
	if rec := a.observeLeader(a.member(id), term, t, ev, false); rec != nil {
		rec.followers |= bit(m.ix)
	}
	if m.camp.open {
		a.closeCampaign(m, t, false)
	}
	a.endStreak(m, t, streakFollowed)
}

func (a *Analyzer) leaderElected(m *member, ev *parser.Event, t time.Time) {
	m.bumpTerm(ev.Term, t, a.opts.MaxSeriesPoints)
	switch ev.Peer {
	case 0:
	case m.id:
		a.observeLeader(m, ev.Term, t, ev, true)
	default:
		a.follow(m, ev.Peer, ev.Term, t, ev)
	}
}

func (a *Analyzer) leaderChanged(m *member, ev *parser.Event, t time.Time) {
	m.bumpTerm(ev.Term, t, a.opts.MaxSeriesPoints)
	if ev.Peer2 == m.id {
		if rec := a.ledLast(m); rec != nil && (rec.end.IsZero() || rec.end.Equal(t) || t.Sub(rec.end) < time.Second) {
			rec.woke = true
		}
		a.ownEnd(m, t, ev, endWoke)
		m.lead = 0
		a.tl.add(ev, m, t, &a.cur)
	}
	if ev.Peer2 != 0 && ev.Peer2 != m.id && m.lead != ev.Peer2 {
		a.lostPast(ev.Peer2, m, t, ev)
	}
	if ev.Peer != 0 {
		a.follow(m, ev.Peer, ev.Term, t, ev)
	}
}

func (a *Analyzer) leaderLost(m *member, ev *parser.Event, t time.Time) {
	m.lostAt, m.lostID, m.lostTerm = t, ev.Peer, ev.Term
	m.electionEv.set(ev, t, &a.cur)
	m.bumpTerm(ev.Term, t, a.opts.MaxSeriesPoints)
	switch ev.Peer {
	case 0:
	case m.id:
		a.ownEnd(m, t, ev, endStepDown)
	default:
		var term uint64
		if m.lead == ev.Peer {
			term = m.leadTerm
		}
		a.lostPast(ev.Peer, m, t, ev)
		a.loss(ev.Peer, term, m, t)
		a.suspectLost(m, ev.Peer, t)
	}
	m.lead = 0
}

func (a *Analyzer) higherTerm(m *member, ev *parser.Event, t time.Time) {
	m.adopted = true
	m.bumpTerm(ev.Term, t, a.opts.MaxSeriesPoints)
	if ev.Msg == parser.MsgVote || ev.Msg == parser.MsgPreVote {
		a.respondedTo(ev.Peer, m)
		a.asked(ev.Peer, ev.PeerTerm, ev, t)
		a.sharedTerms(m, ev)
	}
	if ev.Peer != 0 {
		a.drag(m, ev, t)
	}
	if m.state != StateLeader && (ev.Msg == parser.MsgAppResp || ev.Msg == parser.MsgHeartbeatResp) && a.ledLast(m) == nil {
		// Only a leader receives these: m led ev.Term since before the
		// logs, and the higher term deposes it.
		if rec := a.pastLeader(m, ev.Term, ev); rec != nil && rec.fromBefore && rec.end.IsZero() {
			a.rejoinCheck(m, ev, t)
			rec.end, rec.reason, rec.by = t, endHigherTerm, ev.Peer
			rec.endEv.keep(ev, t, &a.cur)
		}
	}
	if m.state != StateLeader {
		a.followerRejoin(m, ev, t)
	}
	if m.state == StateLeader {
		a.rejoinCheck(m, ev, t)
		m.pendReason, m.pendBy = endHigherTerm, ev.Peer
		a.tl.add(ev, m, t, &a.cur)
	}
}

func (a *Analyzer) timeoutNowReceived(m *member, ev *parser.Event, t time.Time) {
	m.bumpTerm(ev.Term, t, a.opts.MaxSeriesPoints)
	a.transferEvent(m, ev, t)
	if ev.Peer != 0 && ev.Peer != m.id {
		a.inferLeader(a.member(ev.Peer), ev.Term, t, ev)
	}
	a.openCampaign(m, ev, t, ev.Term, true)
}
