package scenario

import (
	"strings"
	"testing"
	"time"
)

func TestTimelineWritesActionsLogLines(t *testing.T) {
	var b strings.Builder
	tl := NewTimeline(&b)
	now := time.Date(2026, 11, 23, 21, 3, 5, 836252789, time.FixedZone("CET", 3600))
	tl.now = func() time.Time { return now }
	tl.Record(Step{Action: "stop", Target: "n1", TargetID: "6291d99b6e411a8b", Role: "leader"}, "stop n1 (leader 6291d99b6e411a8b)")

	if want := "2026-11-23T20:03:05.836252Z ACTION stop n1 (leader 6291d99b6e411a8b)\n"; b.String() != want {
		t.Errorf("actions.log = %q, want %q", b.String(), want)
	}
	steps := tl.Steps()
	if len(steps) != 1 || !steps[0].Time.Equal(now.Truncate(time.Microsecond)) || steps[0].Target != "n1" {
		t.Errorf("steps = %+v", steps)
	}
	if _, err := time.Parse(time.RFC3339Nano, strings.Fields(b.String())[0]); err != nil {
		t.Errorf("line time is not RFC 3339: %v", err)
	}
}

func TestLookupFindsEveryScenario(t *testing.T) {
	for _, s := range All() {
		for _, name := range []string{s.Name, s.LabName()} {
			if got, ok := Lookup(name); !ok || got.Name != s.Name {
				t.Errorf("Lookup(%q) = %q, %v", name, got.Name, ok)
			}
		}
	}
	if s, _ := Lookup("leader-freeze"); s.Name != "leader-pause" || s.LabName() != "leader-freeze" {
		t.Errorf("Lookup(leader-freeze) = %q (lab %q), want leader-pause", s.Name, s.LabName())
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup(nope) found a scenario")
	}
}
