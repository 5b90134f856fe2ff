package analysis

import (
	"math/rand"
	"testing"
	"time"
)

// TestLeadIndex checks the index's answers against a scan of every
// leadership (what Finish did before leadindex.go), on random leaderships
// with many equal starts and ends.
func TestLeadIndex(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	at := ticks(500 * time.Millisecond)
	for round := 0; round < 200; round++ {
		a := &Analyzer{}
		n := rng.Intn(30)
		for i := 0; i < n; i++ {
			s := rng.Intn(40)
			a.lead.list = append(a.lead.list, &leadership{
				leader: int32(rng.Intn(3)), term: uint64(i*2 + 1), start: at(s), until: at(s + rng.Intn(6)),
				fromBefore: rng.Intn(4) == 0,
			})
		}
		a.indexLeaderships()
		for q := 0; q < 50; q++ {
			from := at(rng.Intn(45))
			to := from.Add(time.Duration(rng.Intn(8)) * 500 * time.Millisecond)
			skip := int32(rng.Intn(4))
			var want bool
			for _, rec := range a.lead.list {
				if rec.leader != skip && rec.start.Before(to) && rec.until.After(from) {
					want = true
				}
			}
			if got := a.lix.ledDuring(from, to, skip); got != want {
				t.Fatalf("round %d: ledDuring(%v, %v, %d) = %v, a scan says %v", round, from, to, skip, got, want)
			}
			var last time.Time
			for _, rec := range a.lead.list {
				if (rec.start.Before(from) || rec.fromBefore && rec.start.Equal(from)) && rec.start.After(last) {
					last = rec.start
				}
			}
			if got := a.lix.lastStartBefore(from); !got.Equal(last) {
				t.Fatalf("round %d: lastStartBefore(%v) = %v, a scan says %v", round, from, got, last)
			}
			const tol = time.Second
			var before, after *leadership
			for _, rec := range a.lead.list {
				if !rec.until.After(from.Add(tol)) && (before == nil || rec.until.After(before.until) ||
					(rec.until.Equal(before.until) && rec.term > before.term)) {
					before = rec
				}
				if !rec.start.Before(to.Add(-tol)) && rec.start.After(from) && (after == nil || rec.start.Before(after.start)) {
					after = rec
				}
			}
			if b, f := a.around(from, to); b != before || f != after {
				t.Fatalf("round %d: around(%v, %v) = %v, %v; a scan says %v, %v", round, from, to, b, f, before, after)
			}
			term := uint64(rng.Intn(2*n + 2))
			var next *leadership
			for _, x := range a.lead.list {
				if x.term > term && !x.start.Before(from) && (next == nil || x.term < next.term) {
					next = x
				}
			}
			if got := a.firstAfterTerm(term, from); got != next {
				t.Fatalf("round %d: firstAfterTerm(%d, %v) = %v, a scan says %v", round, term, from, got, next)
			}
			var starting, ending int
			for _, rec := range a.lead.list {
				if rec.start.Equal(from) {
					starting++
				}
				if rec.until.Equal(from) {
					ending++
				}
			}
			if len(a.lix.startingAt(from)) != starting || len(a.lix.endingAt(from)) != ending {
				t.Fatalf("round %d: at %v %d start and %d end, a scan says %d and %d", round, from,
					len(a.lix.startingAt(from)), len(a.lix.endingAt(from)), starting, ending)
			}
		}
	}
}

// ticks is a test's clock: at(n) is n steps after a fixed instant, so that
// random small numbers make many equal times.
func ticks(step time.Duration) func(int) time.Time {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func(n int) time.Time { return t0.Add(time.Duration(n) * step) }
}
