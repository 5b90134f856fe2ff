package repro

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/etcdpm/etcdpm/cluster"
	"github.com/etcdpm/etcdpm/cluster/scenario"
)

// Scenario is one fault that repro injects into a healthy cluster, holds, and heals.
type Scenario struct {
	Name string
	// Lab is the name of the same fault in cluster/scenario, whose runs made the fixtures under
	// testdata/real; repro accepts it too.
	Lab     string
	Summary string
	inject  func(ctx context.Context, r *runner) error
}

// Scenarios lists the scenarios in a stable order; the first is the default.
func Scenarios() []Scenario {
	return []Scenario{
		{"quorum-loss", "quorum-loss", "stop a follower, then the leader (as compose stop), hold, start them again", quorumLoss},
		{"leader-loss", "leader-stop", "stop the leader (it hands leadership over), hold, start it", leaderLoss},
		{"leader-kill", "leader-kill", "SIGKILL the leader (no handover), hold, start it", leaderKill},
		{"leader-pause", "leader-freeze", "freeze the leader (docker pause, or SIGSTOP), hold, resume it", leaderPause},
		{"follower-partition", "follower-partition", "cut a follower off from its peers, hold, heal", followerPartition},
		{"leader-partition", "leader-partition", "cut the leader off from its peers, hold, heal", leaderPartition},
	}
}

// DefaultScenario is the demo's: a quorum loss.
const DefaultScenario = "quorum-loss"

// LookupScenario finds a scenario by its name or its lab name.
func LookupScenario(name string) (Scenario, bool) {
	all := Scenarios()
	i := slices.IndexFunc(all, func(s Scenario) bool { return s.Name == name || s.Lab == name })
	if i < 0 {
		return Scenario{}, false
	}
	return all[i], true
}

// ScenarioNames lists the scenarios' names.
func ScenarioNames() []string {
	var names []string
	for _, s := range Scenarios() {
		names = append(names, s.Name)
	}
	return names
}

// Timeouts for the cluster to get somewhere; those of the lab, generous for a 2-core machine.
const (
	leaderTimeout  = scenario.LeaderTimeout
	healthyTimeout = scenario.HealthyTimeout
	stopTimeout    = scenario.StopTimeout
)

// runner carries out a scenario's steps on a cluster: each is recorded in the timeline
// (actions.log) and printed as it happens.
type runner struct {
	c    cluster.Cluster
	tl   *scenario.Timeline
	p    *progress
	ids  map[string]string
	hold time.Duration
	// observe describes the cluster as the status polls see it, for the end of a hold.
	observe func() string
}

// record writes a step to the timeline and prints it.
func (r *runner) record(step scenario.Step, format string, args ...any) {
	if step.Target != "" && step.TargetID == "" {
		step.TargetID = r.ids[step.Target]
	}
	text := fmt.Sprintf(format, args...)
	r.tl.Record(step, text)
	r.p.step("%s", text)
}

// healthy waits until every member answers and follows one leader.
func (r *runner) healthy(ctx context.Context, when string) (string, error) {
	wctx, cancel := context.WithTimeout(ctx, healthyTimeout)
	defer cancel()
	leader, id, err := cluster.WaitHealthy(wctx, r.c)
	if err != nil {
		return "", fmt.Errorf("%s: %w", when, err)
	}
	r.record(scenario.Step{Action: "healthy", Target: leader, TargetID: id, Role: "leader"},
		"cluster healthy %s: leader %s (%s), %d members answering", when, leader, id, len(r.c.Names()))
	return leader, nil
}

// leader waits until a majority agrees on a leader.
func (r *runner) leader(ctx context.Context, when string) (string, error) {
	wctx, cancel := context.WithTimeout(ctx, leaderTimeout)
	defer cancel()
	leader, id, err := cluster.WaitLeader(wctx, r.c)
	if err != nil {
		return "", fmt.Errorf("%s: %w", when, err)
	}
	r.record(scenario.Step{Action: "leader", Target: leader, TargetID: id, Role: "leader"}, "leader %s: %s (%s)", when, leader, id)
	return leader, nil
}

// currentLeader is the leader a majority reports now.
func (r *runner) currentLeader(ctx context.Context) (string, error) {
	name, _, err := cluster.Leader(ctx, r.c)
	if err != nil {
		return "", fmt.Errorf("finding the leader: %w", err)
	}
	return name, nil
}

