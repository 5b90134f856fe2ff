package analysis

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// twoStopped mirrors the demo's recipe on etcd 3.6 with pre-vote (testdata/compose
// v2 pre-vote on): n1 leads; n2 and n1 get SIGTERM together, n1 hands
// leadership to n3 on the way out; n3 is alone, steps down, asks for
// pre-votes, and fails read requests that wait for a leader; n1 starts and n3
// wins; n2 starts only after the election.
func twoStopped() *script {
	s := newScript("2026-11-23 21:53:24")
	for _, m := range []parser.ID{n1, n2, n3} {
		s.serverStart(m, 1)
	}
	s.bootstrap(n1, n2, n3)
	s.at("+4s").shutdown(n2)
	s.at("+0.005s").shutdown(n1).transferStart(n1, n3, 2)
	s.timeoutNow(n3, n1, 2).candidate(n3, 3, 2, n1, n2)
	s.voteFor(n1, 2, n3, 3).lost(n1, n1, 3)
	s.granted(n3, n1, 3).leader(n3, 3).elected(n1, n3, 3)
	s.add(parser.Event{Kind: parser.TransferFinished, Member: n1, Peer2: n1, Peer: n3})
	s.at("+0.1s").streamLost(n3, n1).add(parser.Event{Kind: parser.PeerInactive, Member: n3, Peer: n1})
	s.streamLost(n3, n2)
	s.at("+1.9s").stepDown(n3, 3)
	for i := 0; i < 10; i++ {
		s.at("+1.4s").electionStart(n3, 3).preCandidate(n3, 3, n1, n2)
		if i == 0 {
			s.lost(n3, n3, 3)
		}
		if i%3 == 1 {
			// a read that waited for a ReadIndex with no leader: "apply request
			// took too long" ... "error":"context canceled"
			s.add(parser.Event{Kind: parser.SlowApply, Member: n3, Duration: 3 * time.Second, Failed: true, Level: parser.LevelWarn})
		}
	}
	s.at("+0.3s").serverStart(n1, 1).newRaft(n1, 3)
	s.at("+0.02s").add(parser.Event{Kind: parser.StreamEstablished, Member: n1, Peer: n3})
	s.add(parser.Event{Kind: parser.StreamEstablished, Member: n3, Peer: n1})
	s.at("+0.85s").electionStart(n3, 3).preCandidate(n3, 3, n1, n2)
	s.add(parser.Event{Kind: parser.VoteCast, Member: n1, Peer: n3, Term: 3, Msg: parser.MsgPreVote})
	s.add(parser.Event{Kind: parser.VoteGranted, Member: n3, Peer: n1, Term: 3, Msg: parser.MsgPreVoteResp})
	s.candidate(n3, 4, 3, n1, n2).voteFor(n1, 3, n3, 4)
	s.granted(n3, n1, 4).leader(n3, 4).elected(n1, n3, 4)
	s.at("+0.45s").serverStart(n2, 1).newRaft(n2, 2)
	s.add(parser.Event{Kind: parser.StreamEstablished, Member: n2, Peer: n3})
	s.higher(n2, 2, n3, 4, parser.MsgHeartbeat).follower(n2, 4).elected(n2, n3, 4)
	return s
}

