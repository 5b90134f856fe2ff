package analysis

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/etcdpm/etcdpm/parser"
)

// demo mirrors the compose logs of the etcd-demo incident: etcd1 hands
// leadership to etcd3 and stops with etcd2; etcd3 is alone until term 422.
func demo() *script {
	s := newScript("2020-04-30 17:20:31").name(etcd1, "etcd1").name(etcd3, "etcd3")
	s.timeoutNow(etcd3, etcd1, 2)
	s.candidate(etcd3, 3, 2, etcd1, etcd2)
	s.lost(etcd3, etcd1, 3)
	s.at("+0.6s").streamLost(etcd3, etcd2)
	s.at("+0.0s").granted(etcd3, etcd1, 3)
	s.add(parser.Event{Kind: parser.VoteTally, Member: etcd3, Granted: 2, Term: 3})
	s.leader(etcd3, 3)
	s.at("+0.01s").streamLost(etcd3, etcd2)
	s.add(parser.Event{Kind: parser.PeerInactive, Member: etcd3, Peer: etcd2})
	s.add(parser.Event{Kind: parser.PeerURLUnreachable, Member: etcd3, Peer: etcd2})
	s.at("+0.08s").streamLost(etcd3, etcd1)
	s.add(parser.Event{Kind: parser.PeerInactive, Member: etcd3, Peer: etcd1})
	s.at("2020-04-30 17:20:33").stepDown(etcd3, 3)
	term := uint64(3)
	for _, gap := range []string{"+1s", "+2s", "+1s", "+1s", "+1s", "+1s"} {
		s.at(gap).campaign(etcd3, term, 3, etcd1, etcd2)
		term++
	}
	// [...] the demo elides ten minutes of the same.
	s.at("2020-04-30 17:30:55.882995").add(parser.Event{Kind: parser.PeerActive, Member: etcd1, Peer: etcd3})
	s.at("2020-04-30 17:30:56").campaign(etcd3, 421, 3, etcd1, etcd2)
	s.higher(etcd1, 3, etcd3, 422, parser.MsgVote).follower(etcd1, 422).cast(etcd1, etcd3, 422)
	s.elected(etcd1, etcd3, 422)
	s.granted(etcd3, etcd1, 422).leader(etcd3, 422)
	s.add(parser.Event{Kind: parser.MemberIdentity, Member: etcd1, Name: "etcd1"})
	return s
}

