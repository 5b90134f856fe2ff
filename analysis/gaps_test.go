package analysis

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

func analyzeFile(t *testing.T, path string) *Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _, err := Analyze(context.Background(), []parser.Source{{R: f, Opts: parser.Options{Name: path}}}, nil, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// etcd#6000 (testdata/public/014): an excerpt cut twice. The cuts are gaps,
// and eff1's leadership runs to the last line (a snapshot line, no event),
// not to its last raft line.
func TestGapsAndLastLeadership(t *testing.T) {
	r := analyzeFile(t, "../testdata/public/014-etcd6000-capnslog-etcd2-leader-change.log")
	if len(r.Gaps) != 2 || !r.Gaps[1].End.Equal(time.Date(2016, 7, 19, 11, 37, 3, 0, time.UTC)) {
		t.Fatalf("gaps %+v, want 2, the second to 11:37:03", r.Gaps)
	}
	last := r.Leaders[len(r.Leaders)-1]
	if last.Member != 0xeff15145dca03741 || !last.End.Equal(r.Gaps[1].End) {
		t.Fatalf("last leadership %+v, want eff1 until 11:37:03", last)
	}
	if len(r.Leaderless) != 0 {
		t.Fatalf("leaderless %+v across gaps, want none", r.Leaderless)
	}
}

// The demo's README paste (testdata/shared/seed) elides ten minutes with
// "[...]": its leaderless window stops at the gap.
func TestLeaderlessStopsAtGap(t *testing.T) {
	r := analyzeFile(t, "../testdata/shared/seed/etcd-demo-compose-logs.txt")
	if len(r.Gaps) != 1 {
		t.Fatalf("gaps %+v, want 1", r.Gaps)
	}
	g := r.Gaps[0]
	for _, w := range r.Leaderless {
		if w.Start.Before(g.End) && w.End.After(g.Start) {
			t.Fatalf("window %+v spans gap %+v", w, g)
		}
	}
	if r.Diagnosis.Verdict != QuorumLoss {
		t.Fatalf("verdict %s, want quorum-loss", r.Diagnosis.Verdict)
	}
}

// A kill is inferred from a start line after silence; after a gap, the
// silence is no data, not a kill.
func TestNoKillAcrossGap(t *testing.T) {
	a := New(Options{})
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	m := &member{up: true}
	a.mem = append(a.mem, m)
	a.gaps = []Window{{Start: t0.Add(time.Second), End: t0.Add(time.Hour)}}
	k := span{t0, t0.Add(time.Hour + time.Second)}
	m.downs, m.kills, m.resumes = []span{k}, []span{k}, []span{k}
	a.cutAtGaps()
	if len(m.downs) != 0 || len(m.resumes) != 0 {
		t.Fatalf("downs %v, resumes %v across a gap, want none", m.downs, m.resumes)
	}
}
