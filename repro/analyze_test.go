package repro

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/etcdpm/etcdpm/report"
)

// repro's reports replace a symbolic link planted where they go; what it
// points to is never written.
func TestWriteReportsReplaceLinks(t *testing.T) {
	res, err := analyzeDir(filepath.Join("..", "capture", "testdata", "recipe-prevote-off"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{HTMLFile, MarkdownFile} {
		if err := os.Symlink(victim, filepath.Join(dir, name)); err != nil {
			t.Skip(err)
		}
	}
	htmlPath, mdPath, err := writeReports(dir, res, report.Options{Title: "repro"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(victim); string(got) != "precious" {
		t.Errorf("the link's target was written: %.80q", got)
	}
	for _, p := range []string{htmlPath, mdPath} {
		if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
			t.Errorf("%s: %v, %v: want a regular file with the report", p, err, fi)
		}
	}
}
