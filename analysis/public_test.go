package analysis

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/etcdpm/etcdpm/parser"
)

// public analyzes the public excerpt testdata/public/<num>-*.log (real lines
// posted in issue threads; cases.tsv says what each shows).
func public(t *testing.T, num string) *Result {
	t.Helper()
	ps, err := filepath.Glob(filepath.Join("..", "testdata", "public", num+"-*.log"))
	if err != nil || len(ps) != 1 {
		t.Fatalf("public excerpt %s: %v %v", num, ps, err)
	}
	return analyzeFiles(t, ps[0])
}

func mustID(t *testing.T, s string) parser.ID {
	t.Helper()
	id, ok := parser.ParseID(s)
	if !ok {
		t.Fatalf("bad ID %q", s)
	}
	return id
}

// A leader elected before the excerpt begins still led: "lost leader Y"
// (capnslog raft.node: in 002 and 014) and a MsgAppResp answered to a member
// at a lower term (016: only a leader receives one) make its leadership,
// from the first line, and the next election a leader change.
func TestLeadershipsFromBefore(t *testing.T) {
	for _, c := range []struct {
		num, old, cur string
		oldTerm       uint64
	}{
		{"002", "2a0965170762fd09", "91d25258d70ad868", 12289}, // journald, "raft.node: ... lost leader"
		{"014", "f3aefe338854c13a", "eff15145dca03741", 3242},  // capnslog etcd 2.3
		{"016", "134af6e5d3e35861", "2a0965170762fd09", 12251}, // MsgAppResp with lower term
	} {
		r := public(t, c.num)
		if len(r.Leaders) != 2 {
			t.Errorf("%s: %d leaderships, want 2:\n%s", c.num, len(r.Leaders), dump(r))
			continue
		}
		old := r.Leaders[0]
		if old.Member != mustID(t, c.old) || old.Term != c.oldTerm || !old.Start.Equal(r.Start) {
			t.Errorf("%s: first leadership %v at %d from %v, want %s at %d from the first line %v", c.num,
				old.Member, old.Term, old.Start, c.old, c.oldTerm, r.Start)
		}
		if r.Leaders[1].Member != mustID(t, c.cur) {
			t.Errorf("%s: second leader %v, want %s", c.num, r.Leaders[1].Member, c.cur)
		}
		if r.Diagnosis.Verdict != LeaderChange {
			t.Errorf("%s: verdict %s, want %s", c.num, r.Diagnosis.Verdict, LeaderChange)
		}
	}
}

// verdicts runs the public excerpts and checks each one's verdict.
func verdicts(t *testing.T, want map[string]string) {
	t.Helper()
	for num, v := range want {
		if r := public(t, num); r.Diagnosis.Verdict != v {
			t.Errorf("%s: verdict %s, want %s:\n%s", num, r.Diagnosis.Verdict, v, dump(r))
		}
	}
}

// Campaigns the excerpt cut (its first lines are vote requests or a
// self-vote), the one still open at the end, and the failed elections a
// first request's term implies over its log term all count; two failed
// attempts make a loop (013: c53a at 530480, 530481). A quorum is lost when
// fewer than a quorum are known up and the peers not shown down or
// unreachable could not elect a leader without the campaigner either: 004
// (every peer's stream lost, one campaign at 249 over log term 239), 005 (4
// members, one grant: 420c runs, 2558 and 7538 silent), 012 (the one peer's
// prober fails), 023 (ca93's prober fails, 189c silent), 003 (two members).
// A member whose silent peers would make a quorum may be cut off from a
// working majority: a loop, not a quorum loss (010, 027).
func TestOpenAndImpliedCampaigns(t *testing.T) {
	verdicts(t, map[string]string{
		"003": QuorumLoss, "004": QuorumLoss, "005": QuorumLoss, "012": QuorumLoss, "023": QuorumLoss,
		"010": CandidacyLoop, "013": CandidacyLoop, "027": CandidacyLoop,
	})
	r := public(t, "004")
	if q := findings(r, QuorumLoss); len(q) != 1 || q[0].Count < 10 {
		t.Errorf("004: quorum loss %v, want one counting the 9 elections term 249 implies over log term 239 and the one logged", q)
	}
}

