package scenario

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// TimeFormat is how actions.log writes times: RFC 3339 in UTC with microseconds, as etcd's zap
// logger writes its "ts" field.
const TimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// Step is one thing a scenario did or observed, as run.json lists it.
type Step struct {
	Time     time.Time `json:"time"`
	Action   string    `json:"action"`              // start, stop, kill, pause, resume, isolate, heal, throttle, unthrottle, load, leader, healthy, quorum-lost, put, get, done
	Target   string    `json:"target,omitempty"`    // member name
	TargetID string    `json:"target_id,omitempty"` // member raft ID, hex
	Role     string    `json:"role,omitempty"`      // the target's role when acted on: leader or follower
}

// Timeline records steps and writes each as an actions.log line,
// "<time> ACTION <text>", the moment it is recorded. It is safe for concurrent use.
type Timeline struct {
	mu    sync.Mutex
	w     io.Writer
	now   func() time.Time
	steps []Step
	err   error
}

// NewTimeline returns a timeline writing actions.log lines to w, stamped with the wall clock.
func NewTimeline(w io.Writer) *Timeline {
	return &Timeline{w: w, now: time.Now}
}

// Record stamps step with the current time (UTC), appends it and writes text as its line.
func (t *Timeline) Record(step Step, text string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	step.Time = t.now().UTC().Truncate(time.Microsecond) // as printed in actions.log
	t.steps = append(t.steps, step)
	if _, err := fmt.Fprintf(t.w, "%s ACTION %s\n", step.Time.Format(TimeFormat), text); err != nil && t.err == nil {
		t.err = fmt.Errorf("writing actions log: %w", err)
	}
}

// Steps returns the steps recorded so far.
func (t *Timeline) Steps() []Step {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Step(nil), t.steps...)
}

// Err is the first error writing a line, if any.
func (t *Timeline) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}
