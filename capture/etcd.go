package capture

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/cluster"
)

// statusPoller asks one etcd member for its status. etcdPoller implements
// it with the etcd client; tests use a fake.
type statusPoller interface {
	// Status returns the member's own status; the error is the evidence
	// when it does not answer.
	Status(ctx context.Context) (statusReply, error)
	// Members maps member IDs to names, as the member knows them (a
	// serializable read: it answers without a leader).
	Members(ctx context.Context) (map[uint64]string, error)
	Close() error
}

// dialFunc returns a statusPoller for one member's client URL.
type dialFunc func(endpoint string) (statusPoller, error)

// statusReply is a member's answer to Maintenance.Status.
type statusReply struct {
	ID          uint64
	Leader      uint64
	Term        uint64
	Index       uint64
	Applied     uint64
	DBSize      int64
	DBSizeInUse int64
	Learner     bool
	Errors      []string
	Version     string
	// Raft is the member's raft node as /debug/vars shows it; nil when that
	// did not answer.
	Raft *raftStatus
}

// raftStatus is the "raft.status" of etcd's /debug/vars: the raft node's
// own term and state. Maintenance.Status's RaftTerm is the term of the last
// applied entry, which stands still while a member without quorum
// campaigns; this one rises with each campaign.
type raftStatus struct {
	Term  uint64 `json:"term"`
	State string `json:"raftState"` // StateFollower, StatePreCandidate, StateCandidate, StateLeader
	Lead  string `json:"lead"`
	Vote  string `json:"vote"`
}

// etcdPoller is one etcd client for one member: one connection, kept, to
// that endpoint only.
type etcdPoller struct {
	endpoint string
	cli      *clientv3.Client
	m        clientv3.Maintenance
	web      *http.Client
	vars     string // the member's /debug/vars URL
}

// dialEtcd returns a poller for endpoint. It does not wait for the member:
// one that is down answers each Status with an error.
func dialEtcd(endpoint string) (statusPoller, error) {
	cli, err := cluster.NewClient(endpoint)
	if err != nil {
		return nil, err
	}
	// Maintenance.Status(ctx, endpoint) would dial a new connection per call;
	// this one reuses the client's.
	m := clientv3.NewMaintenanceFromMaintenanceClient(pb.NewMaintenanceClient(cli.ActiveConnection()), cli)
	p := &etcdPoller{endpoint: endpoint, cli: cli, m: m}
	if u, err := url.Parse(endpoint); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		p.vars = u.Scheme + "://" + u.Host + "/debug/vars"
		p.web = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}}
	}
	return p, nil
}

func (p *etcdPoller) Status(ctx context.Context) (statusReply, error) {
	// The raft node's own term, alongside (it takes as long).
	var rs *raftStatus
	done := make(chan struct{})
	go func() {
		defer close(done)
		rs = p.raftStatus(ctx)
	}()
	// No WithRequireLeader: a member without a leader must still answer.
	resp, err := p.m.Status(ctx, p.endpoint)
	<-done
	if err != nil {
		if perr := p.probe(); perr != nil {
			return statusReply{}, perr // the cause: nothing listens there
		}
		return statusReply{}, err
	}
	r := statusReply{
		Leader: resp.Leader, Term: resp.RaftTerm, Index: resp.RaftIndex, Applied: resp.RaftAppliedIndex,
		DBSize: resp.DbSize, DBSizeInUse: resp.DbSizeInUse, Learner: resp.IsLearner,
		Errors: resp.Errors, Version: resp.Version, Raft: rs,
	}
	if resp.Header != nil {
		r.ID = resp.Header.MemberId
	}
	return r, nil
}

// raftStatus reads the raft node's status from /debug/vars, or nil.
func (p *etcdPoller) raftStatus(ctx context.Context) *raftStatus {
	if p.web == nil {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.vars, nil)
	if err != nil {
		return nil
	}
	resp, err := p.web.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	var vars struct {
		Raft *raftStatus `json:"raft.status"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&vars); err != nil {
		return nil
	}
	return vars.Raft
}

// probe tells a member that does not listen (its container stopped) from
// one that listens and does not answer (paused, overloaded).
func (p *etcdPoller) probe() error {
	u, err := url.Parse(p.endpoint)
	if err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https" {
		return nil
	}
	c, err := net.DialTimeout("tcp", u.Host, 100*time.Millisecond)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Timeout() {
			return nil
		}
		return err
	}
	c.Close()
	return nil
}

func (p *etcdPoller) Members(ctx context.Context) (map[uint64]string, error) {
	resp, err := p.cli.MemberList(ctx, clientv3.WithSerializable())
	if err != nil {
		return nil, err
	}
	names := make(map[uint64]string, len(resp.Members))
	for _, m := range resp.Members {
		names[m.ID] = m.Name
	}
	return names, nil
}

// fillStatus copies a member's answer into rec.
func fillStatus(rec *capdir.StatusRecord, r statusReply) {
	rec.OK = true
	rec.Member = hexID(r.ID)
	rec.Leader = hexID(r.Leader)
	rec.RaftTerm, rec.RaftIndex, rec.AppliedIndex = r.Term, r.Index, r.Applied
	rec.DBSize, rec.DBSizeInUse, rec.Learner = r.DBSize, r.DBSizeInUse, r.Learner
	rec.Errors, rec.Version = r.Errors, r.Version
	if r.Raft != nil {
		rec.Term = r.Raft.Term
		rec.State = raftStateName(r.Raft.State)
	}
}

func (p *etcdPoller) Close() error {
	if p.web != nil {
		p.web.CloseIdleConnections()
	}
	return p.cli.Close()
}
