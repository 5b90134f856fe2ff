package analysis

import (
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// Member IDs from the demo (etcd1..etcd3) and lab run L01 (n1..n3).
const (
	etcd1 parser.ID = 0xade526d28b1f92f7
	etcd2 parser.ID = 0xd282ac2ce600c1ce
	etcd3 parser.ID = 0xbd388e7810915853
	n1    parser.ID = 0x6291d99b6e411a8b
	n2    parser.ID = 0xf3e3a2c53c50af54
	n3    parser.ID = 0xa77177f1b08ec937
)

// script builds event sequences that mirror what the parser yields for real
// etcd lines (reference §1.2), one call per log line.
type script struct {
	t     time.Time
	evs   []parser.Event
	names map[parser.ID]string
}

func newScript(start string) *script {
	s := &script{names: map[parser.ID]string{}}
	s.at(start)
	return s
}

// at sets the clock: "2020-04-30 17:20:31", or "+1.5s" to advance it.
func (s *script) at(when string) *script {
	if strings.HasPrefix(when, "+") {
		d, err := time.ParseDuration(when[1:])
		if err != nil {
			panic(err)
		}
		s.t = s.t.Add(d)
		return s
	}
	t, err := time.Parse("2006-01-02 15:04:05.999999", when)
	if err != nil {
		panic(err)
	}
	s.t = t
	return s
}

func (s *script) name(id parser.ID, name string) *script {
	s.names[id] = name
	return s
}

func (s *script) add(ev parser.Event) *script {
	if ev.Time.IsZero() {
		ev.Time = s.t
	}
	if ev.Name == "" {
		ev.Name = s.names[ev.Member]
	}
	ev.Line = int64(len(s.evs) + 1)
	if ev.Text == nil {
		ev.Text = []byte(ev.Name + " | " + ev.Member.String() + " " + ev.Kind.String() + " term " +
			utoa(ev.Term) + " peer " + ev.Peer.String())
	}
	s.evs = append(s.evs, ev)
	return s
}

// Raft lines.

func (s *script) electionStart(m parser.ID, term uint64) *script {
	return s.add(parser.Event{Kind: parser.ElectionStart, Member: m, Term: term})
}

func (s *script) preCandidate(m parser.ID, term uint64, peers ...parser.ID) *script {
	return s.stand(parser.BecamePreCandidate, parser.MsgPreVote, parser.MsgPreVoteResp, m, term, term, peers)
}

func (s *script) candidate(m parser.ID, term, logTerm uint64, peers ...parser.ID) *script {
	return s.stand(parser.BecameCandidate, parser.MsgVote, parser.MsgVoteResp, m, term, logTerm, peers)
}

// stand makes m (pre-)candidate: its role line, its vote for itself, its
// requests to peers.
func (s *script) stand(role parser.Kind, req, resp parser.MsgType, m parser.ID, term, logTerm uint64, peers []parser.ID) *script {
	s.add(parser.Event{Kind: role, Member: m, Term: term})
	s.add(parser.Event{Kind: parser.VoteGranted, Member: m, Peer: m, Term: term, Msg: resp})
	for _, p := range peers {
		s.add(parser.Event{Kind: parser.VoteRequest, Member: m, Peer: p, Term: term, LogTerm: logTerm, Msg: req})
	}
	return s
}

// campaign is a timeout-driven election without pre-vote that nobody answers.
func (s *script) campaign(m parser.ID, termBefore, logTerm uint64, peers ...parser.ID) *script {
	s.electionStart(m, termBefore)
	return s.candidate(m, termBefore+1, logTerm, peers...)
}

func (s *script) granted(m, from parser.ID, term uint64) *script {
	return s.add(parser.Event{Kind: parser.VoteGranted, Member: m, Peer: from, Term: term, Msg: parser.MsgVoteResp})
}

func (s *script) rejected(m, from parser.ID, term uint64) *script {
	return s.add(parser.Event{Kind: parser.VoteRejected, Member: m, Peer: from, Term: term, Msg: parser.MsgVoteResp})
}

func (s *script) leader(m parser.ID, term uint64) *script {
	s.add(parser.Event{Kind: parser.BecameLeader, Member: m, Term: term})
	return s.add(parser.Event{Kind: parser.LeaderElected, Member: m, Peer: m, Term: term})
}

func (s *script) follower(m parser.ID, term uint64) *script {
	return s.add(parser.Event{Kind: parser.BecameFollower, Member: m, Term: term})
}

func (s *script) elected(m, l parser.ID, term uint64) *script {
	return s.add(parser.Event{Kind: parser.LeaderElected, Member: m, Peer: l, Term: term})
}

func (s *script) changed(m, from, to parser.ID, term uint64) *script {
	return s.add(parser.Event{Kind: parser.LeaderChanged, Member: m, Peer: to, Peer2: from, Term: term})
}

func (s *script) lost(m, l parser.ID, term uint64) *script {
	return s.add(parser.Event{Kind: parser.LeaderLost, Member: m, Peer: l, Term: term})
}

func (s *script) higher(m parser.ID, term uint64, from parser.ID, peerTerm uint64, msg parser.MsgType) *script {
	return s.add(parser.Event{Kind: parser.HigherTermMessage, Member: m, Term: term, Peer: from, PeerTerm: peerTerm, Msg: msg})
}

func (s *script) cast(m, cand parser.ID, term uint64) *script {
	return s.add(parser.Event{Kind: parser.VoteCast, Member: m, Peer: cand, Term: term, Msg: parser.MsgVote})
}

// voteFor is a follower receiving a higher-term vote request and granting it.
func (s *script) voteFor(m parser.ID, term uint64, cand parser.ID, newTerm uint64) *script {
	s.higher(m, term, cand, newTerm, parser.MsgVote)
	s.follower(m, newTerm)
	return s.cast(m, cand, newTerm)
}

func (s *script) stepDown(m parser.ID, term uint64) *script {
	s.add(parser.Event{Kind: parser.CheckQuorumStepDown, Member: m, Level: parser.LevelWarn})
	s.follower(m, term)
	return s.lost(m, m, term)
}

func (s *script) newRaft(m parser.ID, term uint64) *script {
	return s.add(parser.Event{Kind: parser.NewRaft, Member: m, Term: term})
}

func (s *script) serverStart(m parser.ID, preVote int8) *script {
	return s.add(parser.Event{Kind: parser.ServerStart, Member: m, PreVote: preVote, Version: "3.5.33"})
}

func (s *script) shutdown(m parser.ID) *script {
	return s.add(parser.Event{Kind: parser.Shutdown, Member: m})
}

func (s *script) streamLost(m, peer parser.ID) *script {
	return s.add(parser.Event{Kind: parser.StreamLost, Member: m, Peer: peer, Level: parser.LevelWarn})
}

func (s *script) prober(m, peer parser.ID) *script {
	return s.add(parser.Event{Kind: parser.ProberUnhealthy, Member: m, Peer: peer, Level: parser.LevelWarn})
}

// transferOnShutdown is a leader's SIGTERM handover, as 3.4 logs it.
func (s *script) transferStart(l, to parser.ID, term uint64) *script {
	s.add(parser.Event{Kind: parser.TransferStarting, Member: l, Peer2: l, Peer: to})
	s.add(parser.Event{Kind: parser.TransferStart, Member: l, Peer: to, Term: term})
	return s.add(parser.Event{Kind: parser.TimeoutNowSent, Member: l, Peer: to, Term: term})
}

func (s *script) timeoutNow(m, from parser.ID, term uint64) *script {
	return s.add(parser.Event{Kind: parser.TimeoutNowReceived, Member: m, Peer: from, Term: term})
}

// bootstrap starts three members and elects first as leader at term 2.
func (s *script) bootstrap(first parser.ID, others ...parser.ID) *script {
	for _, m := range append([]parser.ID{first}, others...) {
		s.newRaft(m, 1)
	}
	s.at("+1s")
	s.campaign(first, 1, 1, others...)
	for _, o := range others {
		s.voteFor(o, 1, first, 2)
	}
	s.granted(first, others[0], 2)
	s.leader(first, 2)
	for _, o := range others {
		s.elected(o, first, 2)
	}
	return s
}

func analyze(t testing.TB, s *script) *Result {
	t.Helper()
	a := New(Options{Inputs: []string{"test"}})
	for i := range s.evs {
		a.Add(&s.evs[i])
	}
	return a.Finish()
}

// findings returns the findings of kind k.
func findings(r *Result, k string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Kind == k {
			out = append(out, f)
		}
	}
	return out
}

func hasMember(f Finding, id parser.ID) bool {
	for _, m := range f.Members {
		if m == id {
			return true
		}
	}
	return false
}

func dump(r *Result) string {
	var b strings.Builder
	b.WriteString("verdict " + r.Diagnosis.Verdict + ": " + r.Diagnosis.Headline + "\n")
	for _, f := range r.Findings {
		b.WriteString("  " + string(f.Severity) + " " + f.Kind + " [" + utoa(f.TermFrom) + ".." + utoa(f.TermTo) + "] x" +
			itoa(f.Count) + ": " + f.Summary + "\n")
	}
	for _, w := range r.Leaderless {
		b.WriteString("  leaderless " + w.Start.Format("15:04:05.000") + " " + dur(w.End.Sub(w.Start)) + "\n")
	}
	return b.String()
}
