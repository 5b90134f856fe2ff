package parser

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The raft and server wordings below are etcd's own Go format strings, copied
// from etcd's and raft's source (v2.3 to v3.7, see
// ../shared/reference/etcd-log-formats.md §1.3 and §2). Each is rendered with
// fmt.Sprintf exactly as etcd renders it, wrapped in a raft std-logger line
// (or a capnslog line for server messages), and must parse into its event.

const (
	idA = ID(0xbd388e7810915853)
	idB = ID(0xade526d28b1f92f7)
	idC = ID(0x9922ba350fa4201) // 15 digits: etcd does not pad
)

type catalogueCase struct {
	format string
	args   []any
	want   Event // Kind, Member and the fields the wording states
}

func raftCatalogue() []catalogueCase {
	a, b, c := uint64(idA), uint64(idB), uint64(idC)
	return []catalogueCase{
		{"newRaft %x [peers: [%s], term: %d, commit: %d, applied: %d, lastindex: %d, lastterm: %d]", []any{a, "", 5, 10, 9, 12, 4},
			Event{Kind: NewRaft, Member: idA, Term: 5, Index: 12, LogTerm: 4}},
		{"%x became follower at term %d", []any{a, 7}, Event{Kind: BecameFollower, Member: idA, Term: 7}},
		{"%x became candidate at term %d", []any{a, 8}, Event{Kind: BecameCandidate, Member: idA, Term: 8}},
		{"%x became pre-candidate at term %d", []any{a, 8}, Event{Kind: BecamePreCandidate, Member: idA, Term: 8}},
		{"%x became leader at term %d", []any{a, 9}, Event{Kind: BecameLeader, Member: idA, Term: 9}},
		{"%x is starting a new election at term %d", []any{c, 421}, Event{Kind: ElectionStart, Member: idC, Term: 421}},
		{"%x [logterm: %d, index: %d] sent vote request to %x at term %d", []any{a, 2, 11, b, 3},
			Event{Kind: VoteRequest, Member: idA, Peer: idB, Term: 3, LogTerm: 2, Index: 11, Msg: MsgVote}},
		{"%x [logterm: %d, index: %d] sent %s request to %x at term %d", []any{a, 2, 11, "MsgPreVote", b, 3},
			Event{Kind: VoteRequest, Member: idA, Peer: idB, Term: 3, LogTerm: 2, Index: 11, Msg: MsgPreVote}},
		{"%x [logterm: %d, index: %d] sent %s request to %x at term %d", []any{a, 3, 12, "MsgVote", c, 422},
			Event{Kind: VoteRequest, Member: idA, Peer: idC, Term: 422, LogTerm: 3, Index: 12, Msg: MsgVote}},
		{"%x received vote from %x at term %d", []any{a, b, 3}, Event{Kind: VoteGranted, Member: idA, Peer: idB, Term: 3, Msg: MsgVoteResp}},
		{"%x received vote rejection from %x at term %d", []any{a, b, 3}, Event{Kind: VoteRejected, Member: idA, Peer: idB, Term: 3, Msg: MsgVoteResp}},
		{"%x received %s from %x at term %d", []any{a, "MsgPreVoteResp", b, 3}, Event{Kind: VoteGranted, Member: idA, Peer: idB, Term: 3, Msg: MsgPreVoteResp}},
		{"%x received %s rejection from %x at term %d", []any{a, "MsgVoteResp", b, 3}, Event{Kind: VoteRejected, Member: idA, Peer: idB, Term: 3, Msg: MsgVoteResp}},
		{"%x [term: %d] received a %s message with higher term from %x [term: %d]", []any{b, 3, "MsgVote", a, 422},
			Event{Kind: HigherTermMessage, Member: idB, Peer: idA, Term: 3, PeerTerm: 422, Msg: MsgVote}},
		{"%x [term: %d] ignored a %s message with lower term from %x [term: %d]", []any{b, 9, "MsgAppResp", a, 5},
			Event{Kind: LowerTermMessage, Member: idB, Peer: idA, Term: 9, PeerTerm: 5, Msg: MsgAppResp}},
		{"%x [term: %d] ignored entry appends from a %s message with lower term [term: %d]", []any{b, 9, "MsgApp", 5},
			Event{Kind: LowerTermMessage, Member: idB, Term: 9, PeerTerm: 5, Msg: MsgApp}},
		{"%x stepped down to follower since quorum is not active", []any{a}, Event{Kind: CheckQuorumStepDown, Member: idA}},
		{"%x [logterm: %d, index: %d, vote: %x] rejected vote from %x [logterm: %d, index: %d] at term %d", []any{b, 3, 12, 0, a, 3, 11, 5},
			Event{Kind: VoteRefused, Member: idB, Peer: idA, Term: 5, LogTerm: 3, Index: 12, Msg: MsgVote, PeerLogTerm: 3, PeerIndex: 11}},
		{"%x no leader at term %d; dropping proposal", []any{a, 4}, Event{Kind: NoLeaderDrop, Member: idA, Term: 4}},
		{"%x [quorum:%d] has received %d votes and %d vote rejections", []any{a, 2, 1, 1}, Event{Kind: VoteTally, Member: idA, Granted: 1, Rejected: 1, Msg: MsgVoteResp}},
		{"%x [logterm: %d, index: %d, vote: %x] voted for %x [logterm: %d, index: %d] at term %d", []any{b, 3, 12, 0, a, 3, 12, 422},
			Event{Kind: VoteCast, Member: idB, Peer: idA, Term: 422, LogTerm: 3, Index: 12, Msg: MsgVote, PeerLogTerm: 3, PeerIndex: 12}},
		{"raft.node: %x elected leader %x at term %d", []any{b, a, 422}, Event{Kind: LeaderElected, Member: idB, Peer: idA, Term: 422}},
		{"raft.node: %x changed leader from %x to %x at term %d", []any{a, a, b, 9}, Event{Kind: LeaderChanged, Member: idA, Peer2: idA, Peer: idB, Term: 9}},
		{"raft.node: %x lost leader %x at term %d", []any{a, b, 3}, Event{Kind: LeaderLost, Member: idA, Peer: idB, Term: 3}},
		{"%x [logterm: %d, index: %d, vote: %x] ignored vote from %x [logterm: %d, index: %d] at term %d: lease is not expired (remaining ticks: %d)", []any{b, 3, 29, a, c, 3, 29, 3, 8},
			Event{Kind: VoteIgnoredLease, Member: idB, Peer: idC, Term: 3, LogTerm: 3, Index: 29, Msg: MsgVote, PeerLogTerm: 3, PeerIndex: 29}},
		{"%x sent MsgTimeoutNow to %x after received MsgAppResp", []any{b, a}, Event{Kind: TimeoutNowSent, Member: idB, Peer: idA}},
		{"%x [term %d] transfer leadership to %x is in progress, ignores request to same node %x", []any{b, 2, a, a}, Event{}},
		{"%x [term %d] abort previous transferring leadership to %x", []any{b, 2, a}, Event{Kind: TransferAbort, Member: idB, Peer: idA, Term: 2}},
		{"%x [term %d] starts to transfer leadership to %x", []any{b, 2, a}, Event{Kind: TransferStart, Member: idB, Peer: idA, Term: 2}},
		{"%x sends MsgTimeoutNow to %x immediately as %x already has up-to-date log", []any{b, a, a}, Event{Kind: TimeoutNowSent, Member: idB, Peer: idA}},
		{"%x [term %d] received MsgTimeoutNow from %x and starts an election to get leadership.", []any{a, 2, b},
			Event{Kind: TimeoutNowReceived, Member: idA, Peer: idB, Term: 2, Msg: MsgTimeoutNow}},
		{"A tick missed to fire. Node blocks too long!", nil, Event{Kind: TickMissed}},
		{"%x [logterm: %d, index: %d, vote: %x] cast %s for %x [logterm: %d, index: %d] at term %d", []any{b, 3, 12, 0, "MsgPreVote", a, 3, 12, 5},
			Event{Kind: VoteCast, Member: idB, Peer: idA, Term: 5, LogTerm: 3, Index: 12, Msg: MsgPreVote, PeerLogTerm: 3, PeerIndex: 12}},
		{"%x [logterm: %d, index: %d, vote: %x] rejected %s from %x [logterm: %d, index: %d] at term %d", []any{b, 3, 12, b, "MsgVote", a, 2, 11, 5},
			Event{Kind: VoteRefused, Member: idB, Peer: idA, Term: 5, LogTerm: 3, Index: 12, Msg: MsgVote, PeerLogTerm: 2, PeerIndex: 11}},
		{"%x [logterm: %d, index: %d, vote: %x] ignored %s from %x [logterm: %d, index: %d] at term %d: lease is not expired (remaining ticks: %d)", []any{b, 3, 29, a, "MsgPreVote", c, 3, 29, 3, 8},
			Event{Kind: VoteIgnoredLease, Member: idB, Peer: idC, Term: 3, LogTerm: 3, Index: 29, Msg: MsgPreVote, PeerLogTerm: 3, PeerIndex: 29}},
		{"%x [logterm: %d, index: %d, vote: %x] ignored %s from %x [logterm: %d, index: %d] at term %d: learner can not vote", []any{b, 3, 29, 0, "MsgVote", c, 3, 29, 3},
			Event{Kind: VoteRefused, Member: idB, Peer: idC, Term: 3, LogTerm: 3, Index: 29, Msg: MsgVote, PeerLogTerm: 3, PeerIndex: 29}},
		{"%x cannot campaign at term %d since there are still %d pending configuration changes to apply", []any{a, 4, 1}, Event{Kind: CannotCampaign, Member: idA, Term: 4}},
		{"%x [quorum:%d] has received %d %s votes and %d vote rejections", []any{a, 2, 1, "MsgPreVoteResp", 1}, Event{Kind: VoteTally, Member: idA, Granted: 1, Rejected: 1, Msg: MsgPreVoteResp}},
		{"%x no leader at term %d; dropping leader transfer msg", []any{a, 4}, Event{Kind: NoLeaderDrop, Member: idA, Term: 4}},
		{"%x received MsgTimeoutNow from %x but is not promotable", []any{a, b}, Event{Kind: CannotCampaign, Member: idA, Peer: idB, Msg: MsgTimeoutNow}},
		{"%x no leader at term %d; dropping index reading msg", []any{a, 4}, Event{Kind: NoLeaderDrop, Member: idA, Term: 4}},
		{"%x not forwarding to leader %x at term %d; dropping proposal", []any{a, b, 4}, Event{}},
		{"initiating automatic transition out of joint configuration %s", []any{"voters=(1 2 3)&&(1 2)"}, Event{}},
		{"%x is unpromotable; campaign() should have been called", []any{a}, Event{Kind: CannotCampaign, Member: idA}},
		{"%x is unpromotable and can not campaign; ignoring MsgHup", []any{a}, Event{Kind: CannotCampaign, Member: idA}},
		{"%x has received %d %s votes and %d vote rejections", []any{a, 2, "MsgVoteResp", 0}, Event{Kind: VoteTally, Member: idA, Granted: 2, Msg: MsgVoteResp}},
		{"%x switched to configuration %s", []any{a, "voters=(7102697348932901515 12065556756635240759)"}, Event{}},
		{"%x (leader %v) A tick missed to fire. Node blocks too long!", []any{a, true}, Event{Kind: TickMissed, Member: idA}},
		{"%x is unpromotable and can not campaign", []any{a}, Event{Kind: CannotCampaign, Member: idA}},
		{"%x A tick missed to fire. Node blocks too long!", []any{a}, Event{Kind: TickMissed, Member: idA}},
		{"%x cannot campaign at term %d since there are still pending configuration changes to apply", []any{a, 4}, Event{Kind: CannotCampaign, Member: idA, Term: 4}},
		{"ignoring MsgForgetLeader due to ReadOnlyLeaseBased", nil, Event{}},
		{"%x forgetting leader %x at term %d", []any{a, b, 4}, Event{Kind: ForgetLeader, Member: idA, Peer: idB, Term: 4}},
	}
}