// holdFault waits r.hold (or until ctx ends) with the fault in place, then says how the cluster
// stands.
func (r *runner) holdFault(ctx context.Context, what string) error {
	r.p.step("holding %s (%s)", r.hold, what)
	t := time.NewTimer(r.hold)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	if r.observe != nil {
		r.p.step("after %s: %s", r.hold, r.observe())
	}
	return nil
}

// stop stops a member gracefully (SIGTERM; `docker compose stop`) and waits until it exited.
func (r *runner) stop(ctx context.Context, name, role string) error {
	r.record(scenario.Step{Action: "stop", Target: name, Role: role}, "stop %s (%s %s)", name, role, r.ids[name])
	sctx, cancel := context.WithTimeout(ctx, stopTimeout)
	defer cancel()
	return r.c.Stop(sctx, name)
}

func (r *runner) start(name, role string) error {
	r.record(scenario.Step{Action: "start", Target: name, Role: role}, "start %s (%s %s)", name, role, r.ids[name])
	return r.c.StartMember(name)
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

// quorumLoss stops a follower, then the leader: the leader hands leadership to the survivor on
// its way out (as in the demo's logs: "received MsgTimeoutNow ... and starts an election"), which
// then leads alone until check-quorum makes it step down, and campaigns in vain until a member
// comes back. (Stopping both at once, the leader may try to hand over to the follower that is
// stopping too, and wait for its transfer to time out, 7 s, before the same happens.)
func quorumLoss(ctx context.Context, r *runner) error {
	leader, err := r.currentLeader(ctx)
	if err != nil {
		return err
	}
	follower := r.other(leader)
	survivor := r.other(leader, follower)
	if err := r.stop(ctx, follower, "follower"); err != nil {
		return err
	}
	if err := r.stop(ctx, leader, "leader"); err != nil {
		return err
	}
	r.record(scenario.Step{Action: "quorum-lost", Target: survivor}, "quorum lost: %s (%s) is alone", survivor, r.ids[survivor])
	if err := r.holdFault(ctx, "1 of 3 members up"); err != nil {
		return err
	}
	if err := r.start(leader, "former leader"); err != nil {
		return err
	}
	if _, err := r.leader(ctx, "after starting "+leader); err != nil {
		return err
	}
	return r.start(follower, "former follower")
}

func leaderLoss(ctx context.Context, r *runner) error {
	leader, err := r.currentLeader(ctx)
	if err != nil {
		return err
	}
	if err := r.stop(ctx, leader, "leader"); err != nil {
		return err
	}
	if err := r.holdFault(ctx, leader+" stopped"); err != nil {
		return err
	}
	return r.start(leader, "former leader")
}

func leaderKill(ctx context.Context, r *runner) error {
	leader, err := r.currentLeader(ctx)
	if err != nil {
		return err
	}
	r.record(scenario.Step{Action: "kill", Target: leader, Role: "leader"}, "kill -SIGKILL %s (leader %s)", leader, r.ids[leader])
	if err := r.c.Kill(leader); err != nil {
		return err
	}
	if err := r.holdFault(ctx, leader+" killed"); err != nil {
		return err
	}
	return r.start(leader, "former leader")
}

func leaderPause(ctx context.Context, r *runner) error {
	leader, err := r.currentLeader(ctx)
	if err != nil {
		return err
	}
	r.record(scenario.Step{Action: "pause", Target: leader, Role: "leader"}, "pause %s (leader %s)", leader, r.ids[leader])
	if err := r.c.Pause(leader); err != nil {
		return err
	}
	if err := r.holdFault(ctx, leader+" frozen"); err != nil {
		return err
	}
	r.record(scenario.Step{Action: "resume", Target: leader, Role: "former leader"}, "resume %s (%s)", leader, r.ids[leader])
	return r.c.Resume(leader)
}

func followerPartition(ctx context.Context, r *runner) error {
	leader, err := r.currentLeader(ctx)
	if err != nil {
		return err
	}
	return r.partition(ctx, r.other(leader), "follower")
}

func leaderPartition(ctx context.Context, r *runner) error {
	leader, err := r.currentLeader(ctx)
	if err != nil {
		return err
	}
	return r.partition(ctx, leader, "leader")
}

func (r *runner) partition(ctx context.Context, name, role string) error {
	r.record(scenario.Step{Action: "isolate", Target: name, Role: role}, "cut %s (%s %s) off from its peers", name, role, r.ids[name])
	if err := r.c.Isolate(name); err != nil {
		return err
	}
	if err := r.holdFault(ctx, name+" cut off"); err != nil {
		return err
	}
	r.record(scenario.Step{Action: "heal"}, "heal: %s rejoins its peers", name)
	return r.c.Heal()
}
