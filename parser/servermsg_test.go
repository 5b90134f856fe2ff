package parser

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestSlowApplyError: a slow apply's "error" is read from the end of the line; on every such line
// of the real runs (and on escaped quotes) it agrees with a walk of the whole object.
func TestSlowApplyError(t *testing.T) {
	files, _ := filepath.Glob("../testdata/real/*/n*.log")
	steady, _ := filepath.Glob("../tools/genlogs/testdata/steady-3.6.16/n*.log") // under load
	files = append(append(files, steady...), "../capture/testdata/recipe-prevote-off/logs.txt")
	var lines [][]byte
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if l := sc.Bytes(); bytes.Contains(l, []byte(`"msg":"apply request took too long"`)) {
				lines = append(lines, bytes.Clone(l[bytes.IndexByte(l, '{'):]))
			}
		}
		f.Close()
	}
	lines = append(lines,
		[]byte(`{"msg":"apply request took too long","took":"1s","request":"k:\"a\\\"b\"","error":"x \"quoted\" \\"}`),
		[]byte(`{"msg":"apply request took too long","took":"1s","error":"","request":"a"}`),
		[]byte(`{"msg":"apply request took too long","took":"1s","error":"context canceled","n":1}`),
		[]byte(`{"msg":"apply request took too long","took":"1s","response":"ok"}  `),
	)
	failed := 0
	for _, l := range lines {
		var h serverHint
		parseZapFields(SlowApply, l, 0, &h)
		want := false
		it := newJSONIter(l)
		for {
			key, v, _, _, ok := it.next()
			if !ok {
				break
			}
			if string(key) == "error" {
				want = len(v) > 0
			}
		}
		if h.failed != want {
			t.Errorf("failed %v, want %v: %s", h.failed, want, l)
		}
		if want {
			failed++
		}
	}
	if len(lines) < 100 || failed == 0 {
		t.Errorf("%d slow applies, %d failed: the real runs should hold many, some failed", len(lines), failed)
	}
}
