package analysis

import (
	"cmp"
	"strconv"

	"github.com/etcdpm/etcdpm/parser"
)

// Which member to trust after a quorum loss, and how to rebuild the cluster
// from it. The steps follow etcd's disaster-recovery guide
// (https://etcd.io/docs/v3.6/op-guide/recovery/: "etcdctl snapshot save" from
// a live member or a copy of member/snap/db, then "etcdutl snapshot restore"
// with --name, --initial-cluster and --initial-advertise-peer-urls) and its
// runtime-configuration guide's "restart cluster from majority failure"
// (https://etcd.io/docs/v3.6/op-guide/runtime-configuration/: --force-new-cluster
// on the survivor's data directory).

// RecoveryPlan says which member holds the most recent data and how to rebuild
// the cluster from it, when the cluster cannot recover by itself.
type RecoveryPlan struct {
	// Member and Name are the member to trust; Member is zero and Name empty
	// when no status says which (Why then says what to run to find out).
	Member parser.ID `json:"member,omitempty"`
	Name   string    `json:"name,omitempty"`
	// Tied names the other members whose data is as recent (any of them will do).
	Tied  []string `json:"tied,omitempty"`
	Why   string   `json:"why"`
	Steps []string `json:"steps"`
}

// holding is one member's last answered status.
type holding struct {
	id                 parser.ID
	name, endpoint     string
	peerHost           string // the host of its peer URL, as its peers name it
	raftIndex, applied uint64
	revision           int64
	answers            bool // its last poll answered
}

// trust works out the RecoveryPlan for the principal finding p (its first
// episode; nil: none): only when the quorum is lost
// (quorum-loss, no-quorum-at-start) and still lost at the end of the logs,
// or when the members' data diverged; nil otherwise.
func (a *Analyzer) trust(p *Finding) *RecoveryPlan {
	if p == nil {
		return nil
	}
	hs := a.holdings()
	diverged := p.Kind == SafetyViolation || divergedData(hs)
	var lost bool
	switch p.Kind {
	case QuorumLoss:
		lost = p.detail.window != nil && p.detail.window.end.IsZero()
	case NoQuorumAtStart:
		lost = len(a.lead.list) == 0
	}
	if !lost && !diverged {
		return nil
	}
	rec := &RecoveryPlan{}
	if len(hs) == 0 {
		rec.Why = "No member's status with its raft index was recorded, so the logs cannot say which member holds the " +
			"most recent data. Run `etcdctl endpoint status --cluster -w json` (or, if the cluster does not answer, " +
			"`etcdctl --endpoints=<member> endpoint status -w json` against each member), or `etcdpm capture`, and " +
			"trust the member with the highest raftIndex, then raftAppliedIndex, then header.revision."
		rec.Steps = recoverySteps(holding{name: "<member>"}, "<member>", false)
		return rec
	}
	best := hs[0]
	for _, h := range hs[1:] {
		if newer(h, best) > 0 {
			best = h
		}
	}
	for _, h := range hs {
		if h.id != best.id && newer(h, best) == 0 {
			rec.Tied = append(rec.Tied, h.name)
		}
	}
	name := best.name
	if name == "" {
		name = best.id.String()
	}
	rec.Member, rec.Name = best.id, best.name
	rec.Why = name + " holds the most recent data of the members that answered a status poll: raft index " +
		utoa(best.raftIndex) + ", applied index " + utoa(best.applied)
	if best.revision != 0 {
		rec.Why += ", revision " + strconv.FormatInt(best.revision, 10)
	}
	rec.Why += " at its last answer"
	if len(rec.Tied) > 0 {
		rec.Why += " (as recent: " + list(rec.Tied) + ", any of them will do)"
	}
	if diverged {
		rec.Why += ". The members' data diverged (the same applied index with different revisions, or two leaders at one " +
			"term): rebuild from this one member and wipe the others"
	}
	rec.Why += "."
	rec.Steps = recoverySteps(best, name, best.answers)
	return rec
}

// recoverySteps are the commands that rebuild a cluster from h.
func recoverySteps(h holding, name string, answers bool) []string {
	ep := h.endpoint
	if ep == "" {
		ep = "<client URL of " + name + ">"
	}
	host := h.peerHost
	if host == "" {
		host = name
	}
	peer := "<peer URL of " + name + ", e.g. http://" + host + ":2380>"
	var steps []string
	restore := "etcdutl snapshot restore snapshot.db"
	if answers {
		steps = append(steps, "Save a snapshot from "+name+", which still answers: `etcdctl --endpoints="+ep+" snapshot save snapshot.db`.")
	} else {
		steps = append(steps, "Stop "+name+" and copy its `<data-dir>/member/snap/db` to snapshot.db (it no longer answers; "+
			"writes only in its WAL are lost).")
		restore += " --skip-hash-check"
	}
	steps = append(steps,
		"Restore it into a new data directory: `"+restore+" --name "+name+" --initial-cluster "+name+"="+peer+
			" --initial-advertise-peer-urls "+peer+" --data-dir <new-data-dir>`, and start "+name+" on it as a 1-member cluster.",
		"Or, keeping "+name+"'s data directory as it is: restart it once with `--force-new-cluster`, then without it.",
		"Add the other members back one by one: `etcdctl member add <name> --peer-urls=<peer URL>`, then start each with an "+
			"empty data directory and `--initial-cluster-state=existing`; never restart them on their old data.")
	return steps
}

// holdings are the last answered status of each member that answered one
// with its raft index, in the order of the status series.
func (a *Analyzer) holdings() []holding {
	var hs []holding
	for _, s := range a.status {
		var h holding
		found := false
		for _, p := range s.Points {
			if p.OK && p.RaftIndex > 0 {
				h = holding{id: s.Member, name: s.Name, endpoint: s.Endpoint, raftIndex: p.RaftIndex, applied: p.AppliedIndex, revision: p.Revision}
				found = true
			}
		}
		if !found {
			continue
		}
		if n := len(s.Points); n > 0 {
			h.answers = s.Points[n-1].OK
		}
		if ix := a.index(h.id); ix >= 0 {
			if h.name == "" {
				h.name = a.mem[ix].name
			}
			h.peerHost = a.mem[ix].peerName
		}
		hs = append(hs, h)
	}
	return hs
}

// newer compares two holdings: raft index, then applied index, then revision.
func newer(x, y holding) int {
	if c := cmp.Compare(x.raftIndex, y.raftIndex); c != 0 {
		return c
	}
	if c := cmp.Compare(x.applied, y.applied); c != 0 {
		return c
	}
	return cmp.Compare(x.revision, y.revision)
}

// divergedData says whether two members applied up to the same index but
// hold different revisions: their stores differ.
func divergedData(hs []holding) bool {
	for i := range hs {
		for j := i + 1; j < len(hs); j++ {
			if hs[i].applied == hs[j].applied && hs[i].revision != 0 && hs[j].revision != 0 && hs[i].revision != hs[j].revision {
				return true
			}
		}
	}
	return false
}

// recoveryRemedy is the diagnosis' remedy for a lost quorum that stays lost:
// rebuild from the member rec trusts, if the missing members are gone for good.
func recoveryRemedy(rec *RecoveryPlan) string {
	from := "the member with the most recent data"
	if rec.Name != "" {
		from = rec.Name
	} else if rec.Member != 0 {
		from = rec.Member.String()
	}
	return "If the missing members are gone for good (lost disks or hosts), rebuild the cluster from " + from +
		", the member with the most recent data (the steps are under \"Recover from\"): this loses any write that a " +
		"quorum had committed but that member had not received."
}
