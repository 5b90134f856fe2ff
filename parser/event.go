// Package parser reads etcd logs of every common layout and turns the
// election-related lines into Events. It is a leaf: standard library only.
package parser

import (
	"strconv"
	"time"
)

// ID is an etcd member (raft node) ID. It prints as lowercase hex without
// zero padding, the way etcd prints it.
type ID uint64

func (id ID) String() string {
	if id == 0 {
		return ""
	}
	return strconv.FormatUint(uint64(id), 16)
}

// ParseID parses a hex member ID as etcd prints it.
func ParseID(s string) (ID, bool) {
	id, ok := parseHexID([]byte(s))
	return id, ok
}

// MarshalText renders the ID as hex, so JSON never shows a member as a number.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses a hex ID.
func (id *ID) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*id = 0
		return nil
	}
	v, ok := parseHexID(b)
	if !ok {
		return &strconv.NumError{Func: "ParseID", Num: string(b), Err: strconv.ErrSyntax}
	}
	*id = v
	return nil
}

// MsgType is the raft message type named in a vote or term line.
type MsgType uint8

const (
	MsgNone MsgType = iota
	MsgVote
	MsgPreVote
	MsgVoteResp
	MsgPreVoteResp
	MsgApp
	MsgAppResp
	MsgHeartbeat
	MsgHeartbeatResp
	MsgTimeoutNow
	MsgOther
)

var msgTypeNames = [...]string{"", "MsgVote", "MsgPreVote", "MsgVoteResp", "MsgPreVoteResp",
	"MsgApp", "MsgAppResp", "MsgHeartbeat", "MsgHeartbeatResp", "MsgTimeoutNow", "Msg?"}

func (m MsgType) String() string {
	if int(m) < len(msgTypeNames) {
		return msgTypeNames[m]
	}
	return "Msg?"
}

// IsPreVote reports whether m belongs to the pre-vote phase.
func (m MsgType) IsPreVote() bool { return m == MsgPreVote || m == MsgPreVoteResp }

// Level is the log level of a record.
type Level uint8

const (
	LevelUnknown Level = iota
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
	LevelFatal
)

var levelNames = [...]string{"", "debug", "info", "warn", "error", "fatal"}

func (l Level) String() string { return levelNames[l] }

// Kind says what an Event is. The raft kinds follow the message catalogue of
// etcd's raft (v2.3 to v3.7); the server kinds follow etcdserver, rafthttp and
// wal messages that matter for a postmortem.
type Kind uint8

const (
	KindNone Kind = iota

	// Raft state changes.
	BecameFollower     // Term
	BecamePreCandidate // Term (the current term; pre-votes ask for Term+1)
	BecameCandidate    // Term (the new term)
	BecameLeader       // Term
	ElectionStart      // "is starting a new election at term N": Term is the term before the campaign
	NewRaft            // "newRaft ..." at start: Term, Index (lastindex), LogTerm (lastterm)

	// Votes.
	VoteRequest       // sent Msg(Pre)Vote request to Peer at Term, with LogTerm and Index
	VoteGranted       // received Msg(Pre)VoteResp from Peer at Term
	VoteRejected      // received Msg(Pre)VoteResp rejection from Peer at Term
	VoteTally         // has received Granted votes and Rejected rejections (Msg says which)
	VoteCast          // cast Msg(Pre)Vote for Peer at Term
	VoteRefused       // rejected Msg(Pre)Vote from Peer at Term (log behind or already voted)
	VoteIgnoredLease  // ignored Msg(Pre)Vote from Peer at Term: lease is not expired
	HigherTermMessage // [term: Term] received Msg with higher term from Peer [term: PeerTerm]
	LowerTermMessage  // [term: Term] ignored Msg with lower term from Peer [term: PeerTerm]

	// Leadership.
	CheckQuorumStepDown // stepped down to follower since quorum is not active
	TimeoutNowReceived  // received MsgTimeoutNow from Peer and starts an election
	TimeoutNowSent      // sent/sends MsgTimeoutNow to Peer
	TransferStart       // [term Term] starts to transfer leadership to Peer
	TransferAbort       // [term Term] abort previous transferring leadership to Peer
	LeaderElected       // raft.node: elected leader Peer at Term
	LeaderChanged       // raft.node: changed leader from Peer2 to Peer at Term
	LeaderLost          // raft.node: lost leader Peer at Term
	NoLeaderDrop        // no leader at term N; dropping proposal / msg
	ForgetLeader        // forgetting leader Peer at Term (3.6+)
	TickMissed          // A tick missed to fire. Node blocks too long!
	CannotCampaign      // cannot campaign / unpromotable

	// Server hints.
	HeartbeatLate      // leader failed to send out heartbeat on time (to Peer), Duration exceeded
	SlowFdatasync      // slow fdatasync / wal sync duration, Duration
	SlowApply          // apply request took too long, Duration
	StreamLost         // lost TCP streaming connection with Peer
	StreamEstablished  // established TCP streaming connection with Peer
	PeerInactive       // peer Peer became inactive
	PeerActive         // peer Peer became active
	ProberUnhealthy    // prober detected unhealthy status / health check could not connect, Peer
	ClockDrift         // clock difference against Peer too high, Duration
	PeerURLUnreachable // failed to reach the peer URL of Peer
	TransferStarting   // server: leadership transfer starting from Peer2 to Peer
	TransferFinished   // server: leadership transfer finished from Peer2 to Peer, Duration
	TransferFailed     // server: leadership transfer failed
	NoLeader           // /health: no leader
	ServerStart        // starting an etcd server / etcd Version (Name, PreVote, Version)
	MemberIdentity     // a line that ties Name to Member, or PeerName to Peer ("added member")
	Shutdown           // a shutdown signal or "stopping"/"closing" the server

	kindCount
)

