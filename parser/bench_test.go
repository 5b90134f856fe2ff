package parser

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"
)

// benchInput repeats real logs until about size bytes.
func benchInput(b *testing.B, wrap func(line []byte, ts time.Time) []byte, size int, files ...string) []byte {
	b.Helper()
	var one bytes.Buffer
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
		times := lineTimes(b, bytesToStrings(lines))
		for i, l := range lines {
			if wrap != nil {
				l = wrap(l, times[i])
			}
			one.Write(l)
			one.WriteByte('\n')
		}
	}
	out := make([]byte, 0, size+one.Len())
	for len(out) < size {
		out = append(out, one.Bytes()...)
	}
	return out
}

func bytesToStrings(lines [][]byte) []string {
	s := make([]string, len(lines))
	for i, l := range lines {
		s[i] = string(l)
	}
	return s
}

var (
	zapFiles      = []string{"../testdata/shared/etcd-3.4.45/L03-v3.4.45-zap/n1.log", "../testdata/shared/etcd-3.4.45/L03-v3.4.45-zap/n2.log", "../testdata/shared/etcd-3.4.45/L03-v3.4.45-zap/n3.log"}
	capnslogFiles = []string{"../testdata/shared/etcd-3.4.45/L01-v3.4.45-capnslog/n1.log", "../testdata/shared/etcd-3.4.45/L01-v3.4.45-capnslog/n2.log", "../testdata/shared/etcd-3.4.45/L01-v3.4.45-capnslog/n3.log"}
)

func composeWrap(l []byte, ts time.Time) []byte {
	return fmt.Appendf(nil, "etcd1-1  | %s %s", ts.UTC().Format("2006-01-02T15:04:05.000000000Z07:00"), l)
}

// BenchmarkReader measures the whole per-line path: envelope, record and
// event, on real logs repeated to 8 MiB.
func BenchmarkReader(b *testing.B) {
	for _, c := range []struct {
		name  string
		wrap  func([]byte, time.Time) []byte
		files []string
	}{
		{"zap-json", nil, zapFiles},
		{"compose-timestamps-zap-json", composeWrap, zapFiles},
		{"capnslog", nil, capnslogFiles},
	} {
		data := benchInput(b, c.wrap, 8<<20, c.files...)
		lines := bytes.Count(data, []byte("\n"))
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			rd := bytes.NewReader(data)
			for i := 0; i < b.N; i++ {
				rd.Reset(data)
				r := NewReader(rd, Options{})
				n := 0
				for r.Scan() {
					n++
				}
				if n == 0 {
					b.Fatal("no events")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lines), "ns/line")
		})
	}
}

// BenchmarkStages measures the envelope, record and event stages alone, one
// line at a time, to show that none allocates per line.
func BenchmarkStages(b *testing.B) {
	data := benchInput(b, composeWrap, 1<<20, zapFiles...)
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	r := NewReader(bytes.NewReader(nil), Options{})
	r.env = envCompose
	b.Run("envelope", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		var f framed
		for i := 0; i < b.N; i++ {
			if r.unwrap(envCompose, lines[i%len(lines)], &f) {
				n += len(f.payload)
			}
		}
		if n == 0 && b.N > 10 {
			b.Fatal("no payload")
		}
	})
	payloads := make([][]byte, len(lines))
	for i, l := range lines {
		var f framed
		r.unwrap(envCompose, l, &f)
		payloads[i] = f.payload
	}
	b.Run("record", func(b *testing.B) {
		b.ReportAllocs()
		var rec record
		for i := 0; i < b.N; i++ {
			r.parseRecord(payloads[i%len(payloads)], &rec)
		}
	})
	var msgs [][]byte
	var rec record
	for _, p := range payloads {
		if st, _ := r.parseRecord(p, &rec); st == stOK && raftCandidate(rec.msg) {
			msgs = append(msgs, append([]byte(nil), rec.msg...))
		}
	}
	b.Run("event", func(b *testing.B) {
		b.ReportAllocs()
		var ev Event
		for i := 0; i < b.N; i++ {
			parseRaft(msgs[i%len(msgs)], &ev)
		}
	})
}

// BenchmarkRegexpBaseline is what a straightforward parser would do: match
// each line against one regexp per raft wording. It is here to show the gain.
func BenchmarkRegexpBaseline(b *testing.B) {
	data := benchInput(b, nil, 8<<20, zapFiles...)
	res := []*regexp.Regexp{
		regexp.MustCompile(`"msg":"([0-9a-f]+) became (follower|candidate|pre-candidate|leader) at term (\d+)"`),
		regexp.MustCompile(`"msg":"([0-9a-f]+) is starting a new election at term (\d+)"`),
		regexp.MustCompile(`"msg":"([0-9a-f]+) \[logterm: (\d+), index: (\d+)\] sent (\w+) request to ([0-9a-f]+) at term (\d+)"`),
		regexp.MustCompile(`"msg":"([0-9a-f]+) received (\w+) (rejection )?from ([0-9a-f]+) at term (\d+)"`),
		regexp.MustCompile(`"msg":"([0-9a-f]+) \[term: (\d+)\] received a (\w+) message with higher term from ([0-9a-f]+) \[term: (\d+)\]"`),
		regexp.MustCompile(`"msg":"raft.node: ([0-9a-f]+) (elected|lost) leader ([0-9a-f]+) at term (\d+)"`),
		regexp.MustCompile(`"msg":"([0-9a-f]+) stepped down to follower since quorum is not active"`),
		regexp.MustCompile(`"ts":"([^"]+)"`),
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rest := data
		n := 0
		for len(rest) > 0 {
			j := bytes.IndexByte(rest, '\n')
			if j < 0 {
				j = len(rest)
			}
			line := rest[:j]
			for _, re := range res {
				if m := re.FindSubmatch(line); m != nil {
					n++
				}
			}
			if j == len(rest) {
				break
			}
			rest = rest[j+1:]
		}
		if n == 0 {
			b.Fatal("no match")
		}
	}
}
