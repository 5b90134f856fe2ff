package parser

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The layouts of issue 11 that need more than wrapping each line (see
// envelopeCases for those): partial lines, pasted blocks, mixed streams,
// year-less stamps. The records inside are real lines from testdata/.

const (
	zapLog      = "../testdata/real/3.5.35-quorum-loss-prevote-off/n1.log"
	capnslogLog = "../testdata/shared/etcd-3.4.45/L01-v3.4.45-capnslog/n1.log"
)

// eventsOf reads input whole and fails on malformed lines.
func eventsOf(t *testing.T, input string, opts Options) ([]Event, Stats) {
	t.Helper()
	r := NewReader(strings.NewReader(input), opts)
	evs := drain(r)
	st := r.Stats()
	if st.Malformed != 0 {
		t.Errorf("malformed lines: %v", st.Errors)
	}
	return evs, st
}

// sameEvents compares events without their line numbers, texts and names.
func sameEvents(t *testing.T, got, want []Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		g.Line, w.Line = 0, 0
		if comparable(g) != comparable(w) {
			t.Fatalf("event %d differs:\n   got %s\n  want %s", i, comparable(g), comparable(w))
		}
	}
}

// kubelet's CRI log files split lines longer than 16 KiB into "P" parts
// and an "F" last part (kuberuntime/logs, cri-o and containerd write the
// same); here every line is cut into 40-byte parts, so each is joined.
func TestCRIPartialLinesJoined(t *testing.T) {
	lines := readLines(t, zapLog)
	times := lineTimes(t, lines)
	var b strings.Builder
	physical := 0
	for i, l := range lines {
		ts := times[i].UTC().Format(time.RFC3339Nano)
		for len(l) > 40 {
			fmt.Fprintf(&b, "%s stderr P %s\n", ts, l[:40])
			l = l[40:]
			physical++
		}
		fmt.Fprintf(&b, "%s stderr F %s\n", ts, l)
		physical++
	}
	want := collect(t, strings.Join(lines, "\n")+"\n", Options{})
	got, st := eventsOf(t, b.String(), Options{Name: "pod.log"})
	if !strings.HasPrefix(st.Layout, "cri+zap-json") {
		t.Errorf("layout %q", st.Layout)
	}
	if st.Lines != int64(physical) {
		t.Errorf("%d lines counted, want %d", st.Lines, physical)
	}
	sameEvents(t, got, want)
	all := strings.Split(b.String(), "\n")
	for _, e := range got[:5] {
		if last := all[e.Line-1]; !strings.Contains(last, " stderr F ") {
			t.Errorf("event line %d is %q, want the F part that ends it", e.Line, last)
		}
		if !strings.Contains(string(e.Text), `"msg":"`) {
			t.Errorf("event text %q is not the joined record", e.Text)
		}
	}
	// the same through the parallel reader (CRI inputs are read in one piece)
	var par []Event
	if _, err := Read(context.Background(), []Source{{R: strings.NewReader(b.String()), Opts: Options{Name: "pod.log"}}}, 2,
		func(e *Event) { par = append(par, e.Clone()) }); err != nil {
		t.Fatal(err)
	}
	sameEvents(t, par, got)
}

