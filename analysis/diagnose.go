package analysis

import (
	"strings"
)

// diagnose writes the verdict about p, the principal finding (nil: none),
// from the findings of f.r (most kinds merged already: see early.go). A merged p is
// explained by its first episode, by its kind (kinds.go), and the faults a
// capture recorded around it are told after the first paragraph.
func (a *Analyzer) diagnose(f *facts, p *Finding) Diagnosis {
	if p != nil && p.merged != nil {
		p = &p.merged.first
	}
	if p == nil || p.Severity == Info {
		return a.healthy(f)
	}
	var d Diagnosis
	if k := kindOf(p.Kind); k.explain != nil {
		d = k.explain(a, f, p)
	} else {
		d = Diagnosis{Headline: p.Summary, Explanation: p.Summary}
	}
	d.Verdict = p.Kind
	if d.Remedies == nil {
		d.Remedies = []string{}
	}
	if s := a.faultsDuring(f, p.Start, p.End); s != "" {
		first, rest, _ := strings.Cut(d.Explanation, "\n\n")
		d.Explanation = first + "\n\n" + s
		if rest != "" {
			d.Explanation += "\n\n" + rest
		}
	}
	return d
}

// plain writes the verdict of a kind whose explanation is its summary and a
// few general words (why), with remedies.
func plain(p *Finding, headline, why string, remedies ...string) Diagnosis {
	var ex para
	ex.add(p.Summary)
	ex.add(why)
	return Diagnosis{Headline: headline, Explanation: ex.String(), Remedies: remedies}
}

// para joins sentences and paragraphs of an explanation.
type para struct{ ps []string }

func (p *para) add(s string) {
	if s == "" {
		return
	}
	if n := len(p.ps); n > 0 && !strings.HasSuffix(p.ps[n-1], "\n") {
		p.ps[n-1] += " " + s
		return
	}
	p.ps = append(p.ps, s)
}

func (p *para) br() {
	if n := len(p.ps); n > 0 {
		p.ps[n-1] += "\n"
	}
}

func (p *para) String() string {
	var b strings.Builder
	for i, s := range p.ps {
		s = strings.TrimSuffix(s, "\n")
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(s)
	}
	return b.String()
}

// preVoteOff reports whether a pre-vote setting (1 on, -1 off) is off.
func preVoteOff(setting int8) bool { return setting < 0 }

const (
	remedyPreVote = "Turn pre-vote on (`--pre-vote=true`; the default since etcd 3.5, so upgrading from 3.4 does it): " +
		"a member then asks whether it could win before it raises its term, so a member that cannot win stops raising it."
	remedyNetwork = "Find why the member was cut off: check the network between the members (partitions, packet loss, " +
		"firewall rules, the peer port 2380, DNS), and its host (CPU starvation, a stopped or paused process)."
	remedyDisk = "Give etcd a fast, dedicated disk for its WAL (`--wal-dir` on SSD/NVMe): the 99th percentile of " +
		"etcd_disk_wal_fsync_duration_seconds should stay under 10ms; check with fio the way the etcd docs describe."
	remedyCPU = "Keep etcd off starved or throttled CPUs and out of swap; look for long pauses of the process " +
		"(a stopped container, a VM migration, memory pressure)."
	remedyTimeouts = "If the network between members is slow, raise `--heartbeat-interval` (about the round-trip time) " +
		"and `--election-timeout` (at least 10 times the heartbeat) on every member."
)

// healthy writes the verdict when nothing rises above info.
func (a *Analyzer) healthy(f *facts) Diagnosis {
	d := Diagnosis{Verdict: Healthy, Remedies: []string{}}
	if a.seq == 0 {
		d.Verdict = NoData
		d.Headline = "Nothing to analyze: no line of these inputs is an etcd raft or server line etcdpm knows"
		d.Explanation = "No event came out of these inputs, so nothing can be said about the cluster, good or bad. " +
			"Check that they are etcd's own logs (docker compose logs, journalctl -u etcd, kubectl logs) " +
			"and, when the lines are wrapped, that --layout fits them."
		return d
	}
	var logged []int32
	for _, m := range a.mem {
		if m.hasLogs {
			logged = append(logged, m.ix)
		}
	}
	campaigns := 0
	for _, m := range a.mem {
		campaigns += m.campaigns
	}
	if len(a.lead.list) == 0 && campaigns > 0 {
		d.Headline = "Nothing to report: no leader shows in these logs, and nothing rises above information"
		d.Explanation = "Members campaigned (" + plural(campaigns, "election", "elections") + ") as the cluster started " +
			"or stopped, and the logs show nothing wrong."
		return d
	}
	if len(a.lead.list) == 0 {
		d.Headline = "Nothing to report: no election and no problem in these logs"
		d.Explanation = "The logs show no leader election and nothing that rises above information."
		return d
	}
	d.Headline = "Healthy: the cluster kept a leader and nothing rose above information"
	var ex para
	if len(logged) > 0 {
		ex.add("The logs cover " + plural(len(logged), "member", "members") + " (" + a.names(logged) + ") from " +
			f.at(f.start) + " to " + f.at(f.end) + ".")
	}
	first := a.lead.list[0]
	switch l := a.mem[first.leader]; {
	case first.own && l.campaigns == 1 && f.n == 1:
		ex.add(l.label() + ", a cluster of one member, elected itself at term " + utoa(first.term) + " at once, at " +
			f.at(first.start) + ".")
	default:
		ex.add(l.label() + " was leader at term " + utoa(first.term) + " from " + f.at(first.start) + ".")
	}
	var transfers, shutdowns, recoveries int
	for _, fd := range f.r.Findings {
		switch fd.Kind {
		case LeadershipTransfer:
			transfers += episodesOf(&fd)
		case Shutdown:
			shutdowns += episodesOf(&fd)
		case Recovery:
			recoveries += episodesOf(&fd)
		}
	}
	if transfers > 0 {
		ex.add("Leadership moved " + plural(transfers, "time", "times") + " by planned transfer.")
	}
	if shutdowns > 0 {
		for _, g := range a.stops.groups {
			if g.clusterWide {
				ex.add("The cluster was stopped at " + f.at(g.start) + ".")
			}
		}
	}
	if len(f.r.Leaderless) == 0 {
		ex.add("There was no leaderless window.")
	}
	d.Explanation = ex.String()
	return d
}
