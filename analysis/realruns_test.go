package analysis

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// run is a run.json of testdata/real.
type run struct {
	Version  string `json:"etcd_version"`
	Scenario string `json:"scenario"`
	PreVote  bool   `json:"pre_vote"`
	Steps    []struct {
		Time     time.Time `json:"time"`
		Action   string    `json:"action"`
		Target   string    `json:"target"`
		TargetID parser.ID `json:"target_id"`
		Role     string    `json:"role"`
	} `json:"steps"`
}

// expectations derives what a real run must show from what was done to it.
func (rn *run) expectations() []expect {
	// The fault: the first step that is not start, healthy, leader, put or get;
	// its window runs to the next "healthy" step, plus slack.
	var fault int = -1
	for i, s := range rn.Steps {
		switch s.Action {
		case "stop", "kill", "pause", "isolate":
			if fault < 0 {
				fault = i
			}
		}
	}
	var es []expect
	es = append(es, expect{kind: Shutdown})
	if rn.Scenario != "quorum-loss" {
		es = append(es, expect{kind: QuorumLoss, absent: true})
	}
	if fault < 0 {
		return es // clean-stop: a stop at the end, nothing else
	}
	f := rn.Steps[fault]
	from, to := f.Time.Add(-2*time.Second), f.Time
	for _, s := range rn.Steps[fault+1:] {
		to = s.Time
		if s.Action == "healthy" {
			break
		}
	}
	to = to.Add(5 * time.Second)
	in := func(kind string, member parser.ID) expect {
		return expect{kind: kind, member: member, from: from, to: to}
	}
	switch rn.Scenario {
	case "quorum-loss":
		es = append(es, in(QuorumLoss, 0), in(Recovery, 0))
		if rn.PreVote {
			es = append(es, in(PreVoteLoop, 0), expect{kind: CandidacyLoop, absent: true})
		} else {
			es = append(es, in(CandidacyLoop, 0))
		}
	case "follower-partition":
		if rn.PreVote {
			es = append(es, expect{kind: DisruptiveRejoin, absent: true}, expect{kind: LeaderChange, absent: true})
		} else {
			es = append(es, in(DisruptiveRejoin, f.TargetID))
		}
	case "leader-partition":
		es = append(es, in(CheckQuorumStepDown, f.TargetID), in(LeaderChange, f.TargetID))
	case "leader-freeze":
		es = append(es, in(LeaderChange, f.TargetID), expect{kind: DisruptiveRejoin, absent: true})
	case "leader-stop":
		es = append(es, in(LeadershipTransfer, f.TargetID), expect{kind: LeaderChange, absent: true})
	case "leader-kill":
		es = append(es, in(LeaderChange, f.TargetID), expect{kind: LeadershipTransfer, absent: true})
	}
	return es
}

func TestRealRuns(t *testing.T) {
	runs, _ := filepath.Glob("../testdata/real/*/run.json")
	if len(runs) == 0 {
		t.Skip("no runs in testdata/real")
	}
	for _, p := range runs {
		dir := filepath.Dir(p)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var rn run
		if err := json.Unmarshal(b, &rn); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		logs, _ := filepath.Glob(filepath.Join(dir, "n*.log"))
		for _, o := range orders {
			t.Run(filepath.Base(dir)+"/"+o.name, func(t *testing.T) {
				r := o.run(t, logs...)
				checkExpect(t, r, rn.expectations())
				if rn.Scenario == "quorum-loss" {
					if r.Diagnosis.Verdict != QuorumLoss {
						t.Errorf("verdict %s, want quorum-loss\n%s", r.Diagnosis.Verdict, dump(r))
					}
					// The lab's runs heal the fault: remedies for after the outage.
					rems := strings.Join(r.Diagnosis.Remedies, "\n")
					if strings.Contains(rems, "Bring back") || !strings.Contains(rems, "does not happen again") || r.Recovery != nil {
						t.Errorf("remedies of a quorum loss that recovered:\n%s\nrecovery %+v", rems, r.Recovery)
					}
				} else {
					for _, f := range r.Findings {
						if f.Severity == Critical {
							t.Errorf("critical %s in a %s run: %s", f.Kind, rn.Scenario, f.Summary)
						}
					}
				}
				if rn.Scenario == "clean-stop" && r.Diagnosis.Verdict != Healthy {
					t.Errorf("verdict %s, want healthy\n%s", r.Diagnosis.Verdict, dump(r))
				}
				// The lab heals every fault, then stops the whole cluster: nothing is still down.
				if rems := strings.Join(r.Diagnosis.Remedies, "\n"); strings.Contains(rems, "still down when the logs end") ||
					strings.Contains(rems, "still out when the logs end") {
					t.Errorf("remedies of a healed run:\n%s", rems)
				}
				checkStops(t, r)
				checkCampaigns(t, r)
				checkSafe(t, r)
				rn.checkReturns(t, r)
			})
		}
	}
}

