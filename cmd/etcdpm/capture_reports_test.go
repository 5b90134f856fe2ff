package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// capture --analyze's reports replace a symbolic link planted where they
// go; what it points to is never written.
func TestCaptureReportsReplaceLinks(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "..", "capture", "testdata", "recipe-prevote-off")
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"report.html", "report.md"} {
		if err := os.Symlink(victim, filepath.Join(dir, name)); err != nil {
			t.Skip(err)
		}
	}
	if err := writeReports(dir, "recipe"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(victim); string(got) != "precious" {
		t.Errorf("the link's target was written: %.80q", got)
	}
	for name, want := range map[string]string{"report.html": "<html", "report.md": "quorum-loss"} {
		p := filepath.Join(dir, name)
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() {
			t.Fatalf("%s: %v, %v: want a regular file", p, err, fi)
		}
		if data, _ := os.ReadFile(p); !strings.Contains(string(data), want) {
			t.Errorf("%s lacks %q", p, want)
		}
	}
}
