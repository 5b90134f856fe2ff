//go:build unix

package local_test

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/cluster"
	"github.com/etcdpm/etcdpm/cluster/local"
	"github.com/etcdpm/etcdpm/cluster/local/localtest"
)

// etcdBinary is $ETCDPM_ETCD_BINARY, or the etcd 3.6 that scripts/build-etcd.sh builds.
func etcdBinary(t *testing.T) string { return localtest.EtcdBinary(t, filepath.Join("..", "..")) }

func startCluster(t *testing.T, ctx context.Context) *local.Cluster {
	t.Helper()
	c, err := local.Start(ctx, local.Config{Binary: etcdBinary(t), Dir: t.TempDir(), PreVote: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func pids(c *local.Cluster) []int {
	var out []int
	for _, name := range c.Names() {
		out = append(out, c.PID(name))
	}
	return out
}

// waitGone fails the test unless every process in pids has exited within timeout.
func waitGone(t *testing.T, pids []int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for _, pid := range pids {
		for !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d still exists", pid)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func TestIsolatedLeaderIsReplacedAndRejoinsAsFollower(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	if len(c.IDs()) != 3 {
		t.Fatalf("IDs() = %v, want 3 members", c.IDs())
	}
	oldLeader, oldID, err := cluster.WaitHealthy(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Put(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}

	if err := c.Isolate(oldLeader); err != nil {
		t.Fatal(err)
	}
	electCtx, cancelElect := context.WithTimeout(ctx, 5*time.Second)
	defer cancelElect()
	var newLeader string
	for newLeader == "" || newLeader == oldLeader {
		newLeader, _, err = cluster.WaitLeader(electCtx, c)
		if err != nil {
			t.Fatalf("no new leader within 5s of isolating %s: %v", oldLeader, err)
		}
	}

	if err := c.Heal(); err != nil {
		t.Fatal(err)
	}
	healCtx, cancelHeal := context.WithTimeout(ctx, 10*time.Second)
	defer cancelHeal()
	leader, leaderID, err := cluster.WaitHealthy(healCtx, c)
	if err != nil {
		t.Fatalf("cluster not healthy within 10s of healing: %v", err)
	}
	if leaderID == oldID {
		t.Errorf("old leader %s leads again after heal; want it to rejoin as follower of %s", oldLeader, newLeader)
	}
	if v, ok, err := c.Get(ctx, "k"); err != nil || !ok || v != "v" {
		t.Errorf("Get(k) via %s = %q, %v, %v; want v", leader, v, ok, err)
	}

	before := pids(c)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, before, 0)
}

func TestStopRestartAndContextCancelLeaveNoProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	clusterCtx, cancelCluster := context.WithCancel(ctx)
	c := startCluster(t, clusterCtx)
	leader, _, err := cluster.WaitHealthy(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	stopped := c.PID(leader)
	if err := c.Stop(ctx, leader); err != nil {
		t.Fatal(err)
	}
	waitGone(t, []int{stopped}, 0)
	if err := c.StartMember(leader); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cluster.WaitHealthy(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := c.Pause(leader); err != nil {
		t.Fatal(err)
	}

	before := pids(c)
	cancelCluster() // the cluster dies with its context, paused member included
	waitGone(t, before, 10*time.Second)
}
