// Package local runs an etcd cluster as child processes on 127.0.0.1, each member's peer port
// behind a cluster/proxy so that members can be cut off the network. A member's proxy listens only
// while the member's own peer port does, so peers of a stopped member see "connection refused".
package local

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/etcdpm/etcdpm/cluster"
	"github.com/etcdpm/etcdpm/cluster/proxy"
)

// Config describes a local cluster.
type Config struct {
	// Binary is the etcd executable. Used when Command is nil.
	Binary string
	// Command, when set, returns the unstarted command that runs one member with the given etcd
	// flags (e.g. etcdpm re-executing itself to run an embedded etcd). The cluster sets the
	// command's Stdout, Stderr and SysProcAttr, and Env when it is nil.
	Command func(etcdFlags []string) *exec.Cmd
	// Names are the member names; default n1..n<Members>.
	Names []string
	// Members is the member count when Names is empty; default 3.
	Members int
	// PreVote sets --pre-vote explicitly.
	PreVote bool
	// LogFormat is "json" or "console" (--log-format, etcd 3.6+); "" keeps etcd's default.
	LogFormat string
	// Dir holds each member's data dir <Dir>/<name>.etcd and log <Dir>/<name>.log. Required.
	Dir string
	// HeartbeatMs and ElectionMs are the raft timings; defaults 100 and 1000.
	HeartbeatMs, ElectionMs int
	// Token is --initial-cluster-token; default "etcdpm".
	Token string
	// ExtraFlags are appended to every member's flags.
	ExtraFlags []string
	// OnStart, when set, is called right after a member's process started (first start and
	// restarts), with the cluster's lock held: it must return quickly and not call the cluster.
	OnStart func(name string, pid int)
	// ReadyTimeout bounds how long Start waits for every member to answer; default 30 s.
	ReadyTimeout time.Duration
	// TLS, when set, serves the members' client URLs over https (peers stay on http).
	TLS *ServerTLS
}

// StatusTimeout bounds one member's answer to a status request.
const StatusTimeout = 500 * time.Millisecond

// Cluster is a running local cluster. Its methods are safe for concurrent use.
type Cluster struct {
	cfg     Config
	members []*member // in Names order
	byName  map[string]*member
	mu      sync.Mutex  // guards member processes, stopCtx and closed
	stopCtx func() bool // detaches Close from Start's context
	closed  bool

	closeOnce sync.Once
	closeErr  error
}

var _ cluster.Cluster = (*Cluster)(nil)

// Start starts every member and returns once each answers a status request, so IDs is complete.
// The cluster lives until Close or until ctx ends, whichever is first; either kills every member.
// On error nothing is left running.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating cluster dir: %w", err)
	}
	c := &Cluster{cfg: cfg, byName: make(map[string]*member)}
	if err := c.listen(); err != nil {
		c.Close()
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	c.mu.Lock()
	c.stopCtx = stop
	c.mu.Unlock()
	for _, m := range c.members {
		if err := c.StartMember(m.name); err != nil {
			c.Close()
			return nil, err
		}
	}
	readyCtx, cancel := context.WithTimeout(ctx, cfg.ReadyTimeout)
	defer cancel()
	if err := c.waitIDs(readyCtx); err != nil {
		c.Close()
		return nil, fmt.Errorf("starting cluster in %s: %w", cfg.Dir, err)
	}
	return c, nil
}

func (cfg *Config) setDefaults() error {
	if cfg.Binary == "" && cfg.Command == nil {
		return errors.New("local cluster config: Binary or Command is required")
	}
	if cfg.Dir == "" {
		return errors.New("local cluster config: Dir is required")
	}
	if len(cfg.Names) == 0 {
		if cfg.Members == 0 {
			cfg.Members = 3
		}
		for i := 1; i <= cfg.Members; i++ {
			cfg.Names = append(cfg.Names, "n"+strconv.Itoa(i))
		}
	}
	for i, name := range cfg.Names {
		if name == "" || strings.ContainsAny(name, "=,/ ") || slices.Index(cfg.Names, name) != i {
			return fmt.Errorf("local cluster config: bad or duplicate member name %q", name)
		}
	}
	switch cfg.LogFormat {
	case "", "json", "console":
	default:
		return fmt.Errorf("local cluster config: log format %q is neither json nor console", cfg.LogFormat)
	}
	if cfg.HeartbeatMs == 0 {
		cfg.HeartbeatMs = 100
	}
	if cfg.ElectionMs == 0 {
		cfg.ElectionMs = 1000
	}
	if cfg.Token == "" {
		cfg.Token = "etcdpm"
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 30 * time.Second
	}
	if cfg.TLS != nil {
		return cfg.TLS.check()
	}
	return nil
}

