package repro

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/client"

	"github.com/etcdpm/etcdpm/capture"
	"github.com/etcdpm/etcdpm/cluster"
	"github.com/etcdpm/etcdpm/stack"
)

// composeReadyTimeout bounds how long the members of a fresh project take to answer.
const composeReadyTimeout = 90 * time.Second

// composeBackend runs the demo's docker-compose.yml (its etcd services) as a compose project of
// its own, injects faults through the Docker API and records it with capture.
type composeBackend struct {
	opts   *Options
	proj   *stack.Project
	docker *client.Client
	c      *dockerCluster
	image  string

	session *capture.Session
	cancel  context.CancelFunc
	done    chan struct{}
	sum     *capture.Summary
	err     error
}

func (b *composeBackend) describe() string {
	s := "compose"
	if b.proj != nil {
		s = "compose project " + b.proj.Name + " (" + b.proj.Compose.String() + ")"
	}
	if b.image != "" {
		s += ", image " + b.image
	}
	return s
}

func (b *composeBackend) start(ctx context.Context) (cluster.Cluster, error) {
	ports, err := cluster.FreePorts(len(memberNames))
	if err != nil {
		return nil, err
	}
	env := map[string]string{"ETCD_PRE_VOTE": strconv.FormatBool(b.opts.PreVote)}
	var endpoints []string
	scheme := "http"
	if b.opts.TLS != nil {
		scheme = "https"
	}
	for i, name := range memberNames {
		env[strings.ToUpper(name)+"_PORT"] = strconv.Itoa(ports[i])
		endpoints = append(endpoints, scheme+"://127.0.0.1:"+strconv.Itoa(ports[i]))
	}
	if b.opts.Image != "" {
		env["ETCD_IMAGE"] = b.opts.Image
	}
	name := b.opts.Project
	if name == "" {
		name = stack.RandomName("etcdpm-repro")
	}
	b.proj, err = stack.New(ctx, stack.Options{File: b.opts.ComposeFile, Name: name, Env: env, Compose: b.opts.Compose})
	if err != nil {
		b.proj = nil
		return nil, err
	}
	b.docker, err = client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	// compose up runs to its end even on Ctrl-C: a docker-compose killed
	// half way leaves the daemon creating what the teardown must remove
	// ("network has active endpoints"). The interruption is taken after it.
	upCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), composeUpTimeout)
	err = b.proj.Up(upCtx, memberNames...)
	cancel()
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	if b.c, err = newDockerCluster(ctx, b.docker, b.proj.Name, memberNames, endpoints, b.opts.TLS); err != nil {
		return nil, err
	}
	if info, err := b.docker.ContainerInspect(ctx, b.c.containers[memberNames[0]]); err == nil && info.Config != nil {
		b.image = info.Config.Image
	}
	rctx, cancel := context.WithTimeout(ctx, composeReadyTimeout)
	defer cancel()
	for {
		missing := ""
		for _, s := range b.c.Status(rctx) {
			if s.Err != nil {
				missing = fmt.Sprintf("%s: %v", s.Name, s.Err)
			}
		}
		if missing == "" {
			return b.c, nil
		}
		select {
		case <-rctx.Done():
			return nil, fmt.Errorf("waiting for the members to answer: %w (last: %s)", rctx.Err(), missing)
		case <-time.After(cluster.PollInterval):
		}
	}
}

func (b *composeBackend) startCapture(ctx context.Context, dir string) error {
	s, err := capture.New(ctx, capture.Options{
		Out: dir, Project: b.proj.Name, ComposeFile: b.proj.File, TLS: b.opts.TLS,
		Version: b.opts.Version, Command: b.opts.Command,
	})
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	b.session = s
	b.c.noteTo(s.Note)
	// The capture ends when stopCapture says, also after Ctrl-C: its files are completed then.
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b.cancel, b.done = cancel, make(chan struct{})
	go func() {
		defer close(b.done)
		b.sum, b.err = s.Run(cctx)
	}()
	return nil
}

func (b *composeBackend) snapshot() capture.Snapshot {
	if b.session == nil {
		return capture.Snapshot{}
	}
	return b.session.Snapshot()
}

func (b *composeBackend) stopCapture() (*capture.Summary, error) {
	if b.session == nil {
		return nil, nil
	}
	b.c.noteTo(nil) // a throttle lifted after this (at Close) is in no capture
	b.cancel()
	<-b.done
	if b.err != nil {
		return b.sum, fmt.Errorf("capture: %w", b.err)
	}
	return b.sum, nil
}

// close removes the project: its containers, network and volumes.
// composeUpTimeout bounds `compose up` of the three members (no pull: the
// image must be here).
const composeUpTimeout = 2 * time.Minute

// downTries is how many times the teardown runs `compose down`.
const downTries = 3

func (b *composeBackend) close(ctx context.Context) error {
	var errs []error
	if b.c != nil {
		b.c.Close()
	}
	if b.proj != nil {
		// Down can race with containers the daemon is still starting or
		// stopping; it is idempotent, so a failure is tried again.
		err := b.proj.Down(ctx)
		for try := 1; err != nil && try < downTries && ctx.Err() == nil; try++ {
			time.Sleep(time.Second)
			err = b.proj.Down(ctx)
		}
		errs = append(errs, err)
	}
	if b.docker != nil {
		b.docker.Close()
	}
	return errors.Join(errs...)
}
