package repro

import (
	"github.com/etcdpm/etcdpm/cluster/scenario"
)

// Scenario is one fault that repro injects into a healthy cluster, holds, and heals: one of
// cluster/scenario's, which the fixtures lab runs too.
type Scenario = scenario.Scenario

// Scenarios lists the scenarios with a fault, in a stable order; the first is the default.
func Scenarios() []Scenario {
	var out []Scenario
	for _, s := range scenario.All() {
		if s.Faulty() {
			out = append(out, s)
		}
	}
	return out
}

// DefaultScenario is the demo's: a quorum loss.
const DefaultScenario = "quorum-loss"

// LookupScenario finds a scenario with a fault by its name or its lab name.
func LookupScenario(name string) (Scenario, bool) {
	s, ok := scenario.Lookup(name)
	if !ok || !s.Faulty() {
		return Scenario{}, false
	}
	return s, true
}

// ScenarioNames lists the scenarios' names.
func ScenarioNames() []string {
	var names []string
	for _, s := range Scenarios() {
		names = append(names, s.Name)
	}
	return names
}
