package analysis

import "testing"

// Pre-vote loops the excerpts show with one round each. 028 (etcd#10355,
// lines 1-5 and 10): b3ba pre-votes at 88 and, still a pre-candidate,
// ignores 7dfa's pre-vote at 88 for a lease (a pre-candidate keeps its
// leader): 7dfa runs (it sent a request), so 2 of 3 are up and this is no
// quorum loss, and the lease proves no leader either (not degraded). 030
// (etcd#14666, lines 1-6): 5853 pre-votes at 4 and rejects 28b2's pre-vote
// at 4. 036 (lines 1-4): the round whose start is shown (lines 2-4) lists
// no request, and the one request (line 1) is of a round the excerpt cut,
// so the cluster's size is unknown: a pre-vote loop, not a quorum loss.
func TestPreVoteRivals(t *testing.T) {
	for _, c := range []struct {
		num     string
		members []string
	}{
		{"028", []string{"b3ba41b79b56eea", "7dfa62d3ec9e996b"}},
		{"030", []string{"58538a766adc54bf", "28b20f19756071a9"}},
		{"036", []string{"a691154c733f3752"}},
	} {
		r := public(t, c.num)
		if r.Diagnosis.Verdict != PreVoteLoop {
			t.Errorf("%s: verdict %s, want %s:\n%s", c.num, r.Diagnosis.Verdict, PreVoteLoop, dump(r))
			continue
		}
		for _, f := range r.Findings {
			if f.Kind == QuorumLoss || f.Kind == Degraded {
				t.Errorf("%s: %s finding: %s", c.num, f.Kind, f.Summary)
			}
			if f.Kind != PreVoteLoop {
				continue
			}
			if f.Count < minLoop || len(f.Members) != len(c.members) {
				t.Errorf("%s: pre-vote loop x%d of %v, want %d members: %s", c.num, f.Count, f.Members, len(c.members), f.Summary)
				continue
			}
			for i, id := range c.members {
				if f.Members[i] != mustID(t, id) {
					t.Errorf("%s: member %d is %v, want %s", c.num, i, f.Members[i], id)
				}
			}
		}
	}
}