// stoppingLeaderReelected mirrors testdata/compose v2 pre-vote off: n1 (the
// leader) and n2 get SIGTERM together; n1's transfer to n2 fails, as n2 is
// stopping too; n1, still stopping, wins term 4 with n3's vote and leads
// until its shutdown ends 6 s later; n3 alone campaigns until n1 is back.
func stoppingLeaderReelected() *script {
	s := newScript("2026-11-23 21:52:42")
	for _, m := range []parser.ID{n1, n2, n3} {
		s.serverStart(m, -1)
	}
	s.bootstrap(n1, n2, n3)
	s.at("+3s").shutdown(n1)
	s.add(parser.Event{Kind: parser.TransferStarting, Member: n1, Peer2: n1, Peer: n2})
	s.shutdown(n2)
	s.add(parser.Event{Kind: parser.TransferStart, Member: n1, Peer: n2, Term: 2})
	s.add(parser.Event{Kind: parser.TimeoutNowSent, Member: n1, Peer: n2, Term: 2})
	s.timeoutNow(n2, n1, 2).candidate(n2, 3, 2, n1, n3).lost(n2, n1, 3)
	s.voteFor(n1, 2, n2, 3).lost(n1, n1, 3)
	s.voteFor(n3, 2, n2, 3).lost(n3, n1, 3)
	s.at("+0.005s").streamLost(n3, n2).streamLost(n1, n2)
	s.at("+1.6s").campaign(n1, 3, 2, n2, n3)
	s.voteFor(n3, 3, n1, 4).granted(n1, n3, 4).leader(n1, 4).elected(n3, n1, 4)
	s.at("+5.4s").add(parser.Event{Kind: parser.TransferFailed, Member: n1, Level: parser.LevelWarn})
	s.at("+0.5s").streamLost(n1, n3).streamLost(n3, n1).add(parser.Event{Kind: parser.PeerInactive, Member: n3, Peer: n1})
	term := uint64(4)
	s.at("+0.9s").campaign(n3, term, 2, n1, n2).lost(n3, n1, term+1)
	for term++; term < 14; term++ {
		s.at("+1.3s").campaign(n3, term, 2, n1, n2)
	}
	s.at("+0.1s").serverStart(n1, -1).newRaft(n1, 4)
	s.add(parser.Event{Kind: parser.StreamEstablished, Member: n3, Peer: n1})
	s.at("+0.9s").campaign(n3, 14, 4, n1, n2).voteFor(n1, 4, n3, 15)
	s.granted(n3, n1, 15).leader(n3, 15).elected(n1, n3, 15)
	s.at("+0.5s").serverStart(n2, -1).newRaft(n2, 3)
	s.higher(n2, 3, n3, 15, parser.MsgHeartbeat).follower(n2, 15).elected(n2, n3, 15)
	return s
}

// oneWayPartition isolates n2 (a follower, pre-vote on): both sides report
// the other unreachable, as the lab's follower-partition runs do.
func oneWayPartition() *script {
	s := newScript("2026-11-23 21:48:50")
	for _, m := range []parser.ID{n1, n2, n3} {
		s.serverStart(m, 1)
	}
	s.bootstrap(n1, n2, n3)
	s.at("+3s")
	for i := 0; i < 6; i++ {
		s.streamLost(n1, n2).streamLost(n3, n2).prober(n1, n2).prober(n3, n2)
		s.prober(n2, n1).prober(n2, n3)
		if i > 0 {
			s.electionStart(n2, 2).preCandidate(n2, 2, n1, n3)
		}
		if i == 1 {
			s.lost(n2, n1, 2)
		}
		s.at("+1.1s")
	}
	s.add(parser.Event{Kind: parser.StreamEstablished, Member: n1, Peer: n2})
	s.follower(n2, 2).elected(n2, n1, 2)
	return s
}

// grouped reorders a script's events the way compose prints them: in blocks
// of one member's lines, each block up to span long, in the order the blocks
// begin, not merged by time.
func grouped(s *script, span time.Duration) *script {
	type block struct {
		start time.Time
		evs   []parser.Event
	}
	var blocks []*block
	open := map[parser.ID]*block{}
	for _, ev := range s.evs {
		b := open[ev.Member]
		if b == nil || ev.Time.Sub(b.start) > span {
			b = &block{start: ev.Time}
			open[ev.Member] = b
			blocks = append(blocks, b)
		}
		b.evs = append(b.evs, ev)
	}
	sort.SliceStable(blocks, func(i, j int) bool { return blocks[i].start.Before(blocks[j].start) })
	out := &script{t: s.t, names: s.names}
	for _, b := range blocks {
		out.evs = append(out.evs, b.evs...)
	}
	return out
}

// only returns the only finding of kind k, failing otherwise.
func only(t *testing.T, r *Result, k string) Finding {
	t.Helper()
	fs := findings(r, k)
	if len(fs) != 1 {
		t.Fatalf("%d %s findings, want 1\n%s", len(fs), k, dump(r))
	}
	return fs[0]
}

