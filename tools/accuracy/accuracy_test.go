package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// minRight is the fewest public excerpts etcdpm must get right; raise it as
// the diagnosis improves, never lower it.
const minRight = 31

// TestAccuracyPage checks that docs/accuracy.md is what the code gives today,
// and that the score does not fall below minRight.
func TestAccuracyPage(t *testing.T) {
	cases, err := readCases("../../testdata/public")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 25 {
		t.Fatalf("%d public excerpts, want at least 25", len(cases))
	}
	scores, err := score("../../testdata/public", cases)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for _, s := range scores {
		if s.Right {
			right++
		}
		if !s.Scored && (s.Verdict == "healthy" || s.Verdict == "no-data") && s.Events > 0 {
			t.Logf("%s: verdict %s on an excerpt whose expected verdict is unknown", s.File, s.Verdict)
		}
	}
	if right < minRight {
		t.Errorf("%d public excerpts right, want at least %d", right, minRight)
	}
	var got bytes.Buffer
	writeTable(&got, scores)
	doc, err := os.ReadFile("../../docs/accuracy.md")
	if err != nil {
		t.Fatalf("%v (go run ./tools/accuracy -w writes it)", err)
	}
	want := generated(doc)
	if !bytes.Equal(got.Bytes(), want) {
		gl, wl := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("docs/accuracy.md:%d is\n\t%s\nthe code gives\n\t%s", i+1, w, g)
				break
			}
		}
		t.Errorf("docs/accuracy.md is stale: run go run ./tools/accuracy -w")
	}
}
