package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcdpm/etcdpm/cluster/proxy"
)

// member is one etcd member: fixed addresses and files, and its current process.
type member struct {
	name       string
	clientAddr string       // client listener, host:port
	peerAddr   string       // real peer listener, host:port; peers reach it through proxy
	proxy      *proxy.Proxy // advertised peer address
	dataDir    string
	logPath    string
	client     *clientv3.Client // talks to this member only
	id         atomic.Uint64    // raft ID; 0 until the member first answered
	proc       *process         // nil before the first start; guarded by Cluster.mu
}

// process is one run of a member's executable.
type process struct {
	cmd    *exec.Cmd
	paused bool          // guarded by Cluster.mu
	done   chan struct{} // closed once the process has exited and been reaped
	err    error         // Wait's result; read after done
}

func (p *process) running() bool {
	if p == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// killGroup sends SIGKILL to the process's group (the member and anything it started).
func (p *process) killGroup() {
	if p.running() {
		killGroup(p.cmd.Process)
	}
}

func (p *process) signal(sig signal) error {
	if err := send(p.cmd.Process, sig); err != nil {
		return fmt.Errorf("sending %v to pid %d: %w", sig, p.cmd.Process.Pid, err)
	}
	return nil
}

// signal is a signal a member can be sent, named portably.
type signal int

const (
	sigTerm signal = iota
	sigKill
	sigStop
	sigCont
)

func (s signal) String() string { return [...]string{"SIGTERM", "SIGKILL", "SIGSTOP", "SIGCONT"}[s] }

// StartMember starts the named member's process with its log file opened for appending. A member
// whose data dir already holds a WAL starts with --initial-cluster-state=existing. It does not
// wait for the member to serve.
func (c *Cluster) StartMember(name string) error {
	m, err := c.member(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("starting %s: cluster is closed", name)
	}
	if m.proc.running() {
		return fmt.Errorf("starting %s: already running", name)
	}
	_, statErr := os.Stat(filepath.Join(m.dataDir, "member", "wal"))
	flags := c.flags(m, statErr == nil)

	var cmd *exec.Cmd
	if c.cfg.Command != nil {
		cmd = c.cfg.Command(flags)
	} else {
		cmd = exec.Command(c.cfg.Binary, flags...)
	}
	log, err := os.OpenFile(m.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening log of %s: %w", name, err)
	}
	defer log.Close() // the child holds its own descriptor
	cmd.Stdout, cmd.Stderr = log, log
	prepare(cmd)
	if cmd.Env == nil {
		cmd.Env = environWithoutEtcd()
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		c.mu.Lock()
		m.proxy.Down()
		p.err = err
		close(p.done)
		c.mu.Unlock()
	}()
	go c.exposeWhenListening(m, p)
	m.proc = p
	if c.cfg.OnStart != nil {
		c.cfg.OnStart(name, cmd.Process.Pid)
	}
	return nil
}

// exposeWhenListening brings the member's peer proxy up once process p accepts connections on
// the member's peer port, unless p has exited by then.
func (c *Cluster) exposeWhenListening(m *member, p *process) {
	const poll = 20 * time.Millisecond
	for {
		select {
		case <-p.done:
			return
		case <-time.After(poll):
		}
		conn, err := net.DialTimeout("tcp", m.peerAddr, poll)
		if err != nil {
			continue
		}
		conn.Close()
		c.mu.Lock()
		if p.running() && !c.closed {
			err = m.proxy.Up()
		}
		c.mu.Unlock()
		if err == nil {
			return
		}
	}
}

// environWithoutEtcd is this process's environment minus ETCD_* variables, which etcd would read
// as flags.
func environWithoutEtcd() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ETCD_") {
			env = append(env, kv)
		}
	}
	return env
}

// runningProcess returns the member's process, or an error when it is not running.
func (c *Cluster) runningProcess(name string) (*process, error) {
	m, err := c.member(name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !m.proc.running() {
		return nil, fmt.Errorf("%s is not running", name)
	}
	return m.proc, nil
}

// Stop sends SIGTERM (and SIGCONT, should the member be paused) and waits for it to exit. When
// ctx ends first it kills the member and returns ctx's error.
func (c *Cluster) Stop(ctx context.Context, name string) error {
	p, err := c.runningProcess(name)
	if err != nil {
		return fmt.Errorf("stopping: %w", err)
	}
	if err := p.signal(sigTerm); err != nil {
		return fmt.Errorf("stopping %s: %w", name, err)
	}
	c.mu.Lock()
	paused := p.paused
	p.paused = false
	c.mu.Unlock()
	if paused {
		p.signal(sigCont)
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		p.killGroup()
		<-p.done
		return fmt.Errorf("stopping %s: %w", name, ctx.Err())
	}
}

// Kill sends SIGKILL and waits for the member to exit.
func (c *Cluster) Kill(name string) error {
	p, err := c.runningProcess(name)
	if err != nil {
		return fmt.Errorf("killing: %w", err)
	}
	if err := p.signal(sigKill); err != nil {
		return fmt.Errorf("killing %s: %w", name, err)
	}
	<-p.done
	return nil
}

// Pause freezes the member with SIGSTOP.
func (c *Cluster) Pause(name string) error {
	return c.setPaused(name, true)
}

// Resume thaws a paused member with SIGCONT.
func (c *Cluster) Resume(name string) error {
	return c.setPaused(name, false)
}

func (c *Cluster) setPaused(name string, paused bool) error {
	p, err := c.runningProcess(name)
	if err != nil {
		return err
	}
	sig := sigCont
	if paused {
		sig = sigStop
	}
	if err := p.signal(sig); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	c.mu.Lock()
	p.paused = paused
	c.mu.Unlock()
	return nil
}

// ExitErr is the result of the member's last process, or nil while it runs or before it started.
func (c *Cluster) ExitErr(name string) error {
	m, err := c.member(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	p := m.proc
	c.mu.Unlock()
	if p == nil || p.running() {
		return nil
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) && exit.Exited() && exit.ExitCode() == 0 {
		return nil
	}
	return p.err
}
