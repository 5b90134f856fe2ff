package analysis

import (
	"strings"
	"testing"

	"github.com/etcdpm/etcdpm/parser"
)

// followerPartition: n2, cut off from the leader n1, asks for pre-votes five
// times; healed, it follows n1 again, else the logs end while it asks.
func followerPartition(healed bool) *script {
	s := newScript("2026-11-23 21:05:08")
	for _, m := range []parser.ID{n1, n2, n3} {
		s.serverStart(m, 1)
	}
	s.bootstrap(n1, n2, n3)
	s.at("+3s").streamLost(n1, n2)
	for i := 0; i < 5; i++ {
		s.at("+1.3s").electionStart(n2, 2).preCandidate(n2, 2, n1, n3)
		if i == 0 {
			s.lost(n2, n1, 2)
		}
	}
	if healed {
		s.at("+1s").add(parser.Event{Kind: parser.BecameFollower, Member: n2, Term: 2})
		s.elected(n2, n1, 2)
	}
	return s
}

// leaderStopped: the leader n1 stops without handing over and n2 is
// elected; back, n1 is started again and follows n2.
func leaderStopped(back bool) *script {
	s := newScript("2026-11-23 21:03:08").bootstrap(n1, n2, n3)
	s.at("+5s").shutdown(n1)
	s.at("+1.2s").campaign(n2, 2, 2, n1, n3).granted(n2, n3, 3).leader(n2, 3).elected(n3, n2, 3)
	if back {
		s.at("+3s").serverStart(n1, 1).newRaft(n1, 2)
		s.at("+0.2s").higher(n1, 2, n2, 3, parser.MsgApp).follower(n1, 3).elected(n1, n2, 3)
	}
	s.at("+2s").add(parser.Event{Kind: parser.PeerActive, Member: n2, Peer: n3})
	return s
}

// TestRemediesAtEnd: a member still out when the logs end (a loop still
// going, an old leader still stopped) gets a remedy to bring it back first;
// once it is back, the remedies say only what prevents it.
func TestRemediesAtEnd(t *testing.T) {
	cases := []struct {
		build   func(back bool) *script
		verdict string
		phrase  string
	}{
		{followerPartition, PreVoteLoop, "still out when the logs end"},
		{leaderStopped, LeaderChange, "still down when the logs end"},
	}
	for _, c := range cases {
		for _, back := range []bool{false, true} {
			r := analyze(t, c.build(back))
			if r.Diagnosis.Verdict != c.verdict {
				t.Fatalf("back %v: verdict %s, want %s\n%s", back, r.Diagnosis.Verdict, c.verdict, dump(r))
			}
			if still := strings.Contains(strings.Join(r.Diagnosis.Remedies, "\n"), c.phrase); still == back {
				t.Errorf("%s, back %v: remedies %q", c.verdict, back, r.Diagnosis.Remedies)
			}
		}
	}
}
