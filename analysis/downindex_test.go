package analysis

import (
	"math/rand"
	"testing"
	"time"
)

// TestDownIndex checks downAt and stoppingAt with the index against their
// scan of every down span, on random spans: unordered, overlapping, open,
// with equal ends and starts, some at a shutdown line.
func TestDownIndex(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(n int) time.Time { return t0.Add(time.Duration(n) * 500 * time.Millisecond) }
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
		a.indexDowns()
		for q := 0; q < 60; q++ {
			x := at(rng.Intn(50) - 2)
			m.dixOK = true
			down, stopping := m.downAt(x), m.stoppingAt(x)
			m.dixOK = false
			if want := m.downAt(x); down != want {
				t.Fatalf("round %d: downAt(%v) = %v, a scan says %v (downs %v)", round, x, down, want, m.downs)
			}
			if want := m.stoppingAt(x); stopping != want {
				t.Fatalf("round %d: stoppingAt(%v) = %v, a scan says %v (downs %v, stops %v)", round, x, stopping, want, m.downs, m.stops)
			}
		}
	}
}
