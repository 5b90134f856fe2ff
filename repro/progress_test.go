package repro

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/capture"
)

// Step lines, the summary and the live line show the control and bidi
// characters of member names and errors as visible escapes.
func TestProgressSanitized(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, false, time.Now())
	sn := capture.Snapshot{Members: []capture.MemberState{{Name: "etcd\x1b[2J1", Polled: true, OK: true, Term: 3}}}
	p.step("after the hold: %s", describe(sn))
	p.printf("verdict:  %s\n", "quorum\u202eloss")
	live := liveLine(time.Second, sn)
	for _, got := range []string{b.String(), live} {
		if strings.ContainsAny(got, "\x1b\u202e") {
			t.Errorf("raw control characters in %q", got)
		}
	}
	for _, want := range []string{`etcd\x1b[2J1 term 3`, `quorum\u202eloss`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
	if !strings.Contains(live, `etcd\x1b[2J1 t3`) {
		t.Errorf("live line %q lacks the escaped name", live)
	}
}
