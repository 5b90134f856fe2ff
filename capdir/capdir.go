// Package capdir is the capture directory: the files `etcdpm capture` and
// `etcdpm repro` write (logs.txt or one log per member, status.jsonl,
// metrics.jsonl, events.jsonl, meta.json), their writers, and what reading one back gives
// the analysis. It needs no Docker and no etcd.
package capdir

import (
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// The files of a capture directory.
const (
	LogsFile    = "logs.txt"      // the containers' lines, as `docker compose logs --timestamps` prints them
	StatusFile  = "status.jsonl"  // one status record per member per interval
	MetricsFile = "metrics.jsonl" // one scrape of /metrics per member per metrics interval
	EventsFile  = "events.jsonl"  // the faults: Docker's events, or the processes' signals
	MetaFile    = "meta.json"     // what was captured, from when to when
	ActionsFile = "actions.log"   // the steps of a reproduction, "<RFC 3339 UTC> ACTION <text>"
	MembersDir  = "members"       // each member's log as etcd wrote it (members run as processes)
)

// MemberLog is the path, relative to the directory, of a member's own log.
func MemberLog(name string) string { return filepath.ToSlash(filepath.Join(MembersDir, name+".log")) }

// IsDir reports whether path is a capture directory: a directory holding
// meta.json and its logs (logs.txt, or the files meta.json lists).
func IsDir(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || !fi.IsDir() {
		return false
	}
	if fi, err := os.Stat(filepath.Join(path, MetaFile)); err != nil || fi.IsDir() {
		return false
	}
	meta, err := ReadMeta(path)
	if err != nil {
		return false
	}
	for _, p := range logPaths(path, meta) {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			return false
		}
	}
	return true
}

// DirOf returns the capture directory an `etcdpm analyze` argument stands
// for: the argument itself when it is one, the directory of a log file of
// one (its logs.txt, or a member's log).
func DirOf(arg string) (string, bool) {
	if IsDir(arg) {
		return arg, true
	}
	for _, dir := range []string{filepath.Dir(arg), filepath.Dir(filepath.Dir(arg))} {
		if !IsDir(dir) {
			continue
		}
		meta, _ := ReadMeta(dir)
		if slices.Contains(logPaths(dir, meta), filepath.Join(dir, relTo(dir, arg))) {
			return dir, true
		}
	}
	return "", false
}

// relTo is path relative to dir, or path itself.
func relTo(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil {
		return rel
	}
	return path
}

// logPaths are the log files of the capture in dir: meta.json's Logs, else
// logs.txt.
func logPaths(dir string, meta *Meta) []string {
	if meta == nil || len(meta.Logs) == 0 {
		return []string{filepath.Join(dir, LogsFile)}
	}
	paths := make([]string, len(meta.Logs))
	for i, p := range meta.Logs {
		paths[i] = filepath.Join(dir, filepath.FromSlash(p))
	}
	return paths
}

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
	Time time.Time `json:"time"`
	OK   bool      `json:"ok"`
	// Term is the member's current term (StatusRecord.CurrentTerm).
	Term   uint64    `json:"term,omitempty"`
	Leader parser.ID `json:"leader,omitempty"`
	Error  string    `json:"error,omitempty"`
	// What the member holds, for which member to trust after a quorum loss (StatusRecord's
	// fields of the same names): the term of its last applied entry, its last raft index and
	// applied index, its store's revision and its database's size. Zero when the poll failed,
	// and Revision in captures made before it was recorded.
	RaftTerm     uint64 `json:"raft_term,omitempty"`
	RaftIndex    uint64 `json:"raft_index,omitempty"`
	AppliedIndex uint64 `json:"applied_index,omitempty"`
	Revision     int64  `json:"revision,omitempty"`
	DBSize       int64  `json:"db_size,omitempty"`
}

// Capture is what a capture directory gives the analysis beside its logs.
type Capture struct {
	Dir string
	// Logs are the paths of its log files: logs.txt, or one per member.
	Logs   []string
	Faults []Fault
	Status []StatusSeries
	// Metrics are the members' scraped metrics (metrics.jsonl), with the per-interval values
	// derived from them; nil when the capture scraped none.
	Metrics []MetricsSeries
	// Start and End are the capture's span (meta.json, else the latest
	// record).
	Start, End time.Time
}

// LogFiles returns the paths of the log files of the capture in dir.
func LogFiles(dir string) ([]string, error) {
	meta, err := ReadMeta(dir)
	if err != nil {
		return nil, err
	}
	return logPaths(dir, meta), nil
}
