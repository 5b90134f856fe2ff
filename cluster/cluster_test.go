package cluster

import (
	"context"
	"errors"
	"testing"
)

// fakeCluster answers Status from a fixed table; every other method is unused here.
type fakeCluster struct {
	Cluster
	statuses []MemberStatus
}

func (f fakeCluster) Names() []string { return []string{"n1", "n2", "n3"} }
func (f fakeCluster) IDs() map[string]string {
	return map[string]string{"n1": "a1", "n2": "b2", "n3": "c3"}
}
func (f fakeCluster) Status(context.Context) []MemberStatus { return f.statuses }

func up(name, id, leader string) MemberStatus {
	return MemberStatus{Name: name, ID: id, Running: true, Leader: leader}
}

func TestLeaderAndHealth(t *testing.T) {
	down := MemberStatus{Name: "n3", ID: "c3", Err: errors.New("not running")}
	for _, tc := range []struct {
		name       string
		statuses   []MemberStatus
		wantLeader string // "" when no majority
		healthy    bool
	}{
		{"all agree", []MemberStatus{up("n1", "a1", "b2"), up("n2", "b2", "b2"), up("n3", "c3", "b2")}, "n2", true},
		{"isolated old leader still believes", []MemberStatus{up("n1", "a1", "a1"), up("n2", "b2", "c3"), up("n3", "c3", "c3")}, "n3", false},
		{"one down, two agree", []MemberStatus{up("n1", "a1", "a1"), up("n2", "b2", "a1"), down}, "n1", false},
		{"split", []MemberStatus{up("n1", "a1", "a1"), up("n2", "b2", ""), down}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fakeCluster{statuses: tc.statuses}
			name, _, err := Leader(context.Background(), c)
			if tc.wantLeader == "" {
				if !errors.Is(err, ErrNoLeader) {
					t.Errorf("Leader = %q, %v; want ErrNoLeader", name, err)
				}
			} else if err != nil || name != tc.wantLeader {
				t.Errorf("Leader = %q, %v; want %s", name, err, tc.wantLeader)
			}
			if _, _, err := healthy(context.Background(), c); (err == nil) != tc.healthy {
				t.Errorf("healthy: %v, want healthy=%v", err, tc.healthy)
			}
		})
	}
}
