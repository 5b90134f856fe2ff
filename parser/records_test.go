package parser

import (
	"context"
	"os"
	"strings"
	"testing"
)

// brief is an event reduced to what a record test checks.
type brief struct {
	Kind       Kind
	Member     ID
	Peer       ID
	Term       uint64
	PeerTerm   uint64
	Line       int64
	TimeString string
}

func briefs(evs []Event) []brief {
	out := make([]brief, len(evs))
	for i, e := range evs {
		out[i] = brief{e.Kind, e.Member, e.Peer, e.Term, e.PeerTerm, e.Line, e.Time.Format("01-02 15:04:05")}
	}
	return out
}

func mustID(t *testing.T, s string) ID {
	t.Helper()
	id, ok := ParseID(s)
	if !ok {
		t.Fatalf("bad ID %q", s)
	}
	return id
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile("testdata/records/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// etcd 2.0 and 2.1 wrote Go std-log records: the date, the package, the
// message, no level. Read bare and behind journald, they give the same
// events as 3.x's wordings.
func TestGoLogRecords(t *testing.T) {
	journald := readFixture(t, "etcd-2.1.2-journald-golog.log")
	var bare strings.Builder
	for _, l := range strings.SplitAfter(journald, "\n") {
		if i := strings.Index(l, "]: "); i >= 0 {
			l = l[i+3:]
		}
		bare.WriteString(l)
	}
	self, peer := mustID(t, "894e12abf0f70fb7"), mustID(t, "157a9bb7dff17f7d")
	want := []brief{
		{MemberIdentity, 0, peer, 0, 0, 1, "09-14 11:29:32"},
		{PeerActive, 0, peer, 0, 0, 3, "09-14 11:29:32"},
		{HigherTermMessage, self, peer, 1, 2, 4, "09-14 11:29:33"},
		{BecameFollower, self, 0, 2, 0, 5, "09-14 11:29:33"},
		{VoteCast, self, peer, 2, 0, 6, "09-14 11:29:33"},
		{VoteCast, self, peer, 2, 0, 7, "09-14 11:29:33"},
		{HigherTermMessage, self, peer, 2, 3, 8, "09-14 11:29:33"},
		{BecameFollower, self, 0, 3, 0, 9, "09-14 11:29:33"},
	}
	for name, in := range map[string]string{"bare": bare.String(), "journald": journald} {
		r := NewReader(strings.NewReader(in), Options{Name: name})
		got := briefs(drain(r))
		if len(got) != len(want) {
			t.Fatalf("%s: %d events, want %d: %+v", name, len(got), len(want), got)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: event %d\n   got %+v\n  want %+v", name, i, got[i], want[i])
			}
		}
		if st := r.Stats(); st.Malformed != 0 || !strings.HasSuffix(st.Layout, "+go-log") {
			t.Errorf("%s: layout %q, malformed %v", name, st.Layout, st.Errors)
		}
	}
	// raft.node is raft's own message, not a package prefix
	evs := collect(t, "2015/08/20 15:43:27 raft.node: 8e9e05c52164694d lost leader 91bc3c398fb3c146 at term 5\n", Options{})
	if len(evs) != 1 || evs[0].Kind != LeaderLost || evs[0].Peer != mustID(t, "91bc3c398fb3c146") || evs[0].Term != 5 {
		t.Errorf("raft.node in a Go log record: %+v", evs)
	}
}

// etcd 2.2 to 3.0 under journald store bare messages; a link's failures
// ("failed to dial X on stream ...") are lost streams of that peer.
func TestLinkFailures(t *testing.T) {
	r := NewReader(strings.NewReader(readFixture(t, "etcd-2.2-journald-bare.log")), Options{Name: "etcd2"})
	evs := drain(r)
	a, b := mustID(t, "420c9b9a89d8b23d"), mustID(t, "7538e80b548e9d14")
	var lost []ID
	for _, e := range evs {
		if e.Kind == StreamLost {
			lost = append(lost, e.Peer)
		}
	}
	if len(lost) != 4 || lost[0] != a || lost[1] != a || lost[2] != b || lost[3] != b {
		t.Errorf("lost streams %v, want %v twice then %v twice", lost, a, b)
	}
	if len(evs) != 10 {
		t.Errorf("%d events, want 10 (4 link failures, 6 raft lines)", len(evs))
	}
	for _, c := range []struct {
		line string
		kind Kind
	}{
		{"2015/09/14 11:29:40 rafthttp: failed to write 157a9bb7dff17f7d on pipeline (unexpected EOF)", PeerInactive},
		{"2015/09/14 11:29:40 rafthttp: the connection with 157a9bb7dff17f7d became inactive", PeerInactive},
		{"2015/09/14 11:29:40 etcdserver: failed to reach the peerURL(http://10.129.30.69:2380) of member 157a9bb7dff17f7d (Get http://10.129.30.69:2380/version: dial tcp 10.129.30.69:2380: connection refused)", PeerURLUnreachable},
	} {
		evs := collect(t, c.line+"\n", Options{})
		if len(evs) != 1 || evs[0].Kind != c.kind || evs[0].Peer != mustID(t, "157a9bb7dff17f7d") {
			t.Errorf("%q: %+v, want one %s", c.line, evs, c.kind)
		}
	}
}

// Zap records glued on one line are read one by one, as if on lines of
// their own; what follows a record's closing brace and is not a record is
// reported as such.
func TestGluedZapRecords(t *testing.T) {
	lines := readLines(t, "../testdata/real/3.6.16-quorum-loss-prevote-off/n1.log")
	var recs []string
	for _, l := range lines {
		if strings.Contains(l, `"msg":"raft.node: `) {
			recs = append(recs, l)
		}
	}
	if len(recs) < 3 {
		t.Fatalf("%d raft.node lines", len(recs))
	}
	sep := collect(t, strings.Join(recs[:3], "\n")+"\n", Options{})
	r := NewReader(strings.NewReader(recs[0]+recs[1]+"\n"+recs[2]+"\n"), Options{})
	glued := drain(r)
	if len(glued) != 3 {
		t.Fatalf("%d events from 2 records glued and 1 alone, want 3", len(glued))
	}
	wantLines := []int64{1, 1, 2}
	for i := range glued {
		g, w := glued[i], sep[i]
		if g.Kind != w.Kind || g.Member != w.Member || g.Peer != w.Peer || g.Term != w.Term || !g.Time.Equal(w.Time) || g.Line != wantLines[i] {
			t.Errorf("event %d: %+v, want %+v on line %d", i, g, w, wantLines[i])
		}
	}
	if st := r.Stats(); st.Lines != 2 || st.Malformed != 0 {
		t.Errorf("stats %+v", st)
	}

	for _, c := range []struct{ line, why string }{
		{recs[0] + `garbage`, "bytes after the JSON record's closing brace"},
		{recs[0][:len(recs[0])-10], "truncated JSON record"},
	} {
		r := NewReader(strings.NewReader(c.line+"\n"), Options{})
		if evs := drain(r); len(evs) != 0 || len(r.Stats().Errors) != 1 || r.Stats().Errors[0].Msg != c.why {
			t.Errorf("%q: %d events, errors %v, want %q", c.line, len(evs), r.Stats().Errors, c.why)
		}
	}
}

// Lines of a known wording with a value no etcd writes are malformed with
// a reason, never dropped unseen.
func TestMalformedValues(t *testing.T) {
	zap := `{"level":"info","ts":%s,"logger":"raft","caller":"v3@v3.6.0/node.go:370","msg":"raft.node: c1afc607fb48dea elected leader 302e2e4c5374c763 at term 2"}`
	for _, c := range []struct{ line, why string }{
		{strings.Replace(zap, "%s", "253402300800.0", 1), "time outside the years 0 to 9999"},
		{"raft2020/04/30 17:20:31 INFO: 0 became leader at term 3", "member ID 0"},
		{"raft2020/04/30 17:20:31 INFO: bd388e7810915853 [logterm: 1, index: 3] sent MsgVote request to 0 at term 3", "peer ID 0"},
		{"raft2020/04/30 17:20:31 INFO: bd388e78109158530123 became leader at term 3", "member ID longer than 16 hex digits"},
		{`{"level":"warn","ts":"2026-11-23T21:51:24.412Z","caller":"etcdserver/server.go:1","msg":"leadership transfer starting","local-member-id":"0","current-leader-member-id":"302e2e4c5374c763","transferee-member-id":"c1afc607fb48dea"}`,
			"bad local-member-id (0, or not a hex ID of up to 16 digits)"},
		{`{"level":"info","ts":"2026-11-23T21:51:24.412Z","caller":"etcdserver/server.go:1","message":"raft.node: c1afc607fb48dea elected leader 302e2e4c5374c763 at term 2"}`,
			"zap JSON record without msg"},
	} {
		r := NewReader(strings.NewReader(c.line+"\n"), Options{})
		evs := drain(r)
		if st := r.Stats(); len(evs) != 0 || st.Malformed != 1 || len(st.Errors) != 1 || st.Errors[0].Msg != c.why {
			t.Errorf("%q: %d events, errors %v, want %q", c.line, len(evs), st.Errors, c.why)
		}
	}
	// the last second etcd can write is read
	if evs := collect(t, strings.Replace(zap, "%s", "253402300799.0", 1)+"\n", Options{}); len(evs) != 1 || evs[0].Time.Year() != 9999 {
		t.Errorf("year 9999: %+v", evs)
	}
}

// A shutdown's "closing etcd server" line repeats its signal line and is
// dropped, per stream: two members of one compose stream that stop at once
// keep a shutdown each.
func TestShutdownRepeatDropped(t *testing.T) {
	var sig, closing string
	for _, l := range readLines(t, "../testdata/real/3.6.16-clean-stop-prevote-off/n1.log") {
		switch {
		case strings.Contains(l, "received signal; shutting down"):
			sig = l
		case strings.Contains(l, "closing etcd server"):
			closing = l
		}
	}
	in := "etcd1-1  | " + sig + "\netcd2-1  | " + sig + "\netcd1-1  | " + closing + "\netcd2-1  | " + closing + "\n"
	for _, chunk := range []int{0, 64} {
		var evs []Event
		if chunk == 0 {
			evs = collect(t, in, Options{})
		} else {
			defer func(n int) { ChunkBytes = n }(ChunkBytes)
			ChunkBytes = chunk
			if _, err := Read(context.Background(), []Source{{R: strings.NewReader(in)}}, 2, func(e *Event) { evs = append(evs, e.Clone()) }); err != nil {
				t.Fatal(err)
			}
		}
		if len(evs) != 2 || evs[0].Source != "etcd1" || evs[1].Source != "etcd2" || evs[0].Line != 1 || evs[1].Line != 2 {
			t.Errorf("chunks of %d: %+v, want the two signal lines", chunk, evs)
		}
	}
	// a bare stream: one shutdown
	if evs := collect(t, sig+"\n"+closing+"\n", Options{}); len(evs) != 1 {
		t.Errorf("%d shutdown events from one stream, want 1", len(evs))
	}
}

// An event says what its line says: a member ID only when the line names
// it, and a name only when the line announces one.
func TestEventsSayWhatTheLineSays(t *testing.T) {
	for name, data := range parallelInputs(t) {
		for _, e := range collect(t, data, Options{Name: name}) {
			if e.Member != 0 && !strings.Contains(string(e.Text), e.Member.String()) {
				t.Fatalf("%s:%d: member %s not in the line %q", name, e.Line, e.Member, e.Text)
			}
			if e.Name != "" && !strings.Contains(string(e.Text), e.Name) {
				t.Fatalf("%s:%d: name %q not in the line %q", name, e.Line, e.Name, e.Text)
			}
			if e.Source != "" && !strings.Contains(string(e.Text), e.Source) {
				t.Fatalf("%s:%d: stream %q not in the line %q", name, e.Line, e.Source, e.Text)
			}
		}
	}
}
