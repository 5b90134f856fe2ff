package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/parser"
)

// Schema names the JSON document a Result marshals to.
const Schema = "etcdpm.analysis/v1"

// Result is everything an analysis found. Its JSON form is the
// etcdpm.analysis/v1 document (docs/analysis-schema.md); the fields tagged
// json:"-" feed the reports only.
type Result struct {
	Schema  string   `json:"schema"`
	Inputs  []Input  `json:"inputs"`
	Members []Member `json:"members"`
	// Leaders and Leaderless are complete up to maxSpans entries each;
	// beyond that they keep the first and the last ones (and, for
	// Leaderless, the longest), and LeadersOmitted and LeaderlessOmitted
	// count what was left out.
	Leaders           []Leadership `json:"leaders"`
	LeadersOmitted    int          `json:"leaders_omitted,omitempty"`
	Leaderless        []Window     `json:"leaderless"`
	LeaderlessOmitted int          `json:"leaderless_omitted,omitempty"`
	Findings          []Finding    `json:"findings"`
	// Gaps are the stretches of 30 s or more in which no input has a line
	// ("no data from T1 to T2"): no leaderless window, stall or kill spans one.
	Gaps []Window `json:"gaps,omitempty"`
	// Horizon, when set, is where the analysis stopped, short of the logs'
	// end: a record it keeps a bounded number of filled (see horizon.go).
	// Everything else in the Result is about the logs up to it.
	Horizon   *Horizon  `json:"horizon,omitempty"`
	Diagnosis Diagnosis `json:"diagnosis"`

	// Start and End bound the time the inputs cover.
	Start time.Time `json:"-"`
	End   time.Time `json:"-"`
	// Series holds each member's term and state change points, in time order,
	// downsampled to a bounded number of points (change points kept).
	Series []Series `json:"-"`
	// Timeline holds notable events (state changes, elections, step-downs,
	// transfers, server hints), bounded; TimelineOmitted counts the rest.
	Timeline        []TimelineEvent `json:"-"`
	TimelineOmitted int             `json:"-"`
	// Faults are a capture's injected faults (from its Docker events), and
	// Status its polled status, per member: inputs of Analyze, as given.
	Faults []Fault        `json:"faults,omitempty"`
	Status []StatusSeries `json:"status,omitempty"`
	// Metrics are a capture's scraped metrics per member, as the report
	// draws them: a point per scrape interval, at most 2000 per member.
	Metrics []MemberMetrics `json:"metrics,omitempty"`
	// Recovery says which member to rebuild the cluster from, when the
	// quorum is still lost at the end of the logs or the members' data
	// diverged (trust.go); nil otherwise.
	Recovery *RecoveryPlan `json:"recovery,omitempty"`
}

// Input describes one input and what reading it gave.
type Input struct {
	Name      string `json:"name"`
	Layout    string `json:"layout"`
	Lines     int64  `json:"lines"`
	Events    int64  `json:"events"`
	Skipped   int64  `json:"skipped"`
	Malformed int64  `json:"malformed"`
	// Misplaced counts the events placed later than their time says: more
	// than a second before their member's event before them (the analysis
	// keeps a member's times from going back). Zero for a log in order.
	Misplaced int64 `json:"misplaced,omitempty"`
	// YearFrom says where the year of year-less stamps (journald short, etcd
	// 2.x) came from: "stamp in the input", "capture meta", "file mtime",
	// "current year"; empty when the input has none.
	YearFrom string `json:"year_from,omitempty"`
	// Errors holds the first few malformed lines as "file:line: why".
	Errors []string `json:"errors,omitempty"`
}

