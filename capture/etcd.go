package capture

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
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
	Revision    int64 // the header's: the store's revision as the member has applied it
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

// etcdDialer returns the dialFunc of etcd pollers whose every connection
// (gRPC, and HTTP for /debug/vars) uses tc; nil is no TLS configuration.
func etcdDialer(tc *tls.Config) dialFunc {
	return func(endpoint string) (statusPoller, error) { return dialEtcd(endpoint, tc) }
}

// dialEtcd returns a poller for endpoint. It does not wait for the member:
// one that is down answers each Status with an error.
func dialEtcd(endpoint string, tc *tls.Config) (statusPoller, error) {
	cli, err := cluster.NewClient(endpoint, tc)
	if err != nil {
		return nil, err
	}
	// Maintenance.Status(ctx, endpoint) would dial a new connection per call;
	// this one reuses the client's.
	m := clientv3.NewMaintenanceFromMaintenanceClient(pb.NewMaintenanceClient(cli.ActiveConnection()), cli)
	p := &etcdPoller{endpoint: endpoint, cli: cli, m: m}
	if base, ok := httpBase(endpoint); ok {
		p.vars = base + "/debug/vars"
		p.web = newWebClient(tc)
	}
	return p, nil
}

// httpBase is the scheme and host of an http or https endpoint.
func httpBase(endpoint string) (string, bool) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" {
		return "", false
	}
	return u.Scheme + "://" + u.Host, true
}

// newWebClient is an HTTP client of one member: one connection kept, TLS
// as tc says (nil: an https member is verified against the system's roots).
func newWebClient(tc *tls.Config) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}
	if tc != nil {
		tr.TLSClientConfig = tc.Clone()
	}
	return &http.Client{Transport: tr}
}

func (p *etcdPoller) Status(ctx context.Context) (statusReply, error) {
	// The raft node's own term, alongside (it takes as long).
	var rs *raftStatus
	var varsErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		rs, varsErr = p.raftStatus(ctx)
	}()
	// No WithRequireLeader: a member without a leader must still answer.
	resp, err := p.m.Status(ctx, p.endpoint)
	<-done
	if err != nil {
		if perr := p.probe(); perr != nil {
			return statusReply{}, perr // the cause: nothing listens there
		}
		// gRPC's retries hide a failed handshake behind the deadline;
		// /debug/vars, asked alongside on a connection of its own, tells it.
		if terr := cluster.ExplainPlain(p.endpoint, varsErr, probeTimeout); errors.As(terr, new(*cluster.TLSError)) {
			return statusReply{}, terr
		}
		return statusReply{}, cluster.ExplainTLS(err)
	}
	r := statusReply{
		Leader: resp.Leader, Term: resp.RaftTerm, Index: resp.RaftIndex, Applied: resp.RaftAppliedIndex,
		DBSize: resp.DbSize, DBSizeInUse: resp.DbSizeInUse, Learner: resp.IsLearner,
		Errors: resp.Errors, Version: resp.Version, Raft: rs,
	}
	if resp.Header != nil {
		r.ID, r.Revision = resp.Header.MemberId, resp.Header.Revision
	}
	return r, nil
}

// raftStatus reads the raft node's status from /debug/vars: nil, with the
// request's error when it failed (nil when the member has no such page).
func (p *etcdPoller) raftStatus(ctx context.Context) (*raftStatus, error) {
	if p.web == nil {
		return nil, nil
	}
	var vars struct {
		Raft *raftStatus `json:"raft.status"`
	}
	err := getPage(ctx, p.web, p.vars, func(body io.Reader) error {
		return json.NewDecoder(io.LimitReader(body, 4<<20)).Decode(&vars)
	})
	if err != nil {
		var se statusCodeError
		if errors.As(err, &se) {
			return nil, nil
		}
		return nil, err
	}
	return vars.Raft, nil
}

// statusCodeError is a page that answered with another status than 200.
type statusCodeError int

func (e statusCodeError) Error() string { return "HTTP " + strconv.Itoa(int(e)) }

// getPage GETs url and hands a 200's body to read; another status is a
// statusCodeError.
func getPage(ctx context.Context, web *http.Client, url string, read func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := web.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return statusCodeError(resp.StatusCode)
	}
	return read(resp.Body)
}

// probeTimeout bounds the connections made to explain a failed call.
const probeTimeout = 100 * time.Millisecond

// probe tells a member that does not listen (its container stopped) from
// one that listens and does not answer (paused, overloaded).
func (p *etcdPoller) probe() error {
	u, err := url.Parse(p.endpoint)
	if err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https" {
		return nil
	}
	c, err := net.DialTimeout("tcp", u.Host, probeTimeout)
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
	rec.RaftTerm, rec.RaftIndex, rec.AppliedIndex, rec.Revision = r.Term, r.Index, r.Applied, r.Revision
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
