package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	realRun = "../../testdata/real/3.6.16-quorum-loss-prevote-off"
	capt    = "../../capture/testdata/recipe-prevote-off"
)

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
}

// A dangling link or a link loop inside a log directory is a warning, the
// file skipped and counted; the rest is analyzed. Given as an argument, each
// is still an error, and so is a directory of which nothing can be read.
func TestAnalyzeDirSkipsBadFiles(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, demo, filepath.Join(dir, "n1.log"))
	dangling, loop := filepath.Join(dir, "dangling.log"), filepath.Join(dir, "loop.log")
	symlink(t, "nowhere.log", dangling)
	symlink(t, "loop.log", loop)
	want := []string{
		dangling + ": a dangling link (to nowhere.log); skipped",
		loop + ": too many levels of symbolic links; skipped",
	}
	// a link to a directory out of the tree is not followed: a directory
	// from someone else must not make etcdpm read this machine's logs
	outside := t.TempDir()
	copyFile(t, filepath.Join(realRun, "n2.log"), filepath.Join(outside, "n2.log"))
	symlink(t, outside, filepath.Join(dir, "var-log"))
	want = append(want, filepath.Join(dir, "var-log")+": a link to a directory outside "+realPath(dir)+" ("+realPath(outside)+"), not followed; skipped")
	if os.Geteuid() != 0 { // root reads a file of mode 000
		locked := filepath.Join(dir, "locked.log")
		os.WriteFile(locked, []byte("x\n"), 0o000)
		want = append(want, locked+": permission denied; skipped")
	}
	// a name that would set the terminal's title is shown escaped
	symlink(t, "nowhere", filepath.Join(dir, "\x1b]0;pwned\x07.log"))
	want = append(want, filepath.Join(dir, `\x1b]0;pwned\x07.log`)+": a dangling link (to nowhere); skipped")
	out, errOut, code := etcdpm(t, "", "analyze", "--format", "events", dir)
	if strings.ContainsAny(errOut, "\x1b\x07") {
		t.Errorf("stderr holds raw control characters: %q", errOut)
	}
	if code != 0 || strings.Count(out, "\n") != 66 {
		t.Errorf("exit %d, %d events, want 0 and 66; stderr %q", code, strings.Count(out, "\n"), errOut)
	}
	for _, w := range append(want, lines(int64(len(want)), "file")+" skipped; the analysis covers the rest") {
		if !strings.Contains(errOut, "etcdpm: warning: "+w+"\n") {
			t.Errorf("stderr %q lacks %q", errOut, w)
		}
	}
	for _, arg := range []string{dangling, loop} {
		if _, errOut, code := etcdpm(t, "", "analyze", arg); code != 1 || !strings.Contains(errOut, arg) {
			t.Errorf("%s as an argument: exit %d, stderr %q, want exit 1", arg, code, errOut)
		}
	}
	os.Remove(filepath.Join(dir, "n1.log"))
	if _, errOut, code := etcdpm(t, "", "analyze", dir); code != 1 || !strings.Contains(errOut, "none of its") {
		t.Errorf("nothing readable: exit %d, stderr %q, want exit 1", code, errOut)
	}
}

