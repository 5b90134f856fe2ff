package repro

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMergeLogs(t *testing.T) {
	n1 := `{"level":"info","ts":"2026-11-23T21:52:45.780799Z","msg":"a1"}
panic: boom
{"level":"info","ts":"2026-11-23T22:52:47.000000+0100","msg":"a2"}
`
	n2 := `goroutine 1 [running]:
{"level":"info","ts":"2026-11-23T21:52:46.000001Z","msg":"b1"}

2026-11-23T21:52:46.5Z	info	console line
`
	path := filepath.Join(t.TempDir(), "logs.txt")
	fallback := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n, err := mergeLogs(path, []string{"etcd1", "etcd22"}, [][]byte{[]byte(n1), []byte(n2)}, fallback)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := `etcd1-1   | 2026-11-23T21:52:45.780799000Z {"level":"info","ts":"2026-11-23T21:52:45.780799Z","msg":"a1"}
etcd1-1   | 2026-11-23T21:52:45.780799000Z panic: boom
etcd22-1  | 2026-11-23T21:52:46.000001000Z goroutine 1 [running]:
etcd22-1  | 2026-11-23T21:52:46.000001000Z {"level":"info","ts":"2026-11-23T21:52:46.000001Z","msg":"b1"}
etcd22-1  | 2026-11-23T21:52:46.500000000Z 2026-11-23T21:52:46.5Z	info	console line
etcd1-1   | 2026-11-23T21:52:47.000000000Z {"level":"info","ts":"2026-11-23T22:52:47.000000+0100","msg":"a2"}
`
	if string(got) != want {
		t.Errorf("logs.txt:\n%s\nwant:\n%s", got, want)
	}
	if n != 6 {
		t.Errorf("%d lines, want 6", n)
	}
	// A member that logged no time at all takes the fallback.
	path2 := filepath.Join(t.TempDir(), "logs.txt")
	if _, err := mergeLogs(path2, []string{"etcd1"}, [][]byte{[]byte("no time here\n")}, fallback); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path2); !strings.HasPrefix(string(got), "etcd1-1  | 2026-01-01T00:00:00.000000000Z no time here") {
		t.Errorf("logs.txt: %q", got)
	}
	if _, err := mergeLogs(path, nil, nil, fallback); err == nil {
		t.Error("mergeLogs overwrote a file")
	}
}
