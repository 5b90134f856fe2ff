package capture

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
)

// testSession returns a session on a fake engine and cluster, writing into
// a new directory, flushing often.
func testSession(t *testing.T, e *fakeEngine, fc *fakeCluster, opts Options) *Session {
	t.Helper()
	if opts.Out == "" {
		opts.Out = filepath.Join(t.TempDir(), "out")
	}
	if opts.Project == "" {
		opts.Project = "demo"
	}
	if opts.Interval == 0 {
		opts.Interval = 20 * time.Millisecond
	}
	if opts.AppearTimeout == 0 {
		opts.AppearTimeout = -1 // some tests add their containers later
	}
	if fc == nil {
		fc = &fakeCluster{members: map[string]*fakeMember{}}
	}
	s, err := newSession(t.Context(), opts, e, fc.dial, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.flushEvery = 20 * time.Millisecond
	return s
}

// runSession runs s in the background; the returned func stops it and
// returns what Run returned.
func runSession(t *testing.T, s *Session) func() (*Summary, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	type result struct {
		sum *Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		sum, err := s.Run(ctx)
		done <- result{sum, err}
	}()
	return func() (*Summary, error) {
		cancel()
		select {
		case r := <-done:
			return r.sum, r.err
		case <-time.After(20 * time.Second):
			t.Fatal("Run did not return 20s after its context ended")
			return nil, nil
		}
	}
}

// eventually waits for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readLines returns a file's lines; it fails the test if the file does not
// end with a newline.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	if b[len(b)-1] != '\n' {
		t.Fatalf("%s ends inside a line: %q", path, b[max(0, len(b)-80):])
	}
	return strings.Split(string(b[:len(b)-1]), "\n")
}

// byContainer splits logs.txt lines by their compose prefix, checking the
// prefix's layout.
func byContainer(t *testing.T, lines []string) map[string][]string {
	t.Helper()
	m := map[string][]string{}
	for _, l := range lines {
		name, rest, ok := strings.Cut(l, " | ")
		if !ok {
			t.Fatalf("logs.txt line without a compose prefix: %q", l)
		}
		m[strings.TrimRight(name, " ")] = append(m[strings.TrimRight(name, " ")], rest)
	}
	return m
}

