package parser

import (
	"bytes"
)

// serverHint is what a server (etcdserver, rafthttp, wal, embed) line says.
type serverHint struct {
	kind     Kind
	peer     ID
	peer2    ID
	self     ID     // the logging member's ID when the line states it
	peerURL  []byte // the peer's URL, whose host may name it
	name     []byte // the logging member's name when the line states it
	version  []byte
	preVote  int8
	duration []byte // a Go duration string to parse
	failed   bool   // the request ended in an error
	bad      string // why the line, of a known wording, is malformed
}

// parseServerText reads the capnslog wordings (etcd 3.3 and 3.4's default
// logger) of the server messages in reference §2.1.
func parseServerText(msg []byte, h *serverHint) {
	if slowRequestText(msg, h) {
		return
	}
	c := newCursor(msg)
	switch {
	case c.peek("failed to send out heartbeat on time (exceeded the "):
		c.until(" timeout for ")
		d := c.b
		if i := bytes.IndexAny(d, ",)"); i >= 0 {
			d = d[:i]
		}
		h.kind, h.duration = HeartbeatLate, d
		if j := bytes.Index(c.b, []byte(", to ")); j >= 0 {
			pc := newCursor(c.b[j+5:])
			h.peer = pc.hex()
		}
	case c.peek("sync duration of "):
		h.kind, h.duration = SlowFdatasync, c.word()
		if d := h.duration; len(d) > 0 && d[len(d)-1] == ',' {
			h.duration = d[:len(d)-1]
		}
	case c.peek("apply entries took too long ["):
		h.kind, h.duration = SlowApply, c.word()
	case c.peek("lost the TCP streaming connection with peer "):
		h.kind, h.peer = StreamLost, c.hex()
	case c.peek("established a TCP streaming connection with peer "):
		h.kind, h.peer = StreamEstablished, c.hex()
	case c.peek("peer "), c.peek("the connection with "): // the second: 2.2 to 3.0
		h.peer = c.hex()
		switch {
		case c.peek(" became inactive"):
			h.kind = PeerInactive
		case c.peek(" became active"):
			h.kind = PeerActive
		default:
			h.peer = 0
		}
	case c.peek("health check for peer "):
		h.kind, h.peer = ProberUnhealthy, c.hex()
	case c.peek("the clock difference against peer "):
		h.kind, h.peer = ClockDrift, c.hex()
		c.lit(" is too high [")
		h.duration = c.word()
	case c.peek("failed to reach the peerURL("):
		h.peerURL = c.until(") of member ")
		h.kind, h.peer = PeerURLUnreachable, c.hex()
	case c.peek("added member "):
		// etcdserver/membership: "added member X [http://etcd2:2380] to cluster C"
		h.kind, h.peer = MemberIdentity, c.hex()
		c.lit(" [")
		h.peerURL = c.until("]")
		if i := bytes.IndexByte(h.peerURL, ' '); i >= 0 {
			h.peerURL = h.peerURL[:i]
		}
	case c.peek("/health error; no leader"):
		h.kind = NoLeader
	case c.peek("etcd Version: "):
		h.kind, h.version = ServerStart, trimSpace(c.b)
	case c.peek("name = "):
		h.kind, h.name = MemberIdentity, trimSpace(c.b)
	case c.peek("starting member "), c.peek("restarting member "):
		h.kind, h.self = MemberIdentity, c.hex()
	case c.peek("published {Name:"):
		h.kind, h.name = MemberIdentity, c.word()
	case c.peek("received "):
		// "received terminated signal, shutting down..." (pkg/osutil)
		if bytes.Contains(c.b, []byte(" signal, shutting down")) {
			h.kind = Shutdown
		}
	default:
		// "<self> starts leadership transfer from A to B",
		// "<self> finished leadership transfer from A to B (took D)",
		// "<self> failed to transfer leadership (err)"
		self := c.hex()
		if !c.ok {
			return
		}
		switch {
		case c.peek(" starts leadership transfer from "):
			h.kind, h.self = TransferStarting, self
			h.peer2 = c.hex()
			c.lit(" to ")
			h.peer = c.hex()
		case c.peek(" finished leadership transfer from "):
			h.kind, h.self = TransferFinished, self
			h.peer2 = c.hex()
			c.lit(" to ")
			h.peer = c.hex()
			c.lit(" (took ")
			if d := c.word(); len(d) > 0 && d[len(d)-1] == ')' {
				h.duration = d[:len(d)-1]
			}
		case c.peek(" failed to transfer leadership"):
			h.kind, h.self = TransferFailed, self
		}
	}
}

