// Package capdir is the capture directory: the files `etcdpm capture` and
// `etcdpm repro` write (logs.txt, status.jsonl, events.jsonl, meta.json) and
// what reading one back gives the analysis. It needs no Docker and no etcd.
package capdir

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// Fault is an injected fault or a marked action over a span of time: a
// container stopped until its next start, paused until unpaused, cut off
// until reconnected, or one of repro's steps.
type Fault struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`    // zero for an instant
	Label  string    `json:"label"`  // e.g. "stopped etcd1", "paused etcd3"
	Target string    `json:"target"` // service, container or member name
}

// StatusSeries is a member's polled status over time.
type StatusSeries struct {
	Member   parser.ID     `json:"member"`
	Name     string        `json:"name"`
	Endpoint string        `json:"endpoint"`
	Points   []StatusPoint `json:"points"`
}

// StatusPoint is one status poll.
type StatusPoint struct {
	Time   time.Time `json:"time"`
	OK     bool      `json:"ok"`
	Term   uint64    `json:"term,omitempty"`
	Leader parser.ID `json:"leader,omitempty"`
	Error  string    `json:"error,omitempty"`
}

// Capture is what a capture directory gives the analysis beside its logs.
type Capture struct {
	Dir    string
	Faults []Fault
	Status []StatusSeries
	// Start and End are the capture's span (meta.json, else the latest
	// record).
	Start, End time.Time
}
