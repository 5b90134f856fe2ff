package parser

import (
	"compress/gzip"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Every timed line counts, event or not, and a gap is a stretch that no line
// covers, whatever the lines' order.
func TestSpanOfRealLogs(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		path        string
		first, last string
		gaps        []Gap
	}{
		// the demo's README paste: "[...]" elides ten minutes of campaigns
		{"../testdata/shared/seed/etcd-demo-compose-logs.txt", "2020-04-30T17:20:31Z", "2020-04-30T17:30:56.643395Z",
			[]Gap{{at("2020-04-30T17:20:40Z"), at("2020-04-30T17:30:55.882995Z")}}},
		// etcd#6000: two cuts; the last line, "start to snapshot", is no event
		{"../testdata/public/014-etcd6000-capnslog-etcd2-leader-change.log", "2016-07-19T10:41:53Z", "2016-07-19T11:37:03Z",
			[]Gap{{at("2016-07-19T10:41:53Z"), at("2016-07-19T11:30:29.568414Z")}, {at("2016-07-19T11:30:30.119402Z"), at("2016-07-19T11:37:03Z")}}},
		// docker-compose v1 prints each container's lines in blocks, out of
		// time order: the other members' blocks fill what one leaves
		{"../testdata/compose/compose-v1-pre-vote-off.txt.gz", "", "", nil},
		// k3s: journald's zone-less stamps beside zap's zoned times are two
		// hours off; the zoned times are the input's
		{"../testdata/public/018-k3s7293-journald-zap-logrus-prevote.log", "2023-04-17T14:03:01.525Z", "2023-04-17T14:03:06.116Z", nil},
	} {
		f, err := os.Open(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = f
		if strings.HasSuffix(tc.path, ".gz") {
			if r, err = gzip.NewReader(f); err != nil {
				t.Fatal(err)
			}
		}
		rd := NewReader(r, Options{Name: tc.path})
		drain(rd)
		f.Close()
		st := rd.Stats()
		if tc.first != "" && (!st.First.Equal(at(tc.first)) || !st.Last.Equal(at(tc.last))) {
			t.Errorf("%s: lines from %v to %v, want %s to %s", tc.path, st.First, st.Last, tc.first, tc.last)
		}
		if !reflect.DeepEqual(st.Gaps, tc.gaps) {
			t.Errorf("%s: gaps %v, want %v", tc.path, st.Gaps, tc.gaps)
		}
	}
}

// Covered joins inputs: one input's gap is no gap where another has lines.
func TestCovered(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	s := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	a := Stats{First: s(0), Last: s(100), Gaps: []Gap{{s(10), s(60)}}}
	b := Stats{First: s(30), Last: s(40)}
	got := Covered([]Stats{a, b})
	want := []Gap{{s(0), s(10)}, {s(30), s(40)}, {s(60), s(100)}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("covered %v, want %v", got, want)
	}
	if got := Covered([]Stats{a, {First: s(5), Last: s(55)}}); len(got) != 1 {
		t.Fatalf("covered %v, want one stretch", got)
	}
}
