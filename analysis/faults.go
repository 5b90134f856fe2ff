package analysis

import (
	"slices"
	"strings"
	"time"
)

// capture keeps a capture's faults and status for Finish.
func (a *Analyzer) capture(faults []Fault, status []StatusSeries) {
	a.faults = append(a.faults, faults...)
	a.status = append(a.status, status...)
}

// faultLead is how long before an episode a fault that ended may still be
// behind it (a member cut off, and the rejoin when it is back).
const faultLead = 5 * time.Second

// faultsDuring tells, as a sentence, the faults a capture recorded that
// overlap [from-faultLead, to]: "etcd1 and etcd2 were stopped at 20:09:57
// (docker stop)"; "" when none did.
func (a *Analyzer) faultsDuring(f *facts, from, to time.Time) string {
	type group struct {
		what, at, how string
		who           []string
	}
	var gs []*group
	for _, ft := range a.faults {
		end := ft.End
		if end.IsZero() {
			end = ft.Start
		}
		if end.Before(from.Add(-faultLead)) || ft.Start.After(to) {
			continue
		}
		what, how := faultVerb(ft)
		who := a.faultMember(ft.Target)
		at := f.at(ft.Start)
		var g *group
		for _, x := range gs {
			if x.what == what && x.at == at {
				g = x
				break
			}
		}
		if g == nil {
			g = &group{what: what, at: at, how: how}
			gs = append(gs, g)
		}
		if !slices.Contains(g.who, who) {
			g.who = append(g.who, who)
		}
	}
	if len(gs) == 0 {
		return ""
	}
	var ss []string
	for _, g := range gs {
		s := list(g.who) + " " + wasWere(len(g.who)) + " " + g.what + " at " + g.at
		if g.how != "" {
			s += " (" + g.how + ")"
		}
		ss = append(ss, s)
	}
	return "Recorded by the capture: " + list(ss) + "."
}

// faultCommands name the Docker command behind a fault's verb.
var faultCommands = map[string]string{
	"stopped":      "docker stop",
	"killed":       "docker kill",
	"paused":       "docker pause",
	"disconnected": "docker network disconnect",
}

// faultVerb splits a fault's label ("stopped etcd1", "disconnected etcd2
// from net") into what was done to its target ("stopped", "disconnected
// from net") and the Docker command that did it, if one did.
func faultVerb(ft Fault) (what, how string) {
	verb, where, ok := strings.Cut(ft.Label, " "+ft.Target)
	if !ok || ft.Target == "" {
		return ft.Label, ""
	}
	return verb + where, faultCommands[verb]
}

// faultMember names the member a fault's target is: the member of that name,
// or of the service a compose container name holds (proj-etcd1-1 for compose
// v2, proj_etcd1_1 for v1); else the target as it is.
func (a *Analyzer) faultMember(target string) string {
	t := strings.TrimPrefix(target, "/")
	for _, m := range a.mem {
		if m.name != "" && m.name == t {
			return m.label()
		}
	}
	for _, m := range a.mem {
		if m.name != "" && composeService(t, m.name) {
			return m.label()
		}
	}
	return target
}

// composeService reports whether container is a compose container of
// service: <project>-<service>-<n> or <project>_<service>_<n>.
func composeService(container, service string) bool {
	for _, sep := range []string{"-", "_"} {
		i := strings.LastIndex(container, sep)
		if i < 0 || i == len(container)-1 || strings.Trim(container[i+1:], "0123456789") != "" {
			continue
		}
		rest := container[:i]
		if strings.HasSuffix(rest, sep+service) && len(rest) > len(sep+service) {
			return true
		}
	}
	return false
}
