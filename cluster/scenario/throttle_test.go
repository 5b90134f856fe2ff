package scenario

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// throttleSim is a simCluster whose members can be throttled.
type throttleSim struct {
	*simCluster
	tmu       sync.Mutex
	limits    map[string]Limits
	lifted    []string
	puts      int
	throttled int // puts made while a member was throttled
}

func (s *throttleSim) Throttle(_ context.Context, name string, l Limits) (string, error) {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	s.limits[name] = l
	return "sim", nil
}

func (s *throttleSim) Unthrottle(_ context.Context, name string) error {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	delete(s.limits, name)
	s.lifted = append(s.lifted, name)
	return nil
}

func (s *throttleSim) Put(ctx context.Context, k, v string) error {
	s.tmu.Lock()
	s.puts++
	if len(s.limits) > 0 {
		s.throttled++
	}
	s.tmu.Unlock()
	time.Sleep(time.Millisecond)
	return s.simCluster.Put(ctx, k, v)
}

func TestRunThrottles(t *testing.T) {
	for _, name := range []string{"slow-disk", "overloaded-leader"} {
		sc, ok := Lookup(name)
		if !ok || !sc.Throttles() || !sc.Faulty() {
			t.Fatalf("%s: %+v, %v", name, sc, ok)
		}
		c := &throttleSim{simCluster: newSim(), limits: map[string]Limits{}}
		tl := NewTimeline(io.Discard)
		var held Limits
		out, err := sc.Run(t.Context(), c, tl, Options{
			Hold: 50 * time.Millisecond, Keys: [][2]string{{"/r/a", "1"}}, Root: "/r",
			Observe: func() string { held = c.limits["n2"]; return "" },
		})
		if err != nil || out.Intact != 1 {
			t.Fatalf("%s: %+v, %v", name, out, err)
		}
		want := []string{"healthy n2", "put ", "throttle n2", "leader n2", "unthrottle n2", "load ", "healthy n2", "get "}
		if got := actions(tl.Steps()); !slices.Equal(got, want) {
			t.Errorf("%s: steps %q, want %q", name, got, want)
		}
		if held == (Limits{}) || len(c.limits) != 0 || !slices.Equal(c.lifted, []string{"n2"}) {
			t.Errorf("%s: limits %v during the hold, %v after, lifted %q", name, held, c.limits, c.lifted)
		}
		if c.throttled == 0 {
			t.Errorf("%s: no put while throttled (%d puts)", name, c.puts)
		}
	}
	if got := slowDiskLimits.String(); got != "writes 64 KiB/s, 8 write IO/s" {
		t.Errorf("slow-disk limits %q", got)
	}
}

// TestThrottleLiftedOnCancel: a hold cut short (Ctrl-C) still lifts the throttle.
func TestThrottleLiftedOnCancel(t *testing.T) {
	sc, _ := Lookup("overloaded-leader")
	c := &throttleSim{simCluster: newSim(), limits: map[string]Limits{}}
	ctx, cancel := context.WithCancel(t.Context())
	tl := NewTimeline(io.Discard)
	go func() {
		for !slices.Contains(actions(tl.Steps()), "throttle n2") {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err := sc.Run(ctx, c, tl, Options{Hold: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want canceled", err)
	}
	if len(c.limits) != 0 || !slices.Equal(c.lifted, []string{"n2"}) {
		t.Errorf("limits %v left, lifted %q", c.limits, c.lifted)
	}
}

func TestThrottleNeedsThrottler(t *testing.T) {
	sc, _ := Lookup("slow-disk")
	_, err := sc.Run(t.Context(), newSim(), NewTimeline(io.Discard), Options{Hold: time.Millisecond})
	if !errors.Is(err, ErrCannotThrottle) || !strings.Contains(err.Error(), "slow-disk") {
		t.Errorf("Run on a cluster that cannot throttle: %v", err)
	}
}
