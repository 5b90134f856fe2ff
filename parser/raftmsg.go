package parser

import "bytes"

// parseRaft reads one of raft's election messages (reference §1.3, raft
// v2.3 to v3.7) into ev. It returns:
//   - kind: the event kind, KindNone for raft lines that are not events
//   - self: the ID of the member that logged the line, when the wording says it
//   - bad: a non-empty reason when the wording is known but its values are not
func parseRaft(msg []byte, ev *Event) (kind Kind, self ID, bad string) {
	kind, self, bad = parseRaftWording(msg, ev)
	switch {
	case kind == KindNone || bad != "":
	case self == 0 && kind != TickMissed:
		return KindNone, 0, "member ID 0"
	case ev.Peer == 0 && needsPeer(kind):
		return KindNone, 0, "peer ID 0"
	}
	return kind, self, bad
}

// needsPeer tells the kinds whose wording always names another member.
func needsPeer(k Kind) bool {
	switch k {
	case VoteRequest, VoteGranted, VoteRejected, VoteCast, VoteRefused, VoteIgnoredLease,
		HigherTermMessage, TimeoutNowReceived, TimeoutNowSent, TransferStart, TransferAbort,
		LeaderElected, LeaderChanged, LeaderLost, ForgetLeader:
		return true
	}
	return false
}

func parseRaftWording(msg []byte, ev *Event) (kind Kind, self ID, bad string) {
	c := newCursor(msg)
	if len(msg) > 0 && hexVal[msg[0]] > 15 { // none of these opens with a hex digit, as IDs do
		switch {
		case c.peek("raft.node: "):
			return parseRaftNode(c, ev)
		case c.peek("newRaft "):
			self = c.hex()
			c.lit(" [peers: [")
			c.until("], term: ")
			ev.Term = c.uint()
			c.until("lastindex: ")
			ev.Index = c.uint()
			c.lit(", lastterm: ")
			ev.LogTerm = c.uint()
			if !c.ok {
				return KindNone, 0, "unexpected newRaft line"
			}
			return NewRaft, self, ""
		case c.peek("A tick missed to fire"):
			return TickMissed, 0, ""
		}
	}
	self = c.hex()
	if !c.ok || !c.lit(" ") {
		// an ID too long for one: is the rest a wording raft logs?
		n := 0
		for n < len(msg) && n <= 32 && isHex(msg[n]) {
			n++
		}
		if n > 16 && n <= 32 && n < len(msg) && msg[n] == ' ' {
			tail := newCursor(msg[n+1:])
			if k, _, _ := parseRaftTail(tail, ev, 1); k != KindNone {
				*ev = Event{}
				return KindNone, 0, "member ID longer than 16 hex digits"
			}
			*ev = Event{}
		}
		return KindNone, 0, ""
	}
	return parseRaftTail(c, ev, self)
}

// parseRaftTail reads what follows "<self> " in raft's wordings. It dispatches on the first
// byte, then tries the wordings that open with it in turn.
func parseRaftTail(c cursor, ev *Event, self ID) (kind Kind, _ ID, bad string) {
	if len(c.b) == 0 {
		return KindNone, 0, ""
	}
	switch c.b[0] {
	case 'b':
		if !c.peek("became ") {
			break
		}
		switch {
		case c.peek("follower at term "):
			kind = BecameFollower
		case c.peek("pre-candidate at term "):
			kind = BecamePreCandidate
		case c.peek("candidate at term "):
			kind = BecameCandidate
		case c.peek("leader at term "):
			kind = BecameLeader
		default:
			return KindNone, 0, ""
		}
		ev.Term = c.uint()
		return done(c, kind, self, "bad term")
	case 'i':
		switch {
		case c.peek("is starting a new election at term "):
			ev.Term = c.uint()
			return done(c, ElectionStart, self, "bad term")
		case c.peek("is unpromotable"):
			return CannotCampaign, self, ""
		}
	case 's':
		switch {
		case c.peek("stepped down to follower since quorum is not active"):
			return CheckQuorumStepDown, self, ""
		case c.peek("sent MsgTimeoutNow to "), c.peek("sends MsgTimeoutNow to "):
			ev.Peer = c.hex()
			return done(c, TimeoutNowSent, self, "bad peer")
		case c.peek("switched to configuration "):
			return KindNone, self, ""
		}
	case '[':
		switch {
		case c.peek("[logterm: "):
			return parseLogtermLine(c, ev, self)
		case c.peek("[term: "):
			return parseTermColonLine(c, ev, self)
		case c.peek("[term "):
			return parseTermSpaceLine(c, ev, self)
		case c.peek("[quorum:"), c.peek("[q:"):
			c.uint()
			c.lit("] has received ")
			return parseTally(c, ev, self)
		}
	case 'r':
		if c.peek("received ") {
			return parseReceived(c, ev, self)
		}
	case 'h':
		if c.peek("has received ") {
			return parseTally(c, ev, self)
		}
	case 'n':
		if c.peek("no leader at term ") {
			ev.Term = c.uint()
			return done(c, NoLeaderDrop, self, "bad term")
		}
	case 'f':
		if c.peek("forgetting leader ") {
			ev.Peer = c.hex()
			c.lit(" at term ")
			ev.Term = c.uint()
			return done(c, ForgetLeader, self, "bad forgetting leader line")
		}
	case 'c':
		if c.peek("cannot campaign at term ") {
			ev.Term = c.uint()
			return done(c, CannotCampaign, self, "bad term")
		}
	case 'A', '(':
		if c.peek("A tick missed to fire") || c.peek("(leader ") {
			return TickMissed, self, ""
		}
	}
	return KindNone, 0, ""
}

