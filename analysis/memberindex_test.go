package analysis

import (
	"math/rand"
	"slices"
	"testing"
	"time"
)

// TestMemberIndex checks downAt, stoppingAt, stoppedNear and backIn with the
// index against their scans of every down span, shutdown and stream, on
// random ones: unordered, overlapping, open, with equal ends and starts,
// some at a shutdown line.
func TestMemberIndex(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	at := ticks(500 * time.Millisecond)
	for round := 0; round < 300; round++ {
		a := &Analyzer{}
		m := newMember(0, 1)
		a.mem = []*member{m}
		for i, n := 0, rng.Intn(20); i < n; i++ {
			from := rng.Intn(40)
			var to time.Time
			if rng.Intn(5) > 0 {
				to = at(from + rng.Intn(8) - 1)
			}
			m.addDown(at(from), to)
			if rng.Intn(2) == 0 {
				m.stops = append(m.stops, at(from))
			}
		}
		for i, n := 0, rng.Intn(20); i < n; i++ {
			m.reach = append(m.reach, reachPoint{at(rng.Intn(45)), int32(rng.Intn(3))})
		}
		if rng.Intn(2) == 0 { // in time order, as they mostly are: binary searches
			slices.SortFunc(m.stops, time.Time.Compare)
			slices.SortFunc(m.reach, func(p, q reachPoint) int { return p.t.Compare(q.t) })
		}
		a.indexMembers()
		for q := 0; q < 60; q++ {
			x := at(rng.Intn(50) - 2)
			y := x.Add(time.Duration(rng.Intn(12)) * 500 * time.Millisecond)
			before, after := time.Duration(rng.Intn(6))*time.Second, time.Duration(rng.Intn(3))*time.Second
			out := uint64(rng.Intn(8))
			m.indexed = true
			down, stopping, near, back := m.downAt(x), m.stoppingAt(x), m.stoppedNear(x, before, after), m.backIn(x, y, out)
			m.indexed = false
			if want := m.downAt(x); down != want {
				t.Fatalf("round %d: downAt(%v) = %v, a scan says %v (downs %v)", round, x, down, want, m.downs)
			}
			if want := m.stoppingAt(x); stopping != want {
				t.Fatalf("round %d: stoppingAt(%v) = %v, a scan says %v (downs %v, stops %v)", round, x, stopping, want, m.downs, m.stops)
			}
			if want := m.stoppedNear(x, before, after); !near.Equal(want) {
				t.Fatalf("round %d: stoppedNear(%v, %v, %v) = %v, a scan says %v (stops %v)", round, x, before, after, near, want, m.stops)
			}
			if want := m.backIn(x, y, out); back != want {
				t.Fatalf("round %d: backIn(%v, %v, %b) = %v, a scan says %v (downs %v, reach %v)", round, x, y, out, back, want, m.downs, m.reach)
			}
		}
	}
}
