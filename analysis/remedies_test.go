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