func serverCatalogue() []catalogueCase {
	b := idB.String()
	return []catalogueCase{
		{"etcdserver: failed to send out heartbeat on time (exceeded the %v timeout for %v, to %x)", []any{100 * time.Millisecond, 2862651086 * time.Nanosecond, uint64(idA)},
			Event{Kind: HeartbeatLate, Peer: idA, Duration: 2862651086}},
		{"etcdserver: failed to send out heartbeat on time (exceeded the %v timeout for %v)", []any{100 * time.Millisecond, 288915798 * time.Nanosecond},
			Event{Kind: HeartbeatLate, Duration: 288915798}},
		{"wal: sync duration of %v, expected less than %v", []any{10804926962 * time.Nanosecond, time.Second}, Event{Kind: SlowFdatasync, Duration: 10804926962}},
		{"etcdserver: %srequest %q with result %q took too long (%v) to execute", []any{"read-only range ", `key:"/registry/x" `, "range_response_count:1 size:2045", 604076876 * time.Nanosecond},
			Event{Kind: SlowApply, Duration: 604076876}},
		{"etcdserver: %srequest %q with result %q took too long (%v) to execute", []any{"read-only range ", `key:"/root/foo" `, "error:context canceled", 3 * time.Second},
			Event{Kind: SlowApply, Duration: 3 * time.Second, Failed: true}},
		{"etcdserver: apply entries took too long [%v for %d entries]", []any{1500 * time.Millisecond, 3}, Event{Kind: SlowApply, Duration: 1500 * time.Millisecond}},
		{"rafthttp: lost the TCP streaming connection with peer %s (%s writer)", []any{b, "stream Message"}, Event{Kind: StreamLost, Peer: idB}},
		{"rafthttp: lost the TCP streaming connection with peer %s (%s reader)", []any{b, "stream MsgApp v2"}, Event{Kind: StreamLost, Peer: idB}},
		{"rafthttp: established a TCP streaming connection with peer %s (%s writer)", []any{b, "stream Message"}, Event{Kind: StreamEstablished, Peer: idB}},
		{"rafthttp: peer %s became inactive (message send to peer failed)", []any{b}, Event{Kind: PeerInactive, Peer: idB}},
		{"rafthttp: peer %s became active", []any{b}, Event{Kind: PeerActive, Peer: idB}},
		{"rafthttp: health check for peer %s could not connect: %v", []any{b, "dial tcp 127.0.0.1:2380: connect: connection refused"}, Event{Kind: ProberUnhealthy, Peer: idB}},
		{"rafthttp: health check for peer %s could not connect: %v (prober %q)", []any{b, "EOF", "ROUND_TRIPPER_RAFT_MESSAGE"}, Event{Kind: ProberUnhealthy, Peer: idB}},
		{"rafthttp: the clock difference against peer %s is too high [%v > %v]", []any{b, 11050 * time.Millisecond, time.Second}, Event{Kind: ClockDrift, Peer: idB, Duration: 11050 * time.Millisecond}},
		{"rafthttp: the clock difference against peer %s is too high [%v > %v] (prober %q)", []any{b, 2 * time.Second, time.Second, "ROUND_TRIPPER_SNAPSHOT"}, Event{Kind: ClockDrift, Peer: idB, Duration: 2 * time.Second}},
		{"etcdserver: failed to reach the peerURL(%s) of member %s (%v)", []any{"http://etcd2:2380", b, "connection refused"}, Event{Kind: PeerURLUnreachable, Peer: idB, PeerName: "etcd2"}},
		{"etcdserver: failed to reach the peerURL(%s) of member %s (%v)", []any{"http://10.0.0.2:2380", b, "connection refused"}, Event{Kind: PeerURLUnreachable, Peer: idB}},
		{"etcdserver/membership: added member %s %v to cluster %s", []any{b, []string{"http://etcd1:2380"}, "c0a2f96dbf3f1c52"}, Event{Kind: MemberIdentity, Peer: idB, PeerName: "etcd1"}},
		{"etcdserver: %s starts leadership transfer from %s to %s", []any{b, b, idA.String()}, Event{Kind: TransferStarting, Member: idB, Peer2: idB, Peer: idA}},
		{"etcdserver: %s finished leadership transfer from %s to %s (took %v)", []any{b, b, idA.String(), 12 * time.Millisecond}, Event{Kind: TransferFinished, Member: idB, Peer2: idB, Peer: idA, Duration: 12 * time.Millisecond}},
		{"etcdserver: %s failed to transfer leadership (%v)", []any{b, "etcdserver: unhealthy cluster"}, Event{Kind: TransferFailed, Member: idB}},
		{"etcdserver/api/etcdhttp: /health error; no leader (status code %d)", []any{503}, Event{Kind: NoLeader}},
		{"etcdmain: etcd Version: %s", []any{"3.4.45"}, Event{Kind: ServerStart, Version: "3.4.45"}},
		{"etcdserver: starting member %s in cluster %s", []any{b, "c0a2f96dbf3f1c52"}, Event{Kind: MemberIdentity, Member: idB}},
		{"etcdserver: restarting member %s in cluster %s at commit index %d", []any{b, "c0a2f96dbf3f1c52", 37}, Event{Kind: MemberIdentity, Member: idB}},
		{"pkg/osutil: received %v signal, shutting down...", []any{"terminated"}, Event{Kind: Shutdown}},
		{"etcdserver: server is likely overloaded", nil, Event{}},
	}
}

