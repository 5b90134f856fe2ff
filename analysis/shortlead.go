package analysis

import (
	"slices"
	"time"
)

// Leader flapping from elections seconds apart: leaders elected one after
// another, each lasting seconds, ended by their own followers timing out
// (heartbeats not getting through). The lines may show a single leader
// change, or none: the elections are what flaps.

// termAt is an election at a term: a candidacy, a leader, or a term a vote
// request's log term implies.
type termAt struct {
	term uint64
	t    time.Time
}

// electionRing keeps the latest elections (bounded, no allocation).
type electionRing struct {
	buf  [256]termAt
	next int
	n    int
}

func (r *electionRing) add(term uint64, t time.Time) {
	if term == 0 {
		return
	}
	r.buf[r.next] = termAt{term, t}
	r.next = (r.next + 1) % len(r.buf)
	if r.n < len(r.buf) {
		r.n++
	}
}

// termsNear counts the distinct terms of the elections within w of t, and
// their range.
func (r *electionRing) termsNear(t time.Time, w time.Duration, extra []uint64) (n int, from, to uint64) {
	terms := append([]uint64(nil), extra...)
	for i := 0; i < r.n; i++ {
		e := r.buf[i]
		if d := e.t.Sub(t); d >= -w && d <= w {
			terms = append(terms, e.term)
		}
	}
	slices.Sort(terms)
	terms = slices.Compact(terms)
	if len(terms) == 0 {
		return 0, 0, 0
	}
	return len(terms), terms[0], terms[len(terms)-1]
}

// shortLead is how long a leader must have lasted, at most, for its
// followers' timeout to be a flap.
const shortLead = 5 * time.Second

// followerTimeout: m starts an election while it follows a leader at its
// own term (no higher term came first): it timed out on that leader.
func (a *Analyzer) followerTimeout(m *member, t time.Time) {
	if m.lead == 0 || m.lead == m.id || m.term != m.leadTerm {
		return
	}
	if rec := a.lead.byTerm[m.leadTerm]; rec != nil && rec.leader == a.index(m.lead) && rec.timeoutAt.IsZero() {
		rec.timeoutAt, rec.timeoutBy = t, m.ix
	}
}

// shortLeaderships reports flapping when a leader elected among three
// elections or more at distinct terms, within flapWindow, lasted less than
// shortLead before one of its own followers timed out on it. A cold start
// does not count. The changes flapping already reports are left to it.
func (a *Analyzer) shortLeaderships(f *facts, known []Finding) []Finding {
	var out []Finding
	for _, rec := range a.lead.list {
		if rec.timeoutAt.IsZero() || rec.fromBefore || rec.timeoutAt.Sub(rec.start) >= shortLead {
			continue
		}
		if rec.until.Sub(rec.timeoutAt) > time.Second {
			continue // it went on leading the others: the follower alone was cut off
		}
		if a.coldAt(rec.start) && !a.warm() {
			continue
		}
		covered := false
		for _, k := range known {
			covered = covered || !rec.start.Before(k.Start) && !rec.start.After(k.End)
		}
		if covered {
			continue
		}
		n, from, to := a.elections.termsNear(rec.start, flapWindow, []uint64{rec.term})
		if n < flapMin {
			continue
		}
		l, by := a.mem[rec.leader], a.mem[rec.timeoutBy]
		lasted := rec.timeoutAt.Sub(rec.start)
		sum := plural(n, "election", "elections") + " at terms " + utoa(from) + " to " + utoa(to) + " within " +
			dur(flapWindow) + ": " + l.label() + ", elected at term " + utoa(rec.term) + " at " + f.at(rec.start) +
			", lasted " + dur(lasted) + " before its follower " + by.label() + " timed out on it and started another " +
			"election."
		fd := Finding{
			Kind: LeaderFlapping, Severity: Warning, Members: a.ids(rec.leader, rec.timeoutBy),
			Start: rec.start, End: rec.timeoutAt, Count: n, TermFrom: from, TermTo: to,
			Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, one(rec.startEv), one(by.electionEv)),
		}
		fd.detail.short = rec
		out = append(out, fd)
	}
	return out
}

// warm reports whether a member's lines show the cluster ran before the logs
// begin (see runningBefore).
func (a *Analyzer) warm() bool {
	for _, m := range a.mem {
		if a.runningBefore(m) {
			return true
		}
	}
	return false
}

func (a *Analyzer) diagShortLead(p *Finding) Diagnosis {
	rec := p.detail.short
	return plain(p, "Leader flapping: "+plural(p.Count, "election", "elections")+" in a row, the leader "+
		a.label(rec.leader)+" lasting "+dur(rec.timeoutAt.Sub(rec.start)),
		"A follower that times out on a leader elected seconds before is not hearing its heartbeats: they are "+
			"not getting through (packet loss or latency between the members), or the leader is too slow to send "+
			"them (a slow disk or a starved CPU). Each election stalls writes for an election timeout or more.",
		remedyNetwork, remedyDisk, remedyTimeouts)
}
