package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/etcdpm/etcdpm/analysis"
)

// golden compares got with testdata/name.golden, rewriting it under -update
// and writing testdata/name.got on a mismatch.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		if err := os.WriteFile(filepath.Join("testdata", name+".got"), got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s differs; see testdata/%s.got (diff them; go test -update accepts it)", path, name)
	}
}

func renderMD(t testing.TB, res *analysis.Result, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Markdown(&buf, res, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMarkdownGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  func() *analysis.Result
		opts Options
	}{
		{"hand-demo.md", handDemoResult, testOpts},
		{"hostile.md", hostileResult, Options{Title: hostile[0], Version: hostile[5], Generated: generated}},
		{"empty.md", func() *analysis.Result {
			return &analysis.Result{Schema: analysis.Schema, Diagnosis: analysis.Diagnosis{Verdict: analysis.Healthy, Headline: "No election trouble found"}}
		}, Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := renderMD(t, tc.res(), tc.opts)
			golden(t, tc.name, got)
		})
	}
}

func TestMarkdownLimit(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  *analysis.Result
	}{
		{"storm", stormResult(5, 100_000, 50_000)},
		{"many members", stormResult(300, 200, 200)},
		{"hostile storm", hostileStorm()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md := renderMD(t, tc.res, Options{Title: strings.Repeat("t", 10000), Version: "v1"})
			n := utf8.RuneCount(md)
			t.Logf("%d characters, %d bytes", n, len(md))
			if n >= MarkdownLimit || len(md) >= MarkdownLimit {
				t.Errorf("markdown is %d characters (%d bytes), want under %d", n, len(md), MarkdownLimit)
			}
			if !bytes.Contains(md, []byte("omitted")) {
				t.Error("a cut report must say what it left out")
			}
			if bytes.Contains(md, []byte("Report cut to fit")) {
				t.Error("the levels should fit without the last-resort cut")
			}
		})
	}
}

// A member that was down is left out of the term chart's points: never a
// line at its last term. Gaps in the logs are grey bars of their own.
func TestMarkdownDownMembersAndGaps(t *testing.T) {
	res := handDemoResult()
	// etcd3 stopped by a fault from 100 s to 200 s, and no line at all from 300 s to 400 s.
	t0 := res.Start
	res.Faults = append(res.Faults, analysis.Fault{Start: t0.Add(100 * time.Second), End: t0.Add(200 * time.Second), Label: "stopped etcd3", Target: "etcd3"})
	res.Gaps = []analysis.Window{{Start: t0.Add(300 * time.Second), End: t0.Add(400 * time.Second), Seconds: 100}}
	md := string(renderMD(t, res, testOpts))
	values := func(name string) []string {
		for _, l := range strings.Split(md, "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(l), `line "`+name+`" [`); ok {
				return strings.Split(strings.TrimSuffix(rest, "]"), ", ")
			}
		}
		t.Fatalf("no line for %s in\n%s", name, md)
		return nil
	}
	// etcd1 led at term 2 and stopped at 1 s: down until its return at 625.9 s.
	e1 := values("etcd1")
	for i, v := range e1[:len(e1)-1] {
		if v == "2" {
			t.Errorf("etcd1 at its last term (2) in bucket %d while down: %v", i, e1)
		}
	}
	// etcd2 stopped at 0.5 s and never came back: its line ends at once.
	if e2 := values("etcd2"); len(e2) != 1 {
		t.Errorf("etcd2, down to the end, has %d points: %v", len(e2), e2)
	}
	// etcd3 is 0 in the buckets that end inside its fault (26.25 s buckets: 4 to 7).
	e3 := values("etcd3")
	for i := 3; i <= 6; i++ {
		if e3[i] != "0" {
			t.Errorf("etcd3 bucket %d = %s while stopped by the fault: %v", i, e3[i], e3)
		}
	}
	if e3[2] == "0" || e3[8] == "0" {
		t.Errorf("etcd3 dropped outside its fault: %v", e3)
	}
	if !strings.Contains(md, "section no log data\n    no data 1m40s :done, 2020-04-30 17:25:30.000, 2020-04-30 17:27:10.000") {
		t.Errorf("no gap bar in the gantt:\n%s", md)
	}
}