func members(f Finding) []parser.ID {
	out := append([]parser.ID(nil), f.Members...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// sameIDs reports whether got and want hold the same members, in any order.
func sameIDs(got []parser.ID, want ...parser.ID) bool {
	got = append([]parser.ID(nil), got...)
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestPartialStop(t *testing.T) {
	for _, order := range []struct {
		name string
		s    func() *script
	}{
		{"sorted", twoStopped},
		{"grouped", func() *script { return grouped(twoStopped(), time.Hour) }},
	} {
		t.Run(order.name, func(t *testing.T) {
			r := analyze(t, order.s())
			if r.Diagnosis.Verdict != QuorumLoss {
				t.Errorf("verdict %s, want quorum-loss\n%s", r.Diagnosis.Verdict, dump(r))
			}
			sd := only(t, r, Shutdown)
			if strings.Contains(sd.Summary, "cluster was stopped") || !sameIDs(members(sd), n1, n2) {
				t.Errorf("shutdown %v: %s", sd.Members, sd.Summary)
			}
			if !strings.Contains(sd.Summary, "handed leadership to "+nameOf(r, n3)) {
				t.Errorf("shutdown does not tell the handover: %s", sd.Summary)
			}
			cq := only(t, r, CheckQuorumStepDown)
			if cq.Severity != Warning || strings.Contains(cq.Summary, "cluster") {
				t.Errorf("step-down %s: %s", cq.Severity, cq.Summary)
			}
			if fs := findings(r, SlowLeader); len(fs) > 0 {
				t.Errorf("slow-leader from requests that failed waiting for a leader: %s", fs[0].Summary)
			}
			rec := only(t, r, Recovery)
			if !sameIDs(members(rec), n1, n3) || strings.Contains(rec.Summary, nameOf(r, n2)) {
				t.Errorf("recovery %v: %s", rec.Members, rec.Summary)
			}
			if !strings.Contains(r.Diagnosis.Explanation, nameOf(r, n1)+" came back") ||
				strings.Contains(r.Diagnosis.Explanation, nameOf(r, n2)+" came back") {
				t.Errorf("explanation names the wrong returners:\n%s", r.Diagnosis.Explanation)
			}
		})
	}
}

func TestStoppingLeaderReelected(t *testing.T) {
	r := analyze(t, stoppingLeaderReelected())
	if r.Diagnosis.Verdict != QuorumLoss {
		t.Errorf("verdict %s, want quorum-loss\n%s", r.Diagnosis.Verdict, dump(r))
	}
	sd := only(t, r, Shutdown)
	if strings.Contains(sd.Summary, "cluster was stopped") || strings.Contains(sd.Summary, "handed leadership to") {
		t.Errorf("shutdown: %s", sd.Summary)
	}
	tr := only(t, r, LeadershipTransfer)
	if tr.Severity != Warning || !strings.Contains(tr.Summary, "failed") || strings.Contains(tr.Summary, "handed") {
		t.Errorf("transfer %s: %s", tr.Severity, tr.Summary)
	}
	var term4 *Leadership
	for i := range r.Leaders {
		if r.Leaders[i].Term == 4 {
			term4 = &r.Leaders[i]
		}
	}
	if term4 == nil || term4.End.Sub(term4.Start) < 5*time.Second {
		t.Errorf("n1's leadership at term 4 (while stopping) %+v, want it to last until n1 went away", term4)
	}
	ql := only(t, r, QuorumLoss)
	if term4 != nil && ql.Start.Before(term4.End) {
		t.Errorf("quorum lost from %s, before n1 stopped leading at %s", ql.Start, term4.End)
	}
	if !strings.Contains(r.Diagnosis.Explanation, "(term 4) was stopped") {
		t.Errorf("explanation does not say the leader was stopped:\n%s", r.Diagnosis.Explanation)
	}
	rec := only(t, r, Recovery)
	if !sameIDs(members(rec), n1, n3) {
		t.Errorf("recovery %v: %s", rec.Members, rec.Summary)
	}
	if fs := findings(r, LeaderChange); len(fs) > 0 {
		t.Errorf("leader change: %s", fs[0].Summary)
	}
}

func TestSlowApplies(t *testing.T) {
	// base: n1 leads from 21:00:01.
	base := func() *script {
		return newScript("2026-11-23 21:00:00").bootstrap(n1, n2, n3).at("+5s")
	}
	apply := func(m parser.ID, d time.Duration, failed bool) parser.Event {
		return parser.Event{Kind: parser.SlowApply, Member: m, Duration: d, Failed: failed, Level: parser.LevelWarn}
	}
	cases := []struct {
		name string
		s    *script
		slow bool
	}{
		{"slow write on a steady leader", base().add(apply(n1, 1500*time.Millisecond, false)), true},
		{"slow read on a steady follower", base().add(apply(n2, 1200*time.Millisecond, false)), true},
		{"heartbeat late", base().add(parser.Event{Kind: parser.HeartbeatLate, Member: n1, Peer: n2, Duration: 900 * time.Millisecond}), true},
		{"read failed waiting for a leader", base().stepDown(n1, 2).at("+3s").add(apply(n1, 3*time.Second, true)), false},
		{"failed on a steady leader", base().add(apply(n1, 3*time.Second, true)), false},
		{
			// a read that waited through an election and was answered once
			// the member had a leader again
			"read answered after an election",
			base().stepDown(n1, 2).at("+1s").campaign(n1, 2, 2, n2, n3).at("+1s").campaign(n1, 3, 2, n2, n3).
				granted(n1, n2, 4).leader(n1, 4).at("+0.002s").add(apply(n1, 2184*time.Millisecond, false)),
			false,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := analyze(t, c.s)
			warn := 0
			for _, f := range findings(r, SlowLeader) {
				if f.Severity == Warning {
					warn++
				}
			}
			if got := warn > 0; got != c.slow {
				t.Errorf("slow-leader warning %v, want %v\n%s", got, c.slow, dump(r))
			}
		})
	}
}

func TestCampaignCounts(t *testing.T) {
	r := analyze(t, demo())
	loop := only(t, r, CandidacyLoop)
	var m Member
	for _, x := range r.Members {
		if x.ID == etcd3 {
			m = x
		}
	}
	// 418 failed (6 in the lines, 412 implied by the term), the winning one
	// and the one MsgTimeoutNow started.
	if loop.Count != 418 || m.Campaigns != loop.Count+2 {
		t.Errorf("etcd3: %d campaigns, loop of %d\n%s", m.Campaigns, loop.Count, dump(r))
	}
	// With pre-vote nothing is implied: the count is what the lines show.
	r = analyze(t, twoStopped())
	pv := only(t, r, PreVoteLoop)
	for _, x := range r.Members {
		if x.ID == n3 && x.Campaigns != pv.Count+2 {
			t.Errorf("n3: %d campaigns, pre-vote loop of %d", x.Campaigns, pv.Count)
		}
	}
}

func TestOneWayPartition(t *testing.T) {
	r := analyze(t, oneWayPartition())
	pu := only(t, r, PeerUnreachable)
	if pu.Members[0] != n2 || !strings.Contains(pu.Summary, "could not reach") {
		t.Errorf("peer-unreachable %v: %s", pu.Members, pu.Summary)
	}
}

// nameOf returns a member's name in r, or its ID.
func nameOf(r *Result, id parser.ID) string {
	for _, m := range r.Members {
		if m.ID == id && m.Name != "" {
			return m.Name
		}
	}
	return id.String()
}

// A leader deposed long before it was restarted without a shutdown line was
// not "killed": the restart is a later, separate event.
func TestLaterRestartIsNotTheCause(t *testing.T) {
	s := newScript("2026-11-23 21:03:30").bootstrap(n1, n2, n3)
	s.at("+1s").prober(n1, n2)
	s.at("+1s").prober(n1, n3)
	s.at("+1s").streamLost(n2, n1).streamLost(n3, n1).streamLost(n1, n2)
	s.at("+1s").prober(n1, n2).campaign(n2, 2, 2, n1, n3).voteFor(n3, 2, n2, 3)
	s.granted(n2, n3, 3).leader(n2, 3).elected(n3, n2, 3)
	s.at("+0.5s").higher(n1, 2, n2, 3, parser.MsgHeartbeat).follower(n1, 3).elected(n1, n2, 3)
	s.at("+19m").streamLost(n1, n3)
	s.at("+1m").serverStart(n1, 0).newRaft(n1, 3) // killed and restarted 20 minutes later
	s.elected(n1, n2, 3)
	res := analyze(t, s)
	found := false
	for _, f := range res.Findings {
		if f.Kind != LeaderChange || len(f.Members) == 0 || f.Members[0] != n1 {
			continue
		}
		found = true
		if strings.Contains(f.Summary, "killed") || strings.Contains(f.Summary, "restarted") {
			t.Errorf("the change at term 3 is blamed on a restart 20 minutes later: %s", f.Summary)
		}
	}
	if !found {
		t.Fatalf("no leader-change from n1: %+v", res.Findings)
	}
}
