package parser

import (
	"bytes"
	"os"
	"testing"
	"unicode/utf8"
)

// seedFiles are the fixtures the fuzz corpora are seeded from.
var seedFiles = []string{
	"../testdata/shared/seed/etcd-demo-compose-logs.txt",
	"../testdata/shared/etcd-3.4.45/L01-v3.4.45-capnslog/n2.log",
	"../testdata/shared/etcd-3.4.45/L03-v3.4.45-zap/n2.log",
}

// readSeeds calls fn with the contents of each file.
func readSeeds(f *testing.F, paths []string, fn func(data []byte)) {
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		fn(data)
	}
}

// seedLines adds real lines from the fixtures to a fuzz corpus.
func seedLines(f *testing.F, add func(line []byte)) {
	readSeeds(f, seedFiles, func(data []byte) {
		for i, l := range bytes.Split(data, []byte("\n")) {
			if i%7 == 0 {
				add(l)
			}
		}
	})
}

// FuzzReader feeds arbitrary input to the Reader under every layout: it must
// not panic, must count every line, and must keep its invariants.
func FuzzReader(f *testing.F) {
	seedLines(f, func(l []byte) { f.Add(l, uint8(0)) })
	f.Add([]byte("etcd3_1  | 2020-04-30T17:20:31.622130123Z raft2020/04/30 17:20:31 INFO: 1 became leader at term 3\n"), uint8(1))
	f.Add([]byte(`{"MESSAGE":"{\"level\":\"info\",\"ts\":\"2026-11-23T21:07:10Z\",\"msg\":\"a became leader at term 2\"}","__REALTIME_TIMESTAMP":"1"}`), uint8(6))
	// the layouts of issue 11 (layout 0: detected)
	for _, l := range []string{
		"2024-01-02T03:04:05.123456789Z stderr P {\"level\":\"info\",\"ts\":\"2024-01-02T03:04:05Z\",\n2024-01-02T03:04:05.123456789Z stderr F \"msg\":\"a became leader at term 2\"}\n",
		`{"log":"raft2020/06/21 08:11:23 INFO: 1 became leader at term 3\n","stream":"stderr","time":"2020-06-21T08:11:23.123456789Z"}` + "\n",
		"14:39:53  etcd2 | 2015/08/20 14:39:53 raft: 8e9e05c52164694d became candidate at term 5\n14:39:54 etcd2 | 8e9e05c52164694d became leader at term 5\n",
		"etcd-1 etcd raft2021/01/10 11:50:36 INFO: 6e5dda50b9141776 became candidate at term 3\n",
		"1月 18 00:35:31 node1 etcd[1]: 6e5dda50b9141776 became candidate at term 3\nJan 18 00:35:31  etcd: x\n",
		"Mon 2020-04-27 23:15:56 UTC host etcd[1]: 2020-04-27 23:15:56.100000 I | raft: 1 became leader at term 3\n",
		"● etcd.service - etcd\n   Loaded: loaded\nApr 17 16:03:06 node-003 k3s[3805670]: time=\"2023-04-17T16:03:06Z\" level=info msg=\"x\"\n",
		// the layouts of issue 11's public excerpts (testdata/public)
		"\tLine 3721: Mar 13 05:51:16 mn-0 etcd[825]: 4bc7141c11bf71da became follower at term 156\nn1.log:12:raft2020/04/30 17:20:31 INFO: 1 became leader at term 3\n",
		"(member-2) (19803): raft 2024/02/17 09:53:19 INFO: bf19ae4419db00dc became follower at term 7\n",
		"2022-10-28T09:12:25.024\tINFO\traft\tv3@v3.5.4/raft.go:715\t58538a766adc54bf became pre-candidate at term 4\n1666948345.024\tinfo\traft/raft.go:1\ta became leader at term 2\n",
		`{"message":"a691154c733f3752 became pre-candidate at term 18","severity":"info","timestamp":"2023-05-17T14:25:01.439+00:00"}` + "\n",
		`time="2024-01-26 12:16:11" level=info msg="{\"level\":\"info\",\"ts\":\"2024-01-26T12:16:11.536Z\",\"msg\":\"a3ec072c51c0d67b became pre-candidate at term 254\"}" compo>` + "\n",
		`remaining ticks: 4)"}{"level":"info","ts":"2021-09-16T05:38:02.983Z","msg":"27ecc6d4a68d02f became follower at term 900"}` + "\n",
		// records a pager cut inside their msg (a vote request after its type: see parseRaftCut)
		`time="2024-01-26 12:16:10" level=info msg="{\"level\":\"info\",\"ts\":\"2024-01-26T12:16:10.236Z\",\"logger\":\"raft\",\"caller\":\"etcdserver/zap_raft.go:77\",\"msg\":\"a3ec072c51c0d67b [logterm: 254, index: 109514821] sent MsgPreVote>` + "\n",
		`{"level":"info","ts":"2026-11-23T21:48:55.801735Z","logger":"raft","caller":"etcdserver/zap_raft.go:77","msg":"ef464d43d1e21f2e [logterm: 2, index: 11] sent MsgVote request to 70c3b56744cddeba at>` + "\n",
		"17:07:59.527113 raft.go:372: raft: 4ed8a71b21f7187a became candidate at term 2\n2018/12/21 22:18:35.917 log.go:88: [info] rafthttp: [peer b83a669e9ecde62d became inactive]\n",
	} {
		f.Add([]byte(l), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, layout uint8) {
		name := "auto"
		if int(layout) < len(Layouts)+1 && layout > 0 {
			name = Layouts[layout-1]
		}
		r := NewReader(bytes.NewReader(data), Options{Name: "fuzz", Layout: name})
		var events int64
		for r.Scan() {
			e := r.Event()
			events++
			if e.Kind == KindNone || e.Kind >= kindCount {
				t.Fatalf("bad kind %d", e.Kind)
			}
			if e.Line < 1 || e.Line > int64(bytes.Count(data, []byte("\n")))+1 {
				t.Fatalf("line %d out of range", e.Line)
			}
			if !fromInput(data, e.Text) {
				t.Fatalf("event text %q is not from the input", e.Text)
			}
			_ = e.Member.String()
		}
		st := r.Stats()
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
		if st.Events != events || st.Skipped+st.Malformed+st.Events > st.Lines+st.Glued {
			t.Fatalf("stats %+v for %d events", st, events)
		}
		if !utf8.ValidString(st.Layout) {
			t.Fatalf("layout %q", st.Layout)
		}
	})
}

