package analysis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkSafe fails on a safety violation: a real etcd run has none.
func checkSafe(t *testing.T, r *Result) {
	t.Helper()
	for _, f := range findings(r, SafetyViolation) {
		t.Errorf("safety violation in a real run: %s", f.Summary)
	}
}

// The real run the hostile lines are added to (leader-kill, pre-vote off):
// n2 (bdcae6fa5537fba0) is elected at term 2 with n1's (a49030e9f359ead7)
// vote, then n3 (67126bc2bcbc5ede) at term 3.
const safetyRun = "../testdata/real/3.6.16-leader-kill-prevote-off"

// TestSafetyViolations: real lines with their IDs and terms edited into what
// raft forbids give a critical safety-violation, the verdict, with both lines
// as evidence.
func TestSafetyViolations(t *testing.T) {
	for _, c := range []struct {
		name, after, line string // line is put in n1.log after the line containing after
		summary           string
		terms             [2]uint64
	}{
		{
			name:    "two leaders",
			after:   "cast MsgVote for bdcae6fa5537fba0 [logterm: 1, index: 3] at term 2",
			line:    `{"level":"info","ts":"2026-11-23T21:53:08.757660Z","logger":"raft","caller":"v3@v3.6.0/raft.go:970","msg":"a49030e9f359ead7 became leader at term 2"}`,
			summary: "Two leaders at term 2",
			terms:   [2]uint64{2, 2},
		},
		{
			name:    "double vote",
			after:   "cast MsgVote for 67126bc2bcbc5ede [logterm: 2, index: 11] at term 3",
			line:    `{"level":"info","ts":"2026-11-23T21:53:10.144969Z","logger":"raft","caller":"v3@v3.6.0/raft.go:1233","msg":"a49030e9f359ead7 [logterm: 2, index: 11, vote: 67126bc2bcbc5ede] cast MsgVote for bdcae6fa5537fba0 [logterm: 2, index: 11] at term 3"}`,
			summary: "voted twice at term 3",
			terms:   [2]uint64{3, 3},
		},
		{
			name:    "term down",
			after:   `"msg":"a49030e9f359ead7 became follower at term 3"`,
			line:    `{"level":"info","ts":"2026-11-23T21:53:10.144950Z","logger":"raft","caller":"v3@v3.6.0/raft.go:897","msg":"a49030e9f359ead7 became follower at term 2"}`,
			summary: "went down from 3 to 2 without a restart",
			terms:   [2]uint64{2, 3},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			var logs []string
			for _, n := range []string{"n1.log", "n2.log", "n3.log"} {
				b, err := os.ReadFile(filepath.Join(safetyRun, n))
				if err != nil {
					t.Fatal(err)
				}
				if n == "n1.log" {
					i := strings.Index(string(b), c.after)
					if i < 0 {
						t.Fatalf("no %q in %s", c.after, n)
					}
					i += strings.IndexByte(string(b[i:]), '\n') + 1
					b = []byte(string(b[:i]) + c.line + "\n" + string(b[i:]))
				}
				p := filepath.Join(dir, n)
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
				logs = append(logs, p)
			}
			for _, o := range orders {
				r := o.run(t, logs...)
				fs := findings(r, SafetyViolation)
				if len(fs) != 1 {
					t.Fatalf("%s: %d safety violations, want 1\n%s", o.name, len(fs), dump(r))
				}
				f := fs[0]
				if f.Severity != Critical || !strings.Contains(f.Summary, c.summary) || f.TermFrom != c.terms[0] || f.TermTo != c.terms[1] {
					t.Errorf("%s: %s %s terms %d-%d", o.name, f.Severity, f.Summary, f.TermFrom, f.TermTo)
				}
				if !hasMember(f, 0xa49030e9f359ead7) {
					t.Errorf("%s: members %v, want n1", o.name, f.Members)
				}
				quoted := false
				for _, e := range f.Evidence {
					quoted = quoted || e.Text == c.line
				}
				if len(f.Evidence) != 2 || !quoted {
					t.Errorf("%s: evidence %v, want the edited line and the one it contradicts", o.name, f.Evidence)
				}
				if r.Diagnosis.Verdict != SafetyViolation {
					t.Errorf("%s: verdict %s, want %s\n%s", o.name, r.Diagnosis.Verdict, SafetyViolation, dump(r))
				}
			}
		})
	}
}

// Two clusters' logs given together, each electing its own leader at term
// 2, are no safety violation: their members never talked to each other.
func TestSafetyTwoClusters(t *testing.T) {
	dir := t.TempDir()
	logs, _ := filepath.Glob(filepath.Join(safetyRun, "n*.log"))
	var all []string
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// the second cluster: the same run with other IDs
		other := strings.NewReplacer("a49030e9f359ead7", "1000000000000001", "bdcae6fa5537fba0", "1000000000000002",
			"67126bc2bcbc5ede", "1000000000000003").Replace(string(b))
		q := filepath.Join(dir, "other-"+filepath.Base(p))
		if err := os.WriteFile(q, []byte(other), 0o644); err != nil {
			t.Fatal(err)
		}
		all = append(all, p, q)
	}
	for _, o := range orders {
		r := o.run(t, all...)
		if fs := findings(r, SafetyViolation); len(fs) != 0 {
			t.Errorf("%s: %s", o.name, fs[0].Summary)
		}
	}
}
