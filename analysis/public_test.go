package analysis

import (
	"path/filepath"
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
