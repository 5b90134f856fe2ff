package analysis

import (
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// degraded: when the logs end a leader holds, but members down, unreachable
// or unable to rejoin leave it exactly a quorum: one more failure stops the
// cluster. Not inside a whole-cluster stop, and not for a member being
// stopped (its shutdown lines say it is planned).

// detectDegraded looks at the end of the logs (before the final stop of the
// whole cluster, when there is one). It leaves f.degraded for peer-unreachable,
// whose findings about the same members it absorbs.
func (a *Analyzer) detectDegraded(f *facts) []Finding {
	at := f.end
	if n := len(a.stops.groups); n > 0 && a.stops.groups[n-1].clusterWide {
		at = a.stops.groups[n-1].start.Add(-time.Millisecond)
	}
	var leader *leadership
	for _, rec := range a.lead.list {
		if !rec.start.After(at) && !rec.until.Before(at) {
			leader = rec
		}
	}
	n := max(f.n, len(a.mem)) // every member the lines name
	var lease *member         // a follower whose lease holds in its last lines, its leader unnamed
	if leader == nil {
		for _, m := range a.mem {
			if !m.leaseAt.IsZero() && m.lastSeen.Sub(m.leaseAt) < time.Second && at.Sub(m.lastSeen) < episodeGap && m.lead == 0 &&
				(m.campaigns == 0 || m.camp.start.Before(m.leaseAt) && !a.campaigningAt(m, m.leaseAt)) {
				lease = m
			}
		}
		if lease == nil {
			return nil
		}
		n = max(n, len(a.mem)+1) // its leader, which its lines do not name
	}
	var out []int32
	var since time.Time
	for _, m := range a.mem {
		if leader != nil && m.ix == leader.leader || m == lease || m.stoppingAt(at) {
			continue
		}
		from := a.outSince(m, at)
		if from.IsZero() {
			continue
		}
		out = append(out, m.ix)
		if since.IsZero() || from.Before(since) {
			since = from
		}
	}
	q := n/2 + 1
	if len(out) == 0 || n-len(out) != q {
		return nil
	}
	for _, ix := range out {
		f.degraded |= bit(ix)
	}
	f.degradedSince = since
	var sum string
	var ev [][]evLine
	if leader != nil {
		sum = a.label(leader.leader) + " leads at term " + utoa(leader.term)
		ev = append(ev, one(leader.startEv))
	} else {
		sum = lease.label() + " still follows a leader (its lease holds)"
	}
	sum += " while " + a.names(out) + " " + agree(len(out), "is", "are") + " out since " + f.at(since) + " (" + a.outWhy(out) +
		"): the cluster runs on " + itoa(q) + " of " + itoa(n) + " members, exactly a quorum, so no failure can be " +
		"tolerated until " + agree(len(out), "it rejoins", "they rejoin") + "."
	for _, ix := range out {
		ev = append(ev, one(a.mem[ix].outEv))
	}
	members := out
	if leader != nil {
		members = append([]int32{leader.leader}, out...)
	}
	return []Finding{{
		Kind: Degraded, Severity: Warning, Members: a.ids(members...),
		Start: since, End: f.end, Count: len(out), Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, ev...),
	}}
}

// campaigningAt reports whether m's last campaign still ran at t: it had
// timed out on its leader, so a lease it still honours (a pre-candidate
// keeps its leader, etcd#10355) proves no leader holds.
func (a *Analyzer) campaigningAt(m *member, t time.Time) bool {
	if m.campaigns == 0 || m.camp.start.After(t) {
		return false
	}
	return m.leadSince.Before(m.camp.start) // it followed no leader since
}

// leaseIgnored: a follower ignored ev.Peer's vote request for its leader's
// lease.
func (a *Analyzer) leaseIgnored(ev *parser.Event, t time.Time) {
	p := a.member(ev.Peer)
	if p == nil {
		return
	}
	if p.leaseIgnored == 0 || t.Sub(p.leaseLast) > episodeGap {
		p.leaseIgnored, p.leaseFirst = 0, t
	}
	p.leaseIgnored++
	p.leaseLast = t
	if p.leaseIgnored == 1 {
		p.outEv.set(ev, t, &a.cur)
	}
}

// outSince returns since when m is out at t: shown down or unreachable in
// the last episodeGap, or campaigning while the leader's followers ignore its
// votes for their lease (twice or more, and it never followed); zero if not.
func (a *Analyzer) outSince(m *member, t time.Time) time.Time {
	if m.leaseIgnored >= 2 && m.lead == 0 && m.state != StateLeader && t.Sub(m.leaseLast) <= episodeGap {
		return m.leaseFirst
	}
	for _, sp := range m.unrSpans {
		// Its own lines after the first report: it was up again (a restart).
		if !sp.to.Before(t.Add(-episodeGap)) && !sp.from.After(t) && (!m.hasLogs || !m.lastSeen.After(sp.from)) &&
			!m.reachedAfter(sp.to) {
			return sp.from
		}
	}
	for _, d := range m.downs {
		if !t.Before(d.from) && d.to.IsZero() {
			return d.from
		}
	}
	return time.Time{}
}

// reachedAfter reports whether a peer's stream to m was established after t.
func (m *member) reachedAfter(t time.Time) bool {
	n := len(m.reach)
	return n > 0 && m.reach[n-1].t.After(t)
}

// outWhy says what keeps the members out.
func (a *Analyzer) outWhy(out []int32) string {
	for _, ix := range out {
		if a.mem[ix].leaseIgnored >= 2 {
			return "its vote requests, from a log behind, are ignored while the leader's lease holds: it cannot rejoin"
		}
	}
	return "down or unreachable"
}

// agree picks the word that agrees with a count: one, or many.
func agree(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (a *Analyzer) diagDegraded(f *facts, p *Finding) Diagnosis {
	return plain(p, "Degraded: the cluster runs on exactly a quorum, with no failure to spare",
		"The cluster still has a leader and serves requests, but a quorum needs every member that is left: "+
			"if one more fails or is cut off, no leader can be elected and writes stop.",
		"Bring the missing member back: start its process or container, or repair the network to it (peer port 2380).",
		"If it cannot catch up (its log far behind, its data lost), remove it (`etcdctl member remove`) and add it "+
			"back as a new member with an empty data directory (`etcdctl member add`, `--initial-cluster-state=existing`).")
}

func degradedNoun(w *repeats) (string, string) {
	return "The cluster ran on exactly a quorum", " (" + w.names + ")"
}
