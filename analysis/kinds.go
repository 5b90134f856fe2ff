package analysis

import "time"

// Finding kinds.
const (
	QuorumLoss          = "quorum-loss"
	CandidacyLoop       = "candidacy-loop"
	PreVoteLoop         = "pre-vote-loop"
	TermInflation       = "term-inflation"
	DisruptiveRejoin    = "disruptive-rejoin"
	CheckQuorumStepDown = "check-quorum-step-down"
	LeadershipTransfer  = "leadership-transfer"
	LeaderChange        = "leader-change"
	LeaderFlapping      = "leader-flapping"
	SplitVote           = "split-vote"
	SlowLeader          = "slow-leader"
	PeerUnreachable     = "peer-unreachable"
	ClockDrift          = "clock-drift"
	Shutdown            = "shutdown"
	Recovery            = "recovery"
	SafetyViolation     = "safety-violation"
	ElectionUnresolved  = "election-unresolved"
	NoQuorumAtStart     = "no-quorum-at-start"
	Degraded            = "degraded"
	// Healthy is the verdict when nothing worse than info was found.
	Healthy = "healthy"
	// NoData is the verdict when the inputs hold no etcd line that makes an
	// event: nothing was analyzed.
	NoData = "no-data"
)

// A kind is everything the analysis decides per kind of finding. The table
// below lists every kind, in the order Finish runs their detectors; each
// kind's file (quorumloss.go, loops.go, ...) holds its detector's state, its
// detection and its texts. CONTRIBUTING.md says how to add one.
type kind struct {
	name string
	// rank orders the kinds of one severity for the verdict: the one that
	// explains the most comes first (0; safety-violation's -1 comes before
	// all). The ranks are consecutive.
	rank int
	// detect returns the kind's findings, once, at Finish. It may use what a
	// detector above it in the table left in facts.
	detect func(a *Analyzer, f *facts) []Finding
	// explain writes the verdict when a finding of the kind is the principal
	// one: a single episode, with its detail. Nil: its summary says it all.
	explain func(a *Analyzer, f *facts, p *Finding) Diagnosis

	// How repeats merge (merge.go): key says which members make two
	// findings the same; weigh how bad one episode was, to quote the worst;
	// noun says what happened in a merged finding's summary, head and tail
	// around "N times from ... to ... (span)"; worst names the episode it
	// quotes when one was worse than the first ("" for "The worst"), and
	// worstInfo does for info findings when that differs.
	key              memberKey
	weigh            weighBy
	noun             func(w *repeats) (head, tail string)
	worst, worstInfo string
}

var kinds = []kind{
	// noQuorumAtStart leaves f.atStart for quorumLosses.
	{name: NoQuorumAtStart, rank: 1, detect: (*Analyzer).noQuorumAtStart, explain: (*Analyzer).diagNoStart,
		noun: noStartNoun},
	// quorumLosses leaves f.windows for recovery and leader-change.
	{name: QuorumLoss, rank: 0, detect: (*Analyzer).quorumLosses, explain: (*Analyzer).diagQuorumLoss,
		noun: quorumLossNoun, worst: "The longest"},
	{name: CandidacyLoop, rank: 7, detect: (*Analyzer).candidacyLoops, explain: (*Analyzer).diagLoop,
		weigh: byCount, noun: candidacyLoopNoun},
	{name: PreVoteLoop, rank: 8, detect: (*Analyzer).preVoteLoops, explain: (*Analyzer).diagLoop,
		weigh: byCount, noun: preVoteLoopNoun},
	{name: Recovery, rank: 16, detect: (*Analyzer).detectRecoveries,
		noun: recoveryNoun, worst: "The longest"},
	{name: DisruptiveRejoin, rank: 4, detect: (*Analyzer).detectRejoins, explain: (*Analyzer).diagRejoin,
		key: keyOrdered, weigh: byTerms, noun: rejoinNoun},
	{name: CheckQuorumStepDown, rank: 3, detect: (*Analyzer).detectStepDowns, explain: (*Analyzer).diagStepDown,
		weigh: byCount, noun: stepDownNoun},
	{name: LeadershipTransfer, rank: 14, detect: (*Analyzer).detectTransfers, explain: (*Analyzer).diagTransfer,
		key: keyOrdered, noun: transferNoun, worstInfo: "The slowest"},
	// detectLeaderChanges leaves f.changes for leader-flapping.
	{name: LeaderChange, rank: 5, detect: (*Analyzer).detectLeaderChanges, explain: (*Analyzer).diagLeaderChange,
		key: keyOrdered, noun: leaderChangeNoun, worst: "The longest"},
	{name: LeaderFlapping, rank: 2, detect: (*Analyzer).detectFlapping, explain: (*Analyzer).diagFlapping,
		weigh: byCount, noun: flappingNoun},
	{name: SlowLeader, rank: 11, detect: (*Analyzer).detectSlow, explain: (*Analyzer).diagSlow,
		noun: slowNoun},
	// detectDegraded leaves f.degraded for peer-unreachable.
	{name: Degraded, rank: 6, detect: (*Analyzer).detectDegraded, explain: (*Analyzer).diagDegraded,
		noun: degradedNoun},
	{name: PeerUnreachable, rank: 13, detect: (*Analyzer).detectUnreachable, explain: (*Analyzer).diagUnreachable,
		key: keyFirst, noun: unreachableNoun, worst: "The longest"},
	{name: ClockDrift, rank: 12, detect: (*Analyzer).detectDrift, explain: (*Analyzer).diagDrift,
		key: keyOrdered, noun: driftNoun, worst: "The largest"},
	{name: TermInflation, rank: 9, detect: (*Analyzer).detectInflation, explain: (*Analyzer).diagInflation,
		weigh: byCount, noun: inflationNoun},
	{name: SplitVote, rank: 10, detect: (*Analyzer).detectSplitVotes, explain: (*Analyzer).diagSplitVote,
		weigh: byCount, noun: splitVoteNoun, worst: "The longest"},
	{name: Shutdown, rank: 15, detect: (*Analyzer).detectShutdowns,
		weigh: byCount, noun: shutdownNoun},
	// rank -1: a broken raft safety rule outranks every other finding.
	{name: SafetyViolation, rank: -1, detect: (*Analyzer).detectSafety, explain: (*Analyzer).diagSafety,
		noun: safetyNoun},
	// detectUnresolved runs last: it reads f.found.
	{name: ElectionUnresolved, rank: 17, detect: (*Analyzer).detectUnresolved, explain: (*Analyzer).diagUnresolved,
		noun: unresolvedNoun},
}