// A loop whose member's peers show nothing (no line of theirs, no answer):
// 010 and 027 (two of three stopped, as their threads say), 013 and 029 (the
// threads do not say) look the same in their lines. The verdict is the loop
// the lines show, and the text names both readings, a quorum loss if the
// peers were down or the member cut off if they ran, and says to check the
// peers first. 036's one peer could not elect a leader without it, and
// 033's requests name no peer: no such note.
func TestLoopUnseenPeers(t *testing.T) {
	for num, peers := range map[string]string{
		"010": "a8632945c6037cf8 and 81d3efb022aab98c", "013": "fe314885babde9f and c7105e2f327de317",
		"027": "1e1194c275755c28 and 4e8d639ed37e166c", "029": "57aee66a9503787 and f560bc2b67e4cfa4",
	} {
		d := public(t, num).Diagnosis
		if !strings.Contains(d.Explanation, "Nothing here is from "+peers+":") ||
			!strings.Contains(d.Explanation, "only 1 of 3 members was up, short of the quorum of 2: a quorum loss") ||
			!strings.Contains(d.Explanation, "alone was cut off") {
			t.Errorf("%s: explanation does not name both readings:\n%s", num, d.Explanation)
		}
		if len(d.Remedies) == 0 || !strings.HasPrefix(d.Remedies[0], "Check "+peers+" first") {
			t.Errorf("%s: first remedy %q, want a check of %s", num, d.Remedies, peers)
		}
	}
	// 038: 013's member 4 s later, and c7105 answers it (a rejection): it
	// runs, so only fe31 is unseen, which alone could elect no leader.
	if r := public(t, "038"); r.Diagnosis.Verdict != CandidacyLoop || strings.Contains(r.Diagnosis.Explanation, "Nothing here is from") {
		t.Errorf("038: verdict %s, want %s without the unseen peers' note:\n%s", r.Diagnosis.Verdict, CandidacyLoop, r.Diagnosis.Explanation)
	}
	for _, num := range []string{"033", "036"} {
		if d := public(t, num).Diagnosis; strings.Contains(d.Explanation, "Nothing here is from") {
			t.Errorf("%s: %s", num, d.Explanation)
		}
	}
}

// An election the logs end before deciding is no loop and not healthy
// either: 022's one pre-vote round, cut 3 ms after its requests; 035's peer
// asking for votes at terms 2 and 3 with no leader after; 037's candidate
// that lost its leader.
func TestElectionUnresolved(t *testing.T) {
	verdicts(t, map[string]string{"022": ElectionUnresolved, "035": ElectionUnresolved, "037": ElectionUnresolved})
	r := public(t, "022")
	if len(findings(r, PreVoteLoop))+len(findings(r, CandidacyLoop)) > 0 {
		t.Errorf("022: a loop from one round cut at the end of the logs:\n%s", dump(r))
	}
}

// A cluster that never formed: no leader anywhere and vote requests from a
// log holding only the bootstrap entries, while the term ran on: 015 (one
// request at term 131, log term 1), 025 (term 356, log term 1; its peer
// answers with a cluster ID mismatch). A cold start whose first elections
// split stays healthy once a leader is elected.
func TestNoQuorumAtStart(t *testing.T) {
	verdicts(t, map[string]string{"015": NoQuorumAtStart, "025": NoQuorumAtStart})
	if r := public(t, "025"); len(findings(r, QuorumLoss)) > 0 {
		t.Errorf("025: a quorum loss next to the cluster that never formed:\n%s", dump(r))
	}
	s := newScript("2024-05-01 10:00:00")
	for _, m := range []parser.ID{etcd1, etcd2, etcd3} {
		s.newRaft(m, 1)
	}
	s.at("+1s").campaign(etcd1, 1, 1, etcd2, etcd3)
	s.at("+0s").campaign(etcd2, 1, 1, etcd1, etcd3)
	s.at("+1s").campaign(etcd1, 2, 1, etcd2, etcd3)
	s.at("+1s").campaign(etcd1, 3, 1, etcd2, etcd3)
	s.voteFor(etcd2, 2, etcd1, 4).voteFor(etcd3, 1, etcd1, 4)
	s.granted(etcd1, etcd2, 4).leader(etcd1, 4).elected(etcd2, etcd1, 4).elected(etcd3, etcd1, 4)
	if r := analyze(t, s); len(findings(r, NoQuorumAtStart)) > 0 || r.Diagnosis.Verdict != Healthy {
		t.Errorf("cold start electing at term 4: verdict %s\n%s", r.Diagnosis.Verdict, dump(r))
	}
}