// `systemctl status etcd` pasted above its log lines (systemd's
// systemctl-show output: the unit line, Loaded/Active/Docs/Main PID/Tasks/
// Memory/CGroup and the cgroup tree, a blank line, then journal lines).
func TestSystemctlStatusBlock(t *testing.T) {
	header := []string{
		"● etcd.service - etcd",
		"   Loaded: loaded (/etc/systemd/system/etcd.service; enabled; vendor preset: enabled)",
		"   Active: active (running) since Mon 2026-11-23 21:03:01 UTC; 2min 3s ago",
		"     Docs: https://github.com/coreos",
		" Main PID: 1167 (etcd)",
		"    Tasks: 9 (limit: 4915)",
		"   Memory: 10.5M",
		"   CGroup: /system.slice/etcd.service",
		"           └─1167 /usr/local/bin/etcd --name n1 --data-dir /var/lib/etcd",
		"",
	}
	lines := readLines(t, capnslogLog)
	times := lineTimes(t, lines)
	var b strings.Builder
	for _, h := range header {
		b.WriteString(h + "\n")
	}
	for i, l := range lines {
		b.WriteString(times[i].UTC().Format("Jan 02 15:04:05") + " node1 etcd[1167]: " + l + "\n")
	}
	want := collect(t, strings.Join(lines, "\n")+"\n", Options{})
	got, st := eventsOf(t, b.String(), Options{})
	if !strings.HasPrefix(st.Layout, "journald+") {
		t.Errorf("layout %q, want journald", st.Layout)
	}
	if st.Skipped < int64(len(header)-1) {
		t.Errorf("%d lines skipped, want the %d header lines at least", st.Skipped, len(header)-1)
	}
	sameEvents(t, got, want)
	if got[0].Source != "node1" {
		t.Errorf("source %q, want the journal's host", got[0].Source)
	}
}

// `journalctl -o cat` prints the messages alone: etcd's own lines, read
// as bare ones; and capnslog's journald formatter stores raft's message
// without time or level (etcd#9668: "etcd[1224]: 134af6e5d3e35861 became
// follower at term 12253"), which -o cat leaves bare.
func TestJournaldCat(t *testing.T) {
	for _, path := range []string{zapLog, capnslogLog} {
		data := strings.Join(readLines(t, path), "\n") + "\n"
		evs, st := eventsOf(t, data, Options{})
		if len(evs) < 10 || !strings.HasPrefix(st.Layout, "bare+") {
			t.Errorf("%s: %d events, layout %q", path, len(evs), st.Layout)
		}
	}
	var msgs []string
	for _, l := range readLines(t, capnslogLog) {
		if _, msg, ok := strings.Cut(l, " INFO: "); ok && strings.HasPrefix(l, "raft") {
			msgs = append(msgs, msg)
		}
	}
	evs, st := eventsOf(t, strings.Join(msgs, "\n")+"\n", Options{})
	if len(evs) < len(msgs)/2 || !strings.HasPrefix(st.Layout, "bare+text") {
		t.Errorf("%d events of %d bare messages, layout %q", len(evs), len(msgs), st.Layout)
	}
}

// etcd 2.x under systemd (coreos/bugs#438: "etcd2[472]: 2015/08/10
// 15:33:47 etcdserver: ..."): the envelope hands the std-log record
// through whole, for the record parser.
func TestJournaldEtcd2Payload(t *testing.T) {
	r := NewReader(strings.NewReader(""), Options{Year: 2015})
	for _, c := range []struct{ line, source, payload string }{
		{"Aug 20 15:43:27 core-01 etcd2[861]: 2015/08/20 15:43:27 raft: 8e9e05c52164694d became candidate at term 5",
			"core-01", "2015/08/20 15:43:27 raft: 8e9e05c52164694d became candidate at term 5"},
		{"Aug 20 15:43:27 etcd2[861]: 2015/08/20 15:43:27 rafthttp: the connection with 8e9e05c52164694d became inactive",
			"", "2015/08/20 15:43:27 rafthttp: the connection with 8e9e05c52164694d became inactive"},
		{"Nov 21 09:12:55 nodo1-etcd1 etcd: aebb404b9385ccd4 became follower at term 5419", // host, no pid
			"nodo1-etcd1", "aebb404b9385ccd4 became follower at term 5419"},
		{"Apr 26 23:15:56  etcd: 2015/04/26 23:15:56 etcdserver: published", // no host, no pid
			"", "2015/04/26 23:15:56 etcdserver: published"},
	} {
		var f framed
		ok := r.unwrap(envJournald, []byte(c.line), &f)
		if !ok || string(f.source) != c.source || string(f.payload) != c.payload {
			t.Errorf("%q: ok %v, source %q, payload %q", c.line, ok, f.source, f.payload)
		}
		if sniffed, _ := sniffEnvelope([]byte(c.line)); sniffed != envJournald {
			t.Errorf("%q sniffed as %s", c.line, envNames[sniffed])
		}
	}
}

