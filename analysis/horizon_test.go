package analysis

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A record the analysis keeps a bounded number of, once full, stops the
// analysis there (its horizon), instead of leaving out what follows from one
// kind of record only (a long storm looked leaderless after its 20,000th
// leadership): the Result says where, and nothing in it goes past that time.
// The bounds are lowered so that a real run fills them.
func TestHorizon(t *testing.T) {
	for _, c := range []struct {
		run   string
		bound *int
		n     int
		full  string // what fills first
	}{
		{"3.6.16-quorum-loss-prevote-off", &maxLeaderships, 1, "1 leaderships"},
		{"3.6.16-quorum-loss-prevote-off", &maxStreaks, 0, "0 check-quorum step-downs"}, // then its campaigns
		{"3.7.3-quorum-loss-prevote-off", &maxStreaks, 1, "1 campaign streaks"},
		{"3.5.35-leader-partition-prevote-off", &maxStreaks, 1, "1 campaign streaks"},
	} {
		run := "../testdata/real/" + c.run
		whole := analyzeRun(t, run)
		if whole.Horizon != nil {
			t.Fatalf("%s: the whole run stopped at %+v", c.run, *whole.Horizon)
		}
		events := int64(0)
		for _, in := range whole.Inputs {
			events += in.Events
		}
		old := *c.bound
		*c.bound = c.n
		res := analyzeRun(t, run)
		*c.bound = old

		h := res.Horizon
		if h == nil || h.Full != c.full {
			t.Fatalf("%s: horizon %+v; want one after %s", c.full, h, c.full)
		}
		if h.Line <= 0 || h.Events <= 0 || h.Events >= events || !strings.HasSuffix(h.Input, ".log") {
			t.Errorf("%s: horizon at %s:%d with %d of %d events after it", c.full, h.Input, h.Line, h.Events, events)
		}
		if line := lineOf(t, h.Input, h.Line); !strings.Contains(line, h.At.Format("2006-01-02T15:04:05")) {
			t.Errorf("%s: horizon at %v, its line %q", c.full, h.At, line)
		}
		if !res.End.Equal(h.At) {
			t.Errorf("%s: the Result ends at %v, the horizon is at %v", c.full, res.End, h.At)
		}
		for _, l := range res.Leaders {
			if l.End.After(h.At) {
				t.Errorf("%s: leadership of term %d ends at %v, past the horizon %v", c.full, l.Term, l.End, h.At)
			}
		}
		for _, w := range res.Leaderless {
			if w.End.After(h.At) {
				t.Errorf("%s: leaderless window ends at %v, past the horizon %v", c.full, w.End, h.At)
			}
		}
		for _, f := range res.Findings {
			if f.End.After(h.At) {
				t.Errorf("%s: %s ends at %v, past the horizon %v", c.full, f.Kind, f.End, h.At)
			}
		}
		if !strings.Contains(res.Diagnosis.Explanation, "the analysis stopped at") {
			t.Errorf("%s: the explanation does not say where the analysis stopped:\n%s", c.full, res.Diagnosis.Explanation)
		}
	}
}

func analyzeRun(t *testing.T, dir string) *Result {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(dir, "n*.log"))
	res, _, err := Analyze(context.Background(), openLogs(t, logs), nil, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// lineOf returns line n (from 1) of the file.
func lineOf(t *testing.T, path string, n int64) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	if n < 1 || n > int64(len(lines)) {
		t.Fatalf("%s has no line %d", path, n)
	}
	return lines[n-1]
}
