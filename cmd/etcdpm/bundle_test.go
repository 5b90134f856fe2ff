package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/bundle"
)

const recipeCapture = "../../capture/testdata/recipe-prevote-off"

// TestBundleCommand bundles a real capture with --redact under its default
// name, unpacks it, and analyzes the unpacked directory with etcdpm
// analyze: the verdict and the findings of the original capture.
func TestBundleCommand(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "incident")
	abs, err := filepath.Abs(recipeCapture)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, dir); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := etcdpm(t, "", "bundle", "--redact", dir+string(filepath.Separator))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"wrote " + dir + ".tar.gz: incident/ with meta.json, logs.txt, status.jsonl, events.jsonl, report.html, report.md\n",
		"redacted: 3 IP addresses and 6 host names, replaced consistently; the mapping was not kept\n",
		"verdict: quorum-loss\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout %q, want %q in it", out, want)
		}
	}
	unpacked := filepath.Join(tmp, "unpacked")
	untarFile(t, dir+".tar.gz", unpacked)
	want := analyzeJSON(t, dir)
	got := analyzeJSON(t, filepath.Join(unpacked, "incident"))
	if got.Diagnosis.Verdict != want.Diagnosis.Verdict || len(got.Findings) != len(want.Findings) {
		t.Fatalf("the bundle analyzes to %s with %d findings, the capture to %s with %d",
			got.Diagnosis.Verdict, len(got.Findings), want.Diagnosis.Verdict, len(want.Findings))
	}
	for i, f := range want.Findings {
		if g := got.Findings[i]; g.Kind != f.Kind || g.Severity != f.Severity || !g.Start.Equal(f.Start) {
			t.Errorf("finding %d: %s %s at %v, want %s %s at %v", i, g.Kind, g.Severity, g.Start, f.Kind, f.Severity, f.Start)
		}
	}
	logs, err := os.ReadFile(filepath.Join(unpacked, "incident", "logs.txt"))
	if err != nil || strings.Contains(string(logs), "etcd1") || strings.Contains(string(logs), "127.0.0.1") {
		t.Errorf("the bundle's logs.txt (%v) keeps etcd1 or 127.0.0.1", err)
	}
}

// TestBundleFreshRepro makes a capture with a real run of etcdpm repro
// (local members: this test binary as etcdpm member), bundles it redacted
// and checks that the bundle analyzes as the capture does.
func TestBundleFreshRepro(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	t.Setenv("ETCDPM_TEST_MAIN", "1") // the members, run as this binary, run etcdpm's main
	dir := filepath.Join(t.TempDir(), "run")
	if _, errOut, code := etcdpm(t, "", "repro", "--hold", "3s", "-o", dir); code != 0 {
		t.Fatalf("repro: exit %d: %s", code, errOut)
	}
	out, errOut, code := etcdpm(t, "", "bundle", "--redact", dir)
	if code != 0 {
		t.Fatalf("bundle: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "run/ with meta.json, members/etcd1.log, members/etcd2.log, members/etcd3.log, status.jsonl, events.jsonl, metrics.jsonl, actions.log, repro.json, report.html, report.md") {
		t.Errorf("stdout %q, want the capture's files and the reports", out)
	}
	unpacked := filepath.Join(t.TempDir(), "unpacked")
	untarFile(t, dir+".tar.gz", unpacked)
	want, got := analyzeJSON(t, dir), analyzeJSON(t, filepath.Join(unpacked, "run"))
	if got.Diagnosis.Verdict != want.Diagnosis.Verdict || len(got.Findings) != len(want.Findings) {
		t.Errorf("the bundle analyzes to %s with %d findings, the capture to %s with %d",
			got.Diagnosis.Verdict, len(got.Findings), want.Diagnosis.Verdict, len(want.Findings))
	}
	for _, f := range []string{"meta.json", "status.jsonl", "members/etcd1.log"} {
		b, err := os.ReadFile(filepath.Join(unpacked, "run", filepath.FromSlash(f)))
		if err != nil || strings.Contains(string(b), "127.0.0.1") {
			t.Errorf("%s (%v) keeps 127.0.0.1", f, err)
		}
	}
}

// TestBundleOutput: -o writes where it says, a symbolic link there is
// replaced and what it pointed to is untouched, and the capture's own
// files are never overwritten.
func TestBundleOutput(t *testing.T) {
	tmp := t.TempDir()
	target := filepath.Join(tmp, "target")
	if err := os.WriteFile(target, []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(tmp, "bundle.tar.gz")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := etcdpm(t, "", "bundle", recipeCapture, "-o", link); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me\n" {
		t.Errorf("the link's target was written: %q", b)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("-o %s is not a regular file now: %v", link, err)
	}
	if names := untarFile(t, link, filepath.Join(tmp, "x")); len(names) != 6 || names[0] != "recipe-prevote-off/meta.json" {
		t.Errorf("entries %q", names)
	}

	_, errOut, code := etcdpm(t, "", "bundle", recipeCapture, "-o", filepath.Join(recipeCapture, "logs.txt"))
	if code != 1 || !strings.Contains(errOut, "would overwrite the capture's logs.txt") {
		t.Errorf("-o onto the capture's logs: exit %d, %s", code, errOut)
	}
}

// TestBundleNotACapture: a directory that is not a capture is refused,
// saying why, and nothing is written.
func TestBundleNotACapture(t *testing.T) {
	tmp := t.TempDir()
	_, errOut, code := etcdpm(t, "", "bundle", tmp, "-o", filepath.Join(tmp, "x.tar.gz"))
	if code != 1 || !strings.Contains(errOut, "is not a capture directory: it has no meta.json") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("left %v", ents)
	}
	if _, errOut, code := etcdpm(t, "", "bundle", demo); code != 1 || !strings.Contains(errOut, "not a capture directory but a file") {
		t.Errorf("a log file: exit %d, stderr %q", code, errOut)
	}
}

func TestDefaultBundlePath(t *testing.T) {
	for in, want := range map[string]string{"incident": "incident.tar.gz", "incident/": "incident.tar.gz", "a/b/": "a/b.tar.gz"} {
		if got := defaultBundlePath(in); got != filepath.FromSlash(want) {
			t.Errorf("defaultBundlePath(%q) = %q, want %q", in, got, want)
		}
	}
	wd, _ := os.Getwd()
	if got := defaultBundlePath("."); got != wd+".tar.gz" {
		t.Errorf("defaultBundlePath(.) = %q, want %q", got, wd+".tar.gz")
	}
}

// analysisDoc is what the tests read of etcdpm analyze's JSON.
type analysisDoc struct {
	Diagnosis struct{ Verdict string }
	Findings  []struct {
		Kind, Severity string
		Start          time.Time
	}
}

func analyzeJSON(t *testing.T, dir string) analysisDoc {
	t.Helper()
	out, errOut, code := etcdpm(t, "", "analyze", "--format", "json", dir)
	if code != 0 {
		t.Fatalf("analyze %s: exit %d: %s", dir, code, errOut)
	}
	var doc analysisDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// untarFile unpacks the bundle at path into dir and returns its files'
// names.
func untarFile(t *testing.T, path, dir string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names, err := bundle.Extract(f, dir)
	if err != nil {
		t.Fatal(err)
	}
	return names
}
