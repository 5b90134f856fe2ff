package analysis

import (
	"sort"
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// facts are cluster-wide things the detectors and texts need, and at Finish
// what detectors work out for others.
type facts struct {
	n, q       int  // cluster size and quorum
	preVote    int8 // 1 on, -1 off, 0 unknown
	version    string
	start, end time.Time

	r       *Result     // the Result being built (its findings as condense gets them, for explain)
	streaks []*streak   // the streaks that may be loops (see loopStreaks)
	windows []*qlWindow // the quorum-loss windows (left by quorumLosses)
	changes []Finding   // the unplanned leader changes (left by detectLeaderChanges)
	found   []Finding   // the findings of the detectors run so far
	atStart uint64      // members whose campaigns are a cluster that never formed (left by noQuorumAtStart)
	// degraded: the members out of a cluster left on exactly a quorum, since
	// degradedSince (left by detectDegraded).
	degraded      uint64
	degradedSince time.Time
	// recovers holds the leaderships that ended a quorum-loss window (the
	// windows' after; left by quorumLosses).
	recovers map[*leadership]bool
}

// Finish ends the analysis and returns its Result. Call it once.
func (a *Analyzer) Finish() *Result {
	a.lent.settle()            // a Sink whose Release was not called after its last Add
	a.cur = adding{seq: a.seq} // not the last event: it may hold the parser's last chunk of events
	end := a.logsEnd()
	if a.hz.full { // the analysis stopped: its logs end there
		end = a.hz.at
		a.gaps = a.gapsBefore(end)
	}
	a.cutAtGaps()
	a.settleTallies()
	for _, m := range a.mem {
		a.closeOpen(m, end)
		a.endStreak(m, end, streakOpen)
		if m.slowEp != nil {
			a.closeEpisode(&a.slow, m.slowEp)
			m.slowEp = nil
		}
		if m.waitEp != nil {
			a.closeEpisode(&a.waited, m.waitEp)
			m.waitEp = nil
		}
		if m.unrEp != nil {
			a.closeEpisode(&a.unreach, m.unrEp)
			m.unrEp = nil
		}
	}
	a.indexMembers()
	a.groupStops()
	a.splits.finish()
	a.settleSources()
	a.settleNames()
	a.settleLeaderships(end)
	f := a.facts(end)

	r := &Result{Schema: Schema, Start: a.start, End: end, Faults: a.faults, Status: a.status, Metrics: metricsResult(a.opts.Metrics), Gaps: a.gaps}
	if s := a.opts.Start; !s.IsZero() && (r.Start.IsZero() || s.Before(r.Start)) {
		r.Start = s
	}
	if e := a.opts.End; !e.IsZero() && e.After(r.End) {
		r.End = e
	}
	r.Leaderless = a.outsideGaps(a.leaderless(end))

	f.r = r
	var g gathered
	for i := range kinds {
		d := kinds[i].detect(a, &f)
		for j := range d {
			if d[j].Members == nil {
				d[j].Members = []parser.ID{}
			}
		}
		a.gather(&f, &g, d) // most kinds merge at once (early.go)
		f.found = g.fs
	}
	r.Leaderless = a.outsideGaps(r.Leaderless) // detectors add windows too
	fs := g.order()
	demoteInflation(fs)
	// The verdict is about one episode, among all of them; the findings then
	// merge repeats (merge.go), and the verdict says when its own repeated.
	r.Findings = fs
	p, pi := g.principal(fs, r.Leaderless)
	r.Diagnosis = a.diagnose(&f, p)
	r.Recovery = a.trust(p)
	merged, into := a.condense(&f, fs)
	pos := sortFindings(merged)
	a.renderEvidence(merged)
	r.Findings = merged
	if pi >= 0 && r.Diagnosis.Verdict != Healthy {
		if m := &merged[pos[into[pi]]]; m.merged != nil {
			r.Diagnosis.Explanation += "\n\nIt was not the only one. " + m.Summary
		}
	}

	if note := a.interleavedNote(); note != "" {
		r.Diagnosis.Explanation += "\n\n" + note
	}
	if note := a.gapNote(&f); note != "" {
		r.Diagnosis.Explanation += "\n\n" + note
	}
	if note := a.horizonNote(&f); note != "" {
		r.Diagnosis.Explanation += "\n\n" + note
	}
	r.Horizon = a.horizonResult()
	a.members(r)
	r.Timeline, r.TimelineOmitted = a.timelineResult()
	for _, rec := range a.lead.list {
		r.Leaders = append(r.Leaders, Leadership{
			Member: a.mem[rec.leader].id, Term: rec.term, Start: rec.start, End: rec.until,
		})
	}
	if r.Leaders == nil {
		r.Leaders = []Leadership{}
	}
	if r.Leaderless == nil {
		r.Leaderless = []Window{}
	}
	if r.Inputs == nil {
		r.Inputs = []Input{}
	}
	boundSpans(r)
	return r
}

// facts works out the cluster's size, quorum and pre-vote setting.
func (a *Analyzer) facts(end time.Time) facts {
	f := facts{start: a.start, end: end}
	for _, m := range a.mem {
		if n := len(m.peers) + 1; n > f.n {
			f.n = n
		}
		if m.version != "" && f.version == "" {
			f.version = m.version
		}
		switch m.preVoteSetting() {
		case 1:
			f.preVote = 1
		case -1:
			if f.preVote == 0 {
				f.preVote = -1
			}
		}
	}
	if f.n <= 1 {
		f.n = len(a.mem)
	}
	f.q = f.n/2 + 1
	return f
}

// preVoteSetting is the member's pre-vote setting: stated at start, or seen
// in its elections.
func (m *member) preVoteSetting() int8 {
	switch {
	case m.preVote != 0:
		return m.preVote
	case m.sawPre:
		return 1
	case m.sawPlain:
		return -1
	}
	return 0
}

func (a *Analyzer) members(r *Result) {
	ms := append([]*member(nil), a.mem...)
	sort.Slice(ms, func(i, j int) bool { return ms[i].id < ms[j].id })
	r.Members = make([]Member, 0, len(ms))
	for _, m := range ms {
		r.Members = append(r.Members, Member{
			ID: m.id, Name: m.name, MaxTerm: m.maxTerm, Campaigns: m.campaigns, TimesLeader: m.timesLd,
		})
		ps := m.series.points
		if n := len(ps); m.hasLogs && n > 0 {
			last := ps[n-1]
			s := m.state
			if !m.up {
				s = StateDown
			}
			if last.Term != m.term || last.State != s {
				ps = append(ps, Point{Time: m.lastSeen, Term: m.term, State: s})
			}
		}
		if len(ps) > 0 || m.hasLogs {
			r.Series = append(r.Series, Series{Member: m.id, Name: m.name, Points: ps, Omitted: m.series.omitted})
		}
	}
}

// interleavedNote warns, when an input mixes several members' lines with
// nothing naming the member on each, that its lines without a member ID
// (starts, stops, slow requests) cannot be told apart.
func (a *Analyzer) interleavedNote() string {
	var names []string
	for i := range a.opts.Inputs {
		if a.interleaved[i] {
			names = append(names, a.opts.Inputs[i])
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "Note: " + strings.Join(names, ", ") + " " + isAre(len(names)) + " the lines of several members mixed, " +
		"with nothing on each line naming its member: a line without a member ID (a start, a stop, a slow request) " +
		"is taken for the member of the line before it, which may be wrong. For a sure reading, give one file per member " +
		"or logs that name the member on each line (docker compose logs, kubectl logs --prefix, journalctl)."
}