func TestDemo(t *testing.T) {
	r := analyze(t, demo())
	if r.Diagnosis.Verdict != QuorumLoss {
		t.Fatalf("verdict %q, want quorum-loss\n%s", r.Diagnosis.Verdict, dump(r))
	}
	check := func(kind string, ok func(Finding) bool) {
		t.Helper()
		for _, f := range findings(r, kind) {
			if ok(f) {
				return
			}
		}
		t.Errorf("no matching %s finding\n%s", kind, dump(r))
	}
	check(CandidacyLoop, func(f Finding) bool { return hasMember(f, etcd3) && f.TermTo == 422 })
	check(LeadershipTransfer, func(f Finding) bool {
		return len(f.Members) == 2 && f.Members[0] == etcd1 && f.Members[1] == etcd3 && f.TermTo == 3
	})
	check(CheckQuorumStepDown, func(f Finding) bool { return hasMember(f, etcd3) && f.TermFrom == 3 })
	check(Recovery, func(f Finding) bool { return f.TermTo == 422 && hasMember(f, etcd1) })
	check(QuorumLoss, func(f Finding) bool { return f.TermFrom == 3 && f.TermTo == 422 && f.Severity == Critical })
	check(TermInflation, func(f Finding) bool { return hasMember(f, etcd3) && f.TermTo == 422 })
	if len(r.Leaderless) == 0 || r.Leaderless[0].Seconds < 600 {
		t.Errorf("leaderless windows %+v, want one of 10m23s", r.Leaderless)
	}
	for _, m := range r.Members {
		if m.ID == etcd3 && (m.Name != "etcd3" || m.MaxTerm != 422) {
			t.Errorf("member %+v", m)
		}
	}
	d := r.Diagnosis
	for _, want := range []string{"1 of the 3", "etcd3", "not a bug", "Pre-vote was off", "3 to 422", "3.5"} {
		if !contains(d.Explanation, want) {
			t.Errorf("explanation lacks %q:\n%s", want, d.Explanation)
		}
	}
	// The cluster recovered by itself: nothing to bring back, nothing to rebuild.
	rems := strings.Join(d.Remedies, "\n")
	if len(d.Remedies) < 3 || !contains(rems, "does not happen again") || contains(rems, "Bring back") ||
		contains(rems, "--force-new-cluster") || r.Recovery != nil {
		t.Errorf("remedies: %q, recovery %+v", d.Remedies, r.Recovery)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
	t.Log(dump(r))
	t.Log(d.Headline + "\n" + d.Explanation)
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestScenarios(t *testing.T) {
	cases := []struct {
		name    string
		build   func() *script
		want    []string
		wantNot []string
		verdict string
	}{
		{
			name: "follower partition without pre-vote",
			build: func() *script {
				s := newScript("2026-11-23 21:03:08").bootstrap(n1, n2, n3)
				s.at("+3s").streamLost(n1, n2).streamLost(n3, n2)
				term := uint64(2)
				for i := 0; i < 4; i++ {
					s.at("+1.2s").campaign(n2, term, 2, n1, n3)
					if i == 0 {
						s.lost(n2, n1, 3)
					}
					term++
				}
				// healed: n1 (leader at 2) hears n2's higher term.
				s.at("+0.5s").higher(n1, 2, n2, 6, parser.MsgAppResp).follower(n1, 6).lost(n1, n1, 6)
				s.higher(n3, 2, n2, 6, parser.MsgApp)
				s.at("+0.1s").campaign(n2, 6, 2, n1, n3)
				s.voteFor(n1, 6, n2, 7).voteFor(n3, 6, n2, 7)
				s.granted(n2, n1, 7).leader(n2, 7).elected(n1, n2, 7).changed(n3, n1, n2, 7)
				return s
			},
			want:    []string{DisruptiveRejoin, CandidacyLoop, LeaderChange},
			wantNot: []string{QuorumLoss, CheckQuorumStepDown},
			verdict: DisruptiveRejoin,
		},
		{
			name:    "follower partition with pre-vote",
			build:   func() *script { return followerPartition(true) },
			want:    []string{PreVoteLoop},
			wantNot: []string{DisruptiveRejoin, QuorumLoss, LeaderChange, CandidacyLoop},
			verdict: PreVoteLoop,
		},
		{
			name: "leader partition",
			build: func() *script {
				s := newScript("2026-11-23 21:03:08").bootstrap(n2, n1, n3)
				s.at("+2s").streamLost(n1, n2).streamLost(n3, n2)
				s.at("+1.5s").campaign(n1, 2, 2, n2, n3).lost(n1, n2, 3)
				s.voteFor(n3, 2, n1, 3).lost(n3, n2, 3)
				s.granted(n1, n3, 3).leader(n1, 3).elected(n3, n1, 3)
				s.at("+0.1s").stepDown(n2, 2)
				for term := uint64(2); term < 6; term++ {
					s.at("+1.2s").campaign(n2, term, 2, n1, n3)
				}
				return s
			},
			want:    []string{CheckQuorumStepDown, LeaderChange, CandidacyLoop},
			wantNot: []string{QuorumLoss, DisruptiveRejoin},
			verdict: CheckQuorumStepDown,
		},
		{
			name: "leader freeze",
			build: func() *script {
				s := newScript("2026-11-23 21:09:00")
				for _, m := range []parser.ID{n1, n2, n3} {
					s.serverStart(m, 1)
				}
				s.bootstrap(n1, n2, n3)
				s.at("+5s") // n1 is SIGSTOPped: silent from here
				s.electionStart(n2, 2).preCandidate(n2, 2, n1, n3).lost(n2, n1, 2)
				s.add(parser.Event{Kind: parser.VoteGranted, Member: n2, Peer: n3, Term: 2, Msg: parser.MsgPreVoteResp})
				s.candidate(n2, 3, 2, n1, n3)
				s.voteFor(n3, 2, n2, 3).lost(n3, n1, 3)
				s.granted(n2, n3, 3).leader(n2, 3).elected(n3, n2, 3)
				s.at("+3s") // n1 resumes
				s.add(parser.Event{Kind: parser.HeartbeatLate, Member: n1, Peer: n2, Duration: 2862651086})
				s.higher(n1, 2, n2, 3, parser.MsgHeartbeat).follower(n1, 3).changed(n1, n1, n2, 3)
				return s
			},
			want:    []string{LeaderChange, SlowLeader},
			wantNot: []string{DisruptiveRejoin, QuorumLoss, CheckQuorumStepDown},
			verdict: LeaderChange,
		},
		{
			name: "leader kill",
			build: func() *script {
				s := newScript("2026-11-23 21:03:30").bootstrap(n3, n1, n2)
				s.at("+2s").streamLost(n1, n3).streamLost(n2, n3)
				s.at("+1s").campaign(n2, 2, 2, n1, n3).lost(n2, n3, 3)
				s.voteFor(n1, 2, n2, 3).lost(n1, n3, 3)
				s.granted(n2, n1, 3).leader(n2, 3).elected(n1, n2, 3)
				s.at("+10s").serverStart(n3, 0).newRaft(n3, 2)
				s.voteFor(n3, 2, n2, 3).elected(n3, n2, 3)
				return s
			},
			want:    []string{LeaderChange},
			wantNot: []string{LeadershipTransfer, DisruptiveRejoin, QuorumLoss},
			verdict: LeaderChange,
		},
		{
			name: "leader stop",
			build: func() *script {
				s := newScript("2026-11-23 21:03:30").bootstrap(n1, n2, n3)
				s.at("+5s").shutdown(n1).transferStart(n1, n2, 2)
				s.timeoutNow(n2, n1, 2).candidate(n2, 3, 2, n1, n3)
				s.voteFor(n1, 2, n2, 3).voteFor(n3, 2, n2, 3)
				s.granted(n2, n3, 3).leader(n2, 3).elected(n3, n2, 3)
				s.add(parser.Event{Kind: parser.TransferFinished, Member: n1, Peer2: n1, Peer: n2})
				s.at("+0.2s").streamLost(n2, n1).streamLost(n3, n1)
				s.at("+10s").streamLost(n2, n1)
				return s
			},
			want:    []string{LeadershipTransfer, Shutdown},
			wantNot: []string{LeaderChange, QuorumLoss, CheckQuorumStepDown},
			verdict: Healthy,
		},
		{
			name: "clean stop of the whole cluster",
			build: func() *script {
				s := newScript("2026-11-23 21:03:30").bootstrap(n1, n2, n3)
				s.at("+5s").shutdown(n1).shutdown(n2).shutdown(n3)
				s.transferStart(n1, n2, 2)
				s.at("+0.01s").streamLost(n1, n2).streamLost(n2, n1).streamLost(n3, n1)
				// the last member alone for a moment, campaigning once
				s.at("+1.5s").campaign(n3, 2, 2, n1, n2).lost(n3, n1, 3)
				return s
			},
			want:    []string{Shutdown},
			wantNot: []string{QuorumLoss, CandidacyLoop, LeaderChange, LeadershipTransfer},
			verdict: Healthy,
		},
		{
			name: "bootstrap with members starting apart",
			build: func() *script {
				s := newScript("2026-11-23 21:03:00")
				s.newRaft(n1, 1)
				for term := uint64(1); term < 4; term++ {
					s.at("+1.1s").campaign(n1, term, 1, n2, n3)
				}
				s.newRaft(n2, 1).at("+1s").newRaft(n3, 1)
				s.campaign(n1, 4, 1, n2, n3)
				s.voteFor(n2, 1, n1, 5).voteFor(n3, 1, n1, 5)
				s.granted(n1, n2, 5).leader(n1, 5).elected(n2, n1, 5).elected(n3, n1, 5)
				return s
			},
			wantNot: []string{QuorumLoss, CandidacyLoop, LeaderChange},
			verdict: Healthy,
		},
		{
			name: "quorum loss with pre-vote",
			build: func() *script {
				s := newScript("2026-11-23 21:07:00")
				for _, m := range []parser.ID{n1, n2, n3} {
					s.serverStart(m, 1)
				}
				s.bootstrap(n1, n2, n3)
				s.at("+5s").streamLost(n1, n2).streamLost(n1, n3)
				s.at("+0.1s").add(parser.Event{Kind: parser.CheckQuorumStepDown, Member: n1})
				s.follower(n1, 2).lost(n1, n1, 2)
				for i := 0; i < 8; i++ {
					s.at("+1.4s").electionStart(n1, 2).preCandidate(n1, 2, n2, n3)
				}
				s.at("+1s").serverStart(n2, 1).newRaft(n2, 2)
				s.at("+0.5s").electionStart(n1, 2).preCandidate(n1, 2, n2, n3)
				s.add(parser.Event{Kind: parser.VoteGranted, Member: n1, Peer: n2, Term: 2, Msg: parser.MsgPreVoteResp})
				s.candidate(n1, 3, 2, n2, n3).voteFor(n2, 2, n1, 3).granted(n1, n2, 3).leader(n1, 3).elected(n2, n1, 3)
				return s
			},
			want:    []string{QuorumLoss, PreVoteLoop, Recovery, CheckQuorumStepDown},
			wantNot: []string{CandidacyLoop, TermInflation, DisruptiveRejoin},
			verdict: QuorumLoss,
		},
		{
			name: "split vote",
			build: func() *script {
				s := newScript("2026-11-23 21:03:00").bootstrap(n1, n2, n3)
				s.at("+2s")
				s.campaign(n2, 2, 2, n1, n3).campaign(n3, 2, 2, n1, n2)
				s.rejected(n2, n3, 3).rejected(n3, n2, 3).follower(n2, 3).follower(n3, 3)
				s.at("+1s").campaign(n2, 3, 2, n1, n3).granted(n2, n3, 4).leader(n2, 4)
				return s
			},
			want: []string{SplitVote},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := analyze(t, c.build())
			for _, k := range c.want {
				if len(findings(r, k)) == 0 {
					t.Errorf("no %s finding\n%s", k, dump(r))
				}
			}
			for _, k := range c.wantNot {
				if fs := findings(r, k); len(fs) > 0 {
					t.Errorf("unexpected %s: %s\n%s", k, fs[0].Summary, dump(r))
				}
			}
			if c.verdict != "" && r.Diagnosis.Verdict != c.verdict {
				t.Errorf("verdict %s, want %s\n%s", r.Diagnosis.Verdict, c.verdict, dump(r))
			}
			if t.Failed() || testing.Verbose() {
				t.Log(dump(r) + r.Diagnosis.Explanation)
			}
		})
	}
}