// listen reserves every member's ports and starts its peer proxy and client.
func (c *Cluster) listen() error {
	ports, err := cluster.FreePorts(3 * len(c.cfg.Names))
	if err != nil {
		return err
	}
	addr := func(i int) string { return "127.0.0.1:" + strconv.Itoa(ports[i]) }
	for i, name := range c.cfg.Names {
		m := &member{
			name:       name,
			clientAddr: addr(3 * i),
			peerAddr:   addr(3*i + 1),
			dataDir:    filepath.Join(c.cfg.Dir, name+".etcd"),
			logPath:    filepath.Join(c.cfg.Dir, name+".log"),
		}
		c.members = append(c.members, m)
		c.byName[name] = m
		if m.proxy, err = proxy.Listen(addr(3*i+2), m.peerAddr); err != nil {
			return fmt.Errorf("starting peer proxy of %s: %w", name, err)
		}
		m.proxy.Down() // until the member listens; see exposeWhenListening
		var tc *tls.Config
		if c.cfg.TLS != nil {
			tc = c.cfg.TLS.Client
		}
		m.client, err = cluster.NewClient(c.ClientURL(name), tc)
		if err != nil {
			return fmt.Errorf("creating client of %s: %w", name, err)
		}
	}
	return nil
}

// flags returns the etcd flags that start m; existing says m's data dir already holds a member.
func (c *Cluster) flags(m *member, existing bool) []string {
	var initial []string
	for _, p := range c.members {
		initial = append(initial, p.name+"=http://"+p.proxy.Addr())
	}
	state := "new"
	if existing {
		state = "existing"
	}
	flags := []string{
		"--name=" + m.name,
		"--data-dir=" + m.dataDir,
		"--listen-client-urls=" + c.ClientURL(m.name),
		"--advertise-client-urls=" + c.ClientURL(m.name),
		"--listen-peer-urls=http://" + m.peerAddr,
		"--initial-advertise-peer-urls=http://" + m.proxy.Addr(),
		"--initial-cluster=" + strings.Join(initial, ","),
		"--initial-cluster-state=" + state,
		"--initial-cluster-token=" + c.cfg.Token,
		"--heartbeat-interval=" + strconv.Itoa(c.cfg.HeartbeatMs),
		"--election-timeout=" + strconv.Itoa(c.cfg.ElectionMs),
		"--pre-vote=" + strconv.FormatBool(c.cfg.PreVote),
		"--logger=zap",
	}
	if c.cfg.LogFormat != "" {
		flags = append(flags, "--log-format="+c.cfg.LogFormat)
	}
	if c.cfg.TLS != nil {
		flags = append(flags, c.cfg.TLS.flags()...)
	}
	return append(flags, c.cfg.ExtraFlags...)
}

// waitIDs polls until every member answers a status request, recording its raft ID.
func (c *Cluster) waitIDs(ctx context.Context) error {
	for {
		missing := ""
		for _, s := range c.Status(ctx) {
			if s.Err != nil {
				missing = fmt.Sprintf("%s: %v", s.Name, s.Err)
			}
			if !s.Running {
				return fmt.Errorf("%s exited; see %s", s.Name, c.byName[s.Name].logPath)
			}
		}
		if missing == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for members to serve: %w (last: %s)", ctx.Err(), missing)
		case <-time.After(cluster.PollInterval):
		}
	}
}

func (c *Cluster) member(name string) (*member, error) {
	m, ok := c.byName[name]
	if !ok {
		return nil, fmt.Errorf("no member %q", name)
	}
	return m, nil
}

// Names lists the member names in their configured order.
func (c *Cluster) Names() []string { return slices.Clone(c.cfg.Names) }

// IDs maps each member name to its raft ID in hex. Complete once Start has returned.
func (c *Cluster) IDs() map[string]string {
	ids := make(map[string]string, len(c.members))
	for _, m := range c.members {
		if id := m.id.Load(); id != 0 {
			ids[m.name] = formatID(id)
		}
	}
	return ids
}

// ClientURL is the member's client endpoint: https with Config.TLS, else http.
func (c *Cluster) ClientURL(name string) string {
	if c.cfg.TLS != nil {
		return "https://" + c.byName[name].clientAddr
	}
	return "http://" + c.byName[name].clientAddr
}

// LogPath is the file receiving the member's stdout and stderr.
func (c *Cluster) LogPath(name string) string { return c.byName[name].logPath }

// PID is the member's process ID, or 0 when it is not running.
func (c *Cluster) PID(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.byName[name]; m != nil && m.proc.running() {
		return m.proc.cmd.Process.Pid
	}
	return 0
}

// Leader returns the member a majority reports as leader (see cluster.Leader).
func (c *Cluster) Leader(ctx context.Context) (name, id string, err error) {
	return cluster.Leader(ctx, c)
}

