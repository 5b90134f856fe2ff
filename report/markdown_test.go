package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