func TestSessionFollowsStopsStartsAndNewContainers(t *testing.T) {
	e := newFakeEngine()
	e.chunk = true
	c1 := e.add("demo", "etcd1", 1, "", true)
	c2 := e.add("demo", "etcd2", 1, "", false) // stopped before the capture
	other := e.add("other", "etcd1", 1, "", true)
	e.log(c1, time.Time{}, "c1 before the capture 1", "c1 before the capture 2")
	e.log(c2, time.Time{}, "c2 from its last run")
	e.log(other, time.Time{}, "another project's line")

	s := testSession(t, e, nil, Options{})
	stop := runSession(t, s)
	eventually(t, "the lines logged before the capture", func() bool { return s.lines.Load() == 3 })

	for round := range 5 {
		e.log(c1, time.Time{}, fmt.Sprintf("c1 running %d a", round), fmt.Sprintf("c1 running %d b", round))
		// Two lines at the same time, and the stream ends right after them.
		e.log(c1, e.now(), fmt.Sprintf("c1 same time %d x", round), fmt.Sprintf("c1 same time %d y", round))
		e.stop(c1)
		e.start(c2)
		e.log(c2, time.Time{}, fmt.Sprintf("c2 running %d", round))
		time.Sleep(10 * time.Millisecond)
		e.start(c1)
		e.log(c1, time.Time{}, fmt.Sprintf("c1 back %d", round))
		e.stop(c2)
	}
	// A container that appears later: scaled, or recreated.
	c3 := e.add("demo", "etcd1", 2, "", true)
	e.log(c3, time.Time{}, "c3 scaled")
	eventually(t, "the new container's line", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.followers[c3] != nil
	})
	e.log(c3, time.Time{}, "c3 last") // logged just before the end: the catch-up reads it
	e.log(c1, time.Time{}, "c1 last")
	sum, err := stop()
	if err != nil {
		t.Fatal(err)
	}

	got := byContainer(t, readLines(t, filepath.Join(s.Dir(), capdir.LogsFile)))
	for name, id := range map[string]string{"etcd1-1": c1, "etcd2-1": c2, "etcd1-2": c3} {
		want := e.allLines(id)
		if !slices.Equal(got[name], want) {
			t.Errorf("%s: logs.txt has\n%s\nwant\n%s", name, strings.Join(got[name], "\n"), strings.Join(want, "\n"))
		}
		delete(got, name)
	}
	if len(got) > 0 {
		t.Errorf("lines of containers not in the project: %v", got)
	}
	if want := int64(len(e.allLines(c1)) + len(e.allLines(c2)) + len(e.allLines(c3))); sum.LogLines != want {
		t.Errorf("summary: %d log lines, want %d", sum.LogLines, want)
	}
	// The prefix is padded as compose v2 pads it: the longest name plus one.
	if l := readLines(t, filepath.Join(s.Dir(), capdir.LogsFile))[0]; !strings.HasPrefix(l, "etcd1-1  | ") && !strings.HasPrefix(l, "etcd2-1  | ") {
		t.Errorf("prefix not padded like compose v2: %q", l)
	}

	// Events: the project's only, each once.
	var evs []capdir.EventRecord
	for _, l := range readLines(t, filepath.Join(s.Dir(), capdir.EventsFile)) {
		var ev capdir.EventRecord
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("events.jsonl: %v: %s", err, l)
		}
		if ev.ID == other {
			t.Errorf("event of another project: %s", l)
		}
		evs = append(evs, ev)
	}
	starts := 0
	for _, ev := range evs {
		if ev.Action == "start" && ev.ID == c1 {
			starts++
		}
	}
	if starts != 5 {
		t.Errorf("%d start events of etcd1-1, want 5 (the ones during the capture)", starts)
	}

	meta, err := capdir.ReadMeta(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if meta.End == nil || meta.Project != "demo" || len(meta.Services) != 2 {
		t.Errorf("meta.json: end %v, project %q, %d services; want an end, demo, 2", meta.End, meta.Project, len(meta.Services))
	}
}

func TestFollowerReplay(t *testing.T) {
	e := newFakeEngine()
	id := e.add("demo", "etcd1", 1, "", true)
	s := testSession(t, e, nil, Options{})
	f := newFollower(s, containerInfo{ID: id, Service: "etcd1", Number: 1, Name: "demo_etcd1_1"})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ts := func(d time.Duration) string { return t0.Add(d).Format(rfc3339NanoFixed) }
	feed := func(lines ...string) {
		f.begin()
		for _, l := range lines {
			f.Write([]byte(l + "\n"))
		}
	}
	feed(ts(1)+" a", ts(2)+" b", ts(2)+" c")
	// The next stream starts at since = ts(2): b and c again, then new lines;
	// d at the same time as b and c is new; so is a repeated text at a later time.
	feed(ts(2)+" b", ts(2)+" c", ts(2)+" d", ts(3)+" b")
	// A stream that repeats everything (a daemon that ignored since).
	feed(ts(1)+" a", ts(2)+" b", ts(2)+" c", ts(2)+" d", ts(3)+" b", ts(4)+" e")
	// Out of order in a live stream (stdout and stderr): kept.
	f.Write([]byte(ts(3) + " late\n"))
	s.logs.Flush()
	got := readLines(t, filepath.Join(s.Dir(), capdir.LogsFile))
	var texts []string
	for _, l := range got {
		_, rest, _ := strings.Cut(l, " | ")
		_, text, _ := strings.Cut(rest, " ")
		texts = append(texts, text)
	}
	if want := []string{"a", "b", "c", "d", "b", "e", "late"}; !slices.Equal(texts, want) {
		t.Errorf("written %q, want %q", texts, want)
	}
	if f.dropped != 2+5 {
		t.Errorf("dropped %d replayed lines, want 7", f.dropped)
	}
}

