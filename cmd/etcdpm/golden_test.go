package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestGoldenAnalyses keeps the analysis of every real run as a golden file:
// the demo's logs, the two etcd 3.4 runs and the etcd 3.5-3.7 lab runs. A
// change in what etcdpm concludes from real logs shows up as a diff to review
// (go test ./cmd/etcdpm -run Golden -update rewrites them).
func TestGoldenAnalyses(t *testing.T) {
	inputs := []string{demo, "../../capture/testdata/recipe-prevote-off"}
	for _, pattern := range []string{"../../testdata/shared/etcd-3.4.45/*", "../../testdata/real/*", "../../testdata/compose/*.gz"} {
		dirs, _ := filepath.Glob(pattern)
		for _, d := range dirs {
			if !strings.HasSuffix(d, ".md") {
				inputs = append(inputs, d)
			}
		}
	}
	if len(inputs) < 30 {
		t.Fatalf("only %d real runs found", len(inputs))
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(in), ".gz"), ".txt")
		t.Run(name, func(t *testing.T) {
			out, errOut, code := etcdpm(t, "", "analyze", "--format", "json", in)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if errOut != "" {
				t.Errorf("warnings on real logs: %s", errOut)
			}
			golden(t, filepath.Join("golden", name+".json"), out)
		})
	}
}

// TestGoldenText keeps the text output of a few real runs as golden files,
// and the events of the demo's logs: the outputs people read and pipe.
func TestGoldenText(t *testing.T) {
	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"text/etcd-demo-compose-logs.txt", []string{"analyze", "--color", "never", demo}},
		{"text/recipe-prevote-off.txt", []string{"analyze", "--color", "never", "../../capture/testdata/recipe-prevote-off"}},
		{"text/3.6.16-quorum-loss-prevote-on.txt", []string{"analyze", "--color", "never", "../../testdata/real/3.6.16-quorum-loss-prevote-on"}},
		{"text/3.7.3-leader-partition-prevote-off.txt", []string{"analyze", "--color", "never", "../../testdata/real/3.7.3-leader-partition-prevote-off"}},
		{"text/compose-v2-pre-vote-on.txt", []string{"analyze", "--color", "always", "../../testdata/compose/compose-v2-pre-vote-on.txt.gz"}},
		{"text/etcd-demo-compose-logs.jsonl", []string{"analyze", "--format", "events", demo}},
	} {
		t.Run(filepath.Base(c.golden), func(t *testing.T) {
			out, errOut, code := etcdpm(t, "", c.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden(t, c.golden, out)
		})
	}
}
