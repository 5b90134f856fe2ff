package repro

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/capdir"
)

// TestSlowFixtures reads the committed runs of slow-disk and overloaded-leader
// (testdata/slow, see its README): the throttled leader's metrics show it (slow WAL fsyncs,
// heartbeat failures), its status points hold what the members held, and the analysis finds the
// slow leader.
func TestSlowFixtures(t *testing.T) {
	for _, c := range []struct {
		scenario string
		fsync    float64 // the throttled member's highest WAL fsync p99 must reach it, in seconds
	}{
		{"slow-disk", 1},
		{"overloaded-leader", 1},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			dir := filepath.Join("..", "testdata", "slow", c.scenario)
			data, err := os.ReadFile(filepath.Join(dir, RunFile))
			if err != nil {
				t.Fatal(err)
			}
			var run runFile
			if err := json.Unmarshal(data, &run); err != nil {
				t.Fatal(err)
			}
			throttled := ""
			for _, s := range run.Steps {
				if s.Action == "throttle" {
					throttled = s.Target
				}
			}
			if run.Scenario != c.scenario || throttled == "" || run.Error != "" {
				t.Fatalf("repro.json: scenario %s, throttled %q, error %q", run.Scenario, throttled, run.Error)
			}
			res, err := analyzeDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(res.Findings, func(f analysis.Finding) bool { return f.Kind == "slow-leader" }) {
				t.Errorf("no slow-leader finding: verdict %s", res.Diagnosis.Verdict)
			}
			failures, worst := 0.0, 0.0
			capt, err := capdir.Read(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, ms := range capt.Metrics {
				if ms.Name != throttled {
					continue
				}
				for _, iv := range ms.Intervals {
					failures += iv.HeartbeatSendFailures
					worst = max(worst, iv.WALFsync.P99)
				}
			}
			t.Logf("%s: WAL fsync p99 up to %.3fs, %.0f heartbeat send failures", throttled, worst, failures)
			if worst < c.fsync || failures == 0 {
				t.Errorf("%s: WAL fsync p99 up to %.3fs (want ≥ %gs), %.0f heartbeat send failures", throttled, worst, c.fsync, failures)
			}
			for _, s := range res.Status {
				last := s.Points[len(s.Points)-1]
				if !last.OK || last.Revision == 0 || last.RaftIndex < last.AppliedIndex || last.AppliedIndex == 0 || last.DBSize == 0 {
					t.Errorf("%s: last status %+v", s.Name, last)
				}
			}
		})
	}
}
