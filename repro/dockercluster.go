package repro

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcdpm/etcdpm/cluster"
	"github.com/etcdpm/etcdpm/parser"
)

// dockerTimeout bounds one Docker API call that takes no context of its caller.
const dockerTimeout = 30 * time.Second

// dockerCluster is a compose project's etcd members as a cluster.Cluster: faults through the
// Docker API (stop, kill, pause, network disconnect), status and data through each member's
// published client port.
type dockerCluster struct {
	docker     *client.Client
	project    string
	names      []string
	containers map[string]string // service to container ID
	clients    map[string]*clientv3.Client
	endpoints  map[string]string
	tls        *tls.Config // of every client; nil: none

	mu  sync.Mutex
	ids map[string]string
	cut map[string]map[string]*network.EndpointSettings // isolated service: network name to its settings
	// throttled are the limits Throttle set, by service.
	throttled map[string]dockerThrottle
	// note records a throttle and its end in the capture (capture.Session.Note), once it runs.
	note func(action, name string, attrs map[string]string)
}

// noteTo has the throttles noted with note from now on (nil: not at all).
func (c *dockerCluster) noteTo(note func(action, name string, attrs map[string]string)) {
	c.mu.Lock()
	c.note = note
	c.mu.Unlock()
}

// noted records a fault of name in the capture, if one runs.
func (c *dockerCluster) noted(action, name string, attrs map[string]string) {
	c.mu.Lock()
	note := c.note
	c.mu.Unlock()
	if note != nil {
		note(action, name, attrs)
	}
}

var _ cluster.Cluster = (*dockerCluster)(nil)

// newDockerCluster finds the containers of the project's services (names) and dials each
// member's endpoint.
func newDockerCluster(ctx context.Context, docker *client.Client, project string, names, endpoints []string, tc *tls.Config) (*dockerCluster, error) {
	c := &dockerCluster{
		docker: docker, project: project, names: names, tls: tc,
		containers: map[string]string{}, clients: map[string]*clientv3.Client{}, endpoints: map[string]string{},
		ids: map[string]string{}, cut: map[string]map[string]*network.EndpointSettings{},
		throttled: map[string]dockerThrottle{},
	}
	list, err := docker.ContainerList(ctx, container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", "com.docker.compose.project="+project)),
	})
	if err != nil {
		return nil, fmt.Errorf("docker: listing the containers of %s: %w", project, err)
	}
	for _, s := range list {
		if svc := s.Labels["com.docker.compose.service"]; slices.Contains(names, svc) {
			c.containers[svc] = s.ID
		}
	}
	for i, name := range names {
		if c.containers[name] == "" {
			c.Close()
			return nil, fmt.Errorf("project %s has no container for %s", project, name)
		}
		cli, err := cluster.NewClient(endpoints[i], c.tls)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("client of %s: %w", name, err)
		}
		c.clients[name], c.endpoints[name] = cli, endpoints[i]
	}
	return c, nil
}

func (c *dockerCluster) Names() []string { return slices.Clone(c.names) }

func (c *dockerCluster) IDs() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make(map[string]string, len(c.ids))
	for k, v := range c.ids {
		ids[k] = v
	}
	return ids
}

// memberStatusTimeout bounds one member's answer to a status request.
const memberStatusTimeout = time.Second

func (c *dockerCluster) Status(ctx context.Context) []cluster.MemberStatus {
	out := make([]cluster.MemberStatus, len(c.names))
	var wg sync.WaitGroup
	for i, name := range c.names {
		wg.Go(func() {
			sctx, cancel := context.WithTimeout(ctx, memberStatusTimeout)
			defer cancel()
			s := cluster.MemberStatus{Name: name}
			c.mu.Lock()
			s.ID = c.ids[name]
			c.mu.Unlock()
			info, err := c.docker.ContainerInspect(sctx, c.containers[name])
			if err != nil {
				s.Err = fmt.Errorf("inspecting %s: %w", name, err)
				out[i] = s
				return
			}
			s.Running, s.Paused = info.State != nil && info.State.Running, info.State != nil && info.State.Paused
			if !s.Running {
				s.Err = errors.New("not running")
				out[i] = s
				return
			}
			resp, err := c.clients[name].Status(sctx, c.endpoints[name])
			if err != nil {
				s.Err = fmt.Errorf("status of %s: %w", name, err)
				out[i] = s
				return
			}
			s.ID = parser.ID(resp.Header.MemberId).String()
			c.mu.Lock()
			c.ids[name] = s.ID
			c.mu.Unlock()
			s.Leader = parser.ID(resp.Leader).String()
			s.Term, s.Index = resp.RaftTerm, resp.RaftIndex
			out[i] = s
		})
	}
	wg.Wait()
	return out
}

func (c *dockerCluster) container(name string) (string, error) {
	id := c.containers[name]
	if id == "" {
		return "", fmt.Errorf("no member %q", name)
	}
	return id, nil
}

// Stop stops the member's container as `docker compose stop` does: SIGTERM, and SIGKILL after
// Docker's 10 s.
func (c *dockerCluster) Stop(ctx context.Context, name string) error {
	id, err := c.container(name)
	if err != nil {
		return err
	}
	if err := c.docker.ContainerStop(ctx, id, container.StopOptions{}); err != nil {
		return fmt.Errorf("docker: stopping %s: %w", name, err)
	}
	return nil
}

