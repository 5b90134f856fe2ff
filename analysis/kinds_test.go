package analysis

import (
	"os"
	"strings"
	"testing"
)

// TestKindsTable: every kind has a detector, a noun and a rank of its own,
// and the JSON schema lists it.
func TestKindsTable(t *testing.T) {
	doc, err := os.ReadFile("../docs/analysis-schema.md")
	if err != nil {
		t.Fatal(err)
	}
	ranks := map[int]string{}
	for _, k := range kinds {
		if k.detect == nil || k.noun == nil {
			t.Errorf("%s: no detector or noun", k.name)
		}
		if o, ok := ranks[k.rank]; ok {
			t.Errorf("%s and %s share rank %d", k.name, o, k.rank)
		}
		ranks[k.rank] = k.name
		if !strings.Contains(string(doc), "`"+k.name+"`") {
			t.Errorf("docs/analysis-schema.md does not list %s", k.name)
		}
	}
	low := 0
	for r := range ranks {
		low = min(low, r)
	}
	for r := low; r < low+len(kinds); r++ {
		if _, ok := ranks[r]; !ok {
			t.Errorf("no kind has rank %d", r)
		}
	}
}
