package analysis

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/etcdpm/etcdpm/parser"
)

// manyMembers returns the logs of a real 3-member run (a leader killed),
// repeated with other member IDs until they name n members, in one input:
// what a log of many members, or a hostile one, costs. With compose, each
// member's lines carry a docker-compose v1 prefix of their own, as
// `docker-compose logs` prints them: one source per member.
func manyMembers(tb testing.TB, n int, compose bool) []byte {
	tb.Helper()
	dir := "../testdata/real/3.6.16-leader-kill-prevote-off"
	ids := []string{"a49030e9f359ead7", "bdcae6fa5537fba0", "67126bc2bcbc5ede"}
	var logs []string
	for _, f := range []string{"n1.log", "n2.log", "n3.log"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			tb.Fatal(err)
		}
		logs = append(logs, string(b))
	}
	var out bytes.Buffer
	for k := 0; k*3 < n; k++ {
		var pairs []string
		for j, id := range ids {
			pairs = append(pairs, id, fmt.Sprintf("%016x", uint64(0x1000_0000_0000_0000)+uint64(k*3+j+1)))
		}
		rep := strings.NewReplacer(pairs...)
		for j, l := range logs {
			l = rep.Replace(l)
			if compose {
				prefix := fmt.Sprintf("etcd%d_1  | ", k*3+j+1)
				l = prefix + strings.ReplaceAll(strings.TrimSuffix(l, "\n"), "\n", "\n"+prefix) + "\n"
			}
			out.WriteString(l)
		}
	}
	return out.Bytes()
}

func analyzeBytes(tb testing.TB, data []byte) *Result {
	tb.Helper()
	res, _, err := Analyze(context.Background(), []parser.Source{{R: bytes.NewReader(data), Opts: parser.Options{Name: "many.log"}}}, nil, nil, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// BenchmarkManyMembers: the time per event and the memory must not grow with
// the members.
func BenchmarkManyMembers(b *testing.B) {
	for _, compose := range []bool{false, true} {
		for _, n := range []int{300, 3000, 10000} {
			data := manyMembers(b, n, compose)
			layout := "bare"
			if compose {
				layout = "compose"
			}
			b.Run(fmt.Sprintf("%s/members=%d", layout, n), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				var ms0, ms1 runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&ms0)
				for i := 0; i < b.N; i++ {
					r := analyzeBytes(b, data)
					if len(r.Members) < n {
						b.Fatalf("%d members, want %d", len(r.Members), n)
					}
				}
				runtime.ReadMemStats(&ms1)
				b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(b.N)/float64(n), "B/member")
			})
		}
	}
}

// TestWriteManyMembers writes the input of BenchmarkManyMembers to
// $ETCDPM_MANY_MEMBERS (members: $ETCDPM_MANY_N), to time the command on it.
func TestWriteManyMembers(t *testing.T) {
	path := os.Getenv("ETCDPM_MANY_MEMBERS")
	if path == "" {
		t.Skip("ETCDPM_MANY_MEMBERS not set")
	}
	n := 10000
	fmt.Sscan(os.Getenv("ETCDPM_MANY_N"), &n)
	if err := os.WriteFile(path, manyMembers(t, n, os.Getenv("ETCDPM_MANY_COMPOSE") != ""), 0o644); err != nil {
		t.Fatal(err)
	}
}