func TestSessionStatus(t *testing.T) {
	e := newFakeEngine()
	fc := &fakeCluster{members: map[string]*fakeMember{
		"http://127.0.0.1:12379": {id: 0x11, leader: 0x22, term: 2, name: "etcd1", up: true},
		"http://127.0.0.1:22379": {id: 0x22, leader: 0x22, term: 2, name: "etcd2", up: true},
		"http://127.0.0.1:32379": {id: 0x33, leader: 0x22, term: 2, name: "etcd3", up: true},
	}}
	var ids []string
	for i := 1; i <= 3; i++ {
		ids = append(ids, e.add("demo", fmt.Sprintf("etcd%d", i), 1, fmt.Sprintf("http://127.0.0.1:%d2379", i), true))
	}
	e.add("demo", "e3w", 1, "", true) // not a member
	s := testSession(t, e, fc, Options{})
	stop := runSession(t, s)
	polled := func(n int64) func() bool {
		return func() bool { st, _ := s.status.Counts(); s.status.Flush(); return st >= n }
	}
	eventually(t, "polls", polled(9))
	if sn := s.Snapshot(); sn.Leader != "etcd2" || len(sn.Members) != 3 {
		t.Errorf("snapshot: leader %q, %d members; want etcd2, 3", sn.Leader, len(sn.Members))
	}
	// The leader and a follower stop; the survivor campaigns.
	e.stop(ids[1])
	e.stop(ids[2])
	for _, ep := range []string{"http://127.0.0.1:22379", "http://127.0.0.1:32379"} {
		fc.set(ep, func(m *fakeMember) { m.up = false })
	}
	for term := uint64(3); term < 6; term++ {
		fc.set("http://127.0.0.1:12379", func(m *fakeMember) { m.leader, m.term = 0, term })
		time.Sleep(30 * time.Millisecond)
	}
	if sn := s.Snapshot(); sn.Leader != "" {
		t.Errorf("snapshot without quorum: leader %q, want none", sn.Leader)
	}
	_, err := stop()
	if err != nil {
		t.Fatal(err)
	}

	byName := map[string][]capdir.StatusRecord{}
	for _, l := range readLines(t, filepath.Join(s.Dir(), capdir.StatusFile)) {
		var r capdir.StatusRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("status.jsonl: %v: %s", err, l)
		}
		byName[r.Name] = append(byName[r.Name], r)
	}
	if len(byName) != 3 {
		t.Fatalf("status of %d members (%v), want 3", len(byName), keys(byName))
	}
	rs := byName["etcd2"]
	last := rs[len(rs)-1]
	if last.OK || !strings.Contains(last.Error, "connection refused") || last.Member != "22" {
		t.Errorf("etcd2's last record: %+v; want an error, with its member ID", last)
	}
	var terms []uint64
	for _, r := range byName["etcd1"] {
		if r.OK && (len(terms) == 0 || terms[len(terms)-1] != r.RaftTerm) {
			terms = append(terms, r.RaftTerm)
		}
	}
	if !slices.IsSorted(terms) || terms[len(terms)-1] != 5 {
		t.Errorf("etcd1's terms %v, want rising to 5", terms)
	}
	meta, err := capdir.ReadMeta(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range meta.Members {
		if m.ID == "" || m.Version != "3.6.16" || m.EtcdName != m.Name {
			t.Errorf("meta member %+v: want an ID, version 3.6.16, its etcd name", m)
		}
	}

	res, err := capdir.Read(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Status) != 3 || res.Status[1].Member != 0x22 {
		t.Errorf("attached %d status series (second %+v), want 3, etcd2's with ID 22", len(res.Status), res.Status[1].Name)
	}
	if len(res.Faults) != 2 || res.Faults[0].Label != "stopped etcd2" || !res.Faults[0].End.Equal(*meta.End) {
		t.Errorf("faults %+v, want etcd2 and etcd3 stopped until the end", res.Faults)
	}
}