// parseLinkFailure reads rafthttp's "failed to <action> <peer> on <what>
// (<why>)": "failed to dial X on stream Message (...)", "failed to write X
// on pipeline (...)". From etcd 2.2 on, the first failure of a link is
// followed by "the connection with X became inactive" (later "peer X became
// inactive"), which is the event; a failure with a new reason is logged alone. It
// is read from etcd 2.0 and 2.1's Go log lines and from bare messages (etcd
// 2.2 to 3.0 under journald): a stream's failure is a lost stream, a
// pipeline's an inactive peer. (3.x's capnslog lines keep theirs paired.)
func parseLinkFailure(msg []byte, h *serverHint) {
	c := newCursor(msg)
	if !c.peek("failed to ") {
		return
	}
	c.word() // dial, read, write, post, heartbeat
	c.lit(" ")
	peer := c.hex()
	switch {
	case !c.lit(" on "):
	case c.peek("stream "):
		h.kind, h.peer = StreamLost, peer
	case c.peek("pipeline"):
		h.kind, h.peer = PeerInactive, peer
	}
}

// slowRequestText reads capnslog's slow request line, the one server line of
// normal traffic, from its end: "%srequest %q with result %q took too long
// (%v) to execute". The request can be long; it is never scanned.
func slowRequestText(msg []byte, h *serverHint) bool {
	const tail, took = ") to execute", " took too long "
	if !bytes.HasSuffix(msg, []byte(tail)) {
		return false
	}
	end := len(msg) - len(tail)
	open := bytes.LastIndexByte(msg[:end], '(')
	if open < 0 || !bytes.HasSuffix(msg[:open], []byte(took)) {
		return false
	}
	h.kind, h.duration = SlowApply, msg[open+1:end]
	// the result is the last quoted string before " took too long"
	head := msg[:open-len(took)]
	if len(head) > 1 && head[len(head)-1] == '"' {
		for q := len(head) - 2; q >= 0; q-- {
			q = bytes.LastIndexByte(head[:q+1], '"')
			if q < 0 {
				break
			}
			n := 0
			for b := q - 1; b >= 0 && head[b] == '\\'; b-- {
				n++
			}
			if n%2 == 0 { // an unescaped quote: the result's opening one
				h.failed = bytes.HasPrefix(head[q+1:], []byte("error:"))
				break
			}
		}
	}
	return true
}

// zapMsg maps zap messages (etcd 3.4 --logger=zap to 3.7) to event kinds.
func zapKind(msg []byte) Kind {
	switch string(msg) {
	case "leader failed to send out heartbeat on time; took too long, leader is overloaded likely from slow disk":
		return HeartbeatLate
	case "slow fdatasync":
		return SlowFdatasync
	case "apply request took too long":
		return SlowApply
	case "lost TCP streaming connection with remote peer":
		return StreamLost
	case "established TCP streaming connection with remote peer":
		return StreamEstablished
	case "peer became inactive (message send to peer failed)":
		return PeerInactive
	case "peer became active":
		return PeerActive
	case "prober detected unhealthy status":
		return ProberUnhealthy
	case "prober found high clock drift":
		return ClockDrift
	case "failed to reach the peer URL":
		return PeerURLUnreachable
	case "leadership transfer starting":
		return TransferStarting
	case "leadership transfer finished":
		return TransferFinished
	case "leadership transfer failed":
		return TransferFailed
	case "serving /health false; no leader":
		return NoLeader
	case "starting an etcd server":
		return ServerStart
	case "starting local member", "restarting local member", "published local member to cluster through raft",
		"starting etcd member", "bootstrapping local member", "added member":
		return MemberIdentity
	case "received signal; shutting down", "closing etcd server":
		return Shutdown
	}
	return KindNone
}

