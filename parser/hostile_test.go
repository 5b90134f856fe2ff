package parser

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
)

// A real line that must survive whatever comes before it.
const survivor = "raft2020/04/30 17:30:56 INFO: bd388e7810915853 became leader at term 422"

func TestHostileInput(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	binary := make([]byte, 64<<10)
	rng.Read(binary)
	cases := []struct {
		name      string
		input     string
		malformed int64
	}{
		{"binary", string(binary) + "\n", -1},
		{"10MB line", strings.Repeat("a", 10<<20) + "\n", 0},
		{"line over the limit", strings.Repeat("{", MaxLineBytes+10) + "\n", 1},
		{"truncated JSON", `{"level":"info","ts":"2026-11-23T21:07:10.243997Z","logger":"raft","msg":"2cc700251cf9e94 became leader at te` + "\n", 1},
		{"JSON with a bad value", `{"level":"info","ts":"2026-11-23T21:07:10.243997Z","msg":x}` + "\n", 1},
		{"JSON with a bad timestamp", `{"level":"info","ts":"2026-13-23T21:07:10Z","msg":"2cc700251cf9e94 became leader at term 5"}` + "\n", 1},
		{"invalid UTF-8", "raft2020/04/30 17:20:31 INFO: \xff\xfe became leader at term \xc3\x28\n", 0},
		{"NUL bytes", "raft2020/04/30 17:20:31 INFO: bd388e7810915853 became\x00leader at term 3\n\x00\x00\x00\n", 0},
		{"CRLF", "2020-04-30 17:20:31.622130 W | rafthttp: lost the TCP streaming connection with peer d282ac2ce600c1ce (stream MsgApp v2 reader)\r\n", 0},
		{"bad term number", "raft2020/04/30 17:20:31 INFO: bd388e7810915853 became leader at term 99999999999999999999999\n", 1},
		{"capnslog with a bad date", "2020-04-31x17:20:31.622130 W | rafthttp: x\n2020-44-30 17:20:31.622130 W | rafthttp: x\n", 1},
		{"script in a member name", "</script><script>alert(1)</script>  | raft2020/04/30 17:20:31 INFO: bd388e7810915853 became leader at term 3\n", 0},
		{"only newlines", strings.Repeat("\n", 1000), 0},
		{"empty", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.input + survivor + "\n"
			r := NewReader(strings.NewReader(in), Options{Name: "hostile.log"})
			evs := drain(r)
			if r.Err() != nil {
				t.Fatalf("Err: %v", r.Err())
			}
			st := r.Stats()
			if c.malformed >= 0 && st.Malformed != c.malformed {
				t.Errorf("malformed = %d, want %d (%v)", st.Malformed, c.malformed, st.Errors)
			}
			for _, e := range st.Errors {
				if !strings.HasPrefix(e.Error(), "hostile.log:") {
					t.Errorf("error %q does not start with file:line", e.Error())
				}
			}
			if len(evs) == 0 {
				t.Fatalf("the real line after the hostile input was lost")
			}
			last := evs[len(evs)-1]
			if last.Kind != BecameLeader || last.Term != 422 || last.Member != idA {
				t.Errorf("last event %+v, want became-leader 422 of %s", last, idA)
			}
			if int64(bytes.Count([]byte(in), []byte("\n"))) != st.Lines {
				t.Errorf("lines = %d, want %d", st.Lines, bytes.Count([]byte(in), []byte("\n")))
			}
		})
	}
}

func TestNoFinalNewline(t *testing.T) {
	r := NewReader(strings.NewReader(survivor), Options{})
	evs := drain(r)
	if len(evs) != 1 || evs[0].Term != 422 || r.Stats().Lines != 1 {
		t.Fatalf("events %v, lines %d", evs, r.Stats().Lines)
	}
}

// CRLF and LF give the same events.
func TestCRLF(t *testing.T) {
	for _, path := range realMemberLogs(t)[:3] {
		lines := readLines(t, path)
		lf := collect(t, strings.Join(lines, "\n")+"\n", Options{})
		crlf := collect(t, strings.Join(lines, "\r\n")+"\r\n", Options{})
		if len(lf) != len(crlf) {
			t.Fatalf("%s: %d events with LF, %d with CRLF", path, len(lf), len(crlf))
		}
		for i := range lf {
			if comparable(lf[i]) != comparable(crlf[i]) {
				t.Fatalf("%s: event %d differs", path, i)
			}
		}
	}
}

// The first malformed lines are kept, the rest only counted.
func TestMalformedReportedFirstFew(t *testing.T) {
	in := strings.Repeat(`{"level":"info","ts":"2026-11-23T21:07:10Z","msg":"trunc`+"\n", 20)
	r := NewReader(strings.NewReader(in), Options{Name: "x.log", MaxErrors: 3})
	drain(r)
	st := r.Stats()
	if st.Malformed != 20 || len(st.Errors) != 3 {
		t.Fatalf("malformed %d, errors %d", st.Malformed, len(st.Errors))
	}
	if got := st.Errors[2].Error(); got != "x.log:3: truncated JSON record" {
		t.Errorf("error = %q", got)
	}
}