// k3s and rke2 embed etcd: its zap JSON lines share the journal with k3s's
// own logrus lines (k3s#7293: `k3s[3805670]: {"level":"warn",...}`, and
// `time="..." level=info msg="..."`). The etcd lines are read, the rest
// skipped, none malformed, in a journal and in k3s's own log file.
func TestK3sMixedWithLogrus(t *testing.T) {
	lines := readLines(t, zapLog)
	times := lineTimes(t, lines)
	logrus := []string{
		`time="%s" level=info msg="Starting k3s v1.25.4+k3s1 (0dc63334)"`,
		`time="%s" level=info msg="Managed etcd cluster bootstrap already complete and initialized"`,
		`time="%s" level=error msg="Failed to check local etcd status for learner management: context deadline exceeded"`,
		`time="%s" level=warning msg="Unable to watch for tunnel endpoints: unknown (get endpoints)"`,
	}
	var journal, file strings.Builder
	for i, l := range lines {
		ts := times[i].UTC()
		if i%3 == 0 {
			lr := fmt.Sprintf(logrus[i%len(logrus)], ts.Format(time.RFC3339))
			journal.WriteString(ts.Format("Jan 02 15:04:05") + " node-003 k3s[3805670]: " + lr + "\n")
			file.WriteString(lr + "\n")
		}
		journal.WriteString(ts.Format("Jan 02 15:04:05") + " node-003 k3s[3805670]: " + l + "\n")
		file.WriteString(l + "\n")
	}
	nLogrus := int64((len(lines) + 2) / 3)
	want := collect(t, strings.Join(lines, "\n")+"\n", Options{})
	for name, input := range map[string]string{"journal": journal.String(), "k3s.log": file.String()} {
		t.Run(name, func(t *testing.T) {
			got, st := eventsOf(t, input, Options{})
			sameEvents(t, got, want)
			r := NewReader(strings.NewReader(strings.Join(lines, "\n")+"\n"), Options{})
			drain(r)
			if extra := st.Skipped - r.Stats().Skipped; extra != nLogrus {
				t.Errorf("%d more lines skipped than bare, want the %d logrus lines", extra, nLogrus)
			}
		})
	}
}

// A year for journald's year-less stamps, when the record has no time of
// its own (capnslog's journald formatter, etcd#9668): Options.Year, else
// Options.ReferenceTime, else a dated stamp in the input, else this year.
func TestYearOfYearlessStamps(t *testing.T) {
	journal := func(stamps ...string) string {
		var b strings.Builder
		for i, s := range stamps {
			fmt.Fprintf(&b, "%s node1 etcd[1224]: 6291d99b6e411a8b became candidate at term %d\n", s, i+3)
		}
		return b.String()
	}
	dated := "Dec 31 23:59:58 node1 etcd[1224]: 2018-12-31 23:59:58.100000 I | etcdserver: published {Name:n1 ClientURLs:[http://127.0.0.1:2379]} to cluster 1\n"
	now := time.Now().UTC().Year()
	for _, c := range []struct {
		name  string
		input string
		opts  Options
		years []int
		from  string
	}{
		{"option", journal("Dec 31 23:59:59", "Jan  1 00:00:01"), Options{Year: 2019}, []int{2019, 2019}, "option"},
		{"file mtime", journal("Dec 31 23:59:59", "Jan  1 00:00:01"),
			Options{ReferenceTime: time.Date(2021, 1, 3, 0, 0, 0, 0, time.UTC), ReferenceName: "file mtime"},
			[]int{2020, 2021}, "file mtime"},
		{"stamp in the input", dated + journal("Dec 31 23:59:59", "Jan  1 00:00:01"), Options{}, []int{2018, 2019}, "stamp in the input"},
		{"current year", journal("Mar  3 10:00:00"), Options{}, []int{now}, "current year"},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, st := eventsOf(t, c.input, c.opts)
			var years []int
			for _, e := range evs {
				if e.Kind == BecameCandidate {
					years = append(years, e.Time.Year())
				}
			}
			if fmt.Sprint(years) != fmt.Sprint(c.years) || st.YearFrom != c.from {
				t.Errorf("years %v from %q, want %v from %q", years, st.YearFrom, c.years, c.from)
			}
			// Read reads journald inputs in one piece, with the same result
			stats, err := Read(context.Background(), []Source{{R: strings.NewReader(c.input), Opts: c.opts}}, 2, func(*Event) {})
			if err != nil || stats[0].YearFrom != c.from {
				t.Errorf("Read: year from %q (%v), want %q", stats[0].YearFrom, err, c.from)
			}
		})
	}
	if _, st := eventsOf(t, strings.Join(readLines(t, zapLog), "\n"), Options{}); st.YearFrom != "" {
		t.Errorf("an input without year-less stamps says its year came from %q", st.YearFrom)
	}
}

