package analysis

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// readInputs parses each file fully, keeps clones of its events, and merges
// them by a stable sort on time. The key is the latest time seen so far in the
// event's input, so that one input keeps its own order (raft's std-logger lines
// have 1 s resolution next to capnslog's µs: times go slightly backwards).
func readInputs(t testing.TB, paths ...string) ([]parser.Event, []string) {
	t.Helper()
	type keyed struct {
		ev  parser.Event
		key int64
	}
	var all []keyed
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
		f := openLog(t, p)
		r := parser.NewReader(f, parser.Options{Name: names[i], Input: i})
		var last int64
		for r.Scan() {
			e := r.Event().Clone()
			if k := e.Time.UnixNano(); !e.Time.IsZero() && k > last {
				last = k
			}
			all = append(all, keyed{e, last})
		}
		if err := r.Err(); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		f.Close()
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].key < all[j].key })
	evs := make([]parser.Event, len(all))
	for i := range all {
		evs[i] = all[i].ev
	}
	return evs, names
}

// openLog opens a log file, gunzipping a .gz.
func openLog(t testing.TB, p string) io.ReadCloser {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(p, ".gz") {
		return f
	}
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{z, f}
}

func analyzeFiles(t testing.TB, paths ...string) *Result {
	t.Helper()
	evs, names := readInputs(t, paths...)
	a := New(Options{Inputs: names})
	for i := range evs {
		a.Add(&evs[i])
	}
	return a.Finish()
}

// analyzeMerged runs the files through parser.Merge, the CLI's order.
func analyzeMerged(t testing.TB, paths ...string) *Result {
	t.Helper()
	var rs []*parser.Reader
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
		f := openLog(t, p)
		defer f.Close()
		rs = append(rs, parser.NewReader(f, parser.Options{Name: names[i], Input: i}))
	}
	a := New(Options{Inputs: names})
	if err := parser.Merge(rs, a.Add); err != nil {
		t.Fatal(err)
	}
	return a.Finish()
}

// orders are the two ways the tests feed a run to the analysis.
var orders = []struct {
	name string
	run  func(testing.TB, ...string) *Result
}{
	{"sorted", analyzeFiles},
	{"merged", analyzeMerged},
}

// expect is one finding a run must (or must not) have.
type expect struct {
	kind     string
	member   parser.ID // when set, the finding names it
	from, to time.Time // when set, the finding overlaps [from, to]
	absent   bool
}

func (e expect) String() string {
	s := e.kind
	if e.absent {
		s = "no " + s
	}
	if e.member != 0 {
		s += " of " + e.member.String()
	}
	if !e.from.IsZero() {
		s += " in " + e.from.Format("15:04:05.000") + ".." + e.to.Format("15:04:05.000")
	}
	return s
}

func (e expect) match(f Finding) bool {
	if f.Kind != e.kind || (e.member != 0 && !hasMember(f, e.member)) {
		return false
	}
	if !e.from.IsZero() && (f.End.Before(e.from) || f.Start.After(e.to)) {
		return false
	}
	return true
}

func checkExpect(t *testing.T, r *Result, es []expect) {
	t.Helper()
	for _, e := range es {
		n := 0
		for _, f := range r.Findings {
			if e.match(f) {
				n++
			}
		}
		if e.absent && n > 0 || !e.absent && n == 0 {
			t.Errorf("want %s\n%s", e, dump(r))
		}
	}
}

// checkStops checks that only a stop of every member is called a stop of the
// cluster, and that a step-down is played down only during one.
func checkStops(t *testing.T, r *Result) {
	t.Helper()
	var whole []Finding
	for _, f := range findings(r, Shutdown) {
		if strings.Contains(f.Summary, "cluster was stopped") {
			if len(f.Members) != len(r.Members) {
				t.Errorf("%d of %d members stopped, called a stop of the cluster: %s", len(f.Members), len(r.Members), f.Summary)
			}
			whole = append(whole, f)
		}
	}
	for _, f := range findings(r, CheckQuorumStepDown) {
		during := false
		for _, w := range whole {
			during = during || !f.Start.Before(w.Start.Add(-time.Second)) && !f.Start.After(w.End.Add(2*time.Second))
		}
		if f.Severity != Warning && !during {
			t.Errorf("step-down played down outside a stop of the cluster: %s", f.Summary)
		}
	}
}

