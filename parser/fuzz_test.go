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
			if !bytes.Contains(data, bytes.TrimRight(stripANSI(nil, e.Text), "\r")) && !bytes.Contains(stripANSI(nil, data), e.Text) {
				t.Fatalf("event text %q is not from the input", e.Text)
			}
			_ = e.Member.String()
		}
		st := r.Stats()
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
		if st.Events != events || st.Skipped+st.Malformed+st.Events > st.Lines {
			t.Fatalf("stats %+v for %d events", st, events)
		}
		if !utf8.ValidString(st.Layout) {
			t.Fatalf("layout %q", st.Layout)
		}
	})
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
		var h serverHint
		parseServerText(msg, &h)
		if _, ok := parseDuration(h.duration); !ok && len(h.duration) > 0 {
			_ = ok // an unparsable duration is left zero, never a crash
		}
	})
}