// A directory is read with its subdirectories, in name order: loose member
// logs, an OpenShift must-gather's etcd container logs (not the other
// containers'), past etcdpm's own reports and JSON documents, through a link
// loop without going round it.
func TestAnalyzeDirTree(t *testing.T) {
	tree := t.TempDir()
	mg := filepath.Join(tree, "must-gather", "namespaces", "openshift-etcd", "pods", "etcd-m0")
	files := []string{
		filepath.Join(tree, "a", "n2.log"),
		filepath.Join(tree, "b", "n1.log"),
		filepath.Join(mg, "etcd", "etcd", "logs", "current.log"),
	}
	copyFile(t, filepath.Join(realRun, "n2.log"), files[0])
	copyFile(t, filepath.Join(realRun, "n1.log"), files[1])
	copyFile(t, filepath.Join(realRun, "n3.log"), files[2])
	copyFile(t, filepath.Join(realRun, "run.json"), filepath.Join(tree, "run.json"))
	copyFile(t, filepath.Join(realRun, "actions.log"), filepath.Join(tree, "b", "actions.log"))
	os.MkdirAll(filepath.Join(mg, "etcdctl", "etcdctl", "logs"), 0o755)
	os.WriteFile(filepath.Join(mg, "etcdctl", "etcdctl", "logs", "current.log"), []byte("not etcd\n"), 0o644)
	symlink(t, "..", filepath.Join(tree, "a", "up"))

	analyze := func(args ...string) (inputs []string, events int) {
		t.Helper()
		out, errOut, code := etcdpm(t, "", append([]string{"analyze", "--format", "json"}, args...)...)
		if code != 0 || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
		}
		var res struct {
			Inputs []struct {
				Name   string
				Events int
			}
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		for _, in := range res.Inputs {
			inputs = append(inputs, in.Name)
			events += in.Events
		}
		return inputs, events
	}
	_, want := analyze(filepath.Join(realRun, "n1.log"), filepath.Join(realRun, "n2.log"), filepath.Join(realRun, "n3.log"))
	// etcdpm's outputs of the same logs, written into the tree, are not inputs
	for out, format := range map[string]string{
		"report.html": "html", "report.md": "md", "analysis.json": "json",
		"analysis.txt": "text", "events.jsonl": "events", "events.log": "events",
	} {
		if _, errOut, code := etcdpm(t, "", "analyze", "-o", filepath.Join(tree, out), "--format", format, realRun); code != 0 {
			t.Fatalf("%s: exit %d: %s", out, code, errOut)
		}
	}
	inputs, events := analyze(tree)
	if !slices.Equal(inputs, files) || events != want {
		t.Errorf("inputs %q with %d events, want %q with %d", inputs, events, files, want)
	}
}

// Two capture directories, given together or found in one tree, are
// refused, naming both, unless --merge-captures asks to analyze them as
// one. One capture beside other logs is fine.
func TestAnalyzeTwoCaptures(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "incident-a"), filepath.Join(dir, "incident-b")
	for _, d := range []string{a, b} {
		for _, f := range []string{"meta.json", "logs.txt", "status.jsonl", "events.jsonl"} {
			copyFile(t, filepath.Join(capt, f), filepath.Join(d, f))
		}
	}
	for _, args := range [][]string{{a, b}, {dir}, {filepath.Join(a, "logs.txt"), b}} {
		_, errOut, code := etcdpm(t, "", append([]string{"analyze"}, args...)...)
		if code != 2 || !strings.Contains(errOut, a+" and "+b) || !strings.Contains(errOut, "--merge-captures") {
			t.Errorf("%v: exit %d, stderr %q, want exit 2 naming both and the flag", args, code, errOut)
		}
	}
	for _, args := range [][]string{{"--merge-captures", a, b}, {"--merge-captures", dir}, {a, filepath.Join(a, "logs.txt")}, {a, demo}} {
		if _, errOut, code := etcdpm(t, "", append([]string{"analyze", "--format", "json"}, args...)...); code != 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// A capture directory found in a tree is read as its logs.txt alone (a
// repro's members/ repeats its lines), and its inputs say which capture it
// is, for its faults and status.
func TestOpenInputsCaptureInTree(t *testing.T) {
	tree := t.TempDir()
	c := filepath.Join(tree, "runs", "incident")
	for _, f := range []string{"meta.json", "logs.txt", "status.jsonl", "events.jsonl"} {
		copyFile(t, filepath.Join(capt, f), filepath.Join(c, f))
	}
	copyFile(t, filepath.Join(realRun, "n1.log"), filepath.Join(c, "members", "etcd1.log"))
	copyFile(t, demo, filepath.Join(tree, "other.log"))
	ins, err := openInputs(context.Background(), []string{tree}, nil, func(msg string) { t.Error(msg) })
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, in := range ins {
		names = append(names, in.name)
		io.Copy(io.Discard, in.r)
		in.c.Close()
	}
	if want := []string{filepath.Join(tree, "other.log"), filepath.Join(c, "logs.txt")}; !slices.Equal(names, want) {
		t.Errorf("inputs %q, want %q", names, want)
	}
	if got := captureDirs(ins); !slices.Equal(got, []string{c}) {
		t.Errorf("captureDirs: %q, want %q", got, c)
	}
}
