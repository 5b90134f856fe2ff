package analysis

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// stepDowns has the leader alternate between n1 and n2 n times: each time
// the leader steps down (check-quorum) and, after a leaderless window of
// gap(i), the other one wins an election.
func stepDowns(n int, gap func(i int) time.Duration) *script {
	s := newScript("2026-11-23 00:00:00").name(n1, "etcd1").name(n2, "etcd2").name(n3, "etcd3").bootstrap(n1, n2, n3)
	l, c := n1, n2
	term := uint64(2)
	for i := 0; i < n; i++ {
		s.at("+10m").stepDown(l, term)
		s.lost(c, l, term).lost(n3, l, term)
		s.t = s.t.Add(gap(i))
		s.campaign(c, term, term, l, n3)
		s.voteFor(l, term, c, term+1).voteFor(n3, term, c, term+1)
		s.granted(c, n3, term+1).leader(c, term+1)
		s.elected(l, c, term+1).elected(n3, c, term+1)
		term++
		l, c = c, l
	}
	return s
}

// unreachable has n3 unreachable from n1 and n2 for 6 s, n times, ten
// minutes apart; then it is back (else the last episode is a cluster left on
// a quorum when the logs end: degraded).
func unreachable(n int) *script {
	s := newScript("2026-11-23 00:00:00").name(n1, "etcd1").name(n2, "etcd2").name(n3, "etcd3").bootstrap(n1, n2, n3)
	for i := 0; i < n; i++ {
		s.at("+10m").streamLost(n1, n3).streamLost(n2, n3)
		s.at("+3s").prober(n1, n3).at("+3s").prober(n1, n3)
	}
	return s.at("+1m").add(parser.Event{Kind: parser.StreamEstablished, Member: n1, Peer: n3})
}

func TestRepeatsMerged(t *testing.T) {
	second := func(int) time.Duration { return time.Second }
	t.Run("more than 5 of a member", func(t *testing.T) {
		r := analyze(t, unreachable(5))
		if fs := findings(r, PeerUnreachable); len(fs) != 5 {
			t.Errorf("5 episodes: %d findings, want them apart\n%s", len(fs), dump(r))
		}
		r = analyze(t, unreachable(6))
		f := only(t, r, PeerUnreachable)
		if f.Count != 6 || f.Severity != Warning || !sameIDs(members(f), n3, n1, n2) || f.Members[0] != n3 {
			t.Errorf("merged %s x%d %v", f.Severity, f.Count, f.Members)
		}
		if f.Summary != "etcd3 was unreachable from etcd1 and etcd2 6 times from 00:10:01 to 01:00:37 (50m36s). "+
			"The first: etcd3 was unreachable from etcd1 and etcd2 from 00:10:01 to 00:10:07 (6s, 4 reports)." {
			t.Errorf("summary: %s", f.Summary)
		}
		// The first episode's lines, then the last one's first.
		if len(f.Evidence) != 4 || f.Evidence[0].Line != 20 || f.Evidence[3].Line != 40 {
			t.Errorf("evidence %+v", f.Evidence)
		}
	})
	t.Run("a routine kind merges per members", func(t *testing.T) {
		r := analyze(t, stepDowns(10, second))
		if fs := findings(r, LeaderChange); len(fs) != 10 {
			t.Errorf("10 changes: %d findings, want them apart\n%s", len(fs), dump(r))
		}
		if strings.Contains(r.Diagnosis.Explanation, "not the only one") {
			t.Errorf("explanation:\n%s", r.Diagnosis.Explanation)
		}
		// 12 changes, 6 each way: more than maxRoutine of the kind, 6 of
		// each pair.
		r = analyze(t, stepDowns(12, func(i int) time.Duration { return time.Duration(1+i) * time.Second }))
		fs := findings(r, LeaderChange)
		if len(fs) != 2 {
			t.Fatalf("12 changes: %d findings, want 2 (one a way)\n%s", len(fs), dump(r))
		}
		f := fs[0]
		if f.Count != 6 || f.Members[0] != n1 || f.Members[1] != n2 || f.TermFrom != 2 || f.TermTo != 13 {
			t.Errorf("n1 to n2: x%d %v terms %d..%d", f.Count, f.Members, f.TermFrom, f.TermTo)
		}
		for _, want := range []string{
			"The leader changed from etcd1 to etcd2 6 times from 00:10:01 to 01:51:07 (1h41m).",
			"Causes: a leader losing contact with a quorum (6).",
			"The longest: The leader changed from etcd1 (term 12) to etcd2 (term 13) at 01:51:07", // the 11 s window
		} {
			if !strings.Contains(f.Summary, want) {
				t.Errorf("summary lacks %q: %s", want, f.Summary)
			}
		}
		if len(f.Evidence) == 0 || len(f.Evidence) > 5 {
			t.Errorf("%d evidence lines", len(f.Evidence))
		}
		// The verdict explains the first step-down, and says it repeated.
		if r.Diagnosis.Verdict != CheckQuorumStepDown || !strings.Contains(r.Diagnosis.Explanation,
			"It was not the only one. etcd1 stepped down as leader for want of a quorum (check-quorum) 6 times") {
			t.Errorf("verdict %s: %s\n%s", r.Diagnosis.Verdict, r.Diagnosis.Headline, r.Diagnosis.Explanation)
		}
	})
}

