package repro

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/cluster"
)

// peerNetwork names the network a partition cuts in events.jsonl when members are processes:
// the links between members (their peer URLs, through cluster/local's proxies).
const peerNetwork = "peers"

// eventLog writes events.jsonl for members that are processes, in capture's format, so that
// capdir.Read turns the faults into the report's fault marks as it does for Docker events:
// stop or kill until start, pause until unpause, disconnect until connect.
type eventLog struct{ f *capdir.LineFile }

func createEventLog(path string) (*eventLog, error) {
	f, err := capdir.CreateLineFile(path)
	if err != nil {
		return nil, err
	}
	return &eventLog{f: f}, nil
}

// add writes one event, now, of the member name. Lines are written at once: a fault must be
// in the file even when the run is cut short.
func (l *eventLog) add(typ, action, name string, attrs map[string]string) {
	rec := capdir.EventRecord{
		Time: time.Now().UTC(), Type: typ, Action: action, Name: name, Service: name, Attributes: attrs,
	}
	line, _ := json.Marshal(&rec)
	if l.f.Add(line) == nil {
		l.f.Flush() // an error stays in the file, for close
	}
}

// close syncs and closes the file; it returns how many events it holds.
func (l *eventLog) close() (int64, error) {
	err := l.f.Close()
	return l.count(), err
}

// count is how many events were written so far.
func (l *eventLog) count() int64 {
	if l == nil {
		return 0
	}
	n, _ := l.f.Counts()
	return n
}

// recordingCluster is a cluster whose members are processes, with every fault written to an
// eventLog (once record is called) the moment it is injected.
type recordingCluster struct {
	cluster.Cluster

	mu        sync.Mutex
	ev        *eventLog
	isolated  []string
	throttles localThrottles
}

// record starts writing the faults to ev.
func (c *recordingCluster) record(ev *eventLog) {
	c.mu.Lock()
	c.ev = ev
	c.mu.Unlock()
}

func (c *recordingCluster) add(typ, action, name string, attrs map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addLocked(typ, action, name, attrs)
}

// addLocked is add with c.mu held.
func (c *recordingCluster) addLocked(typ, action, name string, attrs map[string]string) {
	if c.ev != nil {
		c.ev.add(typ, action, name, attrs)
	}
}

func (c *recordingCluster) Stop(ctx context.Context, name string) error {
	c.add("process", "stop", name, map[string]string{"signal": "SIGTERM"})
	err := c.Cluster.Stop(ctx, name)
	c.add("process", "die", name, nil)
	return err
}

func (c *recordingCluster) Kill(name string) error {
	c.add("process", "kill", name, map[string]string{"signal": "SIGKILL"})
	err := c.Cluster.Kill(name)
	c.add("process", "die", name, nil)
	return err
}

func (c *recordingCluster) Pause(name string) error {
	c.add("process", "pause", name, map[string]string{"signal": "SIGSTOP"})
	return c.Cluster.Pause(name)
}

func (c *recordingCluster) Resume(name string) error {
	err := c.Cluster.Resume(name)
	c.add("process", "unpause", name, map[string]string{"signal": "SIGCONT"})
	return err
}

func (c *recordingCluster) StartMember(name string) error {
	err := c.Cluster.StartMember(name)
	if err == nil {
		c.add("process", "start", name, nil)
	}
	return err
}

func (c *recordingCluster) Isolate(name string) error {
	c.add("network", "disconnect", name, map[string]string{"network": peerNetwork})
	c.mu.Lock()
	if !slices.Contains(c.isolated, name) {
		c.isolated = append(c.isolated, name)
	}
	c.mu.Unlock()
	return c.Cluster.Isolate(name)
}

func (c *recordingCluster) Heal() error {
	err := c.Cluster.Heal()
	c.mu.Lock()
	healed := c.isolated
	c.isolated = nil
	c.mu.Unlock()
	for _, name := range healed {
		c.add("network", "connect", name, map[string]string{"network": peerNetwork})
	}
	return err
}
