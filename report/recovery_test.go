package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/etcdpm/etcdpm/analysis"
)

// TestRecoverFrom checks the "Recover from" block in every human format: the
// member, why, and each step, with markup in the steps escaped in HTML.
func TestRecoverFrom(t *testing.T) {
	res := handDemoResult()
	res.Recovery = &analysis.RecoveryPlan{
		Member: 0xb3e5320e8f48123b, Name: "etcd3",
		Why: "etcd3 holds the most recent data of the members that answered a status poll: raft index 19.",
		Steps: []string{
			"Save a snapshot from etcd3: `etcdctl --endpoints=http://127.0.0.1:23232 snapshot save snapshot.db`.",
			"Restore it: `etcdutl snapshot restore snapshot.db --name etcd3 --initial-cluster etcd3=<peer URL of etcd3>`.",
		},
	}
	for _, format := range []string{"text", "md", "html"} {
		var buf bytes.Buffer
		if err := Write(&buf, format, res, testOpts); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		out := strings.Join(strings.Fields(buf.String()), " ") // unwrapped
		wants := []string{"Recover from etcd3", "raft index 19", "snapshot save snapshot.db", "--name etcd3"}
		if format == "html" {
			wants = append(wants, "&lt;peer URL of etcd3&gt;")
			if strings.Contains(out, "<peer URL") {
				t.Errorf("html: a step's placeholder is not escaped")
			}
		}
		for _, want := range wants {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", format, want)
			}
		}
		if i, j := strings.Index(out, "What to do"), strings.Index(out, "Recover from"); i < 0 || j < i {
			t.Errorf("%s: the recovery block is not after the remedies", format)
		}
	}
	res.Recovery = nil
	var buf bytes.Buffer
	if err := Write(&buf, "md", res, testOpts); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "Recover from") {
		t.Error("a recovery block without a recovery plan")
	}
}
