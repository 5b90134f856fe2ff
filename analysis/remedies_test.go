package analysis

import (
	"strings"
	"testing"

	"github.com/etcdpm/etcdpm/parser"
)

// A member still campaigning when the logs end is still out: the remedies
// say to bring it back first; one that rejoined gets only what prevents it.
func TestLoopRemediesAtEnd(t *testing.T) {
	for _, rejoined := range []bool{false, true} {
		s := newScript("2026-11-23 21:05:08")
		for _, m := range []parser.ID{n1, n2, n3} {
			s.serverStart(m, 1)
		}
		s.bootstrap(n1, n2, n3)
		s.at("+3s").streamLost(n1, n2)
		for i := 0; i < 5; i++ {
			s.at("+1.3s").electionStart(n2, 2).preCandidate(n2, 2, n1, n3)
		}
		if rejoined {
			s.at("+1s").add(parser.Event{Kind: parser.BecameFollower, Member: n2, Term: 2})
			s.elected(n2, n1, 2)
		}
		r := analyze(t, s)
		if r.Diagnosis.Verdict != PreVoteLoop {
			t.Fatalf("rejoined %v: verdict %s, want pre-vote-loop\n%s", rejoined, r.Diagnosis.Verdict, dump(r))
		}
		still := strings.Contains(strings.Join(r.Diagnosis.Remedies, "\n"), "still out when the logs end")
		if still == rejoined {
			t.Errorf("rejoined %v: remedies %q", rejoined, r.Diagnosis.Remedies)
		}
	}
}

// A leader stopped without handover and not started again: the remedies
// say first to start it; once it is back, they do not.
func TestLeaderChangeRemediesAtEnd(t *testing.T) {
	for _, back := range []bool{false, true} {
		s := newScript("2026-11-23 21:03:08").bootstrap(n1, n2, n3)
		s.at("+5s").shutdown(n1)
		s.at("+1.2s").campaign(n2, 2, 2, n1, n3).granted(n2, n3, 3).leader(n2, 3).elected(n3, n2, 3)
		if back {
			s.at("+3s").serverStart(n1, 1).newRaft(n1, 2)
			s.at("+0.2s").higher(n1, 2, n2, 3, parser.MsgApp).follower(n1, 3).elected(n1, n2, 3)
		}
		s.at("+2s").add(parser.Event{Kind: parser.PeerActive, Member: n2, Peer: n3})
		r := analyze(t, s)
		if r.Diagnosis.Verdict != LeaderChange {
			t.Fatalf("back %v: verdict %s, want leader-change\n%s", back, r.Diagnosis.Verdict, dump(r))
		}
		still := strings.Contains(strings.Join(r.Diagnosis.Remedies, "\n"), "still down when the logs end")
		if still == back {
			t.Errorf("back %v: remedies %q", back, r.Diagnosis.Remedies)
		}
	}
}
