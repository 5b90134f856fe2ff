package analysis

import (
	"encoding/json"
	"runtime"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

func TestSeriesBounded(t *testing.T) {
	s := newScript("2026-11-23 21:00:00").bootstrap(n1, n2, n3)
	term := uint64(2)
	for i := 0; i < 400; i++ {
		s.at("+1s").campaign(n2, term, 2, n1, n3)
		term++
		if i%100 == 99 { // now and then n2 wins, then loses again
			s.granted(n2, n1, term).leader(n2, term)
			s.at("+1s").stepDown(n2, term)
		}
	}
	a := New(Options{Inputs: []string{"test"}, MaxSeriesPoints: 50})
	for i := range s.evs {
		a.Add(&s.evs[i])
	}
	r := a.Finish()
	for _, sr := range r.Series {
		if len(sr.Points) > 51 {
			t.Errorf("%s: %d points", sr.Member, len(sr.Points))
		}
		if sr.Member != n2 {
			continue
		}
		if sr.Omitted == 0 {
			t.Errorf("n2: nothing omitted")
		}
		leader := 0
		for i, p := range sr.Points {
			if p.State == StateLeader {
				leader++
			}
			if i > 0 && p.Time.Before(sr.Points[i-1].Time) {
				t.Errorf("points out of order at %d", i)
			}
		}
		if leader < 4 {
			t.Errorf("n2: %d leader points kept, want the 4 leaderships", leader)
		}
		if last := sr.Points[len(sr.Points)-1]; last.Term != term {
			t.Errorf("last point at term %d, want %d", last.Term, term)
		}
	}
}

func TestTimelineBounded(t *testing.T) {
	s := newScript("2026-11-23 21:00:00").bootstrap(n1, n2, n3)
	for term := uint64(2); term < 200; term++ {
		s.at("+2s").campaign(n2, term, 2, n1, n3).granted(n2, n1, term+1).leader(n2, term+1)
		s.at("+1s").stepDown(n2, term+1)
	}
	a := New(Options{Inputs: []string{"test"}, MaxTimeline: 40})
	for i := range s.evs {
		a.Add(&s.evs[i])
	}
	r := a.Finish()
	if len(r.Timeline) > 40 || r.TimelineOmitted == 0 {
		t.Errorf("timeline %d events, %d omitted", len(r.Timeline), r.TimelineOmitted)
	}
	last := r.Timeline[len(r.Timeline)-1]
	if last.Time.Before(r.End.Add(-5 * time.Second)) {
		t.Errorf("timeline ends at %s, the logs at %s: the latest events are lost", last.Time, r.End)
	}
	for i := 1; i < len(r.Timeline); i++ {
		if r.Timeline[i].Time.Before(r.Timeline[i-1].Time) {
			t.Fatalf("timeline out of order at %d", i)
		}
	}
}

// TestAttribution: lines without a member ID (an envelope name only) belong
// to the member whose ID lines carry the same stream name in the same input;
// the lines before the first of those wait for it.
func TestAttribution(t *testing.T) {
	s := newScript("2026-11-23 21:00:00")
	s.add(parser.Event{Kind: parser.ServerStart, Source: "etcd1", PreVote: 1, Version: "3.5.35"})
	s.add(parser.Event{Kind: parser.ServerStart, Source: "etcd2", PreVote: 1})
	s.add(parser.Event{Kind: parser.ClockDrift, Source: "etcd2", Peer: n1, Duration: 3 * time.Second})
	s.add(parser.Event{Kind: parser.NewRaft, Member: n1, Source: "etcd1", Term: 1})
	s.add(parser.Event{Kind: parser.NewRaft, Member: n2, Source: "etcd2", Term: 1})
	s.at("+1s").add(parser.Event{Kind: parser.VoteRequest, Member: n1, Source: "etcd1", Peer: n3, PeerName: "etcd3", Term: 2, Msg: parser.MsgVote})
	s.add(parser.Event{Kind: parser.MemberIdentity, Member: n2, Name: "node-b"})
	s.at("+1s").add(parser.Event{Kind: parser.Shutdown, Source: "etcd1"})
	r := analyze(t, s)
	want := map[parser.ID]string{n1: "etcd1", n2: "node-b", n3: "etcd3"}
	for _, m := range r.Members {
		if m.Name != want[m.ID] {
			t.Errorf("member %s named %q, want %q", m.ID, m.Name, want[m.ID])
		}
	}
	if len(r.Members) != 3 || r.Members[0].ID > r.Members[1].ID || r.Members[1].ID > r.Members[2].ID {
		t.Errorf("members not by ID: %+v", r.Members)
	}
	if len(findings(r, Shutdown)) != 1 || !hasMember(findings(r, Shutdown)[0], n1) {
		t.Errorf("the unattributed shutdown line is not etcd1's\n%s", dump(r))
	}
	if f := findings(r, ClockDrift); len(f) != 1 || f[0].Members[0] != n2 {
		t.Errorf("the clock difference before etcd2's first ID line is not etcd2's\n%s", dump(r))
	}
}

func TestEmptyAndZeroTimes(t *testing.T) {
	r := New(Options{}).Finish()
	if r.Schema != Schema || r.Diagnosis.Verdict != NoData {
		t.Errorf("empty: %+v", r.Diagnosis)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
	// Lines without a time take the time of the line before.
	s := demo()
	for i := range s.evs {
		if i%2 == 1 {
			s.evs[i].Time = time.Time{}
		}
	}
	r = analyze(t, s)
	if r.Diagnosis.Verdict != QuorumLoss || len(findings(r, CandidacyLoop)) == 0 {
		t.Errorf("half the times missing\n%s", dump(r))
	}
	// No time at all: nothing breaks.
	for i := range s.evs {
		s.evs[i].Time = time.Time{}
	}
	r = analyze(t, s)
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
}

func TestDeterministic(t *testing.T) {
	a, err := json.Marshal(analyze(t, demo()))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		b, _ := json.Marshal(analyze(t, demo()))
		if string(a) != string(b) {
			t.Fatal("two runs differ")
		}
	}
}

// feeder streams a script to an Analyzer piece by piece, numbering the lines
// on, so that a long log never sits in memory.
type feeder struct {
	a    *Analyzer
	s    *script
	line int64
}

func (fd *feeder) flush() {
	for i := range fd.s.evs {
		ev := &fd.s.evs[i]
		fd.line++
		ev.Line = fd.line
		fd.a.Add(ev)
	}
	fd.s.evs = fd.s.evs[:0]
}

// busyLog feeds units of ten minutes of a busy 3-member cluster: the leader's
// heartbeats late (by 100 to 900 ms), a follower's slow apply, the other
// follower unreachable for 6 s, the leader measuring a follower's clock 1.5 s
// off; every 30th unit a follower wins an election, every 70th one restarts.
func busyLog(a *Analyzer, units int) {
	s := newScript("2026-11-23 00:00:00").name(n1, "etcd1").name(n2, "etcd2").name(n3, "etcd3")
	fd := &feeder{a: a, s: s}
	s.bootstrap(n1, n2, n3)
	fd.flush()
	ms := []parser.ID{n1, n2, n3}
	lead, term := 0, uint64(2)
	start := s.t
	for u := 0; u < units; u++ {
		s.t = start.Add(time.Duration(u) * 10 * time.Minute)
		l, f1, f2 := ms[lead], ms[(lead+1)%3], ms[(lead+2)%3]
		late := time.Duration(100+u%9*100) * time.Millisecond
		for i := 0; i < 3; i++ {
			s.at("+1s").add(parser.Event{Kind: parser.HeartbeatLate, Member: l, Peer: f1, Duration: late, Level: parser.LevelWarn})
		}
		s.at("+60s").add(parser.Event{Kind: parser.SlowApply, Member: f1, Duration: 150 * time.Millisecond, Level: parser.LevelWarn})
		s.at("+60s").streamLost(l, f2).streamLost(f1, f2)
		for i := 0; i < 3; i++ {
			s.at("+2s").prober(l, f2)
		}
		s.at("+1s").add(parser.Event{Kind: parser.StreamEstablished, Member: l, Peer: f2})
		s.add(parser.Event{Kind: parser.StreamEstablished, Member: f1, Peer: f2})
		s.at("+60s").add(parser.Event{Kind: parser.ClockDrift, Member: l, Peer: f1, Duration: 1500 * time.Millisecond, Level: parser.LevelWarn})
		if u%70 == 3 {
			s.at("+60s").shutdown(f2)
			s.at("+20s").newRaft(f2, term).elected(f2, l, term)
		}
		if u%30 == 29 {
			s.at("+60s").campaign(f1, term, term, l, f2)
			s.voteFor(l, term, f1, term+1).voteFor(f2, term, f1, term+1)
			s.granted(f1, f2, term+1).leader(f1, term+1)
			s.elected(l, f1, term+1).elected(f2, f1, term+1)
			term++
			lead = (lead + 1) % 3
		}
		fd.flush()
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestLongLogBounded feeds 10 and 100 times a busy day: the findings, the
// result and the heap stay about the same, and the merged findings still
// count every episode.
func TestLongLogBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	type run struct {
		r                *Result
		json, jsonF      int // the document, its findings
		heapAdd, heapRes uint64
	}
	measure := func(units int) run {
		var x run
		before := heapInUse()
		// A small series: what the series keeps is bounded, but only fills
		// up in long logs.
		a := New(Options{Inputs: []string{"busy"}, MaxSeriesPoints: 100})
		busyLog(a, units)
		x.heapAdd = heapInUse() - before
		x.r = a.Finish()
		x.heapRes = heapInUse() - before // the result alone, as the CLI holds it while writing it
		b, err := json.Marshal(x.r)
		if err != nil {
			t.Fatal(err)
		}
		x.json = len(b)
		if b, err = json.Marshal(x.r.Findings); err != nil {
			t.Fatal(err)
		}
		x.jsonF = len(b)
		// Merged or not, the findings count every episode: one unreachable
		// member and two slow ones a unit.
		var unreach, slow int
		for _, f := range x.r.Findings {
			switch f.Kind {
			case PeerUnreachable:
				unreach += f.Count
			case SlowLeader:
				slow += episodesOf(&f)
			}
		}
		if unreach != units || slow != 2*units {
			t.Errorf("%d units: %d unreachable episodes, %d slow ones, want %d and %d\n%s", units, unreach, slow, units, 2*units, dump(x.r))
		}
		return x
	}
	const base = 150 // units of ten minutes
	r10, r100 := measure(10*base), measure(100*base)
	kinds := func(r *Result) map[string]bool {
		ks := map[string]bool{}
		for _, f := range r.Findings {
			ks[f.Kind+" "+string(f.Severity)] = true
		}
		return ks
	}
	k10, k100 := kinds(r10.r), kinds(r100.r)
	if len(k10) != len(k100) || len(k10) < 6 {
		t.Errorf("kinds at 10x %v, at 100x %v", k10, k100)
	}
	for k := range k10 {
		if !k100[k] {
			t.Errorf("%s at 10x, not at 100x", k)
		}
	}
	for _, x := range []run{r10, r100} {
		if len(x.r.Findings) > maxFindings || len(x.r.Leaders) > maxSpans || len(x.r.Leaderless) > maxSpans {
			t.Errorf("%d findings, %d leaders, %d leaderless windows", len(x.r.Findings), len(x.r.Leaders), len(x.r.Leaderless))
		}
	}
	if n10, n100 := len(r10.r.Findings), len(r100.r.Findings); n100 > n10+3 {
		t.Errorf("%d findings at 10x, %d at 100x", n10, n100)
	}
	// The leaders and leaderless windows are complete up to maxSpans:
	// allow for them.
	spans := len(r100.r.Leaders) + len(r100.r.Leaderless) - len(r10.r.Leaders) - len(r10.r.Leaderless)
	if r100.jsonF > r10.jsonF+r10.jsonF/4 || r100.json > r10.json+r10.json/4+150*spans {
		t.Errorf("JSON of %d bytes (findings %d) at 10x, %d (%d) at 100x", r10.json, r10.jsonF, r100.json, r100.jsonF)
	}
	// What grows is a few records per election (leaderships, shutdowns),
	// not the hints.
	if r100.heapAdd > r10.heapAdd+512<<10 || r100.heapRes > r10.heapRes+128<<10 {
		t.Errorf("heap after Add %d KB at 10x, %d KB at 100x; of the result %d KB, %d KB",
			r10.heapAdd>>10, r100.heapAdd>>10, r10.heapRes>>10, r100.heapRes>>10)
	}
	for _, x := range []struct {
		n string
		run
	}{{"10x", r10}, {"100x", r100}} {
		t.Logf("%s: %d findings, %d leaders, JSON %d B (findings %d B), heap after Add %d KB, of the result %d KB",
			x.n, len(x.r.Findings), len(x.r.Leaders), x.json, x.jsonF, x.heapAdd>>10, x.heapRes>>10)
	}
	t.Logf("100x:\n%s", dump(r100.r))
}
