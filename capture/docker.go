package capture

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/docker/go-connections/nat"
)

// Compose's labels on the containers it creates.
const (
	labelProject     = "com.docker.compose.project"
	labelService     = "com.docker.compose.service"
	labelNumber      = "com.docker.compose.container-number"
	labelConfigFiles = "com.docker.compose.project.config_files"
	labelWorkingDir  = "com.docker.compose.project.working_dir"
)

// etcdClientPort is the container port of etcd's client URL.
const etcdClientPort = "2379/tcp"

// engine is what a capture needs of the Docker engine. dockerEngine
// implements it with the Docker SDK; tests use a fake.
type engine interface {
	logSource
	// Version returns the engine's version and the API version in use.
	Version(ctx context.Context) (server, api string, err error)
	// Containers lists the containers, in any state, of a compose project.
	Containers(ctx context.Context, project string) ([]containerInfo, error)
	// Projects maps each compose project with containers to its config files
	// (the com.docker.compose.project.config_files label), as absolute paths.
	Projects(ctx context.Context) (map[string][]string, error)
	// Inspect describes one container; the error satisfies isNotFound when
	// the container is gone.
	Inspect(ctx context.Context, id string) (containerInfo, error)
	// Events streams the container and network events of watchedActions
	// from since until ctx ends, or until until when it is not zero (then
	// the event channel is closed at the end).
	Events(ctx context.Context, since, until time.Time) (<-chan dockerEvent, <-chan error)
	Close() error
}

// logSource streams a container's log.
type logSource interface {
	// Logs writes the container's log to w, stdout and stderr demultiplexed,
	// each line as the daemon stamps it: "<RFC3339Nano time> <text>\n".
	// since ("" for all, else a daemon timestamp) is inclusive. With follow
	// it returns when the container stops (nil or io.EOF) or ctx ends.
	Logs(ctx context.Context, id, since string, follow bool, w io.Writer) error
}

// containerInfo is what a capture knows of a container.
type containerInfo struct {
	ID      string
	Name    string // without Docker's leading "/"
	Project string
	Service string
	Number  int // compose's container number, 0 when none
	Image   string
	Running bool
	// Member: the container exposes etcd's client port, 2379/tcp.
	Member bool
	// Endpoint is the published 2379/tcp as http://127.0.0.1:<port>, or ""
	// when it is not published (or not known while the container is stopped).
	Endpoint string
}

// member returns the name the capture gives the container's etcd member
// and fault target: the service ("etcd1"), the service and its number when
// scaled ("etcd1-2"), the container's name outside compose.
func (c containerInfo) member() string {
	switch {
	case c.Service == "":
		return c.Name
	case c.Number > 1:
		return c.Service + "-" + strconv.Itoa(c.Number)
	}
	return c.Service
}

// logName returns the name logs.txt prefixes the container's lines with, as
// docker compose v2 does: "etcd1-1".
func (c containerInfo) logName() string {
	if c.Service == "" {
		return c.Name
	}
	return c.Service + "-" + strconv.Itoa(max(c.Number, 1))
}

// dockerEvent is one Docker event of a capture's project.
type dockerEvent struct {
	Time       time.Time // from timeNano
	Type       string    // "container" or "network"
	Action     string
	Container  string // container ID (the actor of a container event, the "container" attribute of a network one)
	Attributes map[string]string
}

// watchedActions are the events a capture records.
var watchedActions = []string{
	"create", "start", "stop", "kill", "die", "oom", "pause", "unpause", "restart", // container
	"connect", "disconnect", // network
}

// dockerEngine is the Docker Engine API, through the Docker SDK.
type dockerEngine struct {
	c *client.Client
}

// dialDocker connects to the engine of the environment (DOCKER_HOST, ...),
// negotiating the API version so that older engines work.
func dialDocker(ctx context.Context) (*dockerEngine, error) {
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	if _, err := c.Ping(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("docker: %w", err)
	}
	return &dockerEngine{c: c}, nil
}

func (d *dockerEngine) Close() error { return d.c.Close() }

func (d *dockerEngine) Version(ctx context.Context) (string, string, error) {
	v, err := d.c.ServerVersion(ctx)
	if err != nil {
		return "", "", err
	}
	return v.Version, d.c.ClientVersion(), nil
}

