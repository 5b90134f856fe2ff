package analysis

import (
	"strings"
	"testing"
)

// Disruptive rejoins whose leader the excerpt names only after the higher
// term arrived. 032 (etcd#9464, lines 3720-3723): mn-0, whose lines named
// no leader yet, receives 8296's vote request at 156, refuses it (log term
// 151 behind its 153) and loses leader 60d0 in the same second. 006
// (etcd#13352, line 1): 27ec receives a MsgAppResp with a higher term
// (900) from 2c93, which only a leader receives: 27ec led 898, and 2c93's
// term deposed it.
func TestRejoinNamedLate(t *testing.T) {
	for _, c := range []struct{ num, by, leader string }{
		{"032", "8296553e8d2c027d", "60d080439b99d9ca"},
		{"006", "2c93ddd62e188857", "27ecc6d4a68d02f"},
	} {
		r := public(t, c.num)
		if r.Diagnosis.Verdict != DisruptiveRejoin {
			t.Errorf("%s: verdict %s, want %s:\n%s", c.num, r.Diagnosis.Verdict, DisruptiveRejoin, dump(r))
			continue
		}
		for _, f := range r.Findings {
			if f.Kind == DisruptiveRejoin &&
				(len(f.Members) != 2 || f.Members[0] != mustID(t, c.by) || f.Members[1] != mustID(t, c.leader)) {
				t.Errorf("%s: rejoin of %v, want %s deposing %s", c.num, f.Members, c.by, c.leader)
			}
		}
	}
}

// 007 (etcd#13352, all 6 lines): the follower 980a ignores 2c93's vote
// requests for its leader's lease three times in 2.9 s, 2c93's log behind
// (index 137970097 < 137970125), and 0.4 s after the last one times out on
// its leader and campaigns: a suspected disruptive rejoin by 2c93, the
// leader unnamed (980a's "vote:" field is its own vote, not its leader).
func TestRejoinSuspected(t *testing.T) {
	r := public(t, "007")
	if r.Diagnosis.Verdict != DisruptiveRejoin {
		t.Fatalf("verdict %s, want %s:\n%s", r.Diagnosis.Verdict, DisruptiveRejoin, dump(r))
	}
	for _, f := range r.Findings {
		if f.Kind == DisruptiveRejoin && (len(f.Members) != 2 || f.Members[0] != mustID(t, "2c93ddd62e188857") ||
			f.Members[1] != mustID(t, "980a75d3196f23b1") || !strings.HasPrefix(f.Summary, "Suspected")) {
			t.Errorf("rejoin %v: %s", f.Members, f.Summary)
		}
	}
}