// checkReturns checks that a recovery names as back only members that were
// started before the leader was elected.
func (rn *run) checkReturns(t *testing.T, r *Result) {
	t.Helper()
	for _, f := range findings(r, Recovery) {
		for _, id := range f.Members[1:] {
			back := false
			for _, s := range rn.Steps {
				back = back || s.Action == "start" && s.TargetID == id && s.Time.Before(f.Start) && s.Time.After(rn.Steps[0].Time.Add(time.Second))
			}
			if !back {
				t.Errorf("recovery names %s, not started before %s: %s", id, f.Start.Format("15:04:05.000"), f.Summary)
			}
		}
		if rn.Scenario == "quorum-loss" && len(f.Members) != 2 {
			t.Errorf("recovery names %d members, want the leader and the member started first: %s", len(f.Members), f.Summary)
		}
	}
}

// TestComposeRuns checks the compose logs of the demo's recipe on etcd 3.6
// (testdata/compose/README.md): the leader and a follower stopped together,
// the survivor alone about 10 s, the old leader started, then (after the
// election) the other.
func TestComposeRuns(t *testing.T) {
	const (
		c1 parser.ID = 0x9c30dfd96e8afa13
		c2 parser.ID = 0x45a19f43f73224e5
		c3 parser.ID = 0x47f6a7e4f77b166c
	)
	for _, c := range []struct {
		file             string
		preVote          bool
		leader, follower parser.ID
	}{
		{"compose-v1-pre-vote-off.txt.gz", false, c2, c1},
		{"compose-v1-pre-vote-on.txt.gz", true, c1, c2},
		{"compose-v2-pre-vote-off.txt.gz", false, c1, c2},
		{"compose-v2-pre-vote-on.txt.gz", true, c1, c2},
	} {
		for _, o := range orders {
			t.Run(c.file+"/"+o.name, func(t *testing.T) {
				r := o.run(t, filepath.Join("../testdata/compose", c.file))
				if r.Diagnosis.Verdict != QuorumLoss {
					t.Errorf("verdict %s, want quorum-loss\n%s", r.Diagnosis.Verdict, dump(r))
				}
				loop, other := CandidacyLoop, PreVoteLoop
				if c.preVote {
					loop, other = PreVoteLoop, CandidacyLoop
				}
				checkExpect(t, r, []expect{{kind: loop, member: c3}, {kind: other, absent: true}, {kind: SlowLeader, absent: true}})
				checkStops(t, r)
				checkCampaigns(t, r)
				checkSafe(t, r)
				var stopped []parser.ID
				for _, f := range findings(r, Shutdown) {
					if strings.Contains(f.Summary, "cluster was stopped") {
						t.Errorf("survivor etcd3 ran on: %s", f.Summary)
					}
					stopped = append(stopped, f.Members...)
				}
				if !sameIDs(stopped, c.leader, c.follower) {
					t.Errorf("shutdowns name %v, want the leader %s and the follower %s\n%s", stopped, c.leader, c.follower, dump(r))
				}
				for _, f := range findings(r, CheckQuorumStepDown) {
					if f.Severity != Warning {
						t.Errorf("step-down of the survivor: %s %s", f.Severity, f.Summary)
					}
				}
				rec := findings(r, Recovery)
				if len(rec) != 1 || !sameIDs(members(rec[0]), c3, c.leader) {
					t.Errorf("recovery %v, want etcd3 and the member started first (%s)\n%s", rec, c.leader, dump(r))
				}
				if !strings.Contains(r.Diagnosis.Explanation, nameOf(r, c.leader)+" came back") ||
					strings.Contains(r.Diagnosis.Explanation, nameOf(r, c.follower)+" came back") {
					t.Errorf("explanation:\n%s", r.Diagnosis.Explanation)
				}
			})
		}
	}
}

