package parser

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The layouts of issue 11's public excerpts that gave no events: each is
// read on the excerpt's own lines (testdata/public, threads named in its
// README) and, where a real etcd prints the record inside, on lab lines
// wrapped the same way, which must give the events of the bare lines.

const (
	publicDir  = "../testdata/public/"
	consoleLog = "../testdata/real/3.6.16-quorum-loss-prevote-off-console/n1.log"
	stdlogLog  = "../testdata/shared/etcd-3.4.45/L01-v3.4.45-capnslog/n1.log" // raft std-logger and capnslog
)

func publicEvents(t *testing.T, name string, opts Options) ([]Event, Stats) {
	t.Helper()
	opts.Name = name
	r := NewReader(strings.NewReader(strings.Join(readLines(t, publicDir+name), "\n")+"\n"), opts)
	evs := drain(r)
	return evs, r.Stats()
}

// wrapped reads lines each rewritten by wrap and checks that they give the
// events of the bare lines, and the layout named.
func wrapped(t *testing.T, path, layout string, opts Options, wrap func(i int, l string) string) []Event {
	t.Helper()
	lines := readLines(t, path)
	bare := collect(t, strings.Join(lines, "\n")+"\n", opts)
	if len(bare) < 10 {
		t.Fatalf("%s: only %d events", path, len(bare))
	}
	var b strings.Builder
	for i, l := range lines {
		b.WriteString(wrap(i, l))
		b.WriteByte('\n')
	}
	got, st := eventsOf(t, b.String(), opts)
	sameEvents(t, got, bare)
	if st.Layout != layout {
		t.Errorf("layout %q, want %q", st.Layout, layout)
	}
	return got
}

// 032 (etcd-io/etcd#9464) quotes journald lines as an editor's find-in-files
// lists them ("\tLine 3720: "); grep -n and grep -rn print "N:" and "file:N:".
func TestGrepPrefix(t *testing.T) {
	evs, st := publicEvents(t, "032-etcd9464-grep-n-journald-stale-rejoin.log", Options{Year: 2018})
	if len(evs) != 8 || st.Malformed != 0 || st.Layout != "grep-n/journald+text" {
		t.Fatalf("%d events, stats %+v", len(evs), st)
	}
	mn0, sn2 := mustID(t, "4bc7141c11bf71da"), mustID(t, "60d080439b99d9ca")
	if e := evs[3]; e.Kind != LeaderLost || e.Member != mn0 || e.Peer != sn2 || e.Source != "mn-0" || e.Term != 156 {
		t.Errorf("event 4: %+v", e)
	}
	if e := evs[4]; e.Source != "sn-2" || e.Member != sn2 || e.Time.Format(time.DateTime) != "2018-03-13 05:51:16" {
		t.Errorf("event 5: %+v", e)
	}

	wrapped(t, stdlogLog, "grep-n/bare+raft-stdlog,capnslog", Options{}, func(i int, l string) string { return fmt.Sprintf("%d:%s", i+1, l) })
	got := wrapped(t, stdlogLog, "grep-n/bare+raft-stdlog,capnslog", Options{}, func(i int, l string) string {
		return fmt.Sprintf("logs/n1.log:%d:%s", i+1, l)
	})
	if got[0].Source != "logs/n1.log" {
		t.Errorf("grep -rn: source %q, want the file", got[0].Source)
	}
	wrapped(t, zapLog, "grep-n/bare+zap-json", Options{}, func(i int, l string) string { return fmt.Sprintf("\tLine %d: %s", i+1, l) })
}

// 031 (etcd-io/etcd#17455): etcd's e2e and robustness test framework
// prefixes each member process's lines with "(member-N) (pid): ".
func TestTestFrameworkMemberPrefix(t *testing.T) {
	evs, st := publicEvents(t, "031-etcd17455-robustness-member-prefix-raft-stdlog.log", Options{})
	if len(evs) != 9 || st.Malformed != 0 || st.Layout != "member-prefix/bare+raft-stdlog" {
		t.Fatalf("%d events, stats %+v", len(evs), st)
	}
	for i, want := range []string{"member-2", "member-1", "member-1", "member-1", "member-0", "member-0", "member-0", "member-2", "member-2"} {
		if evs[i].Source != want {
			t.Errorf("event %d: source %q, want %q", i+1, evs[i].Source, want)
		}
	}
	got := wrapped(t, stdlogLog, "member-prefix/bare+raft-stdlog,capnslog", Options{}, func(_ int, l string) string { return "(member-0) (19844): " + l })
	if got[0].Source != "member-0" {
		t.Errorf("source %q", got[0].Source)
	}
}