func keys[M ~map[string]V, V any](m M) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestSessionStaticEndpoints(t *testing.T) {
	e := newFakeEngine()
	fc := &fakeCluster{members: map[string]*fakeMember{
		"http://127.0.0.1:12379": {id: 0xa1, leader: 0xa1, term: 4, name: "infra1", up: true},
		"http://127.0.0.1:22379": {id: 0xa2, leader: 0xa1, term: 4, name: "infra2", up: false},
	}}
	s := testSession(t, e, fc, Options{ConfigEndpoints: []string{"http://127.0.0.1:12379", "http://127.0.0.1:22379"}})
	stop := runSession(t, s)
	eventually(t, "polls", func() bool { n, _ := s.status.Counts(); s.status.Flush(); return n >= 6 })
	if _, err := stop(); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, l := range readLines(t, filepath.Join(s.Dir(), capdir.StatusFile)) {
		var r capdir.StatusRecord
		json.Unmarshal([]byte(l), &r)
		names[r.Name] = true
	}
	// infra1 answers and names itself; infra2 never answers: its host:port.
	if !names["infra1"] || !names["127.0.0.1:22379"] {
		t.Errorf("status names %v, want infra1 and 127.0.0.1:22379", keys(names))
	}
}

// fullDisk accepts limit bytes, then fails as a full disk does: a short
// write, then ENOSPC.
type fullDisk struct {
	bytes.Buffer
	limit     int
	truncated []int64
}

func (d *fullDisk) Write(p []byte) (int, error) {
	room := d.limit - d.Len()
	if room >= len(p) {
		return d.Buffer.Write(p)
	}
	d.Buffer.Write(p[:max(room, 0)])
	return max(room, 0), &os.PathError{Op: "write", Path: "out/logs.txt", Err: syscall.ENOSPC}
}

func (d *fullDisk) Truncate(n int64) error {
	d.truncated = append(d.truncated, n)
	d.Buffer.Truncate(int(n))
	return nil
}
func (d *fullDisk) Sync() error  { return nil }
func (d *fullDisk) Close() error { return nil }

func TestLineFileFullDisk(t *testing.T) {
	d := &fullDisk{limit: 100}
	l := capdir.NewLineFile("out/logs.txt", d)
	for i := range 20 {
		if err := l.Add(fmt.Appendf(nil, "line %02d of the log", i)); err != nil { // 19 bytes with the newline
			t.Fatalf("Add buffered, want no error yet: %v", err)
		}
	}
	err := l.Flush()
	if err == nil {
		t.Fatal("Flush on a full disk: no error")
	}
	if want := "writing out/logs.txt: no space left on device (15 lines not written)"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if !strings.HasSuffix(d.String(), "\n") || strings.Count(d.String(), "\n") != 5 {
		t.Errorf("file holds %q: want the 5 whole lines that fit", d.String())
	}
	if err := l.Add([]byte("after")); err == nil {
		t.Error("Add after a write error: no error")
	}
	lines, lost := l.Counts()
	if lines != 5 || lost != 16 {
		t.Errorf("counts: %d written, %d lost; want 5, 16", lines, lost)
	}
	if err := l.Close(); err == nil || !strings.Contains(err.Error(), "16 lines not written") {
		t.Errorf("Close: %v, want the write error with 16 lines lost", err)
	}
}