// TestLab34 checks the two etcd 3.4.45 lab runs against their actions.log:
// S2 a MoveLeader, S3 a follower isolated (pre-vote off: it deposes the
// leader on return), S4 the leader isolated, S5 the leader killed, S6 quorum
// lost, S7 restarts, then all stopped.
func TestLab34(t *testing.T) {
	for _, dir := range []string{"L01-v3.4.45-capnslog", "L03-v3.4.45-zap"} {
		d := filepath.Join("../testdata/shared/etcd-3.4.45", dir)
		es := labExpectations(t, filepath.Join(d, "actions.log"))
		logs, _ := filepath.Glob(filepath.Join(d, "n*.log"))
		for _, o := range orders {
			t.Run(dir+"/"+o.name, func(t *testing.T) {
				r := o.run(t, logs...)
				checkExpect(t, r, es)
				checkSafe(t, r)
				if r.Diagnosis.Verdict != QuorumLoss {
					t.Errorf("verdict %s, want quorum-loss", r.Diagnosis.Verdict)
				}
			})
		}
	}
}

// labExpectations reads "<time> ACTION <text>" lines. A fault line starts a
// window that the next "S<n> ..." line (the check after it) closes; the
// check's words say what the fault was.
func labExpectations(t *testing.T, path string) []expect {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var es []expect
	var faultAt time.Time
	var faultID parser.ID
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		ts, text, ok := strings.Cut(line, " ACTION ")
		if !ok {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !strings.HasPrefix(text, "S") {
			if faultAt.IsZero() || strings.HasPrefix(text, "start") {
				faultAt = at
			}
			faultID = idIn(text)
			if strings.HasPrefix(text, "PARTITION isolate") || strings.HasPrefix(text, "kill") || strings.HasPrefix(text, "move-leader") {
				faultAt = at
			}
			continue
		}
		from, to := faultAt.Add(-2*time.Second), at.Add(5*time.Second)
		w := func(kind string, id parser.ID) expect { return expect{kind: kind, member: id, from: from, to: to} }
		switch {
		case strings.Contains(text, "after transfer"):
			es = append(es, w(LeadershipTransfer, 0))
		case strings.Contains(text, "after follower isolation"):
			es = append(es, w(DisruptiveRejoin, faultID))
		case strings.Contains(text, "during leader isolation"):
			es = append(es, w(CheckQuorumStepDown, faultID), w(LeaderChange, faultID))
		case strings.Contains(text, "after killing"):
			es = append(es, w(LeaderChange, faultID))
		case strings.Contains(text, "quorum lost"):
			// The window runs from this line to the restart check (S7).
			faultAt = at
			continue
		case strings.Contains(text, "after restart"):
			es = append(es, w(QuorumLoss, 0), w(CandidacyLoop, 0), w(Recovery, 0))
		}
		faultAt = time.Time{}
	}
	return append(es, expect{kind: Shutdown})
}

// idIn finds a member ID in parentheses: "isolate n2 (f3e3a2c53c50af54) from".
func idIn(s string) parser.ID {
	i := strings.Index(s, "(")
	j := strings.Index(s, ")")
	if i < 0 || j < i {
		return 0
	}
	id, _ := parser.ParseID(s[i+1 : j])
	return id
}
