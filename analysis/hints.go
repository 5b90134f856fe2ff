package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// episode is a run of server hints about one member (slowness, or being
// unreachable), with gaps shorter than episodeGap.
type episode struct {
	subject    int32
	start, end time.Time
	count      int
	reporters  uint64

	heartbeat, fsync, apply, tick int
	maxHeartbeat, maxFsync        time.Duration
	maxApply                      time.Duration
	failed                        int  // waited: requests that ended in an error
	leader                        bool // the subject was leader during it

	prober, url bool
	afterStop   bool // the subject had shut down when the reports began
	cutOff      bool // the subject could not reach its reporters either (see cutOffFrom)
	cutOffView  bool // its one reporter's view of being cut off: no finding of its own

	ev evidence
}

// maxEpisodes bounds the clock-drift pairs and the shutdowns kept.
const maxEpisodes = 5000

// leaderlessSince reports whether m had no leader at some time from t on,
// by its own lines: a request it served then waited for an election (a
// ReadIndex or a proposal needs a leader), not on its disk.
func (m *member) leaderlessSince(t time.Time) bool {
	switch {
	case m.state == StateCandidate || m.state == StatePreCandidate:
		return true
	case m.lead == 0:
		return !m.noLeadSince.IsZero()
	}
	return m.leadSince.After(t)
}

// waitedHint records a request that ended in an error (context canceled,
// deadline exceeded) or that took long while its member had no leader: what
// clients saw of an election or a quorum loss. It is no sign of a slow member.
func (a *Analyzer) waitedHint(m *member, ev *parser.Event, t time.Time) {
	e := a.episode(&a.waited, &m.waitEp, m.ix, t)
	if t.After(e.end) {
		e.end = t
	}
	e.count++
	e.apply++
	if ev.Failed {
		e.failed++
	}
	if ev.Duration > e.maxApply {
		e.maxApply = ev.Duration
	}
	if e.ev.total < evHead {
		e.ev.add(ev, t, &a.cur)
	}
}

// waitedDuring sums the requests that waited for a leader in [from, to].
func (a *Analyzer) waitedDuring(from, to time.Time) (n, failed int, max time.Duration, who uint64, ev []evLine) {
	for _, e := range a.waited.closed {
		if e.end.Before(from) || e.start.After(to) {
			continue
		}
		n += e.count
		failed += e.failed
		if e.maxApply > max {
			max = e.maxApply
		}
		who |= bit(e.subject)
		if ls := e.ev.lines(); len(ls) > 0 && len(ev) < 2 {
			ev = append(ev, ls[0])
		}
	}
	return n, failed, max, who, ev
}
