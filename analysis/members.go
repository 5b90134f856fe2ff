package analysis

import (
	"slices"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// member is one etcd member: the state its own lines describe, and what the
// detectors keep about it.
type member struct {
	ix       int32
	id       parser.ID
	name     string
	nameRank nameRank // where the name comes from
	claims   []string // names its own lines gave it (envelope, identity)
	peerName string   // the host of its peer URL, as its peers name it

	hasLogs             bool // the member logged at least one line
	firstSeen, lastSeen time.Time
	startedAt           time.Time   // last (re)start
	startLine           time.Time   // last start line (ServerStart, NewRaft)
	up                  bool        // running, as far as its lines tell
	stoppedAt           time.Time   // last shutdown
	stops               []time.Time // its shutdown lines (bounded)
	downs               []span      // known down intervals (shutdown or kill to restart)
	idx                 memberIndex // downs, stops and reach by time (memberindex.go), while indexed
	indexed             bool

	term, maxTerm uint64
	prevTerm      uint64    // its term before the last line that raised it
	reqLogTerm    uint64    // the log term of its latest vote request
	maxReqLogTerm uint64    // the highest log term of its vote requests
	state         State     // raft role from its own lines
	lead          parser.ID // the leader it follows, 0 for none
	leadTerm      uint64
	leadSince     time.Time   // when it last took a leader (a new one, or after none)
	noLeadSince   time.Time   // when it last lost its leader; zero while it has one
	lastLed       *leadership // its latest leadership
	leaderSeen    time.Time   // its last line while leader
	resumes       []span      // silences it broke while still leader (no restart)
	kills         []span      // downs inferred from a start line after silence (see restarted)
	pendReason    endReason   // why the leadership is about to end (step-down, higher term)
	pendBy        parser.ID

	marks        marks        // when its leadership changed, it campaigned, stopped or restarted (see fold.go)
	unreachSince time.Time    // first report of it unreachable after its last line
	unrSpans     []unrSpan    // when peers reported it unreachable (bounded; see noteUnreach)
	reach        []reachPoint // streams established with peers (bounded)

	peers            []parser.ID // the members it sends vote requests to
	preVote          int8        // from its start line: 1 on, -1 off
	sawPre, sawPlain bool        // pre-candidate seen; timeout-driven candidate without pre-vote seen
	adopted          bool        // it took a higher term from another member's message
	lostAt           time.Time   // its last "lost leader" line
	lostID           parser.ID   // the leader it lost then
	lostTerm         uint64      // at that term
	askedAt          time.Time   // when a peer last logged its vote request
	heardAt          time.Time   // when a peer last logged a raft message from it (see heardFrom)
	askedTerm        uint64      // the term it asked for
	tallyWon         tallyWin    // its latest tally that reached a quorum (tally.go)
	electionEv       evLine      // its latest campaign start, loss of a leader, or vote request a peer logged
	leaseBy          parser.ID   // the last candidate whose vote it ignored for its leader's lease
	leaseAt          time.Time
	leaseBehind      bool // that candidate's log was behind m's
	// As a candidate: how often, from when to when, peers ignored its votes
	// for their leader's lease.
	leaseIgnored          int
	leaseFirst, leaseLast time.Time
	outEv                 evLine  // the latest line that shows it out (unreachable, or its vote ignored)
	susp                  suspect // a higher-term vote request that may depose its leader (rejoin.go)
	version               string
	campaigns, timesLd    int

	camp   campaign
	streak *streak
	infl   inflation
	slowEp *episode
	waitEp *episode
	unrEp  *episode

	series series
}

// span is an interval of time.
type span struct{ from, to time.Time }

func newMember(ix int32, id parser.ID) *member {
	return &member{ix: ix, id: id}
}

// label is how texts name the member: its name, or its ID.
func (m *member) label() string {
	if m.name != "" {
		return m.name
	}
	return m.id.String()
}

// bit is the member's bit in member bitmasks (members past 64 are not tracked
// in them; clusters that large do not exist in practice).
func bit(ix int32) uint64 {
	if ix < 0 || ix >= 64 {
		return 0
	}
	return 1 << uint(ix)
}

// nameRank orders the sources of a member's name: its own identity line
// beats the envelope of its lines, which beats the host of its peer URL.
type nameRank uint8

const (
	nameNone nameRank = iota
	namePeerURL
	nameEnvelope
	nameIdentity
)

func (m *member) setName(name string, r nameRank) {
	if name == "" || name == m.name && r >= nameEnvelope && r <= m.nameRank {
		return // the common case, once per event: nothing new
	}
	switch {
	case r == namePeerURL:
		if m.peerName == "" {
			m.peerName = name
		}
	case !slices.Contains(m.claims, name) && len(m.claims) < maxClaims:
		m.claims = append(m.claims, name)
	}
	if r < m.nameRank || (r == m.nameRank && m.name != "") {
		return
	}
	m.name, m.nameRank = name, r
}

// maxClaims bounds the names a member's own lines give it.
const maxClaims = 8

// settleNames drops the names that several members' own lines claim: an
// input that interleaves several members' lines with nothing naming the
// member on each (kubectl logs -l without --prefix, say) carries one
// member's name onto another's lines. Such a member keeps only the name of
// its peer URL's host, if any; and of two members left with the same name,
// the one that has it from its peer URL keeps it.
func (a *Analyzer) settleNames() {
	owners := make(map[string]int, len(a.mem))
	for _, m := range a.mem {
		for _, n := range m.claims {
			owners[n]++
		}
	}
	for _, m := range a.mem {
		if m.nameRank >= nameEnvelope && owners[m.name] > 1 {
			m.name, m.nameRank = m.peerName, namePeerURL
			if m.name == "" {
				m.nameRank = nameNone
			}
		}
	}
	byName := make(map[string]*member, len(a.mem))
	for _, m := range a.mem {
		if m.name == "" {
			continue
		}
		keep, drop := m, byName[m.name]
		if drop != nil && m.nameRank < drop.nameRank {
			keep, drop = drop, m
		}
		byName[keep.name] = keep
		if drop != nil {
			drop.name, drop.nameRank = "", nameNone
		}
	}
}

func (m *member) serverStart(ev *parser.Event) {
	if ev.PreVote != 0 {
		m.preVote = ev.PreVote
	}
	if ev.Version != "" {
		m.version = ev.Version
	}
}

// setState records a raft role change from the member's own lines.
func (m *member) setState(s State, term uint64, t time.Time, max int) {
	if term < m.term && s != StateDown {
		term = m.term // terms never go back; a stale line does not move it
	}
	if s == m.state && term == m.term {
		return
	}
	m.state = s
	m.setTerm(term)
	m.point(t, max)
}

// bumpTerm raises the member's term from a line that states it.
func (m *member) bumpTerm(term uint64, t time.Time, max int) {
	if term <= m.term {
		return
	}
	m.setTerm(term)
	m.point(t, max)
}

func (m *member) setTerm(term uint64) {
	if term != m.term {
		m.prevTerm = m.term
	}
	m.term = term
	if term > m.maxTerm {
		m.maxTerm = term
	}
}

// point appends the member's current term and shown state to its series.
func (m *member) point(t time.Time, max int) {
	s := m.state
	if !m.up && m.hasLogs {
		s = StateDown
	}
	m.series.add(Point{Time: t, Term: m.term, State: s}, max)
}

func (m *member) noteResume(from, to time.Time) {
	const maxResumes = 64
	if len(m.resumes) == maxResumes {
		copy(m.resumes, m.resumes[1:])
		m.resumes = m.resumes[:maxResumes-1]
	}
	m.resumes = append(m.resumes, span{from, to})
}

func (m *member) addDown(from, to time.Time) {
	const maxDowns = 256
	if len(m.downs) < maxDowns {
		m.downs = append(m.downs, span{from, to})
		m.indexed = false
	}
}

// endDown ends the member's open down interval, if its latest is, at t.
func (m *member) endDown(t time.Time) {
	if n := len(m.downs); n > 0 && m.downs[n-1].to.IsZero() {
		m.downs[n-1].to = t
		m.indexed = false
	}
}

// stoppingAt reports whether the member had begun a shutdown (a shutdown
// line) by t and not started again since.
func (m *member) stoppingAt(t time.Time) bool {
	if m.indexed {
		return m.idx.stopDowns.holds(t)
	}
	for _, d := range m.downs {
		if !t.Before(d.from) && (d.to.IsZero() || t.Before(d.to)) && !m.stoppedNear(d.from, 0, 0).IsZero() {
			return true
		}
	}
	return false
}

// downAt reports whether the member is known to have been down at t.
func (m *member) downAt(t time.Time) bool {
	if m.indexed {
		return m.idx.downs.holds(t)
	}
	for _, d := range m.downs {
		if !t.Before(d.from) && (d.to.IsZero() || t.Before(d.to)) {
			return true
		}
	}
	return false
}

func (m *member) reachable(time.Time) { m.unreachSince = time.Time{} }

// reachPoint is a stream established between a member and peer at t.
type reachPoint struct {
	t    time.Time
	peer int32
}

// noteReach records a stream established with peer at t; the lines of one
// (re)connection count once.
func (m *member) noteReach(t time.Time, peer int32) {
	const maxReach = 256
	m.noteBack(t)
	if n := len(m.reach); n > 0 {
		last := &m.reach[n-1]
		if last.peer == peer {
			if d := t.Sub(last.t); d < time.Second && d > -time.Second {
				return
			}
		}
		m.indexed = false
		if n == maxReach {
			*last = reachPoint{t, peer} // keep the latest
			return
		}
	}
	m.reach = append(m.reach, reachPoint{t, peer})
	m.indexed = false
}

func (m *member) addPeer(id parser.ID) {
	for _, p := range m.peers {
		if p == id {
			return
		}
	}
	if len(m.peers) < 64 {
		m.peers = append(m.peers, id)
	}
}