func done(c cursor, k Kind, self ID, why string) (Kind, ID, string) {
	if !c.ok {
		return KindNone, 0, "unexpected " + k.String() + " line: " + why
	}
	return k, self, ""
}

// parseRaftNode reads "raft.node: X elected leader Y at term N" and the
// changed / lost forms.
func parseRaftNode(c cursor, ev *Event) (Kind, ID, string) {
	self := c.hex()
	c.lit(" ")
	var kind Kind
	switch {
	case c.peek("elected leader "):
		kind = LeaderElected
		ev.Peer = c.hex()
	case c.peek("changed leader from "):
		kind = LeaderChanged
		ev.Peer2 = c.hex()
		c.lit(" to ")
		ev.Peer = c.hex()
	case c.peek("lost leader "):
		kind = LeaderLost
		ev.Peer = c.hex()
	default:
		if !c.ok {
			return KindNone, 0, "unexpected raft.node line"
		}
		return KindNone, self, ""
	}
	c.lit(" at term ")
	ev.Term = c.uint()
	return done(c, kind, self, "bad raft.node line")
}

// parseLogtermLine reads the "[logterm: L, index: I] sent ..." and
// "[logterm: L, index: I, vote: V] cast|rejected|ignored|voted ..." wordings.
func parseLogtermLine(c cursor, ev *Event, self ID) (Kind, ID, string) {
	ev.LogTerm = c.uint()
	c.lit(", index: ")
	ev.Index = c.uint()
	if !c.ok {
		return KindNone, 0, "bad [logterm, index] prefix"
	}
	if c.peek("] sent ") {
		// "sent MsgVote request to P at term N" (3.1+) or "sent vote request to" (<=3.0)
		if c.peek("vote request to ") {
			ev.Msg = MsgVote
		} else {
			ev.Msg = c.msgType()
			c.lit(" request to ")
		}
		ev.Peer = c.hex()
		c.lit(" at term ")
		ev.Term = c.uint()
		return done(c, VoteRequest, self, "bad vote request")
	}
	if !c.lit(", vote: ") {
		return KindNone, 0, "bad [logterm, index, vote] prefix"
	}
	c.hex() // the member's current vote (0 = none)
	c.lit("] ")
	var kind Kind
	switch {
	case c.peek("cast "):
		kind = VoteCast
		ev.Msg = c.msgType()
		c.lit(" for ")
	case c.peek("voted for "): // <=3.0
		kind, ev.Msg = VoteCast, MsgVote
	case c.peek("rejected vote from "): // <=3.0
		kind, ev.Msg = VoteRefused, MsgVote
	case c.peek("rejected "):
		kind = VoteRefused
		ev.Msg = c.msgType()
		c.lit(" from ")
	case c.peek("ignored vote from "): // 3.0
		kind, ev.Msg = VoteIgnoredLease, MsgVote
	case c.peek("ignored "):
		kind = VoteIgnoredLease
		ev.Msg = c.msgType()
		c.lit(" from ")
	default:
		return KindNone, 0, "unexpected vote line"
	}
	ev.Peer = c.hex()
	c.lit(" [logterm: ")
	ev.PeerLogTerm = c.uint()
	c.lit(", index: ")
	ev.PeerIndex = c.uint()
	c.lit("] at term ")
	ev.Term = c.uint()
	if !c.ok {
		return KindNone, 0, "unexpected " + kind.String() + " line"
	}
	if kind == VoteIgnoredLease && !bytes.HasPrefix(c.b, []byte(": lease is not expired")) {
		// "learner can not vote" (3.3) and other refusals
		kind = VoteRefused
	}
	return kind, self, ""
}