// 030 (etcd-io/etcd#14666): a program embedding etcd's raft logs zap console
// lines with a zone-less time; zap's epoch encoder writes float seconds.
func TestZapConsoleTimes(t *testing.T) {
	evs, st := publicEvents(t, "030-etcd14666-zap-console-tabs-prevote-loop.log", Options{})
	if len(evs) != 7 || st.Malformed != 0 || st.Layout != "bare+zap-console" {
		t.Fatalf("%d events, stats %+v", len(evs), st)
	}
	if e := evs[5]; e.Kind != VoteRefused || e.PeerLogTerm != 3 || e.PeerIndex != 4350546 || e.LogTerm != 4 || e.Index != 4355640 {
		t.Errorf("event 6: %+v", e)
	}
	// zone-less: in Options.TZ
	tz := time.FixedZone("CEST", 2*3600)
	at, _ := publicEvents(t, "030-etcd14666-zap-console-tabs-prevote-loop.log", Options{TZ: tz})
	if d := evs[0].Time.Sub(at[0].Time); d != 2*time.Hour {
		t.Errorf("zone-less time in UTC+2 is %v before UTC's, want 2h", d)
	}

	// etcd's own console lines ("...Z"), the zone dropped, and as epoch seconds
	wrapped(t, consoleLog, "bare+zap-console", Options{}, func(_ int, l string) string {
		if i := strings.IndexByte(l, '\t'); i > 0 && l[i-1] == 'Z' {
			return l[:i-1] + l[i:]
		}
		return l
	})
	wrapped(t, consoleLog, "bare+zap-console", Options{}, func(_ int, l string) string {
		i := strings.IndexByte(l, '\t')
		ts, err := time.Parse(time.RFC3339Nano, l[:max(i, 0)])
		if err != nil {
			return l
		}
		return fmt.Sprintf("%d.%06d%s", ts.Unix(), ts.Nanosecond()/1000, l[i:])
	})
}

// 036 (etcd-io/etcd#15929): a log shipper re-encoded etcd's zap records as
// "message", "severity", "timestamp".
func TestShipperJSON(t *testing.T) {
	evs, st := publicEvents(t, "036-etcd15929-log-shipper-json-prevote.log", Options{})
	if len(evs) != 4 || st.Malformed != 0 || st.Layout != "bare+shipper-json" {
		t.Fatalf("%d events, stats %+v", len(evs), st)
	}
	if e := evs[0]; e.Kind != VoteRequest || e.Msg != MsgPreVote || e.Term != 18 || e.Time.Format(time.RFC3339Nano) != "2023-05-17T14:25:00.239Z" {
		t.Errorf("event 1: %+v", e)
	}
	for _, names := range [][3]string{{"message", "severity", "timestamp"}, {"message", "log.level", "@timestamp"}, {"log", "level", "time"}} {
		t.Run(names[1], func(t *testing.T) {
			wrapped(t, zapLog, "bare+shipper-json", Options{}, func(_ int, l string) string {
				var m map[string]any
				if json.Unmarshal([]byte(l), &m) != nil {
					return l
				}
				msg, level, ts := m["msg"], strings.ToUpper(m["level"].(string)), m["ts"]
				delete(m, "msg")
				delete(m, "level")
				delete(m, "ts")
				m[names[0]], m[names[1]], m[names[2]] = msg, level, ts
				b, _ := json.Marshal(m)
				return string(b)
			})
		})
	}
}

