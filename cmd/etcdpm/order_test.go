package main

import (
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tac is tac(1): the file's lines, last first.
func tac(data []byte) []byte {
	lines := strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")
	var b strings.Builder
	for i := len(lines) - 1; i >= 0; i-- {
		b.WriteString(strings.TrimSuffix(lines[i], "\n") + "\n")
	}
	return []byte(b.String())
}

// verdictOf runs etcdpm analyze --format json and returns the verdict and the
// findings' kinds.
func verdictOf(t *testing.T, stdin string, args ...string) (string, []string, string, int) {
	t.Helper()
	out, errOut, code := etcdpm(t, stdin, append([]string{"analyze", "--format", "json"}, args...)...)
	if code != 0 {
		return "", nil, errOut, code
	}
	var doc struct {
		Diagnosis struct{ Verdict string }
		Findings  []struct{ Kind string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var kinds []string
	for _, f := range doc.Findings {
		kinds = append(kinds, f.Kind)
	}
	return doc.Diagnosis.Verdict, kinds, errOut, code
}

// Newest-first logs (tac, journalctl -r) are read forwards and give the
// verdict and findings of the logs as written; shuffled ones are refused.
func TestOutOfOrderInputs(t *testing.T) {
	runs, _ := filepath.Glob("../../testdata/real/*")
	rng := rand.New(rand.NewSource(15))
	n := 0
	for _, run := range runs {
		logs, _ := filepath.Glob(filepath.Join(run, "n*.log"))
		if len(logs) == 0 {
			continue
		}
		n++
		t.Run(filepath.Base(run), func(t *testing.T) {
			want, wantKinds, errOut, code := verdictOf(t, "", logs...)
			if code != 0 {
				t.Fatalf("forwards: exit %d: %s", code, errOut)
			}
			dir := t.TempDir()
			var reversed, mixed []string
			for i, p := range logs {
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				rev := filepath.Join(dir, filepath.Base(p))
				writeFile(t, rev, tac(data))
				reversed = append(reversed, rev)
				mix := rev
				if i == 0 {
					lines := strings.SplitAfter(string(data), "\n")
					rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
					mix = filepath.Join(dir, "shuffled-"+filepath.Base(p))
					writeFile(t, mix, []byte(strings.Join(lines, "")+"\n"))
				}
				mixed = append(mixed, mix)
			}
			if i := len(reversed) - 1; i > 0 {
				writeGzip(t, reversed[i]+".gz", tac(must(os.ReadFile(logs[i]))))
				reversed[i] += ".gz"
			}
			got, gotKinds, errOut, code := verdictOf(t, "", reversed...)
			if code != 0 {
				t.Fatalf("newest first: exit %d: %s", code, errOut)
			}
			if got != want || strings.Join(gotKinds, ",") != strings.Join(wantKinds, ",") {
				t.Errorf("newest first: %s %v, want %s %v", got, gotKinds, want, wantKinds)
			}
			if strings.Count(errOut, "newest first") != len(logs) {
				t.Errorf("newest first: want a warning per input, got %q", errOut)
			}
			_, _, errOut, code = verdictOf(t, "", mixed...)
			if code != 1 || !strings.Contains(errOut, "shuffled-"+filepath.Base(logs[0])+": its lines are out of time order") {
				t.Errorf("shuffled: exit %d, %q; want exit 1 and the shuffled input named", code, errOut)
			}
		})
	}
	if n < 30 {
		t.Fatalf("only %d real runs", n)
	}
}

// A newest-first stdin cannot be read again: it is refused with how to fix it.
func TestNewestFirstStdin(t *testing.T) {
	data := must(os.ReadFile("../../testdata/real/3.6.16-quorum-loss-prevote-off/n3.log"))
	_, _, errOut, code := verdictOf(t, string(tac(data)), "-")
	if code != 1 || !strings.Contains(errOut, "stdin: its lines are newest first") || !strings.Contains(errOut, "tac") {
		t.Errorf("exit %d, %q", code, errOut)
	}
}

func TestReverseLines(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "a": "a\n", "a\n": "a\n", "a\nb\n": "b\na\n", "a\n\nb": "b\n\na\n", "\na\n": "a\n\n",
	} {
		if got := string(reverseLines([]byte(in))); got != want {
			t.Errorf("reverseLines(%q) = %q, want %q", in, got, want)
		}
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A line or two out of order is not refused: each is counted in the JSON
// (inputs[].misplaced) and named in a warning, never placed silently.
func TestPartlyOutOfOrder(t *testing.T) {
	data := string(must(os.ReadFile("../../testdata/real/3.6.16-quorum-loss-prevote-off/n3.log")))
	lines := strings.SplitAfter(data, "\n")
	for i, l := range lines {
		if strings.Contains(l, "became follower") {
			lines = append(append(lines[:i:i], lines[i+1:]...), l)
			break
		}
	}
	path := filepath.Join(t.TempDir(), "n3.log")
	writeFile(t, path, []byte(strings.Join(lines, "")))
	out, errOut, code := etcdpm(t, "", "analyze", "--format", "json", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct{ Inputs []struct{ Misplaced int } }
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Inputs) != 1 {
		t.Fatalf("%v: %s", err, out)
	}
	if doc.Inputs[0].Misplaced != 1 || !strings.Contains(errOut, path+": partly out of order: 1 event line has a time") {
		t.Errorf("want 1 misplaced line, counted and warned of; stderr %q", errOut)
	}
	_, errOut, _ = etcdpm(t, "", "analyze", "--format", "json", "../../testdata/real/3.6.16-quorum-loss-prevote-off/n3.log")
	if strings.Contains(errOut, "out of order") {
		t.Errorf("the log as written: %q", errOut)
	}
}