// parseTermColonLine reads "[term: T] received a M message with higher term
// from P [term: PT]", the lower-term form and 3.6's "ignored entry appends".
func parseTermColonLine(c cursor, ev *Event, self ID) (Kind, ID, string) {
	ev.Term = c.uint()
	c.lit("] ")
	var kind Kind
	switch {
	case c.peek("received a "):
		kind = HigherTermMessage
		ev.Msg = c.msgType()
		c.lit(" message with higher term from ")
		ev.Peer = c.hex()
	case c.peek("ignored a "):
		kind = LowerTermMessage
		ev.Msg = c.msgType()
		c.lit(" message with lower term from ")
		ev.Peer = c.hex()
	case c.peek("ignored entry appends from a "):
		kind = LowerTermMessage
		ev.Msg = c.msgType()
		c.lit(" message with lower term")
	default:
		return KindNone, 0, "unexpected [term: N] line"
	}
	c.lit(" [term: ")
	ev.PeerTerm = c.uint()
	return done(c, kind, self, "bad term")
}

// parseTermSpaceLine reads the "[term T] ..." transfer wordings.
func parseTermSpaceLine(c cursor, ev *Event, self ID) (Kind, ID, string) {
	ev.Term = c.uint()
	if !c.ok {
		// "[term 5 state StateLeader] ignored MsgTimeoutNow" is debug only
		return KindNone, 0, ""
	}
	if !c.peek("] ") {
		return KindNone, self, ""
	}
	switch {
	case c.peek("received MsgTimeoutNow from "):
		ev.Peer = c.hex()
		ev.Msg = MsgTimeoutNow
		return done(c, TimeoutNowReceived, self, "bad peer")
	case c.peek("starts to transfer leadership to "):
		ev.Peer = c.hex()
		return done(c, TransferStart, self, "bad peer")
	case c.peek("abort previous transferring leadership to "):
		ev.Peer = c.hex()
		return done(c, TransferAbort, self, "bad peer")
	}
	return KindNone, self, ""
}

// parseReceived reads "received M from P at term N", "received M rejection
// from P at term N", the <=3.0 "received vote [rejection] from" and
// "received MsgTimeoutNow from P but is not promotable".
func parseReceived(c cursor, ev *Event, self ID) (Kind, ID, string) {
	kind := VoteGranted
	switch {
	case c.peek("vote rejection from "):
		kind, ev.Msg = VoteRejected, MsgVoteResp
	case c.peek("vote from "):
		ev.Msg = MsgVoteResp
	default:
		ev.Msg = c.msgType()
		if ev.Msg == MsgTimeoutNow {
			c.lit(" from ")
			ev.Peer = c.hex()
			if c.ok && bytes.Contains(c.b, []byte("not promotable")) {
				return CannotCampaign, self, ""
			}
			return KindNone, 0, ""
		}
		if ev.Msg != MsgVoteResp && ev.Msg != MsgPreVoteResp {
			return KindNone, 0, ""
		}
		if c.peek(" rejection from ") {
			kind = VoteRejected
		} else {
			c.lit(" from ")
		}
	}
	ev.Peer = c.hex()
	c.lit(" at term ")
	ev.Term = c.uint()
	return done(c, kind, self, "bad vote response")
}

// parseTally reads "G M votes and R vote rejections" (3.4+) or the older
// "G votes and R vote rejections".
func parseTally(c cursor, ev *Event, self ID) (Kind, ID, string) {
	ev.Granted = int(c.uint())
	c.lit(" ")
	if !c.peek("votes and ") {
		ev.Msg = c.msgType()
		c.lit(" votes and ")
	} else {
		ev.Msg = MsgVoteResp
	}
	ev.Rejected = int(c.uint())
	return done(c, VoteTally, self, "bad vote tally")
}
