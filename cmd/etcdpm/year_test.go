package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestYearFromMtime reads a real journald excerpt with year-less stamps
// (testdata/public/003, etcd-io/etcd#7820) whose file says it was written
// in 2017: the stamps take 2017, the JSON says where the year came from,
// and a warning says it is a guess. The same lines on stdin (no mtime) take
// the current year and say so.
func TestYearFromMtime(t *testing.T) {
	lines, err := os.ReadFile("../../testdata/public/003-etcd7820-journald-nohost-two-members.log")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "etcd.log")
	if err := os.WriteFile(path, lines, 0o644); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2017, 5, 2, 8, 0, 0, 0, time.UTC)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	type doc struct {
		Inputs []struct {
			YearFrom string `json:"year_from"`
		} `json:"inputs"`
		Findings []struct {
			Start time.Time `json:"start"`
		} `json:"findings"`
	}
	for _, tc := range []struct {
		stdin, arg, from string
		year             int
	}{
		{"", path, "file mtime", 2017},
		{string(lines), "-", "current year", time.Now().Year()},
	} {
		out, errOut, _ := etcdpm(t, tc.stdin, "analyze", "--format", "json", tc.arg)
		var d doc
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("%s: %v: %s", tc.arg, err, errOut)
		}
		if len(d.Inputs) != 1 || d.Inputs[0].YearFrom != tc.from {
			t.Errorf("%s: inputs %+v, want the year from the %s", tc.arg, d.Inputs, tc.from)
		}
		if len(d.Findings) == 0 || d.Findings[0].Start.Year() != tc.year {
			t.Errorf("%s: findings %+v, want them in %d", tc.arg, d.Findings, tc.year)
		}
		if !strings.Contains(errOut, "the year is taken from the "+tc.from) {
			t.Errorf("%s: stderr %q, want a warning naming the %s", tc.arg, errOut, tc.from)
		}
	}
}