// A follower shows a disruptive rejoin as well as the leader: it had a
// leader (a leader line, its lease ignoring the candidate's votes, or a
// "lost leader" just before), received a vote request at a higher term,
// refused it at that new term (the candidate's log is behind) and lost the
// leader within an election timeout. 009: a9a2 sees 8664 depose 62e5; 011:
// 6e5d sees 8dd5 (term 24) depose aaea.
func TestFollowerSeesRejoin(t *testing.T) {
	for _, c := range []struct{ num, by, leader string }{
		{"009", "8664cabc218a3ab3", "62e53e5872987014"},
		{"011", "8dd5c61e6c9005d4", "aaea08a65ef0ea"},
	} {
		r := public(t, c.num)
		rs := findings(r, DisruptiveRejoin)
		if len(rs) != 1 || !sameIDs(rs[0].Members, mustID(t, c.by), mustID(t, c.leader)) {
			t.Errorf("%s: rejoins %v, want %s deposing %s\n%s", c.num, rs, c.by, c.leader, dump(r))
		}
		if r.Diagnosis.Verdict != DisruptiveRejoin {
			t.Errorf("%s: verdict %s", c.num, r.Diagnosis.Verdict)
		}
	}
}

// A leader holding on exactly a quorum when the logs end is degraded: 034
// (11a9 leads at 145 with 189c while ca93 refuses connections), 024 (b627's
// lease holds while 7572, its log behind, keeps asking for votes). It takes
// the place of the peer-unreachable finding about the same member.
func TestDegraded(t *testing.T) {
	for _, c := range []struct{ num, out string }{{"034", "ca93d269ec463a6b"}, {"024", "75725aec4f01f35b"}} {
		r := public(t, c.num)
		f := only(t, r, Degraded)
		if !hasMember(f, mustID(t, c.out)) || r.Diagnosis.Verdict != Degraded {
			t.Errorf("%s: degraded %v, verdict %s; want it naming %s", c.num, f.Members, r.Diagnosis.Verdict, c.out)
		}
		if len(findings(r, PeerUnreachable)) > 0 {
			t.Errorf("%s: peer-unreachable next to degraded", c.num)
		}
	}
}

// Elections seconds apart flap even with one leader change in the lines: a
// leader elected among three elections or more at distinct terms lasted
// seconds before its own follower timed out on it. 008: terms 54-56, e337
// led 3.3 s until 7752 timed out; 017: terms 56-59, 7752 led 2.7 s until
// 305e timed out.
func TestFlappingFromShortLeaders(t *testing.T) {
	for _, c := range []struct{ num, leader, follower string }{
		{"008", "e337a53965c9eed8", "7752c0b6a21319fe"},
		{"017", "7752c0b6a21319fe", "305e2d98af38bb40"},
	} {
		r := public(t, c.num)
		f := only(t, r, LeaderFlapping)
		if !sameIDs(f.Members, mustID(t, c.leader), mustID(t, c.follower)) || f.Count < 3 || r.Diagnosis.Verdict != LeaderFlapping {
			t.Errorf("%s: flapping %v x%d, verdict %s", c.num, f.Members, f.Count, r.Diagnosis.Verdict)
		}
	}
}