func (d *dockerEngine) Containers(ctx context.Context, project string) ([]containerInfo, error) {
	list, err := d.c.ContainerList(ctx, container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", labelProject+"="+project)),
	})
	if err != nil {
		return nil, err
	}
	var cs []containerInfo
	for _, s := range list {
		c, err := d.Inspect(ctx, s.ID)
		if isNotFound(err) {
			continue // removed since listed
		}
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

func (d *dockerEngine) Projects(ctx context.Context) (map[string][]string, error) {
	list, err := d.c.ContainerList(ctx, container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", labelProject)),
	})
	if err != nil {
		return nil, err
	}
	ps := make(map[string][]string)
	for _, s := range list {
		p := s.Labels[labelProject]
		if _, ok := ps[p]; ok || p == "" {
			continue
		}
		var files []string
		for f := range strings.SplitSeq(s.Labels[labelConfigFiles], ",") {
			if f = strings.TrimSpace(f); f == "" {
				continue
			}
			if !filepath.IsAbs(f) { // docker-compose v1 writes them relative to the working directory
				f = filepath.Join(s.Labels[labelWorkingDir], f)
			}
			files = append(files, f)
		}
		ps[p] = files
	}
	return ps, nil
}

func (d *dockerEngine) Inspect(ctx context.Context, id string) (containerInfo, error) {
	j, err := d.c.ContainerInspect(ctx, id)
	if err != nil {
		return containerInfo{}, err
	}
	c := containerInfo{ID: j.ID, Name: strings.TrimPrefix(j.Name, "/")}
	if j.Config != nil {
		c.Project = j.Config.Labels[labelProject]
		c.Service = j.Config.Labels[labelService]
		c.Number, _ = strconv.Atoi(j.Config.Labels[labelNumber])
		c.Image = j.Config.Image
		_, c.Member = j.Config.ExposedPorts[etcdClientPort]
	}
	if j.State != nil {
		c.Running = j.State.Running
	}
	var bindings []nat.PortBinding
	if j.NetworkSettings != nil && c.Running {
		bindings = j.NetworkSettings.Ports[etcdClientPort]
	}
	if len(bindings) == 0 && j.HostConfig != nil {
		bindings = j.HostConfig.PortBindings[etcdClientPort] // configured; its port may be "" (any)
	}
	if len(bindings) > 0 {
		c.Member = true
	}
	c.Endpoint = endpointOf(bindings)
	return c, nil
}

// endpointOf returns the client URL the host reaches a published port at:
// a binding on 127.0.0.1 first, then one on every address.
func endpointOf(bindings []nat.PortBinding) string {
	best, rank := "", 0
	for _, b := range bindings {
		if b.HostPort == "" || b.HostPort == "0" {
			continue
		}
		r := 1
		switch b.HostIP {
		case "127.0.0.1":
			r = 3
		case "", "0.0.0.0", "::":
			r = 2
		}
		host := b.HostIP
		if r == 2 {
			host = "127.0.0.1"
		}
		if r > rank {
			best, rank = "http://"+net.JoinHostPort(host, b.HostPort), r
		}
	}
	return best
}

func (d *dockerEngine) Logs(ctx context.Context, id, since string, follow bool, w io.Writer) error {
	j, err := d.c.ContainerInspect(ctx, id)
	if err != nil {
		return err
	}
	rc, err := d.c.ContainerLogs(ctx, id, container.LogsOptions{
		ShowStdout: true, ShowStderr: true, Timestamps: true, Follow: follow, Since: since,
	})
	if err != nil {
		return err
	}
	defer rc.Close()
	if j.Config != nil && j.Config.Tty {
		_, err = io.Copy(w, bufio.NewReaderSize(rc, 64<<10))
	} else {
		_, err = stdcopy.StdCopy(w, w, rc)
	}
	return err
}

func (d *dockerEngine) Events(ctx context.Context, since, until time.Time) (<-chan dockerEvent, <-chan error) {
	args := filters.NewArgs(filters.Arg("type", "container"), filters.Arg("type", "network"))
	for _, a := range watchedActions {
		args.Add("event", a)
	}
	opts := events.ListOptions{Filters: args}
	if !since.IsZero() {
		opts.Since = unixNano(since)
	}
	if !until.IsZero() {
		opts.Until = unixNano(until)
	}
	msgs, errs := d.c.Events(ctx, opts)
	out := make(chan dockerEvent)
	outErr := make(chan error, 1)
	go func() {
		defer close(out)
		for {
			select {
			case m := <-msgs:
				ev := dockerEvent{
					Time:       time.Unix(0, m.TimeNano),
					Type:       string(m.Type),
					Action:     string(m.Action),
					Container:  m.Actor.ID,
					Attributes: m.Actor.Attributes,
				}
				if m.TimeNano == 0 {
					ev.Time = time.Unix(m.Time, 0)
				}
				if ev.Type == string(events.NetworkEventType) {
					ev.Container = m.Actor.Attributes["container"]
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			case err := <-errs:
				if errors.Is(err, io.EOF) && !until.IsZero() {
					return // the end of a bounded read
				}
				outErr <- err
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, outErr
}

func unixNano(t time.Time) string {
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
}

// errNotFound is what fakes return for a container that is gone.
var errNotFound = errors.New("no such container")

func isNotFound(err error) bool {
	return err != nil && (errors.Is(err, errNotFound) || cerrdefs.IsNotFound(err))
}
