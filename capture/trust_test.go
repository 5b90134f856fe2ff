//go:build unix

package capture_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/capture"
	"github.com/etcdpm/etcdpm/cluster"
)

// TestStatusWhatMembersHold polls three real members while keys are written and checks that
// status.jsonl, and capdir's points, hold what tells which member to trust after a quorum
// loss: each member's raft index, applied index, revision and DB size, as the members say them.
func TestStatusWhatMembersHold(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := startLocal(t, ctx, nil)
	dir := t.TempDir()
	status := filepath.Join(dir, capdir.StatusFile)
	p, err := capture.StartPoller(status, c.Names(), clientURLs(c), capture.PollerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop() })
	const keys = 25
	for i := range keys {
		if err := c.Put(ctx, "/trust/"+strconv.Itoa(i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := cluster.WaitHealthy(ctx, c); err != nil {
		t.Fatal(err)
	}
	// What the members say themselves, once the last put was applied everywhere.
	want := map[string]int64{}
	for _, name := range c.Names() {
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{c.ClientURL(name)}, DialTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			resp, err := cli.Status(ctx, c.ClientURL(name))
			if err == nil && resp.Header.Revision >= keys+1 {
				want[name] = resp.Header.Revision
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		cli.Close()
	}
	time.Sleep(3 * capture.DefaultInterval) // polls after the last put
	if _, err := p.Stop(); err != nil {
		t.Fatal(err)
	}

	last := map[string]capdir.StatusRecord{}
	for _, r := range readJSONL[capdir.StatusRecord](t, status) {
		if r.OK {
			last[r.Name] = r
		}
	}
	for _, name := range c.Names() {
		r := last[name]
		if r.Revision != want[name] || r.Revision < keys+1 {
			t.Errorf("%s: revision %d, the member says %d (after %d puts)", name, r.Revision, want[name], keys)
		}
		if r.RaftIndex < keys || r.AppliedIndex < keys || r.AppliedIndex > r.RaftIndex || r.DBSize <= 0 {
			t.Errorf("%s: raft index %d, applied index %d, db size %d", name, r.RaftIndex, r.AppliedIndex, r.DBSize)
		}
	}

	meta := capdir.Meta{Schema: capdir.MetaSchema, Start: time.Now().Add(-time.Minute), Services: []capdir.MetaService{}, Members: []capdir.MetaMember{}}
	if err := capdir.WriteMeta(dir, &meta, true); err != nil {
		t.Fatal(err)
	}
	capt, err := capdir.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range capt.Status {
		pt := s.Points[len(s.Points)-1]
		r := last[s.Name]
		if !pt.OK || pt.RaftTerm != r.RaftTerm || pt.RaftIndex != r.RaftIndex || pt.AppliedIndex != r.AppliedIndex || pt.Revision != r.Revision || pt.DBSize != r.DBSize {
			t.Errorf("%s: last point %+v, last record %+v", s.Name, pt, r)
		}
	}
}
