package analysis

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/parser"
)

// analyzeCapture analyzes a real capture directory, with its faults and
// status or (bare) without them, as plain logs.
func analyzeCapture(t *testing.T, dir string, bare bool) *Result {
	t.Helper()
	logs := filepath.Join(dir, capdir.LogsFile)
	f, err := os.Open(logs)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	capt, err := capdir.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if bare {
		capt.Faults, capt.Status = nil, nil
	}
	res, _, err := Analyze(context.Background(), []parser.Source{{R: f, Opts: parser.Options{Name: logs, TZ: time.UTC}}},
		capt.Faults, capt.Status, Options{Start: capt.Start, End: capt.End})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestCaptureFaults: a capture's faults reach the diagnosis, which tells
// those around its finding (not the final stop of the capture), and the
// JSON document carries them and the polled status.
func TestCaptureFaults(t *testing.T) {
	dir := "../capture/testdata/recipe-prevote-off"
	res := analyzeCapture(t, dir, false)
	bare := analyzeCapture(t, dir, true)
	if res.Diagnosis.Verdict != QuorumLoss {
		t.Fatalf("verdict %s", res.Diagnosis.Verdict)
	}
	const said = "Recorded by the capture: etcd3 and etcd1 were stopped at 22:10:26 (docker stop)."
	ex := res.Diagnosis.Explanation
	if !strings.Contains(ex, "\n\n"+said+"\n\n") {
		t.Errorf("explanation does not tell the faults as its second paragraph:\n%s", ex)
	}
	if strings.Contains(ex, "22:10:46") {
		t.Errorf("explanation tells the capture's final stop, after the quorum loss:\n%s", ex)
	}
	if got := strings.Replace(ex, said+"\n\n", "", 1); got != bare.Diagnosis.Explanation {
		t.Errorf("faults changed more than their paragraph:\n%s\n---\n%s", got, bare.Diagnosis.Explanation)
	}
	if strings.Contains(bare.Diagnosis.Explanation, "Recorded by the capture") {
		t.Errorf("plain logs tell faults:\n%s", bare.Diagnosis.Explanation)
	}

	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Faults []struct{ Label, Target string }
		Status []struct {
			Name   string
			Points []struct{ OK bool }
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Faults) != 5 || doc.Faults[0].Label != "stopped etcd3" || doc.Faults[0].Target != "etcd3" {
		t.Errorf("faults in JSON: %+v", doc.Faults)
	}
	if len(doc.Status) != 3 || len(doc.Status[0].Points) == 0 {
		t.Errorf("status in JSON: %d series", len(doc.Status))
	}
	b, _ = json.Marshal(bare)
	if strings.Contains(string(b), `"faults"`) || strings.Contains(string(b), `"status"`) {
		t.Errorf("plain logs' JSON has faults or status")
	}
}

func TestFaultNames(t *testing.T) {
	a := New(Options{})
	for i, n := range []string{"etcd1", "etcd2", "etcd-3"} {
		a.member(parser.ID(i + 1)).name = n
	}
	for target, want := range map[string]string{
		"etcd1":                           "etcd1",
		"/etcd2":                          "etcd2",
		"proj-etcd1-1":                    "etcd1",
		"proj_etcd2_1":                    "etcd2",
		"etcdpm-capture-9737912b_etcd1_1": "etcd1",
		"my-proj-etcd-3-2":                "etcd-3",
		"proj-etcd10-1":                   "proj-etcd10-1",
		"etcd1-1":                         "etcd1-1", // no project
		"proj-etcd1-x":                    "proj-etcd1-x",
	} {
		if got := a.faultMember(target); got != want {
			t.Errorf("faultMember(%q) = %q, want %q", target, got, want)
		}
	}
	for _, c := range []struct{ label, target, what, how string }{
		{"stopped etcd1", "etcd1", "stopped", "docker stop"},
		{"paused etcd3", "etcd3", "paused", "docker pause"},
		{"disconnected etcd2 from net", "etcd2", "disconnected from net", "docker network disconnect"},
		{"died (exit 137) etcd1", "etcd1", "died (exit 137)", ""},
		{"step 3", "", "step 3", ""},
	} {
		what, how := faultVerb(Fault{Label: c.label, Target: c.target})
		if what != c.what || how != c.how {
			t.Errorf("faultVerb(%q) = %q, %q; want %q, %q", c.label, what, how, c.what, c.how)
		}
	}
}