// Member is one etcd member seen in the logs.
//
// Campaigns counts the elections the member started: those its lines show
// ("is starting a new election", pre-candidate or candidate, a MsgTimeoutNow
// received), won or not, plus, without pre-vote, those its term implies: a
// term that rose between two of its campaigns with no line to say why
// (lines elided with "[...]", or lost) spent one campaign per term. The
// candidacy-loop and quorum-loss findings count failed campaigns the same
// way, so a member's Campaigns is at least the Count of its loops.
type Member struct {
	ID          parser.ID `json:"id"`
	Name        string    `json:"name"`
	MaxTerm     uint64    `json:"max_term"`
	Campaigns   int       `json:"campaigns"`
	TimesLeader int       `json:"times_leader"`
}

// Leadership is one member leading one term.
type Leadership struct {
	Member parser.ID `json:"member"`
	Term   uint64    `json:"term"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
}

// Window is a span of time with no leader.
type Window struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Seconds float64   `json:"seconds"`
}

// Severity ranks findings.
type Severity string

const (
	Critical Severity = "critical"
	Warning  Severity = "warning"
	Info     Severity = "info"
)

// Rank orders severities: critical first.
func (s Severity) Rank() int {
	switch s {
	case Critical:
		return 0
	case Warning:
		return 1
	default:
		return 2
	}
}

// Finding is one thing the analysis concluded, with the lines that prove it.
// A finding may stand for several episodes of the same thing (merged
// repeats, see merge.go): Count is then the number of episodes, Start and
// End the first one's start and the last one's end, and the Summary says how
// many there were over how long and which was the worst.
type Finding struct {
	Kind     string      `json:"kind"`
	Severity Severity    `json:"severity"`
	Members  []parser.ID `json:"members"`
	Start    time.Time   `json:"start"`
	End      time.Time   `json:"end"`
	Count    int         `json:"count"`
	TermFrom uint64      `json:"term_from"`
	TermTo   uint64      `json:"term_to"`
	Summary  string      `json:"summary"`
	Evidence []Evidence  `json:"evidence"`

	// lines are its log lines as evidence, not rendered yet: Finish renders
	// them (before what Evidence holds) once the findings are merged.
	lines  []evRef
	weight float64 // how bad this one episode was, when the rest cannot say (see weightOf)
	merged *merged // the episodes a merged finding stands for; nil for one episode
	detail detail  // what its detector knew of this one episode (see kinds.go)
}

// Evidence is one log line that supports a finding.
type Evidence struct {
	Input string `json:"input"`
	Line  int64  `json:"line"`
	// Member is who wrote the line, as the analysis decided (the line's own
	// ID, or the member its input or stream belongs to); zero when unknown.
	Member parser.ID `json:"member,omitempty"`
	Text   string    `json:"text"`
}

// Diagnosis is the verdict: the principal finding, explained.
type Diagnosis struct {
	Verdict     string   `json:"verdict"`
	Headline    string   `json:"headline"`
	Explanation string   `json:"explanation"`
	Remedies    []string `json:"remedies"`
}

// State is a member's raft role at a point in time, for the swimlane.
type State uint8

const (
	StateUnknown State = iota
	StateFollower
	StatePreCandidate
	StateCandidate
	StateLeader
	StateDown // stopped, or silent in the logs
)

var stateNames = [...]string{"unknown", "follower", "pre-candidate", "candidate", "leader", "down"}

func (s State) String() string { return stateNames[s] }

// Series is one member's term and state over time.
type Series struct {
	Member parser.ID
	Name   string
	Points []Point
	// Omitted counts the points dropped by downsampling.
	Omitted int
}

// Point is a change point of a member's term or state.
type Point struct {
	Time  time.Time
	Term  uint64
	State State
}

// TimelineEvent is a notable event for the report's timeline.
type TimelineEvent struct {
	Time   time.Time
	Member parser.ID
	Kind   parser.Kind
	Term   uint64
	Input  string
	Line   int64
	Text   string
}

// Fault, StatusSeries and StatusPoint are a capture directory's faults and
// polled status, inputs of Analyze beside the logs.
type (
	Fault        = capdir.Fault
	StatusSeries = capdir.StatusSeries
	StatusPoint  = capdir.StatusPoint
)