// TestFindingsCapped checks the cap on synthetic findings: the least severe
// merge first, critical ones stay apart until they alone pass the cap.
func TestFindingsCapped(t *testing.T) {
	ids := []parser.ID{etcd1, etcd2, etcd3, n1, n2, n3}
	mk := func(kind string, sev Severity, n, keys int) []Finding {
		var fs []Finding
		for i := 0; i < n; i++ {
			k := i % keys
			at := time.Date(2026, 11, 23, 0, 0, i, 0, time.UTC)
			fs = append(fs, Finding{Kind: kind, Severity: sev, Members: []parser.ID{ids[k%6], ids[k/6%6]},
				Start: at, End: at, Count: 1, Summary: kind, Evidence: []Evidence{{Input: "x", Line: int64(i + 1)}}})
		}
		return fs
	}
	cases := []struct {
		name     string
		fs       []Finding
		critical int // critical findings left
		max      int // findings left, at most
	}{
		// 30 info and 30 warnings (merged per members: their kinds are
		// routine) and 150 critical: the info findings merge into one.
		{"under the cap", append(append(mk(LeadershipTransfer, Info, 100, 30), mk(LeaderChange, Warning, 100, 30)...), mk(QuorumLoss, Critical, 150, 3)...), 150, 181},
		// 250 critical findings about 6 members: all merge, per kind for
		// info and warnings, per members for the critical ones.
		{"criticals alone pass it", append(append(mk(LeadershipTransfer, Info, 100, 30), mk(LeaderChange, Warning, 100, 30)...), mk(QuorumLoss, Critical, 250, 6)...), 6, 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := New(Options{})
			var f facts
			out, into := a.condense(&f, slices.Clone(c.fs)) // condense merges over its input
			crit, eps := 0, 0
			for i := range out {
				if out[i].Severity == Critical {
					crit++
				}
				eps += episodesOf(&out[i])
			}
			if len(out) > c.max || crit != c.critical || eps != len(c.fs) {
				t.Errorf("%d findings (%d critical) for %d episodes", len(out), crit, eps)
			}
			for i, j := range into {
				if out[j].Kind != c.fs[i].Kind || out[j].Severity != c.fs[i].Severity {
					t.Fatalf("finding %d (%s) went into %s", i, c.fs[i].Kind, out[j].Kind)
				}
			}
		})
	}
}

// TestLeadersBounded: thousands of elections keep the first and the last
// leaderships, the first, the last and the longest leaderless windows, and
// count the rest.
func TestLeadersBounded(t *testing.T) {
	const n = 2500
	long := func(i int) bool { return i%500 == 250 }
	gap := func(i int) time.Duration {
		if long(i) {
			return 10 * time.Minute
		}
		return time.Duration(1+i%7) * time.Second
	}
	r := analyze(t, stepDowns(n, gap))
	if len(r.Leaders) != maxSpans || r.LeadersOmitted != n+1-maxSpans {
		t.Errorf("%d leaders, %d omitted", len(r.Leaders), r.LeadersOmitted)
	}
	if first, last := r.Leaders[0], r.Leaders[len(r.Leaders)-1]; first.Term != 2 || last.Term != n+2 {
		t.Errorf("leaders from term %d to %d", first.Term, last.Term)
	}
	if len(r.Leaderless) != maxSpans || r.LeaderlessOmitted != n-maxSpans {
		t.Errorf("%d leaderless windows, %d omitted", len(r.Leaderless), r.LeaderlessOmitted)
	}
	longs := 0
	for i, w := range r.Leaderless {
		if w.Seconds >= 600 {
			longs++
		}
		if i > 0 && w.Start.Before(r.Leaderless[i-1].Start) {
			t.Fatalf("leaderless windows out of order at %d", i)
		}
	}
	if longs != n/500 {
		t.Errorf("%d of the %d longest leaderless windows kept", longs, n/500)
	}
	if len(r.Findings) > maxFindings {
		t.Errorf("%d findings", len(r.Findings))
	}
	b, _ := json.Marshal(r)
	if !strings.Contains(string(b), `"leaders_omitted":501`) || !strings.Contains(string(b), `"leaderless_omitted":500`) {
		t.Errorf("omitted counts not in the JSON")
	}
	t.Logf("%d findings, JSON %d bytes", len(r.Findings), len(b))
}