// Term inflation is never the verdict over the finding that tells its cause
// (012: 4042's term runs to 740 while its one peer's prober fails: the
// quorum loss), and logs that show pre-vote on get no advice to turn it on.
func TestInflationAndPreVoteAdvice(t *testing.T) {
	r := public(t, "012")
	if r.Diagnosis.Verdict != QuorumLoss {
		t.Errorf("012: verdict %s", r.Diagnosis.Verdict)
	}
	for _, f := range findings(r, TermInflation) {
		if f.Severity != Info {
			t.Errorf("012: inflation %s next to the quorum loss", f.Severity)
		}
	}
	dirs, _ := filepath.Glob("../testdata/real/*prevote-on")
	if len(dirs) == 0 {
		t.Skip("no pre-vote-on lab runs")
	}
	for _, d := range dirs {
		logs, _ := filepath.Glob(filepath.Join(d, "n*.log"))
		r := analyzeFiles(t, logs...)
		texts := append([]string{r.Diagnosis.Headline, r.Diagnosis.Explanation}, r.Diagnosis.Remedies...)
		for _, f := range r.Findings {
			texts = append(texts, f.Summary)
		}
		for _, s := range texts {
			if strings.Contains(s, remedyPreVote) || strings.Contains(s, "pre-vote would have") {
				t.Errorf("%s: pre-vote advice with pre-vote on: %s", d, s)
			}
		}
	}
}

// The verdict is the finding that cost the cluster its leader: in the lab's
// leader-partition runs without pre-vote, the partitioned leader's
// check-quorum step-down opened no leaderless window (the others had elected
// a leader already), its return with a higher term did: disruptive-rejoin.
// With pre-vote on there is no rejoin, and the step-down stays the verdict.
func TestVerdictIsTheCause(t *testing.T) {
	for _, v := range []string{"3.5.35", "3.6.16", "3.7.3"} {
		for _, c := range []struct{ run, want string }{
			{"leader-partition-prevote-off", DisruptiveRejoin},
			{"leader-partition-prevote-on", CheckQuorumStepDown},
		} {
			logs, _ := filepath.Glob(filepath.Join("../testdata/real", v+"-"+c.run, "n*.log"))
			if len(logs) == 0 {
				t.Fatalf("%s-%s: no logs", v, c.run)
			}
			if r := analyzeFiles(t, logs...); r.Diagnosis.Verdict != c.want {
				t.Errorf("%s-%s: verdict %s, want %s", v, c.run, r.Diagnosis.Verdict, c.want)
			}
		}
	}
}

// A peer whose message came before any line named it (n3's lower-term
// MsgAppResp, which n1 ignores before it campaigns) was seen running: the
// note on unseen peers leaves it out, and n2 alone, unseen, could elect no
// leader, so there is no note. Without that line the note names both.
func TestLoopPeerHeardBeforeNamed(t *testing.T) {
	loop := func(heard bool) Diagnosis {
		s := newScript("2026-11-23 10:00:00")
		if heard {
			s.add(parser.Event{Kind: parser.LowerTermMessage, Member: n1, Term: 5, Peer: n3, PeerTerm: 4, Msg: parser.MsgAppResp})
		}
		for term := uint64(5); term < 9; term++ {
			s.at("+1.2s").campaign(n1, term, 4, n2, n3)
		}
		return analyze(t, s).Diagnosis
	}
	if d := loop(true); d.Verdict != CandidacyLoop || strings.Contains(d.Explanation, "Nothing here is from") {
		t.Errorf("n3 heard first: verdict %s, want %s without the note:\n%s", d.Verdict, CandidacyLoop, d.Explanation)
	}
	if d := loop(false); !strings.Contains(d.Explanation, "Nothing here is from ") || !strings.Contains(d.Explanation, n3.String()) {
		t.Errorf("n3 never heard: the note does not name it:\n%s", d.Explanation)
	}
}
