package analysis

import (
	"math/rand"
	"reflect"
	"testing"
	"time"
)

// The tests here check Finish's lookups (windowset.go, the cluster-wide
// stops, the transfers by start) against the scans they replace, on random
// inputs with many equal instants.

func TestWindowSet(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	at := ticks(100 * time.Millisecond)
	for round := 0; round < 500; round++ {
		var want []Window
		for i, n := 0, rng.Intn(12); i < n; i++ {
			from := rng.Intn(200)
			want = addWindow(want, at(from), at(from+rng.Intn(30)))
		}
		if rng.Intn(10) == 0 && len(want) > 1 { // out of start order: the set scans
			want[0], want[1] = want[1], want[0]
		}
		s := newWindowSet(append([]Window(nil), want...))
		for i, n := 0, rng.Intn(40); i < n; i++ {
			from := rng.Intn(220)
			to := from + rng.Intn(60)
			if rng.Intn(3) == 0 {
				to = from + rng.Intn(4) // shorter than minWindow, some of them
			}
			want = addWindow(want, at(from), at(to))
			s.add(at(from), at(to))
			if !reflect.DeepEqual(s.ws, want) {
				t.Fatalf("round %d, add %d (%v, %v):\n got %v\nwant %v", round, i, at(from), at(to), s.ws, want)
			}
		}
	}
}

func TestStopLookups(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	at := ticks(500 * time.Millisecond)
	for round := 0; round < 300; round++ {
		a := &Analyzer{}
		for i, n, x := 0, rng.Intn(12), 0; i < n; i++ {
			x += rng.Intn(8) // in time order, apart, as groupStops makes them
			g := &stopGroup{start: at(x), clusterWide: rng.Intn(3) > 0}
			x += rng.Intn(6)
			g.end = at(x)
			a.stops.keep(g)
		}
		for i, n := 0, rng.Intn(6); i < n; i++ {
			s := rng.Intn(90)
			a.lead.list = append(a.lead.list, &leadership{term: uint64(i + 1), start: at(s), until: at(s + rng.Intn(9))})
		}
		a.indexLeaderships()
		for q := 0; q < 60; q++ {
			x := at(rng.Intn(100) - 4)
			var stop *stopGroup
			for _, g := range a.stops.groups {
				if g.clusterWide && !x.Before(g.start.Add(-time.Second)) && !x.After(g.end.Add(2*time.Second)) {
					stop = g
					break
				}
			}
			if got := a.clusterStop(x); got != stop {
				t.Fatalf("round %d: clusterStop(%v) = %v, a scan says %v", round, x, got, stop)
			}
			cold := true
			if last := a.lix.lastStartBefore(x); !last.IsZero() {
				cold = false
				for _, g := range a.stops.groups {
					if g.clusterWide && g.end.After(last) && !g.end.After(x) {
						cold = true
					}
				}
			}
			y := x.Add(time.Duration(rng.Intn(20)) * 500 * time.Millisecond)
			cut := y
			for _, g := range a.stops.groups {
				if !g.clusterWide {
					continue
				}
				if !x.Before(g.start.Add(-time.Second)) && !x.After(g.end.Add(2*time.Second)) {
					cut = x
					break
				}
				if !g.end.Before(x) && !g.end.After(y) {
					cut = g.end
					break
				}
			}
			if got := a.stopCut(x, y); !got.Equal(cut) {
				t.Fatalf("round %d: stopCut(%v, %v) = %v, a scan says %v", round, x, y, got, cut)
			}
			if got := a.coldAt(x); got != cold {
				t.Fatalf("round %d: coldAt(%v) = %v, a scan says %v", round, x, got, cold)
			}
		}
	}
}

// TestPlanned checks planned and stopHandover, which search the transfers
// by start.
func TestPlanned(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	at := ticks(500 * time.Millisecond)
	for round := 0; round < 200; round++ {
		a := &Analyzer{}
		for i, n := 0, rng.Intn(30); i < n; i++ {
			a.transfers = append(a.transfers, &transfer{from: int32(rng.Intn(3)), to: int32(rng.Intn(4) - 1), start: at(rng.Intn(200))})
		}
		for i, n := 0, rng.Intn(20); i < n; i++ {
			a.lead.list = append(a.lead.list, &leadership{leader: int32(rng.Intn(3)), term: uint64(i + 1), start: at(rng.Intn(220))})
		}
		a.indexLeaderships()
		for q := 0; q < 20; q++ {
			x := rng.Intn(200)
			g := &stopGroup{start: at(x), end: at(x + rng.Intn(20))}
			l := int32(rng.Intn(3))
			var want *transfer
			for _, tr := range a.transfers {
				if tr.from == l && tr.start.Sub(g.start) >= -time.Second && tr.start.Sub(g.end) <= 3*time.Second {
					want = tr
					break
				}
			}
			if got := a.stopHandover(g, l); got != want {
				t.Fatalf("round %d: stopHandover(%v to %v, %d) = %v, a scan says %v", round, g.start, g.end, l, got, want)
			}
		}
		for _, prev := range a.lead.list {
			for _, cur := range a.lead.list {
				want := false
				for _, tr := range a.transfers {
					if tr.from != prev.leader || (tr.to >= 0 && tr.to != cur.leader) {
						continue
					}
					if d := cur.start.Sub(tr.start); d >= -2*time.Second && d <= transferWindow {
						want = true
					}
				}
				if got := a.planned(prev, cur); got != want {
					t.Fatalf("round %d: planned(%d, %d at %v) = %v, a scan says %v", round, prev.leader, cur.leader, cur.start, got, want)
				}
			}
		}
	}
}