// 033 (k0sproject/k0s#3977): k0s logs etcd's zap records through logrus,
// quoted as msg; journalctl's pager cut the long lines ('>').
func TestLogrusWrappedZap(t *testing.T) {
	evs, st := publicEvents(t, "033-k0s3977-journald-logrus-wrapped-zap-truncated.log", Options{})
	if len(evs) != 3 || st.Malformed != 1 || st.Layout != "journald+zap-json" {
		t.Fatalf("%d events, stats %+v", len(evs), st)
	}
	// line 1 is cut after "sent MsgPreVote": a pre-vote request, at the member's
	// term as far as its log term tells
	if e := evs[0]; e.Kind != VoteRequest || e.Msg != MsgPreVote || e.Term != 254 || e.LogTerm != 254 ||
		e.Index != 109514821 || e.Peer != 0 || e.Member != mustID(t, "a3ec072c51c0d67b") || e.Line != 1 {
		t.Errorf("event 1: %+v", e)
	}
	if e := evs[1]; e.Kind != ElectionStart || e.Term != 254 || e.Source != "k8master" {
		t.Errorf("event 2: %+v", e)
	}
	for _, e := range st.Errors { // line 5 is cut before the term of the vote it got
		if e.Line != 5 || !strings.Contains(e.Msg, "cut inside its message") {
			t.Errorf("error %v", e)
		}
	}
	wrapped(t, zapLog, "bare+zap-json", Options{}, func(_ int, l string) string {
		return `time="2024-01-26 12:16:10" level=info msg=` + strconv.Quote(l) + ` component=etcd`
	})
	// a record cut after its msg keeps its event
	lines := readLines(t, zapLog)
	var cut []string
	for _, l := range lines {
		if i := strings.Index(l, `","`); i > 0 && strings.Contains(l, "became leader") {
			if j := strings.LastIndex(l, `"}`); j > 0 && strings.Contains(l[:j], `"msg":"`) {
				cut = append(cut, l[:strings.Index(l, `"msg":"`)+strings.Index(l[strings.Index(l, `"msg":"`)+7:], `"`)+8]+`,"x>`)
			}
		}
	}
	if len(cut) == 0 {
		t.Fatal("no became-leader line")
	}
	got, _ := eventsOf(t, strings.Join(cut, "\n")+"\n", Options{})
	if len(got) != len(cut) || got[0].Kind != BecameLeader {
		t.Errorf("%d events from %d cut records: %+v", len(got), len(cut), got)
	}
}

// A record cut inside its msg, at every byte of the msgs of a real run's
// election lines, is a vote request or nothing: never another event, nor
// one whose values the cut changed. A vote request keeps its member, log
// term, index and type, its peer only when whole, and states a term no
// higher than the line's.
func TestCutInsideMsg(t *testing.T) {
	var whole []Event
	var cuts, requests int
	var lines []string
	for _, p := range []string{zapLog, "../testdata/real/3.5.35-quorum-loss-prevote-on/n2.log"} {
		lines = append(lines, readLines(t, p)...)
	}
	pre := 0
	for _, l := range lines {
		ev, _ := eventsOf(t, l+"\n", Options{})
		if len(ev) != 1 || !strings.Contains(l, `"logger":"raft"`) {
			continue
		}
		whole = append(whole, ev[0])
		w := ev[0]
		at := strings.Index(l, `"msg":"`) + len(`"msg":"`)
		end := at + strings.Index(l[at:], `"`)
		for n := at; n < end; n++ {
			r := NewReader(strings.NewReader(l[:n]+">\n"), Options{})
			got, st := drain(r), r.Stats()
			cuts++
			if len(got) == 0 { // malformed, as any record cut inside its msg: not a zap record either
				if st.Malformed != 1 || st.Records != 0 || st.Layout != "bare" {
					t.Fatalf("cut at %d of %q: no event, stats %+v", n, l, st)
				}
				continue
			}
			g := got[0]
			if len(got) != 1 || w.Kind != VoteRequest || g.Kind != VoteRequest || g.Member != w.Member ||
				g.LogTerm != w.LogTerm || g.Index != w.Index || g.Msg != w.Msg || g.Term > w.Term ||
				g.Peer != 0 && g.Peer != w.Peer || !g.Time.Equal(w.Time) {
				t.Fatalf("cut at %d of %q: %+v, whole %+v", n, l, got, w)
			}
			requests++
			if g.Msg == MsgPreVote {
				pre++
			}
		}
	}
	if len(whole) < 50 || requests == 0 || pre == 0 {
		t.Fatalf("%d election lines, %d of %d cuts read as vote requests (%d pre-vote)", len(whole), requests, cuts, pre)
	}
}

// 006 (etcd-io/etcd#13352): the paste starts in the middle of a line of
// glued records; the cut one is malformed, the glued ones after it are read.
func TestCutRecordBeforeGlued(t *testing.T) {
	evs, st := publicEvents(t, "006-etcd13352-zap-json-glued-leader.log", Options{})
	if st.Malformed != 1 || st.Glued != 2 || len(evs) != 7 {
		t.Fatalf("%d events, stats %+v", len(evs), st)
	}
	leader, by := mustID(t, "27ecc6d4a68d02f"), mustID(t, "2c93ddd62e188857")
	if e := evs[0]; e.Kind != VoteIgnoredLease || e.Member != leader || e.Peer != by || e.Line != 1 || e.PeerIndex != 137970097 || e.Index != 137970123 {
		t.Errorf("event 1: %+v", e)
	}
	if e := evs[1]; e.Kind != HigherTermMessage || e.PeerTerm != 900 || e.Line != 1 {
		t.Errorf("event 2: %+v", e)
	}
}