// checkCampaigns checks that no loop counts more campaigns of a member than
// the members table.
func checkCampaigns(t *testing.T, r *Result) {
	t.Helper()
	for _, m := range r.Members {
		for _, f := range r.Findings {
			if (f.Kind == CandidacyLoop || f.Kind == PreVoteLoop) && f.Members[0] == m.ID && f.Count > m.Campaigns {
				t.Errorf("%s: %d campaigns in the members table, %d in %s", m.Name, m.Campaigns, f.Count, f.Summary)
			}
		}
	}
}

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
				checkStops(t, r)
				checkCampaigns(t, r)
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

// TestDemoLogs checks the etcd-demo compose logs: quorum lost, etcd3 alone in
// a candidacy loop up to term 422, handed leadership by etcd1 at term 3.
func TestDemoLogs(t *testing.T) {
	for _, o := range orders {
		t.Run(o.name, func(t *testing.T) {
			r := o.run(t, "../testdata/shared/seed/etcd-demo-compose-logs.txt")
			if r.Diagnosis.Verdict != QuorumLoss {
				t.Errorf("verdict %s, want quorum-loss\n%s", r.Diagnosis.Verdict, dump(r))
			}
			ok := func(kind string, f func(Finding) bool) {
				t.Helper()
				for _, x := range findings(r, kind) {
					if f(x) {
						return
					}
				}
				t.Errorf("no matching %s\n%s", kind, dump(r))
			}
			ok(CandidacyLoop, func(f Finding) bool { return hasMember(f, etcd3) && f.TermTo == 422 && f.Count == 418 })
			checkCampaigns(t, r)
			for _, m := range r.Members {
				// 418 failed campaigns, the one it won and the one MsgTimeoutNow started
				if m.ID == etcd3 && m.Campaigns != 420 {
					t.Errorf("etcd3: %d campaigns, want 420", m.Campaigns)
				}
			}
			ok(LeadershipTransfer, func(f Finding) bool {
				return len(f.Members) == 2 && f.Members[0] == etcd1 && f.Members[1] == etcd3 && f.TermTo == 3
			})
			ok(CheckQuorumStepDown, func(f Finding) bool { return hasMember(f, etcd3) && f.TermFrom == 3 })
			ok(Recovery, func(f Finding) bool { return f.TermTo == 422 && hasMember(f, etcd3) && hasMember(f, etcd1) })
			names := map[parser.ID]string{}
			for _, m := range r.Members {
				names[m.ID] = m.Name
			}
			for id, want := range map[parser.ID]string{etcd1: "etcd1", etcd2: "etcd2", etcd3: "etcd3"} {
				if names[id] != want {
					t.Errorf("member %s named %q, want %q", id, names[id], want)
				}
			}
			for _, want := range []string{"1 of the 3", "not a bug", "Pre-vote was off", "3 to 422", "3.5"} {
				if !strings.Contains(r.Diagnosis.Explanation, want) {
					t.Errorf("explanation lacks %q:\n%s", want, r.Diagnosis.Explanation)
				}
			}
		})
	}
}

