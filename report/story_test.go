package report

import (
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
)

// The incident timeline of a capture-like Result: the faults (two stops
// at once merged), the leader lost, the loop, the leader back, a gap.
func TestStorySteps(t *testing.T) {
	res := handDemoResult()
	t0 := res.Start
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	res.Faults = []analysis.Fault{
		{Start: sec(0.5), End: sec(625.9), Label: "stopped etcd2", Target: "etcd2"},
		{Start: sec(0.6), End: sec(625.95), Label: "stopped etcd1", Target: "etcd1"},
	}
	res.Gaps = []analysis.Window{{Start: sec(300), End: sec(400), Seconds: 100}}
	ms := newMemberSet(res, cleanLabel)
	steps, omitted := storySteps(res, ms)
	var got []string
	for _, s := range steps {
		got = append(got, s.Time.UTC().Format(clockLayout)+" "+s.Kind+" "+s.Text)
	}
	want := []string{
		"17:20:30.500 fault stopped etcd2, etcd1",
		"17:20:31.000 finding etcd1 handed leadership to etcd3 (MsgTimeoutNow) while stopping",
		"17:20:33.000 lost leader lost: etcd3 (term 3) gone",
		"17:20:34.000 election etcd3 kept campaigning (candidacy-loop), term 3 → 422",
		"17:25:30.000 gap no log data for 1m40s",
		"17:30:55.900 fault etcd2, etcd1 started again",
		"17:30:56.000 leader leader back: etcd3 at term 422, after 10m23s without one",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || omitted != 0 {
		t.Errorf("steps (%d omitted):\n%s\nwant:\n%s", omitted, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The chart data carries the gaps, the windows in which a fault stopped a
// member, and the incident's window when quiet time surrounds it.
func TestChartDataStoryParts(t *testing.T) {
	res := handDemoResult()
	t0 := res.Start
	res.Faults = []analysis.Fault{
		{Start: t0.Add(time.Second), End: t0.Add(2 * time.Second), Label: "paused etcd3", Target: "etcd3"},
		{Start: t0.Add(time.Second), End: t0.Add(2 * time.Second), Label: "disconnected etcd1 from net", Target: "etcd1"},
	}
	res.Gaps = []analysis.Window{{Start: t0.Add(10 * time.Second), End: t0.Add(20 * time.Second), Seconds: 10}}
	d := buildChartData(res, newMemberSet(res, cleanLabel))
	if len(d.Gaps) != 1 || d.Gaps[0].S != 10000 || d.Gaps[0].E != 20000 {
		t.Errorf("gaps %+v", d.Gaps)
	}
	if len(d.Stopped) != 1 || d.Stopped[0].M != 2 || d.Stopped[0].S != 1000 || d.Stopped[0].E != 2000 {
		t.Errorf("stopped %+v, want etcd3 (member 2) from 1 s to 2 s; a disconnection stops no one", d.Stopped)
	}
	if d.Focus != nil {
		t.Errorf("focus %v, want none: the incident fills the logs", d.Focus)
	}
	res.Start, res.End = t0.Add(-time.Hour), res.End.Add(time.Hour)
	d = buildChartData(res, newMemberSet(res, cleanLabel))
	if len(d.Focus) != 2 || d.Focus[0] <= 0 || d.Focus[1] >= d.End {
		t.Errorf("focus %v in [0, %d], want inside", d.Focus, d.End)
	}
}

// A member's colour depends on its name only: etcd1 is the same whatever
// the other members, and three members never share one.
func TestMemberColors(t *testing.T) {
	a := assignColors([]string{"etcd1", "etcd2", "etcd3"})
	b := assignColors([]string{"zeta", "etcd1"})
	if a[0] != b[1] {
		t.Errorf("etcd1 is slot %d in one set, %d in the other", a[0], b[1])
	}
	for _, set := range [][]string{{"etcd1", "etcd2", "etcd3"}, {"n1", "n2", "n3"}, {"etcd1", "etcd2", "etcd3", "etcd4", "etcd5"}, {"a", "a2", "b", "c", "d"}} {
		seen := map[int]string{}
		for i, s := range assignColors(set) {
			if prev, ok := seen[s]; ok {
				t.Errorf("%s and %s share colour %d", prev, set[i], s)
			}
			seen[s] = set[i]
		}
	}
}
