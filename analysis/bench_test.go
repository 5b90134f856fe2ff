package analysis

import (
	"runtime"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// storm feeds n campaign cycles of a member alone without pre-vote (the
// demo's loop), with the rafthttp noise around it, one second apart.
type storm struct {
	evs  []parser.Event
	t    time.Time
	term uint64
}

func newStorm() *storm {
	s := &storm{t: time.Date(2020, 4, 30, 17, 20, 31, 0, time.UTC), term: 3}
	text := []byte(`etcd3    | raft2020/04/30 17:20:34 INFO: bd388e7810915853 [logterm: 3, index: 12] sent MsgVote request to ade526d28b1f92f7 at term 4`)
	add := func(ev parser.Event) {
		ev.Text = text
		ev.Name = "etcd3"
		s.evs = append(s.evs, ev)
	}
	add(parser.Event{Kind: parser.ElectionStart, Member: etcd3})
	add(parser.Event{Kind: parser.BecameCandidate, Member: etcd3})
	add(parser.Event{Kind: parser.VoteGranted, Member: etcd3, Peer: etcd3})
	add(parser.Event{Kind: parser.VoteRequest, Member: etcd3, Peer: etcd1, LogTerm: 3, Msg: parser.MsgVote})
	add(parser.Event{Kind: parser.VoteRequest, Member: etcd3, Peer: etcd2, LogTerm: 3, Msg: parser.MsgVote})
	add(parser.Event{Kind: parser.StreamLost, Member: etcd3, Peer: etcd1})
	add(parser.Event{Kind: parser.ProberUnhealthy, Member: etcd3, Peer: etcd2})
	add(parser.Event{Kind: parser.HeartbeatLate, Member: etcd3, Peer: etcd2, Duration: time.Second})
	return s
}

// cycle stamps the next campaign's times and terms.
func (s *storm) cycle() {
	s.t = s.t.Add(time.Second)
	for i := range s.evs {
		e := &s.evs[i]
		e.Time = s.t
		e.Line++
		switch e.Kind {
		case parser.ElectionStart:
			e.Term = s.term
		case parser.BecameCandidate, parser.VoteGranted, parser.VoteRequest:
			e.Term = s.term + 1
		}
	}
	s.term++
}

func BenchmarkAddStorm(b *testing.B) {
	s := newStorm()
	a := New(Options{Inputs: []string{"storm"}})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(s.evs) == 0 {
			s.cycle()
		}
		a.Add(&s.evs[i%len(s.evs)])
	}
	b.StopTimer()
	a.Finish()
}

// TestStormMemory feeds a long storm and checks that the heap stays bounded
// by what the report keeps, not by the number of events.
func TestStormMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	s := newStorm()
	a := New(Options{Inputs: []string{"storm"}, MaxSeriesPoints: 1000})
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	var after1 uint64
	const cycles = 400_000 // 3.2M events, 111 hours of a loop
	for c := 0; c < cycles; c++ {
		s.cycle()
		for i := range s.evs {
			a.Add(&s.evs[i])
		}
		if c == cycles/10 {
			after1 = heap()
		}
	}
	end := heap()
	if end > after1+4<<20 {
		t.Errorf("heap grew from %d to %d bytes over the storm", after1, end)
	}
	r := a.Finish()
	for _, sr := range r.Series {
		if len(sr.Points) > 1001 {
			t.Errorf("series of %s has %d points", sr.Member, len(sr.Points))
		}
	}
	if len(r.Timeline) > 2000 {
		t.Errorf("timeline has %d events", len(r.Timeline))
	}
	if r.Diagnosis.Verdict != QuorumLoss {
		t.Errorf("verdict %s\n%s", r.Diagnosis.Verdict, dump(r))
	}
	t.Logf("heap %d -> %d bytes; %s", after1, end, dump(r))
}
