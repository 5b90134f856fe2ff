// Package scenario scripts faults against a running etcd cluster (leader stop, quorum loss,
// partitions, freezes, kills) and records a timeline of what it did and when.
package scenario

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/etcdpm/etcdpm/cluster"
)

// Scenario is one scripted fault. Run takes a cluster whose members are all up and leaves every
// member stopped with SIGTERM; it fails when the cluster does not recover or loses data.
type Scenario struct {
	Name    string
	Summary string
	run     func(ctx context.Context, r *runner) error
}

// Timeouts for the cluster to reach a state; generous, as a 2-core machine runs three members.
const (
	LeaderTimeout  = 15 * time.Second
	HealthyTimeout = 30 * time.Second
	StopTimeout    = 20 * time.Second
)

// All lists every scenario in a stable order.
func All() []Scenario {
	return []Scenario{
		{"leader-stop", "SIGTERM the leader (it hands leadership over), hold 4s, start it again", leaderStop},
		{"quorum-loss", "SIGTERM the leader and then a follower, hold 8s with one survivor, start both again", quorumLoss},
		{"follower-partition", "isolate a follower 6s, heal, wait 4s", followerPartition},
		{"leader-partition", "isolate the leader 6s (check-quorum makes it step down), heal, wait 4s", leaderPartition},
		{"leader-freeze", "SIGSTOP the leader 5s, SIGCONT, wait 4s", leaderFreeze},
		{"leader-kill", "SIGKILL the leader (no handover), hold 4s, start it again", leaderKill},
		{"clean-stop", "write keys, then SIGTERM the followers and the leader: a healthy start and stop", cleanStop},
	}
}

// Lookup finds a scenario by name.
func Lookup(name string) (Scenario, bool) {
	i := slices.IndexFunc(All(), func(s Scenario) bool { return s.Name == name })
	if i < 0 {
		return Scenario{}, false
	}
	return All()[i], true
}

// Run runs the scenario against c, recording into tl.
func (s Scenario) Run(ctx context.Context, c cluster.Cluster, tl *Timeline) error {
	r := &runner{c: c, tl: tl, ids: c.IDs()}
	if err := s.run(ctx, r); err != nil {
		return fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	tl.Record(Step{Action: "done"}, "done")
	return tl.Err()
}

func leaderStop(ctx context.Context, r *runner) error {
	leader, err := r.start(ctx)
	if err != nil {
		return err
	}
	if err := r.stop(ctx, leader, "leader"); err != nil {
		return err
	}
	r.hold(ctx, 4*time.Second)
	if err := r.restart(leader, "former leader"); err != nil {
		return err
	}
	return r.finish(ctx, "after restart")
}

func quorumLoss(ctx context.Context, r *runner) error {
	leader, err := r.start(ctx)
	if err != nil {
		return err
	}
	if err := r.stop(ctx, leader, "leader"); err != nil {
		return err
	}
	survivor, err := r.leader(ctx, "after stopping "+leader)
	if err != nil {
		return err
	}
	follower := r.other(leader, survivor)
	if err := r.stop(ctx, follower, "follower"); err != nil {
		return err
	}
	r.tl.Record(Step{Action: "quorum-lost", Target: survivor, TargetID: r.ids[survivor]},
		fmt.Sprintf("quorum lost; survivor %s (%s) alone", survivor, r.ids[survivor]))
	r.hold(ctx, 8*time.Second)
	if err := r.restart(leader, "former leader"); err != nil {
		return err
	}
	if _, err := r.leader(ctx, "after restarting "+leader); err != nil {
		return err
	}
	if err := r.restart(follower, "former follower"); err != nil {
		return err
	}
	return r.finish(ctx, "after restarting both")
}

func followerPartition(ctx context.Context, r *runner) error {
	leader, err := r.start(ctx)
	if err != nil {
		return err
	}
	target := r.other(leader)
	if err := r.isolate(target, "follower"); err != nil {
		return err
	}
	r.hold(ctx, 6*time.Second)
	r.observeLeader(ctx, "during isolation of "+target)
	if err := r.heal(); err != nil {
		return err
	}
	r.hold(ctx, 4*time.Second)
	return r.finish(ctx, "after heal")
}

func leaderPartition(ctx context.Context, r *runner) error {
	leader, err := r.start(ctx)
	if err != nil {
		return err
	}
	if err := r.isolate(leader, "leader"); err != nil {
		return err
	}
	r.hold(ctx, 6*time.Second)
	r.observeLeader(ctx, "during isolation of "+leader)
	if err := r.heal(); err != nil {
		return err
	}
	r.hold(ctx, 4*time.Second)
	return r.finish(ctx, "after heal")
}

func leaderFreeze(ctx context.Context, r *runner) error {
	leader, err := r.start(ctx)
	if err != nil {
		return err
	}
	r.tl.Record(Step{Action: "pause", Target: leader, TargetID: r.ids[leader], Role: "leader"},
		fmt.Sprintf("pause -SIGSTOP %s (leader %s)", leader, r.ids[leader]))
	if err := r.c.Pause(leader); err != nil {
		return err
	}
	r.hold(ctx, 5*time.Second)
	r.observeLeader(ctx, "while "+leader+" is frozen")
	r.tl.Record(Step{Action: "resume", Target: leader, TargetID: r.ids[leader], Role: "former leader"},
		fmt.Sprintf("resume -SIGCONT %s (%s)", leader, r.ids[leader]))
	if err := r.c.Resume(leader); err != nil {
		return err
	}
	r.hold(ctx, 4*time.Second)
	return r.finish(ctx, "after resume")
}

func leaderKill(ctx context.Context, r *runner) error {
	leader, err := r.start(ctx)
	if err != nil {
		return err
	}
	r.tl.Record(Step{Action: "kill", Target: leader, TargetID: r.ids[leader], Role: "leader"},
		fmt.Sprintf("kill -SIGKILL %s (leader %s)", leader, r.ids[leader]))
	if err := r.c.Kill(leader); err != nil {
		return err
	}
	r.hold(ctx, 4*time.Second)
	r.observeLeader(ctx, "after killing "+leader)
	if err := r.restart(leader, "former leader"); err != nil {
		return err
	}
	return r.finish(ctx, "after restart")
}

func cleanStop(ctx context.Context, r *runner) error {
	if _, err := r.start(ctx); err != nil {
		return err
	}
	return r.finish(ctx, "after writing")
}
