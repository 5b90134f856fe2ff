package scenario

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/etcdpm/etcdpm/cluster"
)

// runner carries out a scenario's steps on a cluster: each is recorded in the timeline
// (actions.log) and printed as it happens.
type runner struct {
	c    cluster.Cluster
	tl   *Timeline
	ids  map[string]string
	opts Options
}

// record writes a step to the timeline and prints it.
func (r *runner) record(step Step, format string, args ...any) {
	if step.Target != "" && step.TargetID == "" {
		step.TargetID = r.ids[step.Target]
	}
	text := fmt.Sprintf(format, args...)
	r.tl.Record(step, text)
	r.say("%s", text)
}

// say prints a line that is not a step.
func (r *runner) say(format string, args ...any) {
	if r.opts.Print != nil {
		r.opts.Print(fmt.Sprintf(format, args...))
	}
}

// healthy waits until every member answers and follows one leader.
func (r *runner) healthy(ctx context.Context, when string) (string, error) {
	wctx, cancel := context.WithTimeout(ctx, HealthyTimeout)
	defer cancel()
	leader, id, err := cluster.WaitHealthy(wctx, r.c)
	if err != nil {
		return "", fmt.Errorf("%s: %w", when, err)
	}
	r.record(Step{Action: "healthy", Target: leader, TargetID: id, Role: "leader"},
		"cluster healthy %s: leader %s (%s), %d members answering", when, leader, id, len(r.c.Names()))
	return leader, nil
}

// leader waits until a majority agrees on a leader.
func (r *runner) leader(ctx context.Context, when string) (string, error) {
	wctx, cancel := context.WithTimeout(ctx, LeaderTimeout)
	defer cancel()
	leader, id, err := cluster.WaitLeader(wctx, r.c)
	if err != nil {
		return "", fmt.Errorf("%s: %w", when, err)
	}
	r.record(Step{Action: "leader", Target: leader, TargetID: id, Role: "leader"}, "leader %s: %s (%s)", when, leader, id)
	return leader, nil
}

// observeLeader records the leader a majority reports right now, or that there is none; it does
// not wait.
func (r *runner) observeLeader(ctx context.Context, when string) {
	leader, id, err := cluster.Leader(ctx, r.c)
	if err != nil {
		r.record(Step{Action: "leader"}, "leader %s: none (%v)", when, err)
		return
	}
	r.record(Step{Action: "leader", Target: leader, TargetID: id, Role: "leader"}, "leader %s: %s (%s)", when, leader, id)
}

// currentLeader is the leader a majority reports now.
func (r *runner) currentLeader(ctx context.Context) (string, error) {
	name, _, err := cluster.Leader(ctx, r.c)
	if err != nil {
		return "", fmt.Errorf("finding the leader: %w", err)
	}
	return name, nil
}

// hold waits opts.Hold (or until ctx ends) with the fault in place, then says how the cluster
// stands.
func (r *runner) hold(ctx context.Context, what string) error {
	r.say("holding %s (%s)", r.opts.Hold, what)
	if err := r.wait(ctx, r.opts.Hold); err != nil {
		return err
	}
	if r.opts.Observe != nil {
		r.say("after %s: %s", r.opts.Hold, r.opts.Observe())
	}
	return nil
}

// wait waits d, or fails when ctx ends first.
func (r *runner) wait(ctx context.Context, d time.Duration) error {
	if !cluster.Sleep(ctx, d) {
		return ctx.Err()
	}
	return nil
}

// stop stops a member gracefully (SIGTERM; `docker compose stop`) and waits until it exited.
func (r *runner) stop(ctx context.Context, name, role string) error {
	r.record(Step{Action: "stop", Target: name, Role: role}, "stop %s (%s %s)", name, role, r.ids[name])
	sctx, cancel := context.WithTimeout(ctx, StopTimeout)
	defer cancel()
	return r.c.Stop(sctx, name)
}

func (r *runner) start(name, role string) error {
	r.record(Step{Action: "start", Target: name, Role: role}, "start %s (%s %s)", name, role, r.ids[name])
	return r.c.StartMember(name)
}

// partition cuts a member off from its peers, holds, and heals.
func (r *runner) partition(ctx context.Context, name, role string) error {
	r.record(Step{Action: "isolate", Target: name, Role: role}, "cut %s (%s %s) off from its peers", name, role, r.ids[name])
	if err := r.c.Isolate(name); err != nil {
		return err
	}
	if err := r.hold(ctx, name+" cut off"); err != nil {
		return err
	}
	r.observeLeader(ctx, "during the isolation of "+name)
	r.record(Step{Action: "heal"}, "heal: %s rejoins its peers", name)
	return r.c.Heal()
}

// stopAll waits for a healthy cluster, then stops every member: the followers first in name
// order, the leader last.
func (r *runner) stopAll(ctx context.Context) error {
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

// other returns the first member, in name order, not among except.
func (r *runner) other(except ...string) string {
	for _, name := range r.c.Names() {
		if !slices.Contains(except, name) {
			return name
		}
	}
	return ""
}
