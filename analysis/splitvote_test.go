package analysis

import (
	"context"
	"strings"
	"testing"

	"github.com/etcdpm/etcdpm/parser"
)

// The lab's 3.7.3 leader-freeze (pre-vote off): dd92 and 34a8 become
// candidate at term 3, 0.93 s apart, while dd92's campaign still runs (it
// times out at 21:55:33.891, moving to term 4): a split vote. With 34a8's
// line moved after that, the campaigns never overlapped: no split. (The
// lab's 3.7.3 quorum-loss has that case: n3 at term 4 at 21:54:04, n2 at
// term 4 six seconds later, after n3 had moved on to term 5.) A candidate
// whose lines stop is taken to run for one election timeout at most.
func TestSplitVoteNeedsOverlap(t *testing.T) {
	const dd92 = `{"level":"info","ts":"2026-11-23T21:55:32.890714Z","logger":"raft","caller":"v3@v3.7.0/raft.go:912","msg":"dd92bb2117a27352 became candidate at term 3"}`
	const dd92next = `{"level":"info","ts":"2026-11-23T21:55:33.891283Z","logger":"raft","caller":"v3@v3.7.0/raft.go:912","msg":"dd92bb2117a27352 became candidate at term 4"}`
	const a34 = `{"level":"info","ts":"2026-11-23T21:55:33.817692Z","logger":"raft","caller":"v3@v3.7.0/raft.go:912","msg":"34a86feb6146627f became candidate at term 3"}`
	for _, tc := range []struct {
		name  string
		lines []string
		split bool
	}{
		{"overlapping", []string{dd92 + "\n" + dd92next, a34}, true},
		{"after the first's lines stop, beyond an election timeout", []string{dd92, strings.Replace(a34, "21:55:33.817692", "21:55:35.817692", 1)}, false},
		{"after the first timed out", []string{dd92 + "\n" + dd92next, strings.Replace(a34, "21:55:33.817692", "21:55:34.817692", 1)}, false},
	} {
		var srcs []parser.Source
		for i, l := range tc.lines {
			srcs = append(srcs, parser.Source{R: strings.NewReader(l + "\n"), Opts: parser.Options{Name: tc.name, Input: i}})
		}
		r, _, err := Analyze(context.Background(), srcs, nil, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := false
		for _, f := range r.Findings {
			got = got || f.Kind == SplitVote
		}
		if got != tc.split {
			t.Errorf("%s: split vote %v, want %v", tc.name, got, tc.split)
		}
	}
}
