package scenario

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/cluster"
)

// simCluster is a 3-member cluster in memory: a member leads while a majority is up, and the
// leader moves to the first member up when it goes.
type simCluster struct {
	cluster.Cluster
	mu     sync.Mutex
	up     map[string]bool
	leader string
	kv     map[string]string
	lose   bool // Get answers another value: the data is lost
}

func newSim() *simCluster {
	return &simCluster{up: map[string]bool{"n1": true, "n2": true, "n3": true}, leader: "n2", kv: map[string]string{}}
}

func (s *simCluster) Names() []string { return []string{"n1", "n2", "n3"} }
func (s *simCluster) IDs() map[string]string {
	return map[string]string{"n1": "a1", "n2": "b2", "n3": "c3"}
}

func (s *simCluster) Status(context.Context) []cluster.MemberStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []cluster.MemberStatus
	n := 0
	for _, name := range s.Names() {
		if s.up[name] {
			n++
		}
	}
	if !s.up[s.leader] || n < 2 {
		s.leader = ""
		if n >= 2 {
			for _, name := range s.Names() {
				if s.up[name] {
					s.leader = name
					break
				}
			}
		}
	}
	for _, name := range s.Names() {
		ms := cluster.MemberStatus{Name: name, ID: s.IDs()[name], Running: s.up[name]}
		if !s.up[name] {
			ms.Err = errors.New("down")
		} else if s.leader != "" {
			ms.Leader = s.IDs()[s.leader]
		}
		out = append(out, ms)
	}
	return out
}

func (s *simCluster) set(name string, up bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.up[name] = up
	return nil
}

func (s *simCluster) Stop(_ context.Context, name string) error { return s.set(name, false) }
func (s *simCluster) StartMember(name string) error             { return s.set(name, true) }

func (s *simCluster) Put(_ context.Context, k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kv[k] = v
	return nil
}

func (s *simCluster) Get(_ context.Context, k string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.kv[k]
	if s.lose {
		v += " (changed)"
	}
	return v, ok, nil
}

func actions(steps []Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Action+" "+s.Target)
	}
	return out
}

func TestRunQuorumLoss(t *testing.T) {
	sc, _ := Lookup("quorum-loss")
	c := newSim()
	tl := NewTimeline(io.Discard)
	var printed []string
	var before []string // the steps done when BeforeFault ran
	out, err := sc.Run(t.Context(), c, tl, Options{
		Hold: time.Millisecond, Keys: [][2]string{{"/r/a", "1"}, {"/r/b", "2"}}, Root: "/r",
		Print:       func(text string) { printed = append(printed, text) },
		BeforeFault: func(context.Context) error { before = actions(tl.Steps()); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if out != (Outcome{Keys: 2, Intact: 2, Checked: true}) {
		t.Errorf("outcome %+v", out)
	}
	// The leader n2 hands over on its way out; the follower goes first.
	want := []string{"healthy n2", "put ", "stop n1", "stop n2", "quorum-lost n3", "start n2", "leader n2", "start n1", "healthy n2", "get "}
	if got := actions(tl.Steps()); !slices.Equal(got, want) {
		t.Errorf("steps %q, want %q", got, want)
	}
	if !slices.Equal(before, want[:2]) {
		t.Errorf("BeforeFault ran after %q, want after %q", before, want[:2])
	}
	if !slices.Contains(printed, "holding 1ms (1 of 3 members up)") || !slices.Contains(printed, "data intact: 2 of 2 keys read back unchanged") {
		t.Errorf("printed %q", printed)
	}
}

func TestRunDataLostAndStopAll(t *testing.T) {
	sc, _ := Lookup("leader-stop") // the lab's name of leader-loss
	c := newSim()
	c.lose = true
	out, err := sc.Run(t.Context(), c, NewTimeline(io.Discard), Options{Hold: time.Millisecond, Keys: [][2]string{{"/r/a", "1"}}, Root: "/r"})
	if !errors.Is(err, ErrDataLost) || out.Intact != 0 || !out.Checked {
		t.Errorf("Run = %+v, %v; want ErrDataLost", out, err)
	}

	clean, _ := Lookup("clean-stop")
	tl := NewTimeline(io.Discard)
	if _, err := clean.Run(t.Context(), newSim(), tl, Options{StopAll: true}); err != nil {
		t.Fatal(err)
	}
	want := []string{"healthy n2", "healthy n2", "get ", "healthy n2", "stop n1", "stop n3", "stop n2", "done "}
	if got := actions(tl.Steps()); !slices.Equal(got, want) {
		t.Errorf("clean-stop steps %q, want %q", got, want)
	}
}
