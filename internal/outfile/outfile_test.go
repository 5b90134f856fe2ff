package outfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func write(t *testing.T, path, s string) error {
	t.Helper()
	return WriteFile(path, []byte(s))
}

// A symbolic link is replaced by the file; its target is never written.
func TestLinkReplaced(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("precious"), 0o600)
	link := filepath.Join(dir, "r.html")
	if err := os.Symlink(victim, link); err != nil {
		t.Skip(err)
	}
	dangling := filepath.Join(dir, "dangling.html")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)
	for _, p := range []string{link, dangling} {
		if err := write(t, p, "report"); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v %v, want a regular file of mode 0644", p, err, fi.Mode())
		}
		if got, _ := os.ReadFile(p); string(got) != "report" {
			t.Errorf("%s holds %q", p, got)
		}
	}
	if got, _ := os.ReadFile(victim); string(got) != "precious" {
		t.Errorf("the link's target was written: %q", got)
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dangling link's target was created: %v", err)
	}
}

// A file is replaced whole on Commit and keeps its mode; Abort leaves it
// as it was, and no temporary file stays.
func TestCommitAbort(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.json")
	os.WriteFile(p, []byte("old"), 0o600)
	f, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("new"))
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Errorf("before Commit: %q", got)
	}
	f.Abort()
	f.Abort()
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Errorf("after Abort: %q", got)
	}
	if err := write(t, p, "new"); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if got, _ := os.ReadFile(p); string(got) != "new" || fi.Mode().Perm() != 0o600 {
		t.Errorf("after Commit: %q, mode %v", got, fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ path, want string }{
		{dir, "is a directory"},
		{filepath.Join(dir, "missing", "r.md"), "writing " + filepath.Join(dir, "missing", "r.md") + ": " + filepath.Join(dir, "missing") + ":"},
	} {
		if _, err := Create(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.path, err, c.want)
		}
	}
}

// A device is written in place: /dev/null stays /dev/null.
func TestDevice(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /dev/null")
	}
	if err := write(t, os.DevNull, "x"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(os.DevNull); err != nil || fi.Mode()&os.ModeDevice == 0 {
		t.Errorf("%s: %v %v", os.DevNull, err, fi.Mode())
	}
}

func TestStreamNames(t *testing.T) {
	for name, want := range map[string]bool{
		"/dev/stdout": true, "/dev/stderr": true, "/dev/fd/1": true, "/proc/self/fd/2": true,
		"/dev/shm/r.html": false, "/tmp/stdout": false, "/dev/fd/x": false, "dev/stdout": false,
	} {
		if got := streamName.MatchString(name); got != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}