func TestCatalogue(t *testing.T) {
	for _, c := range raftCatalogue() {
		msg := fmt.Sprintf(c.format, c.args...)
		line := "raft2020/04/30 17:20:31 INFO: " + msg
		checkLine(t, line, c.want)
		// 3.3 capnslog: the same message from package raft
		checkLine(t, "2020-04-30 17:20:31.622130 I | raft: "+msg, c.want)
		// 3.5+ zap JSON with the raft logger
		checkLine(t, `{"level":"info","ts":"2020-04-30T17:20:31.622130Z","logger":"raft","caller":"etcdserver/zap_raft.go:77","msg":"`+msg+`"}`, c.want)
	}
	for _, c := range serverCatalogue() {
		msg := fmt.Sprintf(c.format, c.args...)
		checkLine(t, "2020-04-30 17:20:31.622130 W | "+msg, c.want)
	}
}

// checkLine parses one line as a bare input and compares the event's kind and
// stated fields with want (a zero want means: no event).
func checkLine(t *testing.T, line string, want Event) {
	t.Helper()
	r := NewReader(strings.NewReader(line+"\n"), Options{Name: "t"})
	got := Event{}
	if r.Scan() {
		got = *r.Event()
	}
	st := r.Stats()
	if st.Malformed != 0 {
		t.Errorf("%s\n  malformed: %v", line, st.Errors)
		return
	}
	got.Time, got.Level, got.Line, got.Input, got.Text, got.Name = time.Time{}, 0, 0, 0, nil, ""
	if want.Kind == KindNone {
		if got.Kind != KindNone {
			t.Errorf("%s\n  got event %s, want none", line, got.Kind)
		}
		return
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("%s\n   got %+v\n  want %+v", line, got, want)
	}
}

// Every kind the parser emits is produced by some catalogue wording or by the
// real fixtures' zap lines (TestRealFixtureKinds).
func TestKindNames(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Kinds() {
		n := k.String()
		if n == "" || strings.HasPrefix(n, "kind(") || seen[n] {
			t.Errorf("kind %d has a bad or duplicate name %q", k, n)
		}
		seen[n] = true
		var back Kind
		if err := back.UnmarshalText([]byte(n)); err != nil || back != k {
			t.Errorf("kind %q does not round-trip: %v %v", n, back, err)
		}
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
