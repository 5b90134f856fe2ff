package repro

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/etcdpm/etcdpm/cluster/local"
	"github.com/etcdpm/etcdpm/cluster/scenario"
)

// localThrottles throttles members that are processes (cluster/local) through cgroups: each is
// moved into a cgroup of its own under each hierarchy's root, limited, and moved back. It needs
// root and writable cgroup hierarchies (on this project's machine: cgroups v1 as root, which
// works).
type localThrottles struct {
	lc  *local.Cluster
	dir string // the members' data dirs are <dir>/<name>.etcd
	on  map[string]*processThrottle
}

func (t *localThrottles) throttle(name string, lim scenario.Limits) (string, error) {
	pid := t.lc.PID(name)
	if pid == 0 {
		return "", fmt.Errorf("%s is not running", name)
	}
	p, how, err := throttleProcess(pid, name, filepath.Join(t.dir, name+".etcd"), lim)
	if err != nil {
		return "", fmt.Errorf("the local backend throttles members through cgroups, as root: %w", err)
	}
	if t.on == nil {
		t.on = map[string]*processThrottle{}
	}
	t.on[name] = p
	return how, nil
}

func (t *localThrottles) unthrottle(name string) error {
	p := t.on[name]
	delete(t.on, name)
	if p == nil {
		return nil
	}
	return p.undo()
}

// undoAll lifts every throttle still set (a run cut short).
func (t *localThrottles) undoAll() error {
	var err error
	for name := range t.on {
		if uerr := t.unthrottle(name); uerr != nil && err == nil {
			err = uerr
		}
	}
	return err
}

var _ scenario.Throttler = (*recordingCluster)(nil)

func (c *recordingCluster) Throttle(_ context.Context, name string, lim scenario.Limits) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	how, err := c.throttles.throttle(name, lim)
	if err == nil {
		c.addLocked("process", "throttle", name, map[string]string{"limits": lim.String(), "how": how})
	}
	return how, err
}

func (c *recordingCluster) Unthrottle(_ context.Context, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.throttles.unthrottle(name); err != nil {
		return err // still throttled, as far as the capture tells
	}
	c.addLocked("process", "unthrottle", name, nil)
	return nil
}