// TestSlowCauseKeptWhenFolded: in a long log of slow episodes, most fold
// away, but those near a leader change stay for its explanation, in time
// order or in compose's blocks of one member's lines.
func TestSlowCauseKeptWhenFolded(t *testing.T) {
	for _, c := range []struct {
		name    string
		before  time.Duration // from the slow burst to the change
		grouped bool
		slow    bool
	}{
		{"slow right before", 5 * time.Second, false, true},
		{"slow long before", 5 * time.Minute, false, false},
		{"slow right before, grouped", 5 * time.Second, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newScript("2026-11-23 00:00:00").name(n1, "etcd1").name(n2, "etcd2").name(n3, "etcd3").bootstrap(n1, n2, n3)
			hb := func(m, p parser.ID, d time.Duration) {
				s.add(parser.Event{Kind: parser.HeartbeatLate, Member: m, Peer: p, Duration: d, Level: parser.LevelWarn})
			}
			for i := 0; i < 3*foldBatch; i++ { // hiccups of every member, a minute apart
				s.at("+1m")
				hb(n1, n2, 100*time.Millisecond)
				hb(n2, n1, 100*time.Millisecond)
			}
			s.at("+1m")
			for i := 0; i < 3; i++ {
				s.at("+1s")
				hb(n1, n2, 900*time.Millisecond)
			}
			s.t = s.t.Add(c.before)
			s.campaign(n2, 2, 2, n1, n3)
			s.voteFor(n1, 2, n2, 3).voteFor(n3, 2, n2, 3)
			s.granted(n2, n3, 3).leader(n2, 3)
			for i := 0; i < 3*foldBatch; i++ {
				s.at("+1m")
				hb(n2, n1, 100*time.Millisecond)
				s.add(parser.Event{Kind: parser.SlowApply, Member: n1, Duration: 150 * time.Millisecond, Level: parser.LevelWarn})
			}
			if c.grouped {
				s = grouped(s, 100*time.Hour)
			}
			a := New(Options{Inputs: []string{"test"}})
			for i := range s.evs {
				a.Add(&s.evs[i])
			}
			if a.slow.folded == 0 {
				t.Fatal("nothing folded")
			}
			r := a.Finish()
			prev, cur := a.lead.byTerm[2], a.lead.byTerm[3]
			e := a.slowNear(prev.leader, prev.until.Add(-slowLead), cur.start.Add(10*time.Second))
			if got := e != nil && e.maxHeartbeat == 900*time.Millisecond; got != c.slow {
				t.Errorf("slow burst found %v, want %v", got, c.slow)
			}
			// (In blocks, etcd1's lines come before etcd2's campaign: that
			// reads as a rejoin, whose text tells no slowness.)
			lc := only(t, r, LeaderChange)
			if got := strings.Contains(lc.Summary, "etcd logged it slow (heartbeats late by up to 900ms)"); !c.grouped && got != c.slow {
				t.Errorf("slowness told %v, want %v: %s", got, c.slow, lc.Summary)
			}
			n := 0
			for _, f := range findings(r, SlowLeader) {
				n += episodesOf(&f)
			}
			if want := 4*3*foldBatch + 1; n != want || len(findings(r, SlowLeader)) != 3 {
				t.Errorf("%d slow episodes in %d findings, want %d in 3\n%s", n, len(findings(r, SlowLeader)), want, dump(r))
			}
		})
	}
}