func (c *dockerCluster) Kill(name string) error {
	id, err := c.container(name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	waitc, errc := c.docker.ContainerWait(ctx, id, container.WaitConditionNotRunning)
	if err := c.docker.ContainerKill(ctx, id, "SIGKILL"); err != nil {
		return fmt.Errorf("docker: killing %s: %w", name, err)
	}
	select {
	case <-waitc:
		return nil
	case err := <-errc:
		return fmt.Errorf("docker: waiting for %s to exit: %w", name, err)
	}
}

func (c *dockerCluster) Pause(name string) error {
	return c.call(name, "pausing", func(ctx context.Context, id string) error { return c.docker.ContainerPause(ctx, id) })
}

func (c *dockerCluster) Resume(name string) error {
	return c.call(name, "unpausing", func(ctx context.Context, id string) error { return c.docker.ContainerUnpause(ctx, id) })
}

func (c *dockerCluster) StartMember(name string) error {
	return c.call(name, "starting", func(ctx context.Context, id string) error {
		return c.docker.ContainerStart(ctx, id, container.StartOptions{})
	})
}

func (c *dockerCluster) call(name, what string, fn func(ctx context.Context, id string) error) error {
	id, err := c.container(name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	if err := fn(ctx, id); err != nil {
		return fmt.Errorf("docker: %s %s: %w", what, name, err)
	}
	return nil
}

// Isolate disconnects the member's container from every network it is on (the project's), so
// that no peer reaches it nor it them; Heal connects it again under the same aliases.
func (c *dockerCluster) Isolate(name string) error {
	id, err := c.container(name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	info, err := c.docker.ContainerInspect(ctx, id)
	if err != nil {
		return fmt.Errorf("docker: inspecting %s: %w", name, err)
	}
	if info.NetworkSettings == nil || len(info.NetworkSettings.Networks) == 0 {
		return fmt.Errorf("%s is on no network", name)
	}
	c.mu.Lock()
	if c.cut[name] == nil {
		c.cut[name] = map[string]*network.EndpointSettings{}
	}
	c.mu.Unlock()
	for net, ep := range info.NetworkSettings.Networks {
		if err := c.docker.NetworkDisconnect(ctx, net, id, false); err != nil {
			return fmt.Errorf("docker: disconnecting %s from %s: %w", name, net, err)
		}
		c.mu.Lock()
		c.cut[name][net] = &network.EndpointSettings{Aliases: ep.Aliases}
		c.mu.Unlock()
	}
	return nil
}

func (c *dockerCluster) Heal() error {
	c.mu.Lock()
	cut := c.cut
	c.cut = map[string]map[string]*network.EndpointSettings{}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	var errs []error
	for name, nets := range cut {
		for net, ep := range nets {
			if err := c.docker.NetworkConnect(ctx, net, c.containers[name], ep); err != nil {
				errs = append(errs, fmt.Errorf("docker: connecting %s to %s: %w", name, net, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (c *dockerCluster) leaderClient(ctx context.Context) (*clientv3.Client, string, error) {
	name, _, err := cluster.Leader(ctx, c)
	if err != nil {
		return nil, "", err
	}
	return c.clients[name], name, nil
}

func (c *dockerCluster) MoveLeader(ctx context.Context, to string) error {
	cli, from, err := c.leaderClient(ctx)
	if err != nil {
		return err
	}
	var target uint64
	if _, err := fmt.Sscanf(c.IDs()[to], "%x", &target); err != nil {
		return fmt.Errorf("moving leader to %s: ID not known", to)
	}
	if _, err := cli.MoveLeader(ctx, target); err != nil {
		return fmt.Errorf("moving leader from %s to %s: %w", from, to, err)
	}
	return nil
}

func (c *dockerCluster) Put(ctx context.Context, key, value string) error {
	cli, leader, err := c.leaderClient(ctx)
	if err != nil {
		return err
	}
	if _, err := cli.Put(ctx, key, value); err != nil {
		return fmt.Errorf("put %s via %s: %w", key, leader, err)
	}
	return nil
}

func (c *dockerCluster) Get(ctx context.Context, key string) (string, bool, error) {
	cli, leader, err := c.leaderClient(ctx)
	if err != nil {
		return "", false, err
	}
	resp, err := cli.Get(ctx, key)
	if err != nil {
		return "", false, fmt.Errorf("get %s via %s: %w", key, leader, err)
	}
	if len(resp.Kvs) == 0 {
		return "", false, nil
	}
	return string(resp.Kvs[0].Value), true, nil
}

// Close lifts the throttles still set (a run cut short during a hold) and closes the clients; the containers are the project's, removed with it.
func (c *dockerCluster) Close() error {
	c.mu.Lock()
	names := slices.Collect(maps.Keys(c.throttled))
	c.mu.Unlock()
	for _, name := range names {
		ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
		c.Unthrottle(ctx, name)
		cancel()
	}
	for _, cli := range c.clients {
		cli.Close()
	}
	return nil
}