func TestSessionFullDisk(t *testing.T) {
	e := newFakeEngine()
	id := e.add("demo", "etcd1", 1, "", true)
	s := testSession(t, e, nil, Options{})
	d := &fullDisk{limit: 2000}
	s.logs = capdir.NewLineFile(filepath.Join(s.Dir(), capdir.LogsFile), d)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	go func() {
		for i := 0; ctx.Err() == nil; i++ {
			e.log(id, time.Time{}, fmt.Sprintf("line %d", i))
			time.Sleep(time.Millisecond)
		}
	}()
	sum, err := s.Run(ctx) // stops by itself
	if ctx.Err() != nil {
		t.Fatal("Run did not stop on a full disk")
	}
	var we *capdir.WriteError
	if !errors.As(err, &we) || !strings.Contains(err.Error(), "no space left on device") || we.Lost == 0 {
		t.Fatalf("Run: %v; want a capdir.WriteError with lines lost", err)
	}
	if sum.Lost[capdir.LogsFile] != we.Lost {
		t.Errorf("summary lost %v, error says %d", sum.Lost, we.Lost)
	}
	if !strings.HasSuffix(d.String(), "\n") {
		t.Errorf("logs.txt ends inside a line")
	}
	meta, err := capdir.ReadMeta(s.Dir())
	if err != nil || !strings.Contains(meta.Error, "no space left") {
		t.Errorf("meta.json error %q (%v), want the write error", meta.Error, err)
	}
}

func TestDevFull(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	l := capdir.NewLineFile("out/logs.txt", f)
	l.Add([]byte("a line"))
	err = l.Close()
	if err == nil || err.Error() != "writing out/logs.txt: no space left on device (1 line not written)" {
		t.Errorf("Close on /dev/full: %v", err)
	}
}

func TestUnwritableDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	_, err := newSession(t.Context(), Options{Out: filepath.Join(dir, "file", "out"), Project: "demo", AppearTimeout: -1}, newFakeEngine(), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("capture under a file: %v, want not a directory", err)
	}
	out := filepath.Join(dir, "again")
	s, err := newSession(t.Context(), Options{Out: out, Project: "demo", AppearTimeout: -1}, newFakeEngine(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := runSession(t, s)
	stop()
	_, err = newSession(t.Context(), Options{Out: out, Project: "demo", AppearTimeout: -1}, newFakeEngine(), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "already holds a capture") {
		t.Errorf("capture into a capture: %v", err)
	}
}

func TestShutdownLeavesWholeLines(t *testing.T) {
	e := newFakeEngine()
	e.chunk = true
	id := e.add("demo", "etcd1", 1, "http://127.0.0.1:12379", true)
	fc := &fakeCluster{members: map[string]*fakeMember{"http://127.0.0.1:12379": {id: 1, leader: 1, term: 2, name: "etcd1", up: true}}}
	s := testSession(t, e, fc, Options{Interval: time.Millisecond})
	stop := runSession(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ctx.Err() == nil; i++ {
			e.log(id, time.Time{}, strings.Repeat("x", i%300))
			if i%50 == 0 {
				e.action(id, "container", "pause", nil)
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	_, err := stop()
	cancel()
	<-done
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{capdir.LogsFile, capdir.StatusFile, capdir.EventsFile} {
		lines := readLines(t, filepath.Join(s.Dir(), name))
		if len(lines) == 0 {
			t.Errorf("%s is empty", name)
		}
		if strings.HasSuffix(name, ".jsonl") {
			for i, l := range lines {
				if !json.Valid([]byte(l)) {
					t.Errorf("%s:%d: not JSON: %q", name, i+1, l)
				}
			}
		}
	}
}

func TestResolveProject(t *testing.T) {
	e := newFakeEngine()
	e.add("demo", "etcd1", 1, "", true)
	dir := t.TempDir()
	file := filepath.Join(dir, "My Stack.d", "docker-compose.yml")
	os.MkdirAll(filepath.Dir(file), 0o755)
	os.WriteFile(file, nil, 0o644)
	t.Setenv("COMPOSE_PROJECT_NAME", "")
	for _, c := range []struct {
		project, file, want, err string
	}{
		{project: "given", want: "given"},
		{file: file, want: "mystackd"},
		{file: filepath.Join(dir, "missing.yml"), err: "no such file"},
		{err: "no project"},
	} {
		got, err := resolveProject(t.Context(), e, c.project, c.file)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("resolveProject(%q, %q): %v, want %q", c.project, c.file, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("resolveProject(%q, %q) = %q, %v; want %q", c.project, c.file, got, err, c.want)
		}
	}
}
