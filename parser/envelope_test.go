package parser

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// realMemberLogs lists real per-member logs: the two etcd 3.4.45 runs and,
// when generated, the 3.5-3.7 runs under testdata/real (zap JSON and console).
func realMemberLogs(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob("../testdata/shared/etcd-3.4.45/*/n[123].log")
	real, _ := filepath.Glob("../testdata/real/*/n1.log")
	files = append(files, real...)
	if len(files) < 6 {
		t.Fatalf("real fixtures missing: found %v", files)
	}
	return files
}

// envelopeCase wraps one line of member name, written at time ts.
type envelopeCase struct {
	name   string
	layout string // the layout the reader must detect
	named  bool   // the envelope names the member
	wrap   func(member string, ts time.Time, line string) string
}

func envelopeCases() []envelopeCase {
	rfc := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00") }
	return []envelopeCase{
		{"compose-v1", "compose-v1", true, func(m string, _ time.Time, l string) string { return fmt.Sprintf("%-8s| %s", m+"_1", l) }},
		{"compose-v1-timestamps", "compose-v1", true, func(m string, ts time.Time, l string) string {
			return fmt.Sprintf("%-8s| %s %s", m+"_1", rfc(ts), l)
		}},
		{"compose-v2-colour-timestamps", "compose-v2", true, func(m string, ts time.Time, l string) string {
			return fmt.Sprintf("\x1b[36m%-8s | \x1b[0m%s %s", m+"-1", rfc(ts), l)
		}},
		{"compose-v2-project-glued", "compose-v2", true, func(m string, ts time.Time, l string) string {
			return fmt.Sprintf("%-16s | %s%s", "etcdpm-"+m+"-1", rfc(ts.In(time.FixedZone("", 3600))), l)
		}},
		{"docker-logs-t", "docker", false, func(_ string, ts time.Time, l string) string { return rfc(ts) + " " + l }},
		{"kubectl-timestamps-prefix", "kubectl", true, func(m string, ts time.Time, l string) string {
			return "[pod/" + m + "/etcd] " + rfc(ts) + " " + l
		}},
		{"journald-short", "journald", true, func(m string, ts time.Time, l string) string {
			return ts.UTC().Format("Jan _2 15:04:05") + " " + m + " etcd[1001]: " + l
		}},
		{"journald-short-precise", "journald", true, func(m string, ts time.Time, l string) string {
			return ts.UTC().Format("Jan _2 15:04:05.000000") + " " + m + " etcd[1001]: " + l
		}},
		{"journald-short-iso", "journald", true, func(m string, ts time.Time, l string) string {
			return ts.UTC().Format("2006-01-02T15:04:05-0700") + " " + m + " etcd[1001]: " + l
		}},
		{"journald-json", "journald-json", true, func(m string, ts time.Time, l string) string {
			b, _ := json.Marshal(map[string]string{
				"__REALTIME_TIMESTAMP": fmt.Sprint(ts.UnixMicro()), "_HOSTNAME": m,
				"SYSLOG_IDENTIFIER": "etcd", "_TRANSPORT": "stdout", "PRIORITY": "6", "MESSAGE": l,
			})
			return string(b)
		}},
		// Layouts of issue 11, as each tool prints them (the tools' sources):
		// syslog files written without a host, journalctl in a zh_CN or de_DE
		// locale, journalctl -o short-full.
		{"journald-no-host", "journald", false, func(_ string, ts time.Time, l string) string {
			return ts.UTC().Format("Jan _2 15:04:05") + "  etcd: " + l
		}},
		{"journald-no-host-pid", "journald", false, func(_ string, ts time.Time, l string) string {
			return ts.UTC().Format("Jan _2 15:04:05") + " etcd[861]: " + l
		}},
		{"journald-zh-CN", "journald", true, func(m string, ts time.Time, l string) string {
			return fmt.Sprintf("%d月 %02d %s %s etcd[1001]: %s", ts.UTC().Month(), ts.UTC().Day(), ts.UTC().Format("15:04:05"), m, l)
		}},
		{"journald-de-DE", "journald", true, func(m string, ts time.Time, l string) string {
			mon := [...]string{"Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"}[ts.UTC().Month()-1]
			return mon + ts.UTC().Format(" _2 15:04:05") + " " + m + " etcd[1001]: " + l
		}},
		{"journald-short-full", "journald", true, func(m string, ts time.Time, l string) string {
			return ts.UTC().Format("Mon 2006-01-02 15:04:05 MST") + " " + m + " etcd[1001]: " + l
		}},
		// docker's json-file driver (moby daemon/logger/jsonfilelog: encoding/json
		// of {log, stream, time}).
		{"docker-json-file", "docker-json", false, func(_ string, ts time.Time, l string) string {
			b, _ := json.Marshal(map[string]string{"log": l + "\n", "stream": "stderr", "time": ts.UTC().Format(time.RFC3339Nano)})
			return string(b)
		}},
		// kubelet's CRI log files (kuberuntime/logs: "<RFC3339Nano> <stream> <tag> <line>").
		{"cri", "cri", false, func(_ string, ts time.Time, l string) string {
			return ts.UTC().Format(time.RFC3339Nano) + " stderr F " + l
		}},
		// goreman (log.go: "%s %*s | ", time 15:04:05, the name padded on the left)
		// and foreman ("15:04:05 etcd1.1  | ").
		{"goreman", "procfile", true, func(m string, ts time.Time, l string) string {
			return ts.Format("15:04:05") + fmt.Sprintf(" %6s | ", m) + l
		}},
		{"foreman", "procfile", true, func(m string, ts time.Time, l string) string {
			return ts.Format("15:04:05") + fmt.Sprintf(" %-8s | ", m+".1") + l
		}},
		// overmind ("name | " with the name padded, no time): compose's prefix
		{"overmind", "compose", true, func(m string, _ time.Time, l string) string {
			return fmt.Sprintf("%-6s | %s", "etcd"+m, l)
		}},
		// stern's default template "{{.PodName}} {{.ContainerName}} {{.Message}}".
		{"stern", "pod-container", true, func(m string, _ time.Time, l string) string {
			return "etcd-" + m + " etcd " + l
		}},
	}
}

