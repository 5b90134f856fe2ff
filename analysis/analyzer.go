// Package analysis turns parser events into per-member state and term
// timelines, leadership intervals, leaderless windows, findings and a
// diagnosis. It is streaming: Add per event, Finish at the end.
package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// Options configure an Analyzer.
type Options struct {
	// Inputs names the inputs by index (Event.Input indexes it), for evidence.
	Inputs []string
	// MaxEvidence bounds the evidence lines of one finding (default 5).
	MaxEvidence int
	// MaxTimeline bounds Result.Timeline (default 2000).
	MaxTimeline int
	// MaxSeriesPoints bounds each member's series (default 5000); change
	// points of the raft state are kept, term-only points are thinned.
	MaxSeriesPoints int
	// Start and End are a capture's span, when the inputs come from one: the
	// Result's span covers it even where no line was logged.
	Start, End time.Time
	// Metrics are a capture's scraped metrics (metrics.jsonl), per member:
	// the slow-leader finding reads them, and Result.Metrics draws them.
	Metrics []MetricsSeries
}

// Analyzer builds a Result from events. It is not safe for concurrent use.
type Analyzer struct {
	opts Options

	mem     []*member
	few     []idIx // byID's entries while it has at most smallCluster (see lookup)
	byID    map[parser.ID]int32
	cacheID parser.ID
	cacheIx int32
	sources []source
	srcIx   map[srcKey]int // sources by (input, name)
	lastSrc int            // the source last found
	// heard holds when a raft message came from an ID that is no member
	// yet, for the member it may become (see heardFrom; bounded).
	heard map[parser.ID]time.Time
	// pendingBytes is the text held by lines waiting for their member
	// (see addUnattributed).
	pendingBytes int
	// interleaved holds the inputs whose lines of one source carry several
	// members' IDs (see bind).
	interleaved map[int]bool

	start, clock time.Time
	linesEnd     time.Time // the latest time of any line, events or not (see Lines)
	gaps         []Window  // stretches with no line in any input (see Lines)
	seq          int64
	cur          adding  // the event being added (see adding)
	lent         lender  // the lines that keep a text the parser lent (see Sink)
	borrowing    bool    // Add is called by Sink: its event's text is lent
	hz           horizon // where the analysis stopped, if it did (see horizon.go)
	pk           packer  // the lines kept for good, packed (see pack.go)
	misplaced    []int64 // per input: events placed later than their time (see when)

	lead      leaderBook
	lix       leadIndex // the settled leaderships in time order (leadindex.go)
	streaks   []*streak // closed streaks worth a look at Finish
	splits    splitTracker
	transfers []*transfer
	rejoins   []*rejoin
	stepDowns []*stepDown
	stops     stopBook
	slow      episodes
	waited    episodes // requests that failed or stalled for want of a leader
	unreach   episodes
	campMarks marks // when any member campaigned (see fold.go)
	elections electionRing
	stopMarks marks // when any member shut down
	drifts    []*drift
	safety    safetyBook
	tl        timeline

	faults []Fault        // a capture's faults (Analyze)
	status []StatusSeries // a capture's polled status (Analyze)
}

// New returns an Analyzer.
func New(opts Options) *Analyzer {
	if opts.MaxEvidence <= 0 {
		opts.MaxEvidence = 5
	}
	if opts.MaxTimeline <= 0 {
		opts.MaxTimeline = 2000
	}
	if opts.MaxSeriesPoints <= 0 {
		opts.MaxSeriesPoints = 5000
	}
	a := &Analyzer{
		opts:        opts,
		byID:        make(map[parser.ID]int32),
		cacheIx:     -1,
		interleaved: make(map[int]bool),
	}
	a.lead.init()
	a.tl.init(opts.MaxTimeline)
	a.slow = episodes{kind: slowHints, gap: episodeGap}
	a.waited = episodes{kind: waitedHints, gap: episodeGap}
	a.unreach = episodes{kind: unreachHints, gap: episodeGap}
	return a
}

// Sink returns a as a parser.Sink: the events' texts it keeps for a while
// only (the latest of a storm's lines) are copied once per chunk of the
// parser's, in Release, instead of once per line. Finish settles them too.
func (a *Analyzer) Sink() parser.Sink { return (*sink)(a) }

type sink Analyzer

func (s *sink) Add(ev *parser.Event) {
	a := (*Analyzer)(s)
	a.borrowing = true
	a.Add(ev)
	a.borrowing = false
}