// goreman's time has no date: a record without a time of its own takes the
// date of the record before it.
func TestProcfileDateFromRecord(t *testing.T) {
	input := "21:03:09 etcd1 | raft2026/11/23 21:03:09 INFO: 6291d99b6e411a8b became candidate at term 3\n" +
		"21:03:10 etcd1 | 6291d99b6e411a8b became candidate at term 4\n"
	evs, st := eventsOf(t, input, Options{})
	if !strings.HasPrefix(st.Layout, "procfile+") || len(evs) != 2 {
		t.Fatalf("layout %q, %d events", st.Layout, len(evs))
	}
	want := time.Date(2026, 11, 23, 21, 3, 10, 0, time.UTC)
	if !evs[1].Time.Equal(want) || evs[1].Source != "etcd1" {
		t.Errorf("second event at %v of %q, want %v of etcd1", evs[1].Time, evs[1].Source, want)
	}
}

// The new envelopes keep the per-line path free of allocations.
func TestNewEnvelopesDoNotAllocate(t *testing.T) {
	r := NewReader(strings.NewReader(""), Options{})
	r.lastYear = 2026
	for _, c := range []struct {
		env  envelope
		line string
	}{
		{envDockerJSON, `{"log":"{\"level\":\"info\",\"ts\":\"2026-11-23T21:48:39.203636Z\",\"msg\":\"a\\u003cb\"}\n","stream":"stderr","time":"2026-11-23T21:48:39.2036Z"}`},
		{envCRI, `2026-11-23T21:48:39.203636123Z stderr F {"level":"info","msg":"x"}`},
		{envProcfile, `21:03:09  etcd1 | raft2026/11/23 21:03:09 INFO: 6291d99b6e411a8b became candidate at term 3`},
		{envPodContainer, `etcd-0 etcd raft2026/11/23 21:03:09 INFO: 6291d99b6e411a8b became candidate at term 3`},
		{envJournald, `11月 23 21:03:09 node1 etcd[1]: 6291d99b6e411a8b became candidate at term 3`},
		{envJournald, `févr. 23 21:03:09  etcd: 6291d99b6e411a8b became candidate at term 3`},
		{envJournald, `Mon 2026-11-23 21:03:09 CEST node1 etcd[1]: 6291d99b6e411a8b became candidate at term 3`},
	} {
		line := []byte(c.line)
		var f framed
		if !r.unwrap(c.env, line, &f) {
			t.Errorf("%s: %q not read", envNames[c.env], line)
		}
		if n := testing.AllocsPerRun(100, func() { r.unwrap(c.env, line, &f) }); n != 0 {
			t.Errorf("%s: %v allocations per line", envNames[c.env], n)
		}
	}
}