// fromInput reports whether an event's text is a line of data (colours
// stripped), or CRI partial lines of data joined: the first part whole, then
// the contents of the parts after it.
func fromInput(data, text []byte) bool {
	if bytes.Contains(data, bytes.TrimRight(stripANSI(nil, text), "\r")) || bytes.Contains(stripANSI(nil, data), text) {
		return true
	}
	for _, l := range bytes.Split(data, []byte("\n")) {
		if _, partial, _, ok := criHeader(l); ok && partial && bytes.HasPrefix(text, l) {
			return true
		}
	}
	return false
}

// FuzzRaftMessage feeds arbitrary messages to the raft wording parser.
func FuzzRaftMessage(f *testing.F) {
	for _, c := range raftCatalogue() {
		f.Add([]byte(sprintf(c.format, c.args...)))
	}
	for _, c := range serverCatalogue() {
		f.Add([]byte(sprintf(c.format, c.args...)))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		var ev Event
		k, _, bad := parseRaft(msg, &ev)
		if bad != "" && k != KindNone {
			t.Fatalf("kind %s with error %q", k, bad)
		}
		// the memo, warm with msg and with msg at another term, gives what parseRaft gives
		m := new(raftMemo)
		checkMemo(t, m, string(msg))
		checkMemo(t, m, string(msg))
		if i := bytes.LastIndex(msg, []byte(atTerm)); i >= 0 {
			checkMemo(t, m, string(msg[:i+len(atTerm)])+"42")
		}
		var h serverHint
		parseServerText(msg, &h)
		if _, ok := parseDuration(h.duration); !ok && len(h.duration) > 0 {
			_ = ok // an unparsable duration is left zero, never a crash
		}
	})
}