func (s *sink) Release() { s.lent.settle() }

// episodeGap separates two episodes of the same hint about the same member.
const episodeGap = 30 * time.Second

// Add feeds one event. Events come merged across inputs in roughly time
// order; ev and ev.Text are only read during the call.
func (a *Analyzer) Add(ev *parser.Event) {
	if a.past() {
		return
	}
	a.seq++
	a.cur = adding{seq: a.seq, pk: &a.pk, top: ev}
	if a.borrowing {
		a.cur.lender = &a.lent
	}
	m := a.attribute(ev)
	if ev.PeerName != "" {
		if p := a.member(ev.Peer); p != nil {
			p.setName(ev.PeerName, namePeerURL)
		}
	}
	t := a.when(ev, m)
	if m == nil {
		a.addUnattributed(ev, t)
		return
	}
	if ev.Member == 0 {
		ev.Member = m.id // who wrote the line is decided here: the evidence carries it
	}
	prev, prevLead := m.lastSeen, m.lead
	m.lastSeen = t
	if !m.hasLogs {
		m.hasLogs = true
		m.firstSeen = t
		m.up = true
		m.startedAt = t
	} else if m.state == StateLeader && !isRestart(ev.Kind) && !prev.IsZero() && t.Sub(prev) >= resumeGap {
		m.noteResume(prev, t)
	}

	a.checkSafety(m, ev, t)
	switch ev.Kind {
	case parser.BecameFollower:
		a.becameFollower(m, ev, t)
	case parser.BecamePreCandidate:
		a.becamePreCandidate(m, ev, t)
	case parser.BecameCandidate:
		a.becameCandidate(m, ev, t)
	case parser.BecameLeader:
		a.becameLeader(m, ev, t)
	case parser.ElectionStart:
		a.electionStart(m, ev, t)
	case parser.NewRaft:
		a.restarted(m, prev, ev, t)
		m.setState(StateFollower, ev.Term, t, a.opts.MaxSeriesPoints)
	case parser.VoteRequest:
		a.voteRequest(m, ev, t)
	case parser.VoteGranted:
		a.voteResponse(m, ev, t, true)
	case parser.VoteRejected:
		a.voteResponse(m, ev, t, false)
	case parser.VoteCast, parser.VoteRefused, parser.VoteIgnoredLease:
		m.bumpTerm(ev.Term, t, a.opts.MaxSeriesPoints)
		a.respondedTo(ev.Peer, m)
		a.asked(ev.Peer, ev.Term, ev, t)
		switch ev.Kind {
		case parser.VoteRefused:
			a.suspectRefused(m, ev, t)
			a.rivalPreVote(m, ev)
		case parser.VoteIgnoredLease:
			m.leaseBy, m.leaseAt = ev.Peer, t
			m.leaseBehind = ev.PeerIndex > 0 && (ev.PeerLogTerm < ev.LogTerm || ev.PeerLogTerm == ev.LogTerm && ev.PeerIndex < ev.Index)
			a.leaseIgnored(ev, t)
			a.rivalPreVote(m, ev)
		}
	case parser.HigherTermMessage:
		a.higherTerm(m, ev, t)
	case parser.LowerTermMessage:
		m.bumpTerm(ev.Term, t, a.opts.MaxSeriesPoints)
		a.staleLeader(m, ev, t)
	case parser.VoteTally, parser.NoLeaderDrop, parser.CannotCampaign:
		m.bumpTerm(ev.Term, t, a.opts.MaxSeriesPoints)
		if ev.Kind == parser.VoteTally {
			a.tally(m, ev, t)
		}
	case parser.CheckQuorumStepDown:
		a.checkQuorumStepDown(m, ev, t)
	case parser.TimeoutNowReceived:
		a.timeoutNowReceived(m, ev, t)
	case parser.TimeoutNowSent, parser.TransferStart, parser.TransferAbort,
		parser.TransferStarting, parser.TransferFinished, parser.TransferFailed:
		a.transferEvent(m, ev, t)
	case parser.LeaderElected:
		a.leaderElected(m, ev, t)
	case parser.LeaderChanged:
		a.leaderChanged(m, ev, t)
	case parser.LeaderLost, parser.ForgetLeader:
		a.leaderLost(m, ev, t)
	case parser.TickMissed, parser.HeartbeatLate, parser.SlowFdatasync, parser.SlowApply:
		a.slowHint(m, ev, t)
	case parser.StreamLost, parser.PeerInactive, parser.ProberUnhealthy, parser.PeerURLUnreachable:
		a.unreachableHint(m, ev, t)
	case parser.StreamEstablished, parser.PeerActive:
		if p := a.member(ev.Peer); p != nil && p != m {
			p.reachable(t)
			p.noteReach(t, m.ix)
			m.noteReach(t, p.ix)
		}
	case parser.ClockDrift:
		a.clockDrift(m, ev, t)
	case parser.ServerStart:
		a.restarted(m, prev, ev, t)
		m.serverStart(ev)
	case parser.MemberIdentity:
		if ev.Name != "" {
			m.setName(ev.Name, nameIdentity)
		}
	case parser.Shutdown:
		a.shutdown(m, ev, t)
	}
	if ev.Peer != 0 && sentBy(ev.Kind) {
		a.heardFrom(m, ev.Peer, t)
	}
	if m.state == StateLeader && ev.Kind != parser.Shutdown {
		m.leaderSeen = t
	}
	if m.lead != prevLead {
		if m.lead != 0 {
			m.leadSince, m.noLeadSince = t, time.Time{}
		} else {
			m.noLeadSince = t
		}
	}
}

