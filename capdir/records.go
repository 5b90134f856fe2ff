package capdir

import "time"

// StatusRecord is one line of status.jsonl: one member's status at one poll.
type StatusRecord struct {
	Time time.Time `json:"time"`
	// Member is the member's ID in hex, once known (it is kept for the polls
	// that fail).
	Member string `json:"member,omitempty"`
	// Name is the capture's name of the member: the compose service (etcd1),
	// else the member's own name, else the endpoint's host:port.
	Name     string `json:"name"`
	Endpoint string `json:"endpoint"`
	OK       bool   `json:"ok"`
	// Error is why the poll failed: the evidence of a member that is down.
	Error string `json:"error,omitempty"`
	// Leader is the leader's ID in hex as the member sees it; "" for none.
	Leader string `json:"leader"`
	// RaftTerm is Maintenance.Status's: the term of the last entry the member
	// applied, which stands still while it has no quorum.
	RaftTerm uint64 `json:"raft_term"`
	// Term and State are the raft node's own current term and state
	// (follower, pre-candidate, candidate, leader), from the member's
	// /debug/vars: the term rises with each campaign. Zero and "" when
	// /debug/vars did not answer.
	Term  uint64 `json:"term,omitempty"`
	State string `json:"state,omitempty"`
	// RaftIndex is the index of the last entry in the member's raft log (committed or not),
	// AppliedIndex the last it applied; with Revision (the store's revision the member has
	// applied, from the response's header) they tell which survivor of a quorum loss holds the
	// most recent data. Revision is zero in captures made before it was recorded.
	RaftIndex    uint64   `json:"raft_index"`
	AppliedIndex uint64   `json:"applied_index"`
	Revision     int64    `json:"revision,omitempty"`
	DBSize       int64    `json:"db_size"`
	DBSizeInUse  int64    `json:"db_size_in_use"`
	Learner      bool     `json:"learner"`
	Errors       []string `json:"errors,omitempty"`
	Version      string   `json:"version,omitempty"`
	// LatencyMS is how long the call took.
	LatencyMS float64 `json:"latency_ms"`
}

// CurrentTerm returns the member's current raft term: Term when known, else
// RaftTerm.
func (r *StatusRecord) CurrentTerm() uint64 {
	if r.Term != 0 {
		return r.Term
	}
	return r.RaftTerm
}

// EventRecord is one line of events.jsonl: a Docker event of the project, or
// a signal repro sent a member.
type EventRecord struct {
	// Time is the event's time, from the daemon's timeNano.
	Time time.Time `json:"time"`
	// Type is "container" or "network" (Docker), or "process" (a member run
	// as a process by repro).
	Type string `json:"type"`
	// Action is create, start, stop, kill, die, oom, pause, unpause, restart,
	// connect or disconnect; or throttle and unthrottle, which repro writes
	// when it limits a member's CPU or disk writes and lifts the limits
	// (Attributes: limits, as "0.01 CPU", and how).
	Action string `json:"action"`
	// Name is the member or fault target the container stands for: the
	// service (etcd1), with its number when scaled (etcd1-2).
	Name      string `json:"name"`
	Service   string `json:"service,omitempty"`
	Container string `json:"container"` // the container's name
	ID        string `json:"id"`        // the container's ID
	// Attributes keeps exitCode, signal and image of container events and
	// the network of network events.
	Attributes map[string]string `json:"attributes,omitempty"`
}
