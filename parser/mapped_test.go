package parser

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeTemp writes data to a file of its own and opens it.
func writeTemp(t *testing.T, data string) *os.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.log")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// Read through a file's mapping gives the events and stats of Read through the file's
// reader (which TestReadMatchesOneReader holds to one Reader's), however the chunks fall,
// lines longer than a chunk and over MaxLineBytes included.
func TestReadMappedMatchesOneReader(t *testing.T) {
	defer func(n int) { ChunkBytes = n }(ChunkBytes)
	ins := parallelInputs(t)
	long := `{"level":"warn","ts":"2026-11-23T21:07:10.243997Z","msg":"apply request took too long","request":"` + strings.Repeat("x", MaxLineBytes) + `"}`
	ins["over the limit, then a record"] = long + "\n" + survivor + "\n"
	ins["over the limit at the end, no newline"] = survivor + "\n" + long
	for _, size := range []int{512, 4 << 10, 1 << 20} {
		ChunkBytes = size
		for name, data := range ins {
			if size == 512 && len(data) > 4<<20 {
				continue // the 16 MiB lines in chunks of 512 bytes: the same paths as 4 KiB
			}
			f := writeTemp(t, data)
			if m := mapFile(f); (m != nil) != (len(data) > 0) {
				t.Fatalf("%s: mapped %v", name, m != nil)
			} else if m != nil {
				m.unmap()
			}
			var got, wantEvs []Event
			want, err := Read(context.Background(), []Source{{R: strings.NewReader(data), Opts: Options{Name: name, Input: 3}}}, 3, func(e *Event) {
				wantEvs = append(wantEvs, e.Clone())
			})
			if err != nil {
				t.Fatal(err)
			}
			stats, err := Read(context.Background(), []Source{{R: f, File: f, Opts: Options{Name: name, Input: 3}}}, 3, func(e *Event) {
				got = append(got, e.Clone())
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(wantEvs) {
				t.Fatalf("chunk %d, %s: %d events, want %d", size, name, len(got), len(wantEvs))
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], wantEvs[i]) {
					t.Fatalf("chunk %d, %s: event %d\n   got %+v\n  want %+v", size, name, i, got[i], wantEvs[i])
				}
			}
			if !reflect.DeepEqual(stats, want) {
				t.Fatalf("chunk %d, %s: stats\n   got %+v\n  want %+v", size, name, stats, want)
			}
		}
	}
}

// A mapped file cut short while it is read (a rotation by copytruncate) ends its source with
// an error, where touching the pages past its new end would have crashed etcdpm; the events
// before stay.
func TestReadMappedFileShrinks(t *testing.T) {
	defer func(n int) { ChunkBytes = n }(ChunkBytes)
	ChunkBytes = 64 << 10
	log := repeatedLog(t, 16<<20)
	for _, where := range []string{"in the in-order pass", "in the workers"} {
		f := writeTemp(t, log)
		n := 0
		_, err := Read(context.Background(), []Source{{R: f, File: f, Opts: Options{Name: "n1.log"}}}, 2, func(e *Event) {
			n++
			if n == 1 {
				if err := os.Truncate(f.Name(), 0); err != nil {
					t.Fatal(err)
				}
			}
			if where == "in the in-order pass" {
				_ = append([]byte(nil), e.Text...) // the analysis copies the lines it keeps
			}
		})
		if !errors.Is(err, errShrank) || !strings.Contains(err.Error(), "reading n1.log: ") {
			t.Fatalf("%s: %d events, error %v; want one saying the file got shorter", where, n, err)
		}
		if n == 0 {
			t.Fatalf("%s: no event before the cut", where)
		}
	}
}

// keeper is a Sink that keeps the text of every event until Release, as the
// analysis keeps the latest lines of a storm, and copies them there: each
// dropped before it is copied (see Sink).
type keeper struct {
	kept   [][]byte
	copies int
	faults int
}

func (k *keeper) Add(e *Event) { k.kept = append(k.kept, e.Text) }

func (k *keeper) Release() {
	for len(k.kept) > 0 {
		text := k.kept[len(k.kept)-1]
		k.kept = k.kept[:len(k.kept)-1]
		k.faults++ // undone unless the copy faults
		_ = append([]byte(nil), text...)
		k.faults--
		k.copies++
	}
}

// A Sink's kept texts of a mapped file cut short fault when Release copies
// them: ReadSink calls Release again until it returns, and the source ends
// with the same error, not a crash.
func TestReadSinkMappedFileShrinks(t *testing.T) {
	defer func(n int) { ChunkBytes = n }(ChunkBytes)
	ChunkBytes = 64 << 10
	f := writeTemp(t, repeatedLog(t, 4<<20))
	k := &keeper{}
	n := 0
	sink := sinkFunc{k, func() {
		if n++; n == 1 {
			if err := os.Truncate(f.Name(), 0); err != nil {
				t.Fatal(err)
			}
		}
	}}
	_, err := ReadSink(context.Background(), []Source{{R: f, File: f, Opts: Options{Name: "n1.log"}}}, 2, sink)
	if !errors.Is(err, errShrank) {
		t.Fatalf("error %v; want one saying the file got shorter", err)
	}
	if k.faults == 0 || len(k.kept) != 0 {
		t.Fatalf("%d copies faulted, %d texts left; want faults, and every text dropped", k.faults, len(k.kept))
	}
}

// sinkFunc runs before on each event, then the keeper's Add.
type sinkFunc struct {
	*keeper
	before func()
}

func (s sinkFunc) Add(e *Event) { s.before(); s.keeper.Add(e) }

// repeatedLog is a real member's log repeated to size bytes or a little more.
func repeatedLog(t *testing.T, size int) string {
	lines := readLines(t, "../testdata/real/3.6.16-quorum-loss-prevote-off/n1.log")
	var b strings.Builder
	for b.Len() < size {
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