// resumeGap is the silence after which a leader's next line marks a resume
// (a stall, a pause, or just a quiet leader; Finish decides which).
const resumeGap = 2 * time.Second

func isRestart(k parser.Kind) bool { return k == parser.NewRaft || k == parser.ServerStart }

// when returns the event's time, made usable: a zero time takes the member's
// (or the stream's) last time, and a member's own times never go backwards
// (raft's std-logger has 1 s resolution next to capnslog's µs). An event
// moved by more than a second is counted (Input.Misplaced): never silently.
func (a *Analyzer) when(ev *parser.Event, m *member) time.Time {
	t := ev.Time
	if m != nil && !m.lastSeen.IsZero() {
		// The start is no later, and the clock no earlier, than any time
		// returned before: m's last time, or a later t, moves the clock only.
		if t.IsZero() {
			return m.lastSeen
		}
		if t.Before(m.lastSeen) {
			if m.lastSeen.Sub(t) > time.Second {
				a.misplace(ev.Input)
			}
			return m.lastSeen
		}
		if t.After(a.clock) {
			a.clock = t
		}
		return t
	}
	if t.IsZero() {
		t = a.clock
	}
	if t.IsZero() {
		return t
	}
	if a.start.IsZero() || t.Before(a.start) {
		a.start = t
	}
	if t.After(a.clock) {
		a.clock = t
	}
	return t
}

// member returns the member with id, creating it; nil for id 0.
func (a *Analyzer) member(id parser.ID) *member {
	if id == a.cacheID && id != 0 {
		return a.mem[a.cacheIx] // inlined
	}
	return a.findMember(id)
}

// findMember is member past its cache of the last member found.
func (a *Analyzer) findMember(id parser.ID) *member {
	if id == 0 {
		return nil
	}
	ix := a.lookup(id)
	if ix < 0 {
		ix = int32(len(a.mem))
		m := newMember(ix, id)
		m.heardAt = a.heard[id] // a message of it came before it was a member (see heardFrom)
		delete(a.heard, id)
		a.mem = append(a.mem, m)
		a.byID[id] = ix
		if len(a.byID) <= smallCluster {
			a.few = append(a.few, idIx{id, ix})
		}
	}
	a.cacheID, a.cacheIx = id, ix
	return a.mem[ix]
}

// smallCluster is the number of members up to which a member is found by
// scanning their IDs: a cluster's events alternate between its few members
// (a line's writer, its peer), which a map lookup each would cost more.
const smallCluster = 8

// idIx is a member's ID and index.
type idIx struct {
	id parser.ID
	ix int32
}

// lookup returns the member index of id, or -1.
func (a *Analyzer) lookup(id parser.ID) int32 {
	if len(a.byID) <= smallCluster {
		for _, x := range a.few {
			if x.id == id {
				return x.ix
			}
		}
		return -1
	}
	if ix, ok := a.byID[id]; ok {
		return ix
	}
	return -1
}

// index returns the member index of id, or -1.
func (a *Analyzer) index(id parser.ID) int32 {
	if id == 0 {
		return -1
	}
	return a.lookup(id)
}

func (a *Analyzer) misplace(input int) {
	if input < 0 || input > 1<<20 {
		return
	}
	for input >= len(a.misplaced) {
		a.misplaced = append(a.misplaced, 0)
	}
	a.misplaced[input]++
}
