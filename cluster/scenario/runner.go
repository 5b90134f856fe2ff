package scenario

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/cluster"
)

// keys are written before every fault and must read back unchanged after recovery.
var keys = []struct{ key, value string }{
	{"/etcdpm/k1", "v1"},
	{"/etcdpm/k2", "v2"},
	{"/etcdpm/k3", "v3"},
}

// runner carries out a scenario's steps and records each in the timeline.
type runner struct {
	c   cluster.Cluster
	tl  *Timeline
	ids map[string]string
}

// start waits for the freshly started cluster to be healthy, writes the keys and returns the leader.
func (r *runner) start(ctx context.Context) (leader string, err error) {
	leader, err = r.healthy(ctx, "after start")
	if err != nil {
		return "", err
	}
	for _, kv := range keys {
		if err := r.c.Put(ctx, kv.key, kv.value); err != nil {
			return "", err
		}
	}
	r.tl.Record(Step{Action: "put"}, fmt.Sprintf("put %d keys %s..%s", len(keys), keys[0].key, keys[len(keys)-1].key))
	return leader, nil
}

// Settle is how long a recovered cluster runs before finish stops it, so that the logs show
// every member settled in (streams re-established, peers active).
const Settle = 2 * time.Second

// finish waits for a healthy cluster, checks the keys, lets it settle, then stops every member
// with SIGTERM: followers first in name order, the leader last.
func (r *runner) finish(ctx context.Context, when string) error {
	if _, err := r.healthy(ctx, when); err != nil {
		return err
	}
	for _, kv := range keys {
		got, found, err := r.c.Get(ctx, kv.key)
		if err != nil {
			return err
		}
		if !found || got != kv.value {
			return fmt.Errorf("data lost: %s = %q (found %v), want %q", kv.key, got, found, kv.value)
		}
	}
	r.tl.Record(Step{Action: "get"}, fmt.Sprintf("get %d keys ok", len(keys)))
	r.hold(ctx, Settle)
	leader, err := r.healthy(ctx, "before stopping")
	if err != nil {
		return err
	}
	for _, name := range r.c.Names() {
		if name != leader {
			if err := r.stop(ctx, name, "follower"); err != nil {
				return err
			}
		}
	}
	return r.stop(ctx, leader, "leader")
}

// healthy waits until every member answers and follows one leader, and records it.
func (r *runner) healthy(ctx context.Context, when string) (leader string, err error) {
	wctx, cancel := context.WithTimeout(ctx, HealthyTimeout)
	defer cancel()
	leader, id, err := cluster.WaitHealthy(wctx, r.c)
	if err != nil {
		return "", fmt.Errorf("%s: %w", when, err)
	}
	r.tl.Record(Step{Action: "healthy", Target: leader, TargetID: id, Role: "leader"},
		fmt.Sprintf("healthy %s: leader %s (%s), all %d members answering", when, leader, id, len(r.ids)))
	return leader, nil
}

// leader waits until a majority agrees on a leader, and records it.
func (r *runner) leader(ctx context.Context, when string) (string, error) {
	wctx, cancel := context.WithTimeout(ctx, LeaderTimeout)
	defer cancel()
	leader, id, err := cluster.WaitLeader(wctx, r.c)
	if err != nil {
		return "", fmt.Errorf("%s: %w", when, err)
	}
	r.tl.Record(Step{Action: "leader", Target: leader, TargetID: id, Role: "leader"},
		fmt.Sprintf("leader %s: %s (%s)", when, leader, id))
	return leader, nil
}

// observeLeader records the leader a majority reports right now, or that there is none; it does
// not wait.
func (r *runner) observeLeader(ctx context.Context, when string) {
	leader, id, err := cluster.Leader(ctx, r.c)
	if err != nil {
		r.tl.Record(Step{Action: "leader"}, fmt.Sprintf("leader %s: none (%v)", when, err))
		return
	}
	r.tl.Record(Step{Action: "leader", Target: leader, TargetID: id, Role: "leader"},
		fmt.Sprintf("leader %s: %s (%s)", when, leader, id))
}

func (r *runner) stop(ctx context.Context, name, role string) error {
	r.tl.Record(Step{Action: "stop", Target: name, TargetID: r.ids[name], Role: role},
		fmt.Sprintf("stop %s (%s %s)", name, role, r.ids[name]))
	sctx, cancel := context.WithTimeout(ctx, StopTimeout)
	defer cancel()
	return r.c.Stop(sctx, name)
}

func (r *runner) restart(name, role string) error {
	r.tl.Record(Step{Action: "start", Target: name, TargetID: r.ids[name], Role: role},
		fmt.Sprintf("start %s (%s %s)", name, role, r.ids[name]))
	return r.c.StartMember(name)
}

func (r *runner) isolate(name, role string) error {
	r.tl.Record(Step{Action: "isolate", Target: name, TargetID: r.ids[name], Role: role},
		fmt.Sprintf("PARTITION isolate %s (%s %s) from all peers", name, role, r.ids[name]))
	return r.c.Isolate(name)
}

func (r *runner) heal() error {
	r.tl.Record(Step{Action: "heal"}, "PARTITION heal all links")
	return r.c.Heal()
}

// hold waits d, or less when ctx ends (the next step then fails on ctx).
func (r *runner) hold(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// other returns the first member, in name order, that is not among except.
func (r *runner) other(except ...string) string {
	for _, name := range r.c.Names() {
		if !slices.Contains(except, name) {
			return name
		}
	}
	panic("scenario: no member left besides " + strings.Join(except, ", "))
}
