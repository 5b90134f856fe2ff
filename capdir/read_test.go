package capdir

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// writeCapture writes a capture directory from its files' text.
func writeCapture(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const attachMeta = `{"schema":"etcdpm.capture/v1","project":"demo","start":"2026-11-23T10:00:00Z","end":"2026-11-23T10:01:00Z"}`

func TestReadFaults(t *testing.T) {
	ev := func(sec int, action, name string, attrs string) string {
		ts := time.Date(2026, 11, 23, 10, 0, sec, 0, time.UTC).Format(time.RFC3339Nano)
		if attrs != "" {
			attrs = `,"attributes":{` + attrs + `}`
		}
		return `{"time":"` + ts + `","type":"container","action":"` + action + `","name":"` + name + `","service":"` + name + `","container":"demo_` + name + `_1","id":"id-` + name + `"` + attrs + "}\n"
	}
	net := func(sec int, action, name string) string {
		ts := time.Date(2026, 11, 23, 10, 0, sec, 0, time.UTC).Format(time.RFC3339Nano)
		return `{"time":"` + ts + `","type":"network","action":"` + action + `","name":"` + name + `","container":"demo_` + name + `_1","id":"id-` + name + `","attributes":{"network":"demo_default"}}` + "\n"
	}
	note := func(sec int, action, name, attrs string) string { // repro's own, as capture.Session.Note writes them
		ts := time.Date(2026, 11, 23, 10, 0, sec, 0, time.UTC).Format(time.RFC3339Nano)
		if attrs != "" {
			attrs = `,"attributes":` + attrs
		}
		return `{"time":"` + ts + `","type":"container","action":"` + action + `","name":"` + name + `","service":"` + name + `"` + attrs + "}\n"
	}
	events := ev(10, "kill", "etcd1", `"signal":"15"`) + ev(10, "die", "etcd1", `"exitCode":"0"`) + net(10, "disconnect", "etcd1") + ev(11, "stop", "etcd1", "") +
		ev(12, "kill", "etcd2", `"signal":"9"`) + ev(12, "die", "etcd2", `"exitCode":"137"`) +
		net(20, "connect", "etcd1") + ev(20, "start", "etcd1", "") +
		ev(25, "pause", "etcd3", "") + ev(30, "unpause", "etcd3", "") +
		net(31, "disconnect", "etcd3") + net(33, "connect", "etcd3") +
		ev(40, "die", "etcd3", `"exitCode":"2"`) + ev(41, "start", "etcd3", "") +
		ev(50, "pause", "etcd3", "") +
		note(42, "throttle", "etcd2", `{"limits":"0.01 CPU","how":"docker update --cpu-period 100000 --cpu-quota 1000"}`) +
		note(48, "unthrottle", "etcd2", "") + note(52, "throttle", "etcd1", `{"limits":"writes 64 KiB/s"}`) +
		`{"time":"2026-11-23T10:00:55Z","type":"container","act` // SIGKILL mid-line
	dir := writeCapture(t, map[string]string{MetaFile: attachMeta, LogsFile: "", EventsFile: events})
	res, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	at := func(sec int) time.Time { return time.Date(2026, 11, 23, 10, 0, sec, 0, time.UTC) }
	want := []Fault{
		{Start: at(10), End: at(20), Label: "stopped etcd1", Target: "etcd1"},
		{Start: at(12), End: at(60), Label: "killed etcd2", Target: "etcd2"}, // never started again
		{Start: at(25), End: at(30), Label: "paused etcd3", Target: "etcd3"},
		{Start: at(31), End: at(33), Label: "disconnected etcd3 from demo_default", Target: "etcd3"},
		{Start: at(40), End: at(41), Label: "died (exit 2) etcd3", Target: "etcd3"},
		{Start: at(42), End: at(48), Label: "throttled etcd2 (0.01 CPU)", Target: "etcd2"},
		{Start: at(50), End: at(60), Label: "paused etcd3", Target: "etcd3"},
		{Start: at(52), End: at(60), Label: "throttled etcd1 (writes 64 KiB/s)", Target: "etcd1"}, // never lifted
	}
	if len(res.Faults) != len(want) {
		t.Fatalf("faults:\n%v\nwant\n%v", res.Faults, want)
	}
	for i, f := range res.Faults {
		w := want[i]
		if !f.Start.Equal(w.Start) || !f.End.Equal(w.End) || f.Label != w.Label || f.Target != w.Target {
			t.Errorf("fault %d: %+v, want %+v", i, f, w)
		}
	}
	if !res.Start.Equal(at(0)) || !res.End.Equal(at(60)) {
		t.Errorf("span %v-%v, want the capture's", res.Start, res.End)
	}
}

func TestReadStatus(t *testing.T) {
	status := strings.Join([]string{
		`{"time":"2026-11-23T10:00:01Z","name":"etcd1","endpoint":"http://127.0.0.1:12379","ok":false,"error":"dial tcp 127.0.0.1:12379: connect: connection refused","leader":"","raft_term":0}`,
		`{"time":"2026-11-23T10:00:00.5Z","member":"8e9e05c52164694d","name":"etcd2","endpoint":"http://127.0.0.1:22379","ok":true,"leader":"8e9e05c52164694d","raft_term":3}`,
		`{"time":"2026-11-23T10:00:02Z","member":"aa11","name":"etcd1","endpoint":"http://127.0.0.1:12379","ok":true,"leader":"8e9e05c52164694d","raft_term":3,"raft_index":41,"applied_index":40,"revision":17,"db_size":20480}`,
		`{"time":"2026-11-23T10:00:00Z","member":"aa11","name":"etcd1","endpoint":"http://127.0.0.1:12379","ok":true,"leader":"8e9e05c52164694d","raft_term":2}`,
		`not json`,
		`{"time":"2026-11-23T10:00:03Z","name":"127.0.0.1:32379","endpoint":"http://127.0.0.1:32379","ok":false,"error":"context deadline exceeded","leader":"","raft_term":0}`,
		`{"time":"2026-11-23T10:00:04Z","member":"aa11","na`,
	}, "\n")
	dir := writeCapture(t, map[string]string{MetaFile: attachMeta, LogsFile: "", StatusFile: status})
	res, err := Read(dir)
	me, ok := err.(*MalformedError)
	if !ok || me.Count != 1 || !strings.HasPrefix(me.First[0], "status.jsonl:5: ") {
		t.Errorf("Read: %v, want one malformed line, status.jsonl:5", err)
	}
	if len(res.Status) != 3 {
		t.Fatalf("%d series, want 3: %+v", len(res.Status), res.Status)
	}
	s := res.Status[1] // sorted by name: 127.0.0.1:32379, etcd1, etcd2
	if s.Name != "etcd1" || s.Member != parser.ID(0xaa11) || len(s.Points) != 3 {
		t.Fatalf("etcd1's series: %+v", s)
	}
	for i := 1; i < len(s.Points); i++ {
		if s.Points[i].Time.Before(s.Points[i-1].Time) {
			t.Errorf("points out of time order: %v", s.Points)
		}
	}
	if p := s.Points[1]; p.OK || !strings.Contains(p.Error, "connection refused") {
		t.Errorf("etcd1's second point %+v, want the error", p)
	}
	if p := s.Points[2]; !p.OK || p.Term != 3 || p.Leader != 0x8e9e05c52164694d ||
		p.RaftTerm != 3 || p.RaftIndex != 41 || p.AppliedIndex != 40 || p.Revision != 17 || p.DBSize != 20480 {
		t.Errorf("etcd1's last point %+v", p)
	}
	if p := s.Points[0]; p.Revision != 0 || p.RaftTerm != 2 { // a record from before revisions
		t.Errorf("etcd1's first point %+v", p)
	}
	if res.Status[0].Member != 0 || res.Status[0].Name != "127.0.0.1:32379" {
		t.Errorf("a member never reached: %+v", res.Status[0])
	}
}

func TestIsDir(t *testing.T) {
	dir := writeCapture(t, map[string]string{MetaFile: attachMeta, LogsFile: ""})
	if !IsDir(dir) {
		t.Error("IsDir(capture) = false")
	}
	if d, ok := DirOf(filepath.Join(dir, LogsFile)); !ok || d != dir {
		t.Errorf("DirOf(logs.txt) = %q, %v", d, ok)
	}
	other := writeCapture(t, map[string]string{LogsFile: ""})
	if IsDir(other) || IsDir(filepath.Join(dir, LogsFile)) {
		t.Error("IsDir true for a directory without meta.json, or for a file")
	}
	if _, ok := DirOf(filepath.Join(other, LogsFile)); ok {
		t.Error("DirOf(logs.txt outside a capture) = true")
	}
}

// TestMemberLogs: a capture whose logs are each member's own (repro's local backend), listed in
// meta.json.
func TestMemberLogs(t *testing.T) {
	meta := `{"schema":"etcdpm.capture/v1","project":"r","start":"2026-11-23T10:00:00Z","logs":["members/etcd1.log","members/etcd2.log"]}`
	dir := writeCapture(t, map[string]string{MetaFile: meta})
	if IsDir(dir) {
		t.Error("IsDir true before the members' logs are written")
	}
	if err := os.Mkdir(filepath.Join(dir, MembersDir), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"etcd1", "etcd2"} {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(MemberLog(name))), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !IsDir(dir) {
		t.Error("IsDir(capture with member logs) = false")
	}
	want := []string{filepath.Join(dir, "members", "etcd1.log"), filepath.Join(dir, "members", "etcd2.log")}
	if got, err := LogFiles(dir); err != nil || !slices.Equal(got, want) {
		t.Errorf("LogFiles = %q, %v; want %q", got, err, want)
	}
	c, err := Read(dir)
	if err != nil || !slices.Equal(c.Logs, want) {
		t.Errorf("Read: logs %q, %v; want %q", c.Logs, err, want)
	}
	if d, ok := DirOf(want[1]); !ok || d != dir {
		t.Errorf("DirOf(members/etcd2.log) = %q, %v", d, ok)
	}
	if _, ok := DirOf(filepath.Join(dir, LogsFile)); ok {
		t.Error("DirOf(logs.txt) true in a capture whose logs are the members'")
	}
}
