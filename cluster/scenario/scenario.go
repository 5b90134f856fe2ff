// Package scenario scripts faults against a running etcd cluster (quorum loss, leader stop, kill
// and freeze, partitions, a throttled disk or CPU), holds them, heals them, checks the data, and records a timeline of
// what it did and when. `etcdpm repro` and the fixtures lab (tools/fixtures) run the same list.
package scenario

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/etcdpm/etcdpm/cluster"
)

// Scenario is one fault injected into a healthy cluster, held, and healed.
type Scenario struct {
	// Name is the name `etcdpm repro -s` takes.
	Name string
	// Lab is the name of the fixtures under testdata/real made by this scenario, when it is not
	// Name; Lookup accepts it too.
	Lab     string
	Summary string
	// LabHold is how long the lab holds the fault (its fixtures were made so).
	LabHold time.Duration
	// inject injects the fault, holds it and heals it; nil for no fault (the lab's clean-stop).
	inject func(ctx context.Context, r *runner) error
	// throttles says inject limits a member's CPU or disk: the cluster must be a Throttler.
	throttles bool
}

// LabName is the name of the scenario's fixtures: Lab, else Name.
func (s Scenario) LabName() string {
	if s.Lab != "" {
		return s.Lab
	}
	return s.Name
}

// Faulty says the scenario injects a fault (every one but clean-stop).
func (s Scenario) Faulty() bool { return s.inject != nil }

// Throttles says the scenario limits a member's CPU or disk writes: it needs a cluster that is a
// Throttler (the lab's cluster/local is none).
func (s Scenario) Throttles() bool { return s.throttles }

// Timeouts for the cluster to reach a state; generous, as a 2-core machine runs three members.
const (
	LeaderTimeout  = 15 * time.Second
	HealthyTimeout = 30 * time.Second
	StopTimeout    = 20 * time.Second
)

// Settle is how long a recovered cluster runs after the data check, so that the logs show
// every member settled in (streams re-established, peers active).
const Settle = 2 * time.Second

// All lists every scenario in a stable order; the first is the default of `etcdpm repro`.
func All() []Scenario {
	return []Scenario{
		{"quorum-loss", "", "stop a follower, then the leader (as compose stop), hold, start them again", 8 * time.Second, quorumLoss, false},
		{"leader-loss", "leader-stop", "stop the leader (it hands leadership over), hold, start it", 4 * time.Second, leaderLoss, false},
		{"leader-kill", "", "SIGKILL the leader (no handover), hold, start it", 4 * time.Second, leaderKill, false},
		{"leader-pause", "leader-freeze", "freeze the leader (docker pause, or SIGSTOP), hold, resume it", 5 * time.Second, leaderPause, false},
		{"follower-partition", "", "cut a follower off from its peers, hold, heal", 6 * time.Second, followerPartition, false},
		{"leader-partition", "", "cut the leader off from its peers, hold, heal", 6 * time.Second, leaderPartition, false},
		{"slow-disk", "", "throttle the leader's disk writes (64 KiB/s, 8 IO/s) under a write load, hold, lift it", 0, slowDisk, true},
		{"overloaded-leader", "", "starve the leader's CPU (0.01 CPU) under a write load, hold, lift the limit", 0, overloadedLeader, true},
		{"clean-stop", "", "no fault: write keys, read them back, stop the followers and the leader", 0, nil, false},
	}
}

// Lookup finds a scenario by its name or its lab name.
func Lookup(name string) (Scenario, bool) {
	all := All()
	i := slices.IndexFunc(all, func(s Scenario) bool { return s.Name == name || s.Lab == name })
	if i < 0 {
		return Scenario{}, false
	}
	return all[i], true
}

// ErrDataLost means keys written before the fault did not read back after it.
var ErrDataLost = errors.New("data lost")

// Options configure a run of a scenario.
type Options struct {
	// Hold is how long the fault lasts.
	Hold time.Duration
	// Keys are written once the cluster is healthy, under Root, and read back after the fault.
	Keys [][2]string
	Root string
	// Print receives each step's text as it is recorded, and the lines between steps (the
	// holds); nil prints nothing.
	Print func(text string)
	// BeforeFault runs after the keys are written, before the fault (repro starts recording).
	BeforeFault func(ctx context.Context) error
	// Observe describes the cluster at the end of a hold, for Print; nil says nothing.
	Observe func() string
	// StopAll stops every member with SIGTERM at the end, the followers first in name order
	// and the leader last, as the lab's fixtures end.
	StopAll bool
}

