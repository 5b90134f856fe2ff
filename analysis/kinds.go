package analysis

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
	// Healthy is the verdict when nothing worse than info was found.
	Healthy = "healthy"
	// NoData is the verdict when the inputs hold no etcd line that makes an
	// event: nothing was analyzed.
	NoData = "no-data"
)

// kindRank orders finding kinds of one severity for the verdict: the one
// that explains the most comes first.
var kindRank = map[string]int{
	QuorumLoss:          0,
	LeaderFlapping:      1,
	CheckQuorumStepDown: 2,
	DisruptiveRejoin:    3,
	LeaderChange:        4,
	CandidacyLoop:       5,
	PreVoteLoop:         6,
	TermInflation:       7,
	SplitVote:           8,
	SlowLeader:          9,
	ClockDrift:          10,
	PeerUnreachable:     11,
	LeadershipTransfer:  12,
	Shutdown:            13,
	Recovery:            14,
}

// principal picks the finding the verdict is about, by its index (-1: none).
func principal(fs []Finding) int {
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
		if r, br := kindRank[f.Kind], kindRank[best.Kind]; r != br {
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
