package capture

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestSnapshotLines(t *testing.T) {
	sn := Snapshot{
		Elapsed: 65 * time.Second, Leader: "etcd2",
		Members: []MemberState{
			{Name: "etcd1", Polled: true, OK: true, Term: 7, Leader: "etcd2"},
			{Name: "etcd2", Polled: true, OK: true, Term: 7, Leader: "etcd2"},
			{Name: "etcd3", Polled: true, Error: "connection refused"},
		},
		LogLines: 1234, StatusRecords: 780, Events: 6,
		LastError: "logs of x:\n broken", LastErrorAgo: 3 * time.Second,
	}
	if got, want := sn.Line(), "1:05 leader etcd2 | etcd1 t7 | etcd2 t7 | etcd3 down | 1234 lines 6 events | last error 0:03 ago: logs of x: broken"; got != want {
		t.Errorf("Line:\n%s\nwant\n%s", got, want)
	}
	if got, want := sn.Plain(), "capture 1:05: leader etcd2; etcd1 term 7, etcd2 term 7, etcd3 down; 1234 log lines, 780 status records, 6 events; last error (0:03 ago): logs of x: broken"; got != want {
		t.Errorf("Plain:\n%s\nwant\n%s", got, want)
	}
}

func TestDisplayPlain(t *testing.T) {
	var b bytes.Buffer
	n := 0
	d := NewDisplay(&b, false, 10*time.Millisecond, func() Snapshot { n++; return Snapshot{LogLines: int64(n)} })
	d.Start()
	time.Sleep(55 * time.Millisecond)
	d.Stop()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "capture 0:00: no leader; 1 log lines") {
		t.Errorf("plain display wrote %q", b.String())
	}
}

// Member names and errors come from containers and members: the live line
// shows their control and bidi characters as visible escapes.
func TestSnapshotLinesSanitized(t *testing.T) {
	sn := Snapshot{
		Leader: "etcd\x1b[2J1",
		Members: []MemberState{
			{Name: "etcd\x1b[2J1", Polled: true, OK: true, Term: 7},
			{Name: "etcd\u202e2", Polled: true, Error: "refused"},
		},
		LastError: "etcd\u202e2: \x1b]0;pwned\x07refused",
	}
	for _, got := range []string{sn.Line(), sn.Plain()} {
		if strings.ContainsAny(got, "\x1b\x07\u202e") {
			t.Errorf("raw control characters in %q", got)
		}
		for _, want := range []string{`etcd\x1b[2J1`, `etcd\u202e2`, `\x1b]0;pwned\x07refused`} {
			if !strings.Contains(got, want) {
				t.Errorf("%q lacks %q", got, want)
			}
		}
	}
}
