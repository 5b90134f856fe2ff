package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// What a candidate's tally and its voters' terms say of its election when
// the excerpt stops before the outcome lines.

// tallyWin is a candidate's "has received G votes and R vote rejections"
// that reached a quorum: raft becomes leader on the spot, so the election
// was won even when the "became leader" line is not in the logs.
type tallyWin struct {
	term uint64
	at   time.Time
	ev   parser.Event // the tally line, its Text owned
}

// tally reads a candidate's tally of real votes. The cluster's size must be
// known: from several members' lines or a round shown whole (a cut round
// lists only some peers).
func (a *Analyzer) tally(m *member, ev *parser.Event, t time.Time) {
	c := &m.camp
	if ev.Msg != parser.MsgVoteResp || !c.open || !c.cand || m.streak == nil ||
		!m.streak.fullRound && a.logged() < 2 {
		return
	}
	n := max(len(m.peers)+1, len(a.mem))
	if ev.Granted < n/2+1 {
		return
	}
	w := &m.tallyWon
	w.term, w.at = c.term, t
	text := append(w.ev.Text[:0], ev.Text...)
	w.ev = *ev
	w.ev.Text = text
	w.ev.Term = c.term
}

// settleTallies, at Finish, makes the leaderships that tallies won and that
// no "became leader" line showed: the campaign still open at its term.
func (a *Analyzer) settleTallies() {
	for _, m := range a.mem {
		w := &m.tallyWon
		if w.term == 0 || !m.camp.open || m.camp.term != w.term || a.lead.byTerm[w.term] != nil {
			continue
		}
		a.becameLeader(m, &w.ev, w.at)
		if rec := a.lead.byTerm[w.term]; rec != nil && rec.leader == m.ix {
			rec.own, rec.inferred = false, true
		}
	}
}

// sharedTerms reads a voter's "[term: X] received a MsgVote message with
// higher term from C [term: T]": the voter had reached X itself, so of the
// failed elections C's first request implies over its log term (see
// impliedAttempts) only those above X can have been C's alone.
func (a *Analyzer) sharedTerms(voter *member, ev *parser.Event) {
	c := a.member(ev.Peer)
	if c == nil || c == voter || ev.Msg != parser.MsgVote {
		return
	}
	s := c.streak
	if s == nil || s.inferred == 0 || s.campaigns != 1 || ev.PeerTerm != c.camp.term || ev.Term >= ev.PeerTerm {
		return
	}
	own := int(ev.PeerTerm - 1 - ev.Term)
	if own >= s.inferred {
		return
	}
	c.campaigns -= s.inferred - own
	s.inferred = own
	s.termFrom = ev.PeerTerm - 1 - uint64(own)
}