// byName finds a kind's entry in the table (filled by init: the table's
// functions reach kindOf, so it cannot be a variable initialized from it).
var byName map[string]*kind

func init() {
	byName = make(map[string]*kind, len(kinds))
	for i := range kinds {
		byName[kinds[i].name] = &kinds[i]
	}
}

// kindOf returns the entry of a kind; an unknown kind gets an empty one.
func kindOf(name string) *kind {
	if k := byName[name]; k != nil {
		return k
	}
	return &kind{name: name}
}

// memberKey says which members make findings of a kind the same for merging.
type memberKey uint8

const (
	keySet     memberKey = iota // the set of members
	keyOrdered                  // the list, in order: the order says who did what
	keyFirst                    // the first member only (peer-unreachable: the one unreachable, whoever reported it)
)

// weighBy says what measures how bad one episode of a kind was, when the
// finding's own weight does not say (see weightOf).
type weighBy uint8

const (
	byDuration weighBy = iota // its span
	byCount                   // its Count (campaigns, terms, step-downs, members)
	byTerms                   // the terms it spans
)

// repeats is what a merged finding's noun may say of its members.
type repeats struct {
	a         *Analyzer
	sev       Severity
	ixs       []int32 // its members, by index
	names     string  // them, listed
	pair      bool    // every episode was about the same two members, in this order
	sameList  bool    // every episode was about the same members, in this order
	sameFirst bool    // every episode had the same first member
}

// detail is what a detector knew of one episode beyond its Finding, for the
// explanation of its kind (and, for a leader change, its cause). At most one
// field is set; a kind whose explanation needs more adds a field here.
type detail struct {
	window   *qlWindow   // quorum-loss
	streak   *streak     // candidacy-loop, pre-vote-loop
	rejoin   *rejoin     // disruptive-rejoin
	stepDown *stepDown   // check-quorum-step-down
	change   *changeInfo // leader-change
	short    *leadership // leader-flapping from elections seconds apart: the short leadership
}

// principal picks the finding the verdict is about, by its index (-1: none):
// the most severe, then the one that caused the outage (see caused), then
// the lowest rank, then the earliest. early.go relies on this: within a kind
// and severity only the earliest can win, but for the kinds caused reads
// (disruptive-rejoin, check-quorum-step-down), which it keeps unmerged.
func principal(fs []Finding, windows []Window) int {
	bi := -1
	for i := range fs {
		f := &fs[i]
		if bi < 0 {
			bi = i
			continue
		}
		best := &fs[bi]
		if r, br := f.Severity.Rank(), best.Severity.Rank(); r != br {
			if r < br {
				bi = i
			}
			continue
		}
		if c, bc := caused(f, fs, windows), caused(best, fs, windows); c != bc {
			if c {
				bi = i
			}
			continue
		}
		if r, br := kindOf(f.Kind).rank, kindOf(best.Kind).rank; r != br {
			if r < br {
				bi = i
			}
			continue
		}
		if f.Start.Before(best.Start) {
			bi = i
		}
	}
	return bi
}

// caused reports whether f explains the outage better than the static order
// says: a disruptive rejoin whose deposition opened a leaderless window,
// next to check-quorum step-downs that opened none (the step-down was etcd
// doing as designed while the others elected a leader; the rejoin then cost
// the cluster its leader).
func caused(f *Finding, fs []Finding, windows []Window) bool {
	if f.Kind != DisruptiveRejoin || !opensWindow(f, windows) {
		return false
	}
	for i := range fs {
		if fs[i].Kind == CheckQuorumStepDown && opensWindow(&fs[i], windows) {
			return false
		}
	}
	return true
}

// opensWindow reports whether a leaderless window of minWindow or more
// begins within a second of f's start.
func opensWindow(f *Finding, windows []Window) bool {
	for _, w := range windows {
		if d := w.Start.Sub(f.Start); d >= -time.Second && d <= time.Second && w.End.Sub(w.Start) >= minWindow {
			return true
		}
	}
	return false
}
