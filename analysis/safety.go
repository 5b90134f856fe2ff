package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// safetyBook finds what raft's safety rules forbid and a real etcd never
// logs unless its data was lost or tampered with (a member restarted from an
// old or wiped data directory under its old ID, a copied data directory, a
// bug): two members elected at one term, a member voting for two candidates
// in one term, a member's own term going down while it runs. Each is a
// finding with the lines that show it, never dropped as a misread.
type safetyBook struct {
	leaders map[uint64]safetyLine // term -> the first member that logged its own election at it
	mem     []*memberSafety       // by member index; they do not move (own.ev is lent)
	found   []safetyCase
}

// safetyLine is a member's line that says something safety rules constrain.
type safetyLine struct {
	ix   int32
	term uint64
	ev   evLine
}

// memberSafety is what a member's lines said so far of its votes and terms.
type memberSafety struct {
	vote     safetyLine // its latest vote: term, and for whom (ix)
	twice    bool       // it voted twice at vote's term: reported once
	own      safetyLine // its highest term of its own state lines since it started
	ownInput int
}

type safetyCase struct {
	what    safetyWhat
	term    uint64 // the term at stake; for a term going down, the term it went down to
	from    uint64 // for a term going down, the term before
	members []int32
	ev      [2]evLine
}

type safetyWhat uint8

const (
	twoLeaders safetyWhat = iota // two members elected at one term
	doubleVote                   // one member voted for two candidates at one term
	termDown                     // a member's term went down while it ran
)

// maxSafetyTerms bounds the terms whose leader is remembered.
const maxSafetyTerms = 20000

func (sb *safetyBook) of(m *member) *memberSafety {
	for int(m.ix) >= len(sb.mem) {
		sb.mem = append(sb.mem, new(memberSafety))
	}
	return sb.mem[m.ix]
}

// check looks at one event of m for a safety violation.
func (a *Analyzer) checkSafety(m *member, ev *parser.Event, t time.Time) {
	sb := &a.safety
	switch ev.Kind {
	case parser.NewRaft, parser.ServerStart:
		s := sb.of(m)
		s.own = safetyLine{}
	case parser.BecameFollower, parser.BecamePreCandidate, parser.BecameCandidate, parser.BecameLeader:
		if ev.Term == 0 {
			return
		}
		a.ownTerm(m, ev, t)
		switch ev.Kind {
		case parser.BecameCandidate:
			a.voted(m, m, ev, t) // a candidate votes for itself
		case parser.BecameLeader:
			a.elected(m, ev, t)
		}
	case parser.VoteCast:
		if ev.Msg == parser.MsgVote && ev.Term != 0 {
			if c := a.member(ev.Peer); c != nil {
				a.voted(m, c, ev, t)
			}
		}
	case parser.VoteGranted:
		// received MsgVoteResp from a voter: it voted for m
		if ev.Msg == parser.MsgVoteResp && ev.Term != 0 {
			if v := a.member(ev.Peer); v != nil {
				a.voted(v, m, ev, t)
			}
		}
	}
}

// ownTerm checks that m's own state lines never go down in term between two
// starts (lines of one input only: two inputs of one member interleave by
// time, not by line).
func (a *Analyzer) ownTerm(m *member, ev *parser.Event, t time.Time) {
	s := a.safety.of(m)
	switch {
	case s.own.term == 0 || s.ownInput != ev.Input || ev.Term > s.own.term:
		s.own.term, s.ownInput = ev.Term, ev.Input
		s.own.ev.lend(ev, t, &a.cur)
	case ev.Term < s.own.term:
		c := safetyCase{what: termDown, term: ev.Term, from: s.own.term, members: []int32{m.ix}}
		c.ev[0] = s.own.ev.clone()
		c.ev[1].set(ev, t, &a.cur)
		a.safety.add(c)
		s.own.term = ev.Term // one case per descent
		s.own.ev.lend(ev, t, &a.cur)
	}
}

// voted records that voter v voted for candidate c at ev.Term.
func (a *Analyzer) voted(v, c *member, ev *parser.Event, t time.Time) {
	s := a.safety.of(v)
	switch {
	case ev.Term > s.vote.term:
		s.vote.term, s.vote.ix, s.twice = ev.Term, c.ix, false
		s.vote.ev.lend(ev, t, &a.cur)
	case ev.Term == s.vote.term && c.ix != s.vote.ix && !s.twice:
		cs := safetyCase{what: doubleVote, term: ev.Term, members: []int32{v.ix, s.vote.ix, c.ix}}
		cs.ev[0] = s.vote.ev.clone()
		cs.ev[1].set(ev, t, &a.cur)
		a.safety.add(cs)
		s.twice = true
	}
}