// Outcome is what a run found of the data.
type Outcome struct {
	// Keys were written; Intact of them read back unchanged, when Checked (the run got that far).
	Keys, Intact int
	Checked      bool
}

// Run runs the scenario against c, whose members are all up, recording into tl: it waits for
// a healthy cluster, writes the keys, injects the fault, holds and heals it, waits for a
// healthy cluster again, reads the keys back (a key lost or changed fails it with ErrDataLost)
// and lets the cluster settle.
func (s Scenario) Run(ctx context.Context, c cluster.Cluster, tl *Timeline, opts Options) (Outcome, error) {
	r := &runner{c: c, tl: tl, ids: c.IDs(), opts: opts}
	out, err := r.run(ctx, s)
	if err != nil {
		return out, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	if opts.StopAll {
		tl.Record(Step{Action: "done"}, "done")
	}
	return out, tl.Err()
}

func (r *runner) run(ctx context.Context, s Scenario) (Outcome, error) {
	var out Outcome
	if _, err := r.healthy(ctx, "after start"); err != nil {
		return out, err
	}
	keys := r.opts.Keys
	for _, kv := range keys {
		if err := r.c.Put(ctx, kv[0], kv[1]); err != nil {
			return out, fmt.Errorf("writing data: %w", err)
		}
	}
	out.Keys = len(keys)
	if len(keys) > 0 {
		r.record(Step{Action: "put"}, "wrote %d keys under %s (%s .. %s)", len(keys), r.opts.Root, keys[0][0], keys[len(keys)-1][0])
	}
	if r.opts.BeforeFault != nil {
		if err := r.opts.BeforeFault(ctx); err != nil {
			return out, err
		}
	}
	if s.inject != nil {
		if err := s.inject(ctx, r); err != nil {
			return out, err
		}
	}
	when := "after the fault"
	if s.inject == nil {
		when = "after writing"
	}
	if _, err := r.healthy(ctx, when); err != nil {
		return out, err
	}
	for _, kv := range keys {
		v, found, err := r.c.Get(ctx, kv[0])
		if err != nil {
			return out, fmt.Errorf("reading data back: %w", err)
		}
		if found && v == kv[1] {
			out.Intact++
		}
	}
	out.Checked = true
	if out.Intact != out.Keys {
		r.record(Step{Action: "get"}, "DATA LOST: %d of %d keys read back unchanged", out.Intact, out.Keys)
		return out, fmt.Errorf("%w: %d of %d keys under %s read back unchanged", ErrDataLost, out.Intact, out.Keys, r.opts.Root)
	}
	r.record(Step{Action: "get"}, "data intact: %d of %d keys read back unchanged", out.Intact, out.Keys)
	if err := r.wait(ctx, Settle); err != nil {
		return out, err
	}
	if r.opts.StopAll {
		return out, r.stopAll(ctx)
	}
	return out, nil
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
	r.record(Step{Action: "quorum-lost", Target: survivor}, "quorum lost: %s (%s) is alone", survivor, r.ids[survivor])
	if err := r.hold(ctx, "1 of 3 members up"); err != nil {
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
	if err := r.hold(ctx, leader+" stopped"); err != nil {
		return err
	}
	return r.start(leader, "former leader")
}

func leaderKill(ctx context.Context, r *runner) error {
	leader, err := r.currentLeader(ctx)
	if err != nil {
		return err
	}
	r.record(Step{Action: "kill", Target: leader, Role: "leader"}, "kill -SIGKILL %s (leader %s)", leader, r.ids[leader])
	if err := r.c.Kill(leader); err != nil {
		return err
	}
	if err := r.hold(ctx, leader+" killed"); err != nil {
		return err
	}
	r.observeLeader(ctx, "after killing "+leader)
	return r.start(leader, "former leader")
}

func leaderPause(ctx context.Context, r *runner) error {
	leader, err := r.currentLeader(ctx)
	if err != nil {
		return err
	}
	r.record(Step{Action: "pause", Target: leader, Role: "leader"}, "pause %s (leader %s)", leader, r.ids[leader])
	if err := r.c.Pause(leader); err != nil {
		return err
	}
	if err := r.hold(ctx, leader+" frozen"); err != nil {
		return err
	}
	r.observeLeader(ctx, "while "+leader+" is frozen")
	r.record(Step{Action: "resume", Target: leader, Role: "former leader"}, "resume %s (%s)", leader, r.ids[leader])
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
