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