// TestRecoveryDeposed: in the 3.4 lab run and the captured demo recipe (pre-vote off), the
// members that came back elected a leader at a low term, and the survivor's term, raised by its
// failed elections, deposed it at once. The recovery says so exactly when the leaders show it; in
// the demo's own logs the survivor itself won, and it does not.
func TestRecoveryDeposed(t *testing.T) {
	for _, c := range []struct {
		logs    []string
		deposed bool
	}{
		{globT(t, "../testdata/shared/etcd-3.4.45/L03-v3.4.45-zap/n*.log"), true},
		{[]string{"../capture/testdata/recipe-prevote-off/logs.txt"}, true},
		{[]string{"../testdata/shared/seed/etcd-demo-compose-logs.txt"}, false},
	} {
		t.Run(filepath.Base(filepath.Dir(c.logs[0])), func(t *testing.T) {
			r := analyzeFiles(t, c.logs...)
			rec := findings(r, Recovery)
			if len(rec) == 0 {
				t.Fatal("no recovery")
			}
			f := rec[0]
			var won *Leadership
			for i := range r.Leaders {
				if r.Leaders[i].Term == f.TermTo {
					won = &r.Leaders[i]
				}
			}
			if won == nil {
				t.Fatalf("no leader at the recovery's term %d", f.TermTo)
			}
			deposed := won.End.Sub(won.Start) < 2*time.Second && r.Leaders[len(r.Leaders)-1].Term > won.Term
			if deposed != c.deposed {
				t.Fatalf("leader of term %d led %v; want deposed %v", won.Term, won.End.Sub(won.Start), c.deposed)
			}
			if got := strings.Contains(f.Summary, "It did not last") && strings.Contains(r.Diagnosis.Explanation, "It did not last"); got != deposed {
				t.Errorf("deposed %v, but the recovery says:\n%s\nand the explanation:\n%s", deposed, f.Summary, r.Diagnosis.Explanation)
			}
		})
	}
}

func globT(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("%s: %v %d files", pattern, err, len(m))
	}
	return m
}

// TestInterleaved merges a real run's per-member zap logs into one stream in time order, as
// `kubectl logs -l app=etcd -f` without --prefix prints them: nothing on a line names its member.
// Lines without a member ID then cannot be told apart: the analysis says so, and no member is
// given another's name (a name its lines carry onto several members is dropped).
func TestInterleaved(t *testing.T) {
	dir := "../testdata/real/3.6.16-quorum-loss-prevote-off"
	logs := globT(t, filepath.Join(dir, "n*.log"))
	apart := analyzeFiles(t, logs...)
	type line struct {
		ts   string
		text []byte
	}
	var lines []line
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range bytes.SplitAfter(b, []byte("\n")) {
			var rec struct{ TS string }
			if len(l) > 0 && json.Unmarshal(l, &rec) == nil {
				lines = append(lines, line{rec.TS, l})
			}
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].ts < lines[j].ts })
	var merged bytes.Buffer
	for _, l := range lines {
		merged.Write(l.text)
	}
	path := filepath.Join(t.TempDir(), "all.log")
	if err := os.WriteFile(path, merged.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	mixed := analyzeFiles(t, path)

	const note = "the lines of several members mixed"
	if strings.Contains(apart.Diagnosis.Explanation, note) {
		t.Errorf("per-member files: the explanation warns of mixed lines:\n%s", apart.Diagnosis.Explanation)
	}
	if !strings.Contains(mixed.Diagnosis.Explanation, note) {
		t.Errorf("one interleaved stream: no warning in the explanation:\n%s", mixed.Diagnosis.Explanation)
	}
	names := map[parser.ID]string{}
	for _, m := range apart.Members {
		names[m.ID] = m.Name
	}
	if len(mixed.Members) != len(apart.Members) {
		t.Fatalf("%d members, want %d", len(mixed.Members), len(apart.Members))
	}
	for _, m := range mixed.Members {
		if m.Name != "" && m.Name != names[m.ID] {
			t.Errorf("member %s named %q in the interleaved stream, %q in its own file", m.ID, m.Name, names[m.ID])
		}
	}
	if mixed.Diagnosis.Verdict != apart.Diagnosis.Verdict {
		t.Errorf("verdict %s, %s from per-member files", mixed.Diagnosis.Verdict, apart.Diagnosis.Verdict)
	}
}
