// Package cluster runs etcd clusters for reproductions and fixtures. A backend (cluster/local runs
// members as child processes on 127.0.0.1) implements Cluster; scenarios (cluster/scenario) drive it.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Cluster is a running etcd cluster whose members can be stopped, killed, frozen and cut off the
// network. Members are addressed by name; IDs are raft member IDs in lowercase hex without
// leading zeros, as etcd prints them.
type Cluster interface {
	// Names lists the member names in their configured order.
	Names() []string
	// IDs maps each member name to its raft ID.
	IDs() map[string]string
	// Status asks every member for its own view, one entry per member in Names order. It returns
	// within roughly one short per-member timeout; a member that does not answer has Err set.
	Status(ctx context.Context) []MemberStatus

	// Stop sends SIGTERM and waits for the member to exit (etcd transfers leadership first when it
	// leads). When ctx ends first, the member is killed and ctx's error returned.
	Stop(ctx context.Context, name string) error
	// Kill sends SIGKILL and waits for the member to exit.
	Kill(name string) error
	// Pause freezes the member (SIGSTOP); Resume thaws it (SIGCONT).
	Pause(name string) error
	Resume(name string) error
	// StartMember starts a stopped or killed member again on its existing data. It does not wait
	// for the member to serve clients (it cannot while quorum is lost).
	StartMember(name string) error

	// Isolate cuts the member off from every peer, both directions, until Heal.
	Isolate(name string) error
	// Heal lifts every network cut.
	Heal() error

	// MoveLeader asks the current leader to hand leadership to the named member.
	MoveLeader(ctx context.Context, to string) error
	// Put writes a key through the current leader.
	Put(ctx context.Context, key, value string) error
	// Get reads a key with a linearizable read through the current leader.
	Get(ctx context.Context, key string) (value string, found bool, err error)

	// Close kills every member and releases everything the cluster holds. It is idempotent.
	Close() error
}

// MemberStatus is one member's answer to a status request.
type MemberStatus struct {
	Name    string
	ID      string // raft ID, hex
	Running bool   // the member's process is up (a paused member is running)
	Paused  bool
	Leader  string // raft ID of the leader this member knows; "" when it knows none
	Term    uint64 // raft term
	Index   uint64 // raft index
	Err     error  // why the member did not answer; nil when it did
}

// ErrNoLeader means no member is reported as leader by a majority of the cluster.
var ErrNoLeader = errors.New("no leader agreed on by a majority")

// Leader returns the member that a majority of c's members report as their leader. During a
// partition an isolated old leader may still believe it leads; the majority's view wins.
func Leader(ctx context.Context, c Cluster) (name, id string, err error) {
	statuses := c.Status(ctx)
	votes := make(map[string]int)
	for _, s := range statuses {
		if s.Err == nil && s.Leader != "" {
			votes[s.Leader]++
		}
	}
	for leaderID, n := range votes {
		if n > len(statuses)/2 {
			for memberName, memberID := range c.IDs() {
				if memberID == leaderID {
					return memberName, leaderID, nil
				}
			}
			return "", leaderID, fmt.Errorf("leader %s is not a known member", leaderID)
		}
	}
	return "", "", ErrNoLeader
}

// PollInterval is how often the Wait functions ask the cluster.
const PollInterval = 100 * time.Millisecond

// WaitLeader polls until a majority agrees on a leader or ctx ends.
func WaitLeader(ctx context.Context, c Cluster) (name, id string, err error) {
	for {
		name, id, err = Leader(ctx, c)
		if err == nil {
			return name, id, nil
		}
		if !Sleep(ctx, PollInterval) {
			return "", "", fmt.Errorf("waiting for a leader: %w (last: %w)", ctx.Err(), err)
		}
	}
}

// WaitHealthy polls until every member is running, answers, and names the same leader, which is
// itself a member; it returns that leader. It fails when ctx ends first.
func WaitHealthy(ctx context.Context, c Cluster) (name, id string, err error) {
	for {
		name, id, err = healthy(ctx, c)
		if err == nil {
			return name, id, nil
		}
		if !Sleep(ctx, PollInterval) {
			return "", "", fmt.Errorf("waiting for a healthy cluster: %w (last: %w)", ctx.Err(), err)
		}
	}
}

func healthy(ctx context.Context, c Cluster) (name, id string, err error) {
	statuses := c.Status(ctx)
	for _, s := range statuses {
		switch {
		case !s.Running:
			return "", "", fmt.Errorf("%s is not running", s.Name)
		case s.Err != nil:
			return "", "", fmt.Errorf("%s: %w", s.Name, s.Err)
		case s.Leader == "":
			return "", "", fmt.Errorf("%s knows no leader", s.Name)
		case s.Leader != statuses[0].Leader:
			return "", "", fmt.Errorf("%s follows %s, %s follows %s", s.Name, s.Leader, statuses[0].Name, statuses[0].Leader)
		}
	}
	if len(statuses) == 0 {
		return "", "", errors.New("cluster has no members")
	}
	id = statuses[0].Leader
	for _, s := range statuses {
		if s.ID == id {
			return s.Name, id, nil
		}
	}
	return "", "", fmt.Errorf("leader %s is not a known member", id)
}

// Sleep waits d or until ctx ends; it reports whether the full d passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
