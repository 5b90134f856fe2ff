package capture_test

import (
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/parser"
)

// testdata/recipe-prevote-off is a real capture, kept from a run of
// TestCaptureDemoRecipe (docker-compose 1.29.2, Docker 20.10, etcd 3.6.16,
// pre-vote off): the leader etcd3 and the follower etcd1 stopped for 9s,
// started again, then all three stopped before the capture ended.
const recipeDir = "testdata/recipe-prevote-off"

func TestReadRecipe(t *testing.T) {
	if !capdir.IsDir(recipeDir) {
		t.Fatalf("%s is not a capture directory", recipeDir)
	}
	res := analyzeCapture(t, recipeDir)
	if res.Diagnosis.Verdict != analysis.QuorumLoss {
		t.Errorf("verdict %q, want quorum-loss", res.Diagnosis.Verdict)
	}

	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, "2026-11-23T"+s+"Z")
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	end := at("22:10:58.295181534")
	want := []analysis.Fault{
		{Start: at("22:10:26.808"), End: at("22:10:36.201"), Label: "stopped etcd1", Target: "etcd1"},
		{Start: at("22:10:26.808"), End: at("22:10:35.933"), Label: "stopped etcd3", Target: "etcd3"},
		{Start: at("22:10:46.054"), End: end, Label: "stopped etcd1", Target: "etcd1"},
		{Start: at("22:10:46.054"), End: end, Label: "stopped etcd2", Target: "etcd2"},
		{Start: at("22:10:46.054"), End: end, Label: "stopped etcd3", Target: "etcd3"},
	}
	if len(res.Faults) != len(want) {
		t.Fatalf("faults %+v, want %+v", res.Faults, want)
	}
	for _, w := range want {
		found := false
		for _, f := range res.Faults {
			found = found || f.Start.Sub(w.Start).Abs() < time.Millisecond && f.End.Sub(w.End).Abs() < time.Millisecond && f.Label == w.Label && f.Target == w.Target
		}
		if !found {
			t.Errorf("no fault %s %s-%s in %+v", w.Label, w.Start.Format("15:04:05.000"), w.End.Format("15:04:05.000"), res.Faults)
		}
	}

	ids := map[string]parser.ID{"etcd1": 0x9c30dfd96e8afa13, "etcd2": 0x45a19f43f73224e5, "etcd3": 0x47f6a7e4f77b166c}
	if len(res.Status) != 3 {
		t.Fatalf("%d status series, want 3", len(res.Status))
	}
	for _, s := range res.Status {
		if s.Member != ids[s.Name] {
			t.Errorf("series %s: member %s, want %s", s.Name, s.Member, ids[s.Name])
		}
		alone, down := []uint64{}, 0
		for _, p := range s.Points {
			if p.Time.After(at("22:10:29")) && p.Time.Before(at("22:10:35.9")) {
				if p.OK {
					alone = append(alone, p.Term)
				} else {
					down++
				}
			}
		}
		switch s.Name {
		case "etcd2": // the survivor campaigns: its term rises
			if len(alone) < 20 || alone[len(alone)-1] < alone[0]+3 {
				t.Errorf("etcd2 alone: terms %v, want rising by 3 or more", alone)
			}
		default:
			if len(alone) > 0 || down < 20 {
				t.Errorf("%s stopped: %d answers, %d errors; want errors only", s.Name, len(alone), down)
			}
		}
	}
}
