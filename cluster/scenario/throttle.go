package scenario

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/etcdpm/etcdpm/cluster"
)

// Limits are what a throttled member may use while the fault holds.
type Limits struct {
	// CPUs is the share of one CPU the member may use (0.05); 0 leaves its CPU alone.
	CPUs float64
	// WriteBps and WriteIOps cap the member's writes to the device of its data; 0 leaves them
	// alone.
	WriteBps, WriteIOps uint64
}

func (l Limits) String() string {
	var parts []string
	if l.CPUs > 0 {
		parts = append(parts, fmt.Sprintf("%g CPU", l.CPUs))
	}
	if l.WriteBps > 0 {
		parts = append(parts, fmt.Sprintf("writes %d KiB/s", l.WriteBps>>10))
	}
	if l.WriteIOps > 0 {
		parts = append(parts, fmt.Sprintf("%d write IO/s", l.WriteIOps))
	}
	if len(parts) == 0 {
		return "no limit"
	}
	return strings.Join(parts, ", ")
}

// Throttler is a cluster whose members' CPU and disk writes can be limited while they run.
type Throttler interface {
	// Throttle applies the limits to the running member; it says how it did ("docker update
	// ...", "cgroup ..."). On an error nothing is left applied.
	Throttle(ctx context.Context, name string, l Limits) (how string, err error)
	// Unthrottle lifts every limit Throttle set on the member.
	Unthrottle(ctx context.Context, name string) error
}

// ErrCannotThrottle means the cluster has no way to limit a member's CPU or disk.
var ErrCannotThrottle = errors.New("this cluster cannot limit a member's CPU or disk writes")

// The throttles of slow-disk and overloaded-leader, tuned on the project's 2-core machine until
// etcd logged slow fdatasyncs and late heartbeats (README: the repro scenarios).
var (
	slowDiskLimits   = Limits{WriteBps: 64 << 10, WriteIOps: 8}
	overloadedLimits = Limits{CPUs: 0.01}
)

// The write load during a throttle: loadWriters writers put loadValueSize-byte values under
// <root>/etcdpm-load/, each put bounded by loadPutTimeout.
const (
	loadWriters    = 4
	loadValueSize  = 1024
	loadPutTimeout = 3 * time.Second
	// loadWarmup is how long the load runs before the throttle, so that the metrics show the
	// member's fsync and CPU unthrottled first.
	loadWarmup = 2 * time.Second
)

// slowDisk throttles the leader's writes to the device of its data under a write load: its WAL
// fdatasyncs wait on the throttle, and its heartbeats with them.
func slowDisk(ctx context.Context, r *runner) error {
	return r.throttleLeader(ctx, slowDiskLimits)
}

// overloadedLeader starves the leader's CPU under a write load.
func overloadedLeader(ctx context.Context, r *runner) error {
	return r.throttleLeader(ctx, overloadedLimits)
}

// unthrottleTimeout bounds the lifting of a throttle, which runs even after ctx ended.
const unthrottleTimeout = 30 * time.Second

// throttleLeader starts the write load, throttles the leader, holds, lifts the throttle and stops
// the load. The throttle is lifted whatever ends the hold.
func (r *runner) throttleLeader(ctx context.Context, lim Limits) error {
	th, ok := r.c.(Throttler)
	if !ok {
		return ErrCannotThrottle
	}
	leader, err := r.currentLeader(ctx)
	if err != nil {
		return err
	}
	l := r.startLoad(ctx)
	r.say("write load: %d writers putting %d-byte values under %s/etcdpm-load/", loadWriters, loadValueSize, r.opts.Root)
	err = r.wait(ctx, loadWarmup)
	if err == nil {
		err = r.throttle(ctx, th, leader, lim)
	}
	puts, failed := l.stop()
	r.record(Step{Action: "load"}, "write load stopped: %d puts, %d failed", puts, failed)
	return err
}

func (r *runner) throttle(ctx context.Context, th Throttler, name string, lim Limits) error {
	how, err := th.Throttle(ctx, name, lim)
	if err != nil {
		return fmt.Errorf("throttling %s: %w", name, err)
	}
	r.record(Step{Action: "throttle", Target: name, Role: "leader"}, "throttle %s (leader %s): %s (%s)", name, r.ids[name], lim, how)
	err = r.hold(ctx, name+" throttled")
	if err == nil {
		r.observeLeader(ctx, "while "+name+" is throttled")
	}
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unthrottleTimeout)
	defer cancel()
	if uerr := th.Unthrottle(uctx, name); uerr != nil {
		return errors.Join(err, fmt.Errorf("lifting the throttle of %s: %w", name, uerr))
	}
	r.record(Step{Action: "unthrottle", Target: name, Role: "former leader"}, "unthrottle %s (%s): limits lifted", name, r.ids[name])
	return err
}

// load is the write load of a throttle.
type load struct {
	cancel       context.CancelFunc
	wg           sync.WaitGroup
	puts, failed atomic.Int64
}

// startLoad starts loadWriters writers putting keys through the cluster until stop.
func (r *runner) startLoad(ctx context.Context) *load {
	lctx, cancel := context.WithCancel(ctx)
	l := &load{cancel: cancel}
	value := strings.Repeat("x", loadValueSize)
	var seq atomic.Int64
	for range loadWriters {
		l.wg.Go(func() {
			for lctx.Err() == nil {
				key := fmt.Sprintf("%s/etcdpm-load/%06d", r.opts.Root, seq.Add(1))
				pctx, cancel := context.WithTimeout(lctx, loadPutTimeout)
				err := r.c.Put(pctx, key, value)
				cancel()
				switch {
				case lctx.Err() != nil: // stopped: not the put's failure
				case err != nil:
					l.failed.Add(1)
					cluster.Sleep(lctx, 100*time.Millisecond) // no leader: do not spin
				default:
					l.puts.Add(1)
				}
			}
		})
	}
	return l
}

// stop stops the writers and says how many puts succeeded and failed.
func (l *load) stop() (puts, failed int64) {
	l.cancel()
	l.wg.Wait()
	return l.puts.Load(), l.failed.Load()
}
