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

// 033 (k0s#3977): the pager cut line 1 after "sent MsgPreVote"; that is
// still a round of pre-votes at 12:16:10.236, unanswered when the next one
// starts 1.3 s later (line 3) at term 254: two rounds, a pre-vote loop at
// 254, not one election the logs end on.
func TestPreVoteRoundCutByPager(t *testing.T) {
	r := public(t, "033")
	if r.Diagnosis.Verdict != PreVoteLoop {
		t.Fatalf("verdict %s, want %s:\n%s", r.Diagnosis.Verdict, PreVoteLoop, dump(r))
	}
	f := findings(r, PreVoteLoop)
	if len(f) != 1 || f[0].Count != 2 || f[0].TermFrom != 254 || f[0].TermTo != 254 ||
		f[0].Start.Format("15:04:05.000") != "12:16:10.236" {
		t.Errorf("pre-vote loop %+v, want 2 rounds at 254 from 12:16:10.236", f)
	}
	if len(findings(r, ElectionUnresolved)) > 0 {
		t.Errorf("an unresolved election beside the loop:\n%s", dump(r))
	}
}

// 031 (etcd#17455, all 9 lines): bf19's request at term 7 over log term 2
// does not imply 4 campaigns of its own, since both voters were at term 6
// themselves (lines 2 and 5); its tally, 2 votes of 3 members (line 9), won
// the election though the excerpt stops before "became leader"; and a
// leader elected over a log whose last entries are of term 2 replaced that
// term's leader, whom the lines do not name: a leader change.
func TestTallyWinAfterUnseenLeader(t *testing.T) {
	r := public(t, "031")
	if r.Diagnosis.Verdict != LeaderChange {
		t.Fatalf("verdict %s, want %s:\n%s", r.Diagnosis.Verdict, LeaderChange, dump(r))
	}
	if len(r.Leaders) != 1 || r.Leaders[0].Member != mustID(t, "bf19ae4419db00dc") || r.Leaders[0].Term != 7 {
		t.Errorf("leaders %+v, want bf19ae4419db00dc at 7", r.Leaders)
	}
	for _, f := range r.Findings {
		if f.Kind == CandidacyLoop {
			t.Errorf("candidacy loop: %s", f.Summary)
		}
	}
}
