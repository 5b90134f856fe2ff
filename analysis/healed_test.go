package analysis

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/etcdpm/etcdpm/parser"
)

// TestHealedPartition reads a real capture (testdata/healed-partition) of a
// follower cut off with pre-vote off: after the heal its higher term deposes
// the leader, and the other follower, still at the old term, times out first
// and campaigns at term 3, which its peers (at term 6) ignore. That failed
// campaign is no quorum loss: every member was up and, since the heal,
// reachable; the peers reported unreachable during the partition are back.
func TestHealedPartition(t *testing.T) {
	const e2 parser.ID = 0x3ed90ae1bdb08322 // the follower cut off
	logs, _ := filepath.Glob("testdata/healed-partition/etcd*.log")
	if len(logs) != 3 {
		t.Fatalf("logs %v, want 3", logs)
	}
	for _, o := range orders {
		t.Run(o.name, func(t *testing.T) {
			r := o.run(t, logs...)
			if r.Diagnosis.Verdict != DisruptiveRejoin {
				t.Errorf("verdict %s, want disruptive-rejoin\n%s", r.Diagnosis.Verdict, dump(r))
			}
			checkExpect(t, r, []expect{
				{kind: DisruptiveRejoin, member: e2},
				{kind: QuorumLoss, absent: true},
				{kind: CandidacyLoop, member: e2},
			})
			for _, f := range r.Findings {
				if f.Severity == Critical {
					t.Errorf("critical %s: %s", f.Kind, f.Summary)
				}
			}
			checkCampaigns(t, r)
			checkSafe(t, r)
		})
	}
}

// TestHealedByRaftMessages reads the same capture without its lines of
// links coming back ("peer became active", "established TCP streaming
// connection"): the heal then shows only in the raft messages the members
// get from one another (etcd2's higher term, the votes), and those are
// links back too. Without them as links, etcd3's failed campaign reads as a
// quorum loss again.
func TestHealedByRaftMessages(t *testing.T) {
	links := regexp.MustCompile(`peer became active|established TCP streaming connection`)
	logs, _ := filepath.Glob("testdata/healed-partition/etcd*.log")
	dir := t.TempDir()
	var kept []string
	dropped := 0
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var out []byte
		for _, l := range bytes.SplitAfter(b, []byte("\n")) {
			if links.Match(l) {
				dropped++
				continue
			}
			out = append(out, l...)
		}
		q := filepath.Join(dir, filepath.Base(p))
		if err := os.WriteFile(q, out, 0o644); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, q)
	}
	if len(kept) != 3 || dropped < 6 {
		t.Fatalf("%d logs, %d lines of links dropped", len(kept), dropped)
	}
	for _, o := range orders {
		r := o.run(t, kept...)
		if r.Diagnosis.Verdict != DisruptiveRejoin || len(findings(r, QuorumLoss)) > 0 {
			t.Errorf("%s: verdict %s, want disruptive-rejoin and no quorum loss\n%s", o.name, r.Diagnosis.Verdict, dump(r))
		}
	}
}

// healedScript is a follower partition with pre-vote off, healed: n2 cut off
// raises its term to 6, every member reports the others unreachable, the
// links come back, n2's term deposes n1. Then slow (as under load) comes
// the election: n1 campaigns at term 7 and no answer comes in time, n3 (at
// term 2 still) campaigns and is ignored, and n1 wins at term 8.
func healedScript() *script {
	s := newScript("2026-11-23 10:00:00").name(n1, "n1").name(n2, "n2").name(n3, "n3")
	s.bootstrap(n1, n2, n3)
	s.at("+2s").streamLost(n1, n2).streamLost(n3, n2)
	s.add(parser.Event{Kind: parser.PeerInactive, Member: n1, Peer: n2, Level: parser.LevelWarn})
	s.add(parser.Event{Kind: parser.PeerInactive, Member: n3, Peer: n2, Level: parser.LevelWarn})
	s.streamLost(n2, n1).streamLost(n2, n3)
	s.at("+1.5s").lost(n2, n1, 2)
	for term := uint64(2); term < 6; term++ {
		s.campaign(n2, term, 2, n1, n3)
		s.at("+1.2s")
	}
	s.prober(n1, n2).prober(n3, n2)
	s.at("+0.5s")
	for _, p := range [][2]parser.ID{{n1, n2}, {n2, n1}, {n3, n2}, {n2, n3}} {
		s.add(parser.Event{Kind: parser.PeerActive, Member: p[0], Peer: p[1]})
		s.add(parser.Event{Kind: parser.StreamEstablished, Member: p[0], Peer: p[1]})
	}
	s.at("+0.01s").higher(n1, 2, n2, 6, parser.MsgAppResp).follower(n1, 6).lost(n1, n1, 6)
	s.at("+1.2s").campaign(n1, 6, 2, n2, n3)
	s.at("+0.1s").lost(n3, n1, 2).campaign(n3, 2, 2, n1, n2)
	s.add(parser.Event{Kind: parser.LowerTermMessage, Member: n1, Term: 7, Peer: n3, PeerTerm: 3, Msg: parser.MsgVote})
	s.add(parser.Event{Kind: parser.LowerTermMessage, Member: n2, Term: 6, Peer: n3, PeerTerm: 3, Msg: parser.MsgVote})
	s.at("+1.3s").campaign(n1, 7, 2, n2, n3)
	s.voteFor(n3, 3, n1, 8).voteFor(n2, 6, n1, 8)
	s.granted(n1, n3, 8).leader(n1, 8)
	s.elected(n3, n1, 8).elected(n2, n1, 8)
	s.at("+3s").shutdown(n2).shutdown(n3).shutdown(n1)
	return s
}

// TestHealedSlowElection: the slow election after a healed partition is no
// quorum loss, since every link came back before it, though the members were
// reported unreachable seconds before.
func TestHealedSlowElection(t *testing.T) {
	r := analyze(t, healedScript())
	if r.Diagnosis.Verdict != DisruptiveRejoin || len(findings(r, QuorumLoss)) > 0 {
		t.Errorf("healed: verdict %s, want disruptive-rejoin and no quorum loss\n%s", r.Diagnosis.Verdict, dump(r))
	}
	if len(findings(r, DisruptiveRejoin)) != 1 || !hasMember(findings(r, DisruptiveRejoin)[0], n2) {
		t.Errorf("healed: no disruptive rejoin of n2\n%s", dump(r))
	}
}
