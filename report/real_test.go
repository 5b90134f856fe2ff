package report

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/parser"
)

// Real Results: the analyzer's output for real etcd logs, the way the CLI
// makes it (analysis.Analyze over one source an input).

// demoLogs is the etcd-demo compose log excerpt (etcd 3.4.7).
var demoLogs = []string{"../testdata/shared/seed/etcd-demo-compose-logs.txt"}

// realPattern picks the real etcd 3.6 run the tests render: quorum loss
// without pre-vote shows the most (an election storm, then recovery).
var realPatterns = []string{"3.6.*quorum-loss-prevote-off", "3.6.*"}

// realRun returns the member logs (n1.log, n2.log, ...) of the real etcd
// run under testdata/real that the first matching pattern names, and skips
// without one.
func realRun(t testing.TB, patterns ...string) []string {
	t.Helper()
	var dirs []string
	for _, p := range patterns {
		if dirs, _ = filepath.Glob(filepath.Join("../testdata/real", p)); len(dirs) > 0 {
			break
		}
	}
	if len(dirs) == 0 {
		t.Skipf("no real etcd run matches testdata/real/%v", patterns)
	}
	files, _ := filepath.Glob(filepath.Join(dirs[0], "n[0-9].log"))
	if len(files) == 0 {
		t.Fatalf("no n*.log in %s", dirs[0])
	}
	return files
}

func analyze(t testing.TB, paths ...string) *analysis.Result {
	t.Helper()
	names := make([]string, len(paths))
	srcs := make([]parser.Source, len(paths))
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		names[i] = filepath.Base(p)
		if len(paths) > 1 {
			names[i] = filepath.Join(filepath.Base(filepath.Dir(p)), names[i])
		}
		srcs[i] = parser.Source{R: f, Opts: parser.Options{Name: names[i], Input: i}}
	}
	res, _, err := analysis.Analyze(context.Background(), srcs, nil, nil, analysis.Options{Inputs: names})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestMarkdownReal(t *testing.T) {
	for _, tc := range []struct {
		name  string
		paths func(testing.TB) []string
	}{
		{"demo", func(testing.TB) []string { return demoLogs }},
		{"etcd 3.6", func(t testing.TB) []string { return realRun(t, realPatterns...) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := analyze(t, tc.paths(t)...)
			md := string(renderMD(t, res, Options{Title: tc.name, Version: "v0.1.0", Generated: generated}))
			if len(md) >= MarkdownLimit {
				t.Errorf("%d bytes", len(md))
			}
			for _, want := range []string{"```mermaid\n", "xychart-beta\n", "gantt\n", "<details>", "| Severity | Kind |", res.Diagnosis.Verdict} {
				if !strings.Contains(md, want) {
					t.Errorf("markdown lacks %q", want)
				}
			}
			for _, s := range res.Series {
				if !strings.Contains(md, `line "`+mermaidName(s.Name, 40)+`"`) {
					t.Errorf("no term line for %s", s.Name)
				}
			}
			if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "report.md"), []byte(md), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d bytes", len(md))
		})
	}
}

// runFaults reads the fault steps of a real run (run.json, written by the
// fixture lab): a member stopped and later started again is a fault from
// the stop to the start, the way a capture or a reproduction fills
// Result.Faults. Stops at the end of the run (the clean shutdown) are not.
func runFaults(t testing.TB, logs []string) []analysis.Fault {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(filepath.Dir(logs[0]), "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	var run struct {
		Steps []struct {
			Time   time.Time `json:"time"`
			Action string    `json:"action"`
			Target string    `json:"target"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(b, &run); err != nil {
		t.Fatal(err)
	}
	var faults []analysis.Fault
	for i, st := range run.Steps {
		if st.Action != "stop" {
			continue
		}
		for _, next := range run.Steps[i+1:] {
			if next.Action == "start" && next.Target == st.Target {
				faults = append(faults, analysis.Fault{Start: st.Time, End: next.Time, Label: "stop " + st.Target, Target: st.Target})
				break
			}
		}
	}
	return faults
}