// elected records that m logged its own election at ev.Term.
func (a *Analyzer) elected(m *member, ev *parser.Event, t time.Time) {
	sb := &a.safety
	if sb.leaders == nil {
		sb.leaders = make(map[uint64]safetyLine)
	}
	first, ok := sb.leaders[ev.Term]
	switch {
	case !ok && len(sb.leaders) < maxSafetyTerms:
		l := safetyLine{ix: m.ix, term: ev.Term}
		l.ev.keep(ev, t, &a.cur)
		sb.leaders[ev.Term] = l
	case ok && first.ix != m.ix:
		c := safetyCase{what: twoLeaders, term: ev.Term, members: []int32{first.ix, m.ix}}
		c.ev[0] = first.ev
		c.ev[1].set(ev, t, &a.cur)
		a.safety.add(c)
	}
}

func (sb *safetyBook) add(c safetyCase) {
	if len(sb.found) < maxEpisodes {
		sb.found = append(sb.found, c)
	}
}

// oneCluster reports whether members x and y are known to be of one
// cluster, or not known to be of two: one of them sent the other a vote
// request or had a stream to it, or both did to a third member. Members of
// which nothing is known are taken for one cluster.
func (a *Analyzer) oneCluster(x, y int32) bool {
	px, py := a.peersOf(x), a.peersOf(y)
	if len(px) == 0 && len(py) == 0 {
		return true
	}
	if px[y] || py[x] {
		return true
	}
	for p := range px {
		if py[p] {
			return true
		}
	}
	return false
}

// peersOf returns the members m talked to, as far as its lines tell.
func (a *Analyzer) peersOf(ix int32) map[int32]bool {
	m := a.mem[ix]
	out := map[int32]bool{}
	for _, id := range m.peers {
		if p := a.index(id); p >= 0 {
			out[p] = true
		}
	}
	for _, r := range m.reach {
		out[r.peer] = true
	}
	return out
}

func (l evLine) clone() evLine {
	l.text, l.lent = append([]byte(nil), l.text...), false
	return l
}

func (a *Analyzer) detectSafety(f *facts) []Finding {
	var out []Finding
	for _, c := range a.safety.found {
		if c.what == twoLeaders && !a.oneCluster(c.members[0], c.members[1]) {
			continue // two clusters' logs given together, each with its own term 2
		}
		var sum string
		switch c.what {
		case twoLeaders:
			sum = "Two leaders at term " + utoa(c.term) + ": " + a.names(c.members[:1]) + " and " +
				a.names(c.members[1:]) + " each logged its own election, at " + f.at(c.ev[0].t) + " and " + f.at(c.ev[1].t) + "."
		case doubleVote:
			sum = a.names(c.members[:1]) + " voted twice at term " + utoa(c.term) + ": for " +
				a.names(c.members[1:2]) + " and for " + a.names(c.members[2:]) + ", at " + f.at(c.ev[1].t) + "."
		case termDown:
			sum = "The term of " + a.names(c.members) + " went down from " + utoa(c.from) + " to " + utoa(c.term) +
				" without a restart, at " + f.at(c.ev[1].t) + "."
		}
		from, to := c.term, c.term
		if c.what == termDown {
			to = c.from
		}
		out = append(out, Finding{
			Kind: SafetyViolation, Severity: Critical, Members: a.ids(c.members...),
			Start: c.ev[0].t, End: c.ev[1].t, Count: 1, TermFrom: from, TermTo: to,
			Summary: "Raft safety violation: " + sum,
			lines:   a.evidenceOf(a.opts.MaxEvidence, c.ev[:]),
		})
	}
	return out
}

func (a *Analyzer) diagSafety(f *facts, p *Finding) Diagnosis {
	return plain(p, "Raft safety violated: the logs show what raft forbids",
		"Raft elects at most one leader per term, and a member votes at most once per term and never lowers its "+
			"term; a real etcd keeps these rules unless a member lost what it had written to disk (its data "+
			"directory wiped, restored from an old copy or copied from another member, while it kept its ID), or a "+
			"bug. Data committed in that time may differ between the members. Check the lines below first: two "+
			"clusters whose logs were merged, or one member's ID in two clusters, look the same.",
		"Compare the members' data (`etcdctl endpoint hashkv --cluster`, or the same keys read from each member "+
			"with `--consistency=s`); a member that differs is removed (`etcdctl member remove`) and added back empty.",
		"Never start a member on a data directory that is not its own and most recent; restore a cluster only "+
			"with `etcdutl snapshot restore`, which gives it new IDs.")
}

func safetyNoun(w *repeats) (string, string) {
	return "Raft safety rules were broken", " (" + w.names + ")"
}