var kindNames = [...]string{
	KindNone:            "none",
	BecameFollower:      "became-follower",
	BecamePreCandidate:  "became-pre-candidate",
	BecameCandidate:     "became-candidate",
	BecameLeader:        "became-leader",
	ElectionStart:       "election-start",
	NewRaft:             "new-raft",
	VoteRequest:         "vote-request",
	VoteGranted:         "vote-granted",
	VoteRejected:        "vote-rejected",
	VoteTally:           "vote-tally",
	VoteCast:            "vote-cast",
	VoteRefused:         "vote-refused",
	VoteIgnoredLease:    "vote-ignored-lease",
	HigherTermMessage:   "higher-term-message",
	LowerTermMessage:    "lower-term-message",
	CheckQuorumStepDown: "check-quorum-step-down",
	TimeoutNowReceived:  "timeout-now-received",
	TimeoutNowSent:      "timeout-now-sent",
	TransferStart:       "transfer-start",
	TransferAbort:       "transfer-abort",
	LeaderElected:       "leader-elected",
	LeaderChanged:       "leader-changed",
	LeaderLost:          "leader-lost",
	NoLeaderDrop:        "no-leader-drop",
	ForgetLeader:        "forget-leader",
	TickMissed:          "tick-missed",
	CannotCampaign:      "cannot-campaign",
	HeartbeatLate:       "heartbeat-late",
	SlowFdatasync:       "slow-fdatasync",
	SlowApply:           "slow-apply",
	StreamLost:          "stream-lost",
	StreamEstablished:   "stream-established",
	PeerInactive:        "peer-inactive",
	PeerActive:          "peer-active",
	ProberUnhealthy:     "prober-unhealthy",
	ClockDrift:          "clock-drift",
	PeerURLUnreachable:  "peer-url-unreachable",
	TransferStarting:    "transfer-starting",
	TransferFinished:    "transfer-finished",
	TransferFailed:      "transfer-failed",
	NoLeader:            "no-leader",
	ServerStart:         "server-start",
	MemberIdentity:      "member-identity",
	Shutdown:            "shutdown",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText renders the kind's name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return &strconv.NumError{Func: "ParseKind", Num: string(b), Err: strconv.ErrSyntax}
}

// Kinds returns every event kind, for documentation and tests.
func Kinds() []Kind {
	ks := make([]Kind, 0, kindCount-1)
	for k := KindNone + 1; k < kindCount; k++ {
		ks = append(ks, k)
	}
	return ks
}

// Event is one election-related fact read from one log line.
//
// An Event returned by Reader.Event is valid until the next call to Scan:
// Text aliases the Reader's buffer. Copy it (Clone) to keep it.
type Event struct {
	Time  time.Time // UTC; zero when the line and its envelope carry no time
	Kind  Kind
	Level Level
	Msg   MsgType // the raft message type a vote or term line names
	// Failed and PreVote belong with Duration and Version below; they sit here, beside the
	// other one-byte fields, so that an Event is 16 bytes smaller (a storm writes millions).
	Failed  bool // SlowApply: the request ended in an error (it waited on a leader, not on the disk)
	PreVote int8 // ServerStart: 1 on, -1 off, 0 unknown

	// What the line says of who wrote it; the analysis decides who did.
	Member ID     // the logging member's ID when the wording names it, else 0
	Name   string // the name the line announces for its member ("embed: name = ..."), interned
	Source string // the envelope's name of the line's stream (service, pod, host), "" when none; interned

	Term     uint64 // the term the line states (see Kind)
	Peer     ID     // the other member the line names (vote target, new leader, ...)
	Peer2    ID     // a second member (old leader in LeaderChanged and transfers)
	PeerName string // Peer's name when the line states it: the host of its peer URL (interned)
	PeerTerm uint64 // the peer's term in higher/lower term lines
	LogTerm  uint64 // [logterm: N] of the sender
	Index    uint64 // [index: N] of the sender
	Granted  int    // VoteTally: votes
	Rejected int    // VoteTally: rejections

	// The candidate's [logterm: N, index: N] on VoteCast, VoteRefused and
	// VoteIgnoredLease lines (LogTerm and Index are then the voter's own).
	PeerLogTerm, PeerIndex uint64

	Duration time.Duration // heartbeat exceeded, fdatasync took, apply took, clock drift, transfer took (Failed, PreVote: above)
	Version  string        // ServerStart: etcd version when the line says it (interned)

	Input int    // index of the input in the order given to the analysis
	Line  int64  // 1-based line number in that input
	Text  []byte // the line as read, envelope included (valid until next Scan)
}

// minUnix and maxUnix bound an Event's time: the times a JSON document can hold: the years 0
// to 9999.
const (
	minUnix = -62167219200
	maxUnix = 253402300800
)

// Clone returns a copy of e that owns its Text.
func (e *Event) Clone() Event {
	c := *e
	c.Text = append([]byte(nil), e.Text...)
	return c
}