// journalctl's %b in the locales it is run in (glibc's abmon), and
// short-full's zone names.
func TestSyslogStampLocales(t *testing.T) {
	for _, c := range []struct {
		stamp string
		mo, d int
	}{
		{"Jan  5 00:35:31", 1, 5}, {"1月 18 00:35:31", 1, 18}, {"12月 18 00:35:31", 12, 18},
		{" 1月 18 00:35:31", 1, 18}, {"10월 03 00:35:31", 10, 3}, {"Mär 18 00:35:31", 3, 18},
		{"janv. 18 00:35:31", 1, 18}, {"févr. 18 00:35:31", 2, 18}, {"déc. 18 00:35:31", 12, 18},
		{"ene 18 00:35:31", 1, 18}, {"mag 18 00:35:31", 5, 18}, {"mrt 18 00:35:31", 3, 18},
		{"мая 18 00:35:31", 5, 18}, {"paź 18 00:35:31", 10, 18}, {"Okt  8 00:35:31", 10, 8},
		{"13月 18 00:35:31", 0, 0}, {"Foo 18 00:35:31", 0, 0}, {"Jan 18 25:35:31", 0, 0}, {"2020 18 00:35:31", 0, 0},
	} {
		st, n, ok := scanSyslogTime([]byte(c.stamp))
		if c.mo == 0 {
			if ok {
				t.Errorf("%q read as month %d", c.stamp, st.mo)
			}
			continue
		}
		if !ok || st.mo != c.mo || st.d != c.d || st.h != 0 || st.mi != 35 || st.s != 31 || n != len(c.stamp) {
			t.Errorf("%q: %+v, %d bytes, ok %v", c.stamp, st, n, ok)
		}
	}
	for _, c := range []struct {
		stamp string
		off   int
		zoned bool
	}{
		{"Mon 2020-04-27 23:15:56 UTC", 0, true}, {"Mon 2020-04-27 23:15:56.123456 CEST", 7200, true},
		{"Di 2020-04-28 23:15:56 +0530", 5*3600 + 1800, true}, {"Mon 2020-04-27 23:15:56 WAKT", 0, false},
	} {
		st, n, ok := scanShortFull([]byte(c.stamp))
		if !ok || st.y != 2020 || st.mo != 4 || st.zoned != c.zoned || st.off != c.off || n != len(c.stamp) {
			t.Errorf("%q: %+v, %d bytes, ok %v", c.stamp, st, n, ok)
		}
	}
}

// A line of a new layout that looks like a record but is broken is
// malformed, reported as file:line: why, never skipped as noise.
func TestNewLayoutsReportMalformed(t *testing.T) {
	zap := `{"level":"info","ts":"2026-11-23T21:48:39.203636Z","caller":"raft/raft.go:1","msg":"6291d99b6e411a8b became candidate at term 3"}`
	trunc := zap[:60]
	for name, input := range map[string]string{
		"cri":         "2026-11-23T21:48:39.2Z stderr F " + zap + "\n2026-11-23T21:48:39.2Z stderr F " + trunc + "\n",
		"docker-json": `{"log":"` + strings.ReplaceAll(zap, `"`, `\"`) + `\n","stream":"stderr","time":"2026-11-23T21:48:39.2Z"}` + "\n" + `{"log":"` + strings.ReplaceAll(trunc, `"`, `\"`) + "\n",
		"stern":       "etcd-0 etcd " + zap + "\netcd-0 etcd " + trunc + "\n",
		"goreman":     "21:48:39 etcd1 | " + zap + "\n21:48:39 etcd1 | " + trunc + "\n",
	} {
		r := NewReader(strings.NewReader(input), Options{Name: name + ".log"})
		evs := drain(r)
		st := r.Stats()
		if len(evs) != 1 || st.Malformed != 1 || len(st.Errors) != 1 || st.Errors[0].Line != 2 {
			t.Errorf("%s: %d events, stats %+v", name, len(evs), st)
		} else {
			t.Logf("%s: %s", name, st.Errors[0].Error())
		}
	}
}