// 001 (etcd-io/etcd#1864): etcd 2.0's development builds logged with
// log.Lmicroseconds|log.Lshortfile and no date.
func TestGoLogTimeOnly(t *testing.T) {
	ref := time.Date(2014, 12, 5, 18, 0, 0, 0, time.UTC)
	evs, st := publicEvents(t, "001-etcd1864-lost-leader-goraft-dev.log", Options{ReferenceTime: ref})
	if len(evs) != 7 || st.Malformed != 0 || st.Layout != "bare+go-log" {
		t.Fatalf("%d events, stats %+v", len(evs), st)
	}
	if e := evs[1]; e.Kind != BecameCandidate || e.Term != 2 || e.Time.Format(time.RFC3339Nano) != "2014-12-05T17:07:59.527113Z" {
		t.Errorf("event 2: %+v", e)
	}
	// the same flags with a date
	dated := "2014/12/05 17:07:59.527113 raft.go:372: raft: 4ed8a71b21f7187a became candidate at term 2\n"
	got, _ := eventsOf(t, dated, Options{})
	if len(got) != 1 || !got[0].Time.Equal(evs[1].Time) {
		t.Errorf("dated: %+v", got)
	}
}

// 028 (etcd-io/etcd#10355): PingCAP's PD embeds etcd and logs its raft and
// rafthttp lines with Go's log flags, milliseconds and a bracketed level.
func TestPDLogger(t *testing.T) {
	evs, st := publicEvents(t, "028-etcd10355-pd-logger-prevote-never-elects.log", Options{})
	if len(evs) != 10 || st.Malformed != 0 || st.Layout != "bare+go-log" {
		t.Fatalf("%d events, stats %+v", len(evs), st)
	}
	peer := mustID(t, "b83a669e9ecde62d")
	if e := evs[7]; e.Kind != PeerInactive || e.Peer != peer || e.Level != LevelInfo {
		t.Errorf("event 8: %+v", e)
	}
	if e := evs[6]; e.Level != LevelError || e.Time.Format(time.RFC3339Nano) != "2018-12-21T22:18:35.917Z" {
		t.Errorf("event 7: %+v", e)
	}
}

// The new layouts stay off the heap, once the Reader's buffers have grown.
func TestTailLayoutsDoNotAllocate(t *testing.T) {
	for _, c := range []struct {
		outer outer
		line  string
	}{
		{outerGrep, "\tLine 3721: 4bc7141c11bf71da became follower at term 156"},
		{outerGrep, "logs/n1.log:12:raft2020/04/30 17:20:31 INFO: 4bc7141c11bf71da became follower at term 156"},
		{outerMember, "(member-2) (19803): raft 2024/02/17 09:53:19 INFO: bf19ae4419db00dc became follower at term 7"},
		{outerNone, "2022-10-28T09:12:25.024\tINFO\traft\tv3@v3.5.4/raft.go:715\t58538a766adc54bf became pre-candidate at term 4"},
		{outerNone, "1666948345.024\tinfo\traft/raft.go:715\t58538a766adc54bf became pre-candidate at term 4"},
		{outerNone, `{"message":"a691154c733f3752 became pre-candidate at term 18","severity":"info","timestamp":"2023-05-17T14:25:01.439+00:00"}`},
		{outerNone, `time="2024-01-26 12:16:11" level=info msg="{\"level\":\"info\",\"ts\":\"2024-01-26T12:16:11.536Z\",\"msg\":\"a3ec072c51c0d67b became pre-candidate at term 254\"}" compo>`},
		{outerNone, "17:07:59.527113 raft.go:372: raft: 4ed8a71b21f7187a became candidate at term 2"},
		{outerNone, "2018/12/21 22:18:35.917 log.go:88: [info] rafthttp: [peer b83a669e9ecde62d became inactive]"},
	} {
		r := NewReader(strings.NewReader(""), Options{ReferenceTime: time.Date(2014, 12, 5, 0, 0, 0, 0, time.UTC)})
		r.outer = c.outer
		line := []byte(c.line)
		if !r.handle(line) {
			t.Errorf("%q: no event", line)
		}
		if n := testing.AllocsPerRun(100, func() { r.handle(line) }); n != 0 {
			t.Errorf("%q: %v allocations per line", line, n)
		}
	}
}
