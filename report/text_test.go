package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// The text output never cuts a log line: wrapped at the width (100 by
// default), or printed whole with a negative width.
func TestTextEvidenceWhole(t *testing.T) {
	res := analyze(t, demoLogs...)
	var want []string
	for _, f := range res.Findings {
		for _, e := range f.Evidence {
			want = append(want, recordMessage(e.Text))
		}
	}
	if len(want) == 0 {
		t.Fatal("no evidence in the demo's analysis")
	}
	for _, width := range []int{-1, 0, 80} {
		var buf bytes.Buffer
		if err := writeText(&buf, res, Options{Width: width}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.Contains(out, "…") {
			t.Errorf("width %d: a line was cut:\n%s", width, out)
		}
		joined := out
		if width >= 0 {
			limit := max(width, 100)
			if width > 0 {
				limit = width
			}
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "           ") && utf8.RuneCountInString(l) > limit {
					t.Errorf("width %d: evidence line of %d columns: %q", width, utf8.RuneCountInString(l), l)
				}
			}
			// Undo the wrapping: a continuation line starts with 13 spaces.
			joined = strings.ReplaceAll(out, "\n             ", "")
		}
		for _, w := range want {
			if !strings.Contains(joined, w) {
				t.Errorf("width %d: the output lacks the message %q", width, w)
			}
		}
		if !strings.Contains(joined, "17:20:33.000  etcd3  bd388e7810915853 stepped down to follower since quorum is not active  (") {
			t.Errorf("width %d: no evidence line as time, member, message:\n%s", width, out)
		}
	}
}