// Status asks every running member for its status, concurrently, each within StatusTimeout.
func (c *Cluster) Status(ctx context.Context) []cluster.MemberStatus {
	out := make([]cluster.MemberStatus, len(c.members))
	var wg sync.WaitGroup
	for i, m := range c.members {
		c.mu.Lock()
		running, paused := m.proc.running(), m.proc != nil && m.proc.paused
		c.mu.Unlock()
		out[i] = cluster.MemberStatus{Name: m.name, Running: running, Paused: paused}
		if id := m.id.Load(); id != 0 {
			out[i].ID = formatID(id)
		}
		if !running {
			out[i].Err = errors.New("not running")
			continue
		}
		wg.Go(func() {
			sctx, cancel := context.WithTimeout(ctx, StatusTimeout)
			defer cancel()
			resp, err := m.client.Status(sctx, m.client.Endpoints()[0])
			if err != nil {
				out[i].Err = fmt.Errorf("status of %s: %w", m.name, err)
				return
			}
			m.id.Store(resp.Header.MemberId)
			out[i].ID = formatID(resp.Header.MemberId)
			if resp.Leader != 0 {
				out[i].Leader = formatID(resp.Leader)
			}
			out[i].Term, out[i].Index = resp.RaftTerm, resp.RaftIndex
		})
	}
	wg.Wait()
	return out
}

// MoveLeader asks the current leader to transfer leadership to the member named to.
func (c *Cluster) MoveLeader(ctx context.Context, to string) error {
	target, err := c.member(to)
	if err != nil {
		return err
	}
	leader, err := c.leaderMember(ctx)
	if err != nil {
		return err
	}
	if _, err := leader.client.MoveLeader(ctx, target.id.Load()); err != nil {
		return fmt.Errorf("moving leader from %s to %s: %w", leader.name, to, err)
	}
	return nil
}

// Put writes key=value through the current leader.
func (c *Cluster) Put(ctx context.Context, key, value string) error {
	leader, err := c.leaderMember(ctx)
	if err != nil {
		return err
	}
	if _, err := leader.client.Put(ctx, key, value); err != nil {
		return fmt.Errorf("put %s via %s: %w", key, leader.name, err)
	}
	return nil
}

// Get reads key with a linearizable read through the current leader.
func (c *Cluster) Get(ctx context.Context, key string) (value string, found bool, err error) {
	leader, err := c.leaderMember(ctx)
	if err != nil {
		return "", false, err
	}
	resp, err := leader.client.Get(ctx, key)
	if err != nil {
		return "", false, fmt.Errorf("get %s via %s: %w", key, leader.name, err)
	}
	if len(resp.Kvs) == 0 {
		return "", false, nil
	}
	return string(resp.Kvs[0].Value), true, nil
}

func (c *Cluster) leaderMember(ctx context.Context) (*member, error) {
	name, _, err := c.Leader(ctx)
	if err != nil {
		return nil, err
	}
	return c.member(name)
}

// Isolate cuts the member off from every peer: its own proxy refuses everything, and every other
// proxy refuses connections the member opens.
func (c *Cluster) Isolate(name string) error {
	m, err := c.member(name)
	if err != nil {
		return err
	}
	id := m.id.Load()
	if id == 0 {
		return fmt.Errorf("isolating %s: raft ID not known yet", name)
	}
	m.proxy.CutAll()
	for _, p := range c.members {
		if p != m {
			p.proxy.CutFrom(id)
		}
	}
	return nil
}

// Heal lifts every cut.
func (c *Cluster) Heal() error {
	for _, m := range c.members {
		m.proxy.Heal()
	}
	return nil
}

// Close kills every member (its whole process group), waits for them to exit, and closes the
// proxies and clients. It is idempotent: later calls wait for the first and return its error.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.close() })
	return c.closeErr
}

func (c *Cluster) close() error {
	c.mu.Lock()
	c.closed = true
	procs := make([]*process, 0, len(c.members))
	for _, m := range c.members {
		if m.proc != nil {
			procs = append(procs, m.proc)
		}
	}
	stopCtx := c.stopCtx
	c.mu.Unlock()
	if stopCtx != nil {
		stopCtx()
	}
	var errs []error
	for _, p := range procs {
		p.killGroup()
	}
	for _, p := range procs {
		<-p.done
	}
	for _, m := range c.members {
		if m.proxy != nil {
			errs = append(errs, m.proxy.Close())
		}
		if m.client != nil {
			m.client.Close() // reports the context cancellation it causes; nothing to act on
		}
	}
	return errors.Join(errs...)
}

func formatID(id uint64) string { return strconv.FormatUint(id, 16) }
