package capture

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
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

// The leader is the latest status round's at the latest term: a member's
// record from before the round names no leader, whatever its term.
func TestMemberStatesLeader(t *testing.T) {
	now := time.Now()
	rec := func(ago time.Duration, ok bool, term uint64, leader string) capdir.StatusRecord {
		return capdir.StatusRecord{Time: now.Add(-ago), OK: ok, RaftTerm: term, Term: term, Leader: leader}
	}
	view := func(name, id string, r capdir.StatusRecord) memberView {
		return memberView{name: name, id: id, last: r, polled: true}
	}
	for _, c := range []struct {
		what  string
		views []memberView
		want  string
	}{
		{"all agree", []memberView{
			view("etcd1", "1", rec(0, true, 2, "1")), view("etcd2", "2", rec(0, true, 2, "1")),
		}, "etcd1"},
		{"a new leader at a later term", []memberView{
			view("etcd1", "1", rec(0, true, 2, "1")), view("etcd2", "2", rec(0, true, 3, "2")), view("etcd3", "3", rec(0, true, 3, "2")),
		}, "etcd2"},
		{"a stale record at a later term", []memberView{
			view("etcd1", "1", rec(5*time.Second, true, 9, "1")), view("etcd2", "2", rec(0, true, 3, "2")), view("etcd3", "3", rec(0, true, 3, "2")),
		}, "etcd2"},
		{"a stale record naming the only leader", []memberView{
			view("etcd1", "1", rec(5*time.Second, true, 3, "1")), view("etcd2", "2", rec(0, false, 0, "")), view("etcd3", "3", rec(0, true, 4, "")),
		}, ""},
		{"a candidate at a later term", []memberView{
			view("etcd1", "1", rec(0, true, 2, "1")), view("etcd3", "3", rec(0, true, 5, "")),
		}, ""},
	} {
		if got, _ := memberStates(c.views, time.Second); got != c.want {
			t.Errorf("%s: leader %q, want %q", c.what, got, c.want)
		}
	}
}

// The live status shows a member's poll error while it lasts, and no more
// once the member answers again.
func TestSnapshotErrorClears(t *testing.T) {
	e := newFakeEngine()
	fc := &fakeCluster{members: map[string]*fakeMember{
		"http://127.0.0.1:12379": {id: 0x11, leader: 0x11, term: 2, name: "etcd1", up: true},
	}}
	e.add("demo", "etcd1", 1, "http://127.0.0.1:12379", true)
	s := testSession(t, e, fc, Options{})
	stop := runSession(t, s)
	defer stop()
	eventually(t, "the leader", func() bool { return s.Snapshot().Leader == "etcd1" })
	fc.set("http://127.0.0.1:12379", func(m *fakeMember) { m.up = false })
	eventually(t, "the poll error", func() bool { return strings.Contains(s.Snapshot().LastError, "connection refused") })
	if l := s.Snapshot().Line(); !strings.Contains(l, "last error") {
		t.Errorf("line while the member is down: %q", l)
	}
	fc.set("http://127.0.0.1:12379", func(m *fakeMember) { m.up = true })
	eventually(t, "the error to go", func() bool { return s.Snapshot().LastError == "" })
	if l := s.Snapshot().Line(); strings.Contains(l, "last error") || !strings.Contains(l, "leader etcd1") {
		t.Errorf("line once the member answers again: %q", l)
	}
}
