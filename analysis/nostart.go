package analysis

import "time"

// no-quorum-at-start: the cluster never formed. No leadership shows
// anywhere, and every vote request carries log term 1 or less (only the
// bootstrap entries: any leader appends an entry at its own term, so a log
// term of 1 means no leader ever wrote to that member), while the terms ran
// on (two elections or more) or the campaigning lasted past a bootstrap.

// noQuorumAtStart reports the members that campaigned from an empty log in
// a cluster that never elected a leader; their streaks are no quorum loss
// (f.atStart, read by quorumLosses).
func (a *Analyzer) noQuorumAtStart(f *facts) []Finding {
	if len(a.lead.list) > 0 {
		return nil
	}
	var who []int32
	var asked uint64
	var first, last time.Time
	var termTo uint64
	var ev [][]evLine
	for _, m := range a.mem {
		if m.reqLogTerm > 1 || m.maxReqLogTerm > 1 {
			return nil // a leader once wrote to it
		}
	}
	for _, s := range a.streaks {
		m := a.mem[s.member]
		if m.maxReqLogTerm == 0 || s.attempts() == 0 {
			continue
		}
		until := s.lastEnd()
		if s.termTo < 2+m.maxReqLogTerm && until.Sub(s.start) <= bootstrapGrace {
			continue
		}
		if f.atStart&bit(m.ix) == 0 {
			who = append(who, m.ix)
			f.atStart |= bit(m.ix)
		}
		for _, p := range m.peers {
			asked |= bit(a.index(p))
		}
		if first.IsZero() || s.start.Before(first) {
			first = s.start
		}
		if until.After(last) {
			last = until
		}
		termTo = max(termTo, s.termTo, m.maxTerm)
		ev = append(ev, s.ev.lines())
	}
	if len(who) == 0 {
		return nil
	}
	peers := ixsOf(asked &^ f.atStart)
	sum := "No leader was ever elected: " + a.names(who) + " campaigned from " + f.at(first) + " up to term " +
		utoa(termTo) + " with nothing in " + agree(len(who), "its", "their") + " log but the bootstrap entries (log term 1)"
	if len(peers) > 0 {
		sum += ", asking " + a.names(peers) + " for votes that never made a quorum"
	}
	sum += ": the cluster never formed."
	return []Finding{{
		Kind: NoQuorumAtStart, Severity: Critical, Members: a.ids(append(who, peers...)...),
		Start: first, End: f.end, Count: len(who), TermFrom: 1, TermTo: termTo,
		Summary: sum, lines: a.evidenceOf(a.opts.MaxEvidence, ev...),
	}}
}

func (a *Analyzer) diagNoStart(f *facts, p *Finding) Diagnosis {
	return plain(p, "The cluster never formed: no leader was ever elected",
		"A new cluster elects its first leader as soon as a quorum of the members listed in --initial-cluster "+
			"have started and reach one another on the peer port. Here the campaigning member never got there, "+
			"so it kept raising its term. The usual causes: the other members never started or crashed at start; "+
			"their --initial-cluster, --initial-advertise-peer-urls or --initial-cluster-token differ (a member "+
			"of another cluster answers with a cluster ID mismatch); a firewall or DNS problem on port 2380; or a "+
			"member started with --initial-cluster-state=new on a data directory of an older cluster.",
		"Check that every member listed in --initial-cluster runs, with the same --initial-cluster and "+
			"--initial-cluster-token, and that each reaches the others' peer URLs (port 2380).",
		"If a member's data directory belongs to another cluster (its lines say cluster ID mismatch), wipe it "+
			"or add the member to the right cluster with `etcdctl member add`.")
}

func noStartNoun(w *repeats) (string, string) {
	return "No leader was ever elected among " + w.names, ""
}
