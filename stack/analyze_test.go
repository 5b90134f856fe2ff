package stack_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/parser"
)

// checkAnalysis analyzes logs as `etcdpm analyze <name>` does and checks the
// verdict and that the findings include want.
func checkAnalysis(t *testing.T, name string, logs []byte, verdict string, want []string) {
	t.Helper()
	r := parser.NewReader(bytes.NewReader(logs), parser.Options{Name: name, Layout: "auto", TZ: time.UTC, MaxErrors: 5})
	a := analysis.New(analysis.Options{Inputs: []string{name}})
	if err := parser.Merge([]*parser.Reader{r}, a.Add); err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	res := a.Finish()
	st := r.Stats()
	t.Logf("%s: layout %s, %d lines, %d events, %d skipped, %d malformed", name, st.Layout, st.Lines, st.Events, st.Skipped, st.Malformed)
	for _, se := range st.Errors {
		t.Logf("malformed: %v", se.Error())
	}
	var kinds []string
	for _, f := range res.Findings {
		kinds = append(kinds, f.Kind)
		t.Logf("finding %s (%s): %s", f.Kind, f.Severity, f.Summary)
	}
	t.Logf("verdict %s: %s", res.Diagnosis.Verdict, res.Diagnosis.Headline)
	if res.Diagnosis.Verdict != verdict {
		t.Errorf("verdict %q, want %q (findings %q)", res.Diagnosis.Verdict, verdict, kinds)
	}
	for _, k := range want {
		if !slices.Contains(kinds, k) {
			t.Errorf("no %s finding (findings %q)", k, kinds)
		}
	}
}