// parseZapFields reads the fields of a zap record of kind k into h; at is
// where the fields after msg start (0: fields is an object of its own).
func parseZapFields(k Kind, fields []byte, at int, h *serverHint) {
	h.kind = k
	if k == SlowApply {
		// The one event of normal traffic: take its two fields directly.
		// "took" comes first; "error", when there is one, comes last,
		// after the long request: look for it near the end only.
		rest := fields[at:]
		h.duration, _ = stringField(rest, `"took":"`)
		if open, end, ok := lastString(rest); ok {
			// The usual case: the last member is a string, found from the
			// end without reading the request; is its key "error"?
			h.failed = end > open+1 && bytes.HasSuffix(rest[:open], []byte(`,"error":`))
			return
		}
		// The last string member's `":"` is the last one in the line (a
		// string cannot hold an unescaped quote); is its key "error"?
		if k := bytes.LastIndex(rest, []byte(`":"`)); k > 0 && bytes.HasSuffix(rest[:k], []byte(`,"error`)) {
			v, ok := stringField(rest[k-len(`,"error`):], `,"error":"`)
			h.failed = ok && len(v) > 0
		}
		return
	}
	it := newJSONIter(fields)
	if at > 0 {
		it = newJSONIterAt(fields, at)
	}
	for {
		key, v, typ, _, ok := it.next()
		if !ok {
			return
		}
		if typ == jsonBool && string(key) == "pre-vote" {
			if v[0] == 't' {
				h.preVote = 1
			} else {
				h.preVote = -1
			}
			continue
		}
		if typ == jsonArray && string(key) == "added-peer-peer-urls" {
			// ["http://etcd2:2380", ...]: the first URL
			if i := bytes.IndexByte(v, '"'); i >= 0 {
				if j := bytes.IndexByte(v[i+1:], '"'); j >= 0 {
					h.peerURL = v[i+1 : i+1+j]
				}
			}
			continue
		}
		if typ != jsonString {
			continue
		}
		switch string(key) {
		case "local-member-id":
			var ok bool
			if h.self, ok = parseHexID(v); !ok || h.self == 0 {
				h.bad = "bad local-member-id (0, or not a hex ID of up to 16 digits)"
			}
		case "to", "remote-peer-id", "peer-id", "remote-member-id", "transferee-member-id", "new-leader-member-id", "added-peer-id":
			h.peer, _ = parseHexID(v)
		case "address":
			h.peerURL = v
		case "current-leader-member-id", "old-leader-member-id":
			h.peer2, _ = parseHexID(v)
		case "exceeded-duration", "took", "clock-drift":
			h.duration = v
		case "error":
			h.failed = len(v) > 0 && k == SlowApply
		case "name":
			if k == ServerStart || k == Shutdown {
				h.name = v
			}
		case "etcd-version":
			h.version = v
		case "local-member-attributes":
			// "{Name:n1 ClientURLs:[...]}"
			if bytes.HasPrefix(v, []byte("{Name:")) {
				n := v[len("{Name:"):]
				if i := bytes.IndexByte(n, ' '); i >= 0 {
					n = n[:i]
				}
				h.name = n
			}
		}
	}
}

// hostName returns the host of a URL when it names a host ("etcd2" in
// "http://etcd2:2380/version"), and nil for IP addresses and localhost, which
// name nothing.
func hostName(url []byte) []byte {
	if i := bytes.Index(url, []byte("://")); i >= 0 {
		url = url[i+3:]
	}
	if i := bytes.IndexAny(url, ":/"); i >= 0 {
		url = url[:i]
	}
	if len(url) == 0 || len(url) > 253 || bytes.Equal(url, []byte("localhost")) || url[0] == '[' {
		return nil
	}
	letter := false
	for _, c := range url {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case isDigit(c) || c == '.' || c == '-' || c == '_':
		default:
			return nil
		}
	}
	if !letter {
		return nil
	}
	return url
}

// lastString finds the value of the last member of a JSON object's text
// when that value is a string, reading from the end: b[open] and b[end] are
// its quotes. ok is false when the object does not end with a string value.
func lastString(b []byte) (open, end int, ok bool) {
	end = len(b) - 1
	for end >= 0 && isSpace(b[end]) {
		end--
	}
	if end < 0 || b[end] != '}' {
		return 0, 0, false
	}
	for end--; end >= 0 && isSpace(b[end]); end-- {
	}
	if end < 0 || b[end] != '"' {
		return 0, 0, false
	}
	for i := end; ; {
		j := bytes.LastIndexByte(b[:i], '"')
		if j < 0 {
			return 0, 0, false
		}
		n := 0 // backslashes before the quote: an odd count escapes it
		for k := j - 1; k >= 0 && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return j, end, true
		}
		i = j
	}
}

// isSpace reports JSON whitespace.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
