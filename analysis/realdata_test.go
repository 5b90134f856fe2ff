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