// lineTimes returns each line's own time as etcd wrote it (the previous
// line's for lines without one), the way a daemon would have stamped it.
func lineTimes(t testing.TB, lines []string) []time.Time {
	r := NewReader(strings.NewReader(""), Options{})
	out := make([]time.Time, len(lines))
	var last time.Time
	for i, l := range lines {
		var rec record
		if st, _ := r.parseRecord([]byte(l), &rec); st == stOK && rec.hasTime {
			rec.t = rec.when()
			if last.IsZero() {
				for j := 0; j < i; j++ {
					out[j] = rec.t // the lines before the first time
				}
			}
			last = rec.t
		}
		out[i] = last
	}
	return out
}

func readLines(t testing.TB, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, MaxLineBytes)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// comparable is an event without what an envelope legitimately changes:
// the text, and the stream's name.
func comparable(e Event) string {
	e.Text, e.Source = nil, ""
	return fmt.Sprintf("%+v", e)
}

// TestEnvelopesYieldSameEvents wraps real logs in every documented envelope
// and checks that the events are the ones read from the bare logs.
func TestEnvelopesYieldSameEvents(t *testing.T) {
	for _, path := range realMemberLogs(t) {
		member := strings.TrimSuffix(filepath.Base(path), ".log")
		lines := readLines(t, path)
		times := lineTimes(t, lines)
		bare := collect(t, strings.Join(lines, "\n")+"\n", Options{Name: path})
		if len(bare) < 20 {
			t.Fatalf("%s: only %d events", path, len(bare))
		}
		for _, ec := range envelopeCases() {
			t.Run(filepath.Base(filepath.Dir(path))+"/"+member+"/"+ec.name, func(t *testing.T) {
				var b strings.Builder
				for i, l := range lines {
					b.WriteString(ec.wrap(member, times[i], l))
					b.WriteByte('\n')
				}
				r := NewReader(strings.NewReader(b.String()), Options{Name: path})
				got := drain(r)
				st := r.Stats()
				if !strings.HasPrefix(st.Layout, ec.layout) {
					t.Errorf("layout %q, want %s", st.Layout, ec.layout)
				}
				if st.Malformed != 0 {
					t.Errorf("malformed lines: %v", st.Errors)
				}
				if len(got) != len(bare) {
					t.Fatalf("%d events, want %d", len(got), len(bare))
				}
				// forced with --layout, the same events
				forced := ec.layout
				if strings.HasPrefix(forced, "compose") {
					forced = "compose"
				}
				if fe := drain(NewReader(strings.NewReader(b.String()), Options{Name: path, Layout: forced})); len(fe) != len(got) {
					t.Errorf("layout forced to %s: %d events, want %d", forced, len(fe), len(got))
				}
				for i := range got {
					g, w := got[i], bare[i]
					if comparable(g) != comparable(w) {
						t.Fatalf("event %d differs:\n   got %s\n  want %s\n  line %q", i, comparable(g), comparable(w), g.Text)
					}
					if ec.named && g.Source == "" {
						t.Fatalf("event %d: no stream name: %q", i, g.Text)
					}
				}
			})
		}
	}
}

func collect(t testing.TB, s string, opts Options) []Event {
	t.Helper()
	return drain(NewReader(strings.NewReader(s), opts))
}

func drain(r *Reader) []Event {
	var evs []Event
	for r.Scan() {
		evs = append(evs, r.Event().Clone())
	}
	return evs
}

func TestDetectLayout(t *testing.T) {
	cases := []struct {
		file, layout string
	}{
		{"../testdata/shared/seed/etcd-demo-compose-logs.txt", "compose+raft-stdlog,capnslog"},
		{"../testdata/shared/etcd-3.4.45/L01-v3.4.45-capnslog/n1.log", "bare+raft-stdlog,capnslog"},
		{"../testdata/shared/etcd-3.4.45/L03-v3.4.45-zap/n1.log", "bare+zap-json"},
	}
	for _, c := range cases {
		data, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		r := NewReader(bytes.NewReader(data), Options{Name: c.file})
		drain(r)
		if got := r.Stats().Layout; got != c.layout {
			t.Errorf("%s: layout %q, want %q", c.file, got, c.layout)
		}
	}
}
