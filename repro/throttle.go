package repro

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/blkiodev"
	"github.com/docker/docker/api/types/container"

	"github.com/etcdpm/etcdpm/cluster/scenario"
)

// The mount point of a member's data volume in docker-compose.yml.
const dataMount = "/var/lib/etcd"

// dockerThrottle is what Throttle set on a container, for Unthrottle.
type dockerThrottle struct {
	cpu bool
	// disk: the device ("major:minor") and its node, and the container's blkio cgroup when the
	// limits were written there (the engine ignored them in ContainerUpdate); "" when the engine
	// applied them.
	dev, node, cgroup string
	settings          []cgroupSetting
}

var _ scenario.Throttler = (*dockerCluster)(nil)

// Throttle limits the member's container. The CPU through ContainerUpdate (CpuPeriod and
// CpuQuota, which the engine applies to a running container). The writes to the device of its
// data volume through ContainerUpdate's BlkioDeviceWriteBps and BlkioDeviceWriteIOps where the
// engine applies them, as inspecting the container shows; Docker 20.10 takes them and ignores
// them, and there the limits are written into the container's blkio (v1) or io (v2) cgroup,
// which works when the engine runs on this host.
func (c *dockerCluster) Throttle(ctx context.Context, name string, lim scenario.Limits) (string, error) {
	id, err := c.container(name)
	if err != nil {
		return "", err
	}
	var t dockerThrottle
	var hows []string
	if lim.CPUs > 0 {
		quota := max(1000, int64(lim.CPUs*cfsPeriod))
		_, err := c.docker.ContainerUpdate(ctx, id, container.UpdateConfig{Resources: container.Resources{CPUPeriod: cfsPeriod, CPUQuota: quota}})
		if err != nil {
			return "", fmt.Errorf("docker: limiting the CPU of %s: %w", name, err)
		}
		t.cpu = true
		hows = append(hows, fmt.Sprintf("docker update --cpu-period %d --cpu-quota %d", cfsPeriod, quota))
	}
	if lim.WriteBps > 0 || lim.WriteIOps > 0 {
		how, err := c.throttleWrites(ctx, name, id, lim, &t)
		if err != nil {
			c.unthrottle(ctx, name, id, t)
			return "", err
		}
		hows = append(hows, how)
	}
	c.mu.Lock()
	c.throttled[name] = t
	c.mu.Unlock()
	how := strings.Join(hows, "; ")
	c.noted("throttle", name, map[string]string{"limits": lim.String(), "how": how})
	return how, nil
}

func (c *dockerCluster) throttleWrites(ctx context.Context, name, id string, lim scenario.Limits, t *dockerThrottle) (string, error) {
	info, err := c.docker.ContainerInspect(ctx, id)
	if err != nil {
		return "", fmt.Errorf("docker: inspecting %s: %w", name, err)
	}
	src := ""
	for _, m := range info.Mounts {
		if m.Destination == dataMount {
			src = m.Source
		}
	}
	if src == "" {
		return "", fmt.Errorf("%s has no volume at %s, where its data is", name, dataMount)
	}
	node, dev, err := blockDevice(src)
	if err != nil {
		return "", fmt.Errorf("the data volume of %s (%s; a Docker engine on another host cannot be throttled from here): %w", name, src, err)
	}
	t.dev, t.node = dev, node
	r := container.Resources{}
	if lim.WriteBps > 0 {
		r.BlkioDeviceWriteBps = []*blkiodev.ThrottleDevice{{Path: node, Rate: lim.WriteBps}}
	}
	if lim.WriteIOps > 0 {
		r.BlkioDeviceWriteIOps = []*blkiodev.ThrottleDevice{{Path: node, Rate: lim.WriteIOps}}
	}
	if _, err := c.docker.ContainerUpdate(ctx, id, container.UpdateConfig{Resources: r}); err != nil {
		return "", fmt.Errorf("docker: limiting the writes of %s: %w", name, err)
	}
	if info, err = c.docker.ContainerInspect(ctx, id); err != nil {
		return "", fmt.Errorf("docker: inspecting %s: %w", name, err)
	}
	if hc := info.HostConfig; hc != nil && (len(hc.BlkioDeviceWriteBps) > 0 || len(hc.BlkioDeviceWriteIOps) > 0) {
		return fmt.Sprintf("docker update: BlkioDeviceWriteBps and BlkioDeviceWriteIOps on %s", node), nil
	}
	if info.State == nil || info.State.Pid == 0 {
		return "", fmt.Errorf("%s is not running", name)
	}
	ctrl := "blkio"
	if cgroupV2() {
		ctrl = "io"
	}
	dir, err := procCgroup(info.State.Pid, ctrl)
	if err != nil {
		return "", fmt.Errorf("the engine ignored the blkio limits of ContainerUpdate, and %w", err)
	}
	t.settings = writeSettings(dev, lim)
	if err := apply(dir, t.settings, true); err != nil {
		return "", fmt.Errorf("the engine ignored the blkio limits of ContainerUpdate, and %w", err)
	}
	t.cgroup = dir
	return fmt.Sprintf("the container's cgroup %s: writes to %s (%s; the engine ignored ContainerUpdate's blkio limits)", dir, node, dev), nil
}

// Unthrottle lifts what Throttle set on the member's container: its CPU quota is -1 (none)
// again, its write limits 0 (none).
func (c *dockerCluster) Unthrottle(ctx context.Context, name string) error {
	id, err := c.container(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	t, ok := c.throttled[name]
	delete(c.throttled, name)
	c.mu.Unlock()
	if !ok {
		return nil
	}
	if err := c.unthrottle(ctx, name, id, t); err != nil {
		return err // still throttled, as far as the capture tells
	}
	c.noted("unthrottle", name, nil)
	return nil
}

func (c *dockerCluster) unthrottle(ctx context.Context, name, id string, t dockerThrottle) error {
	var errs []error
	if t.cpu {
		if _, err := c.docker.ContainerUpdate(ctx, id, container.UpdateConfig{Resources: container.Resources{CPUQuota: -1}}); err != nil {
			errs = append(errs, fmt.Errorf("docker: lifting the CPU limit of %s: %w", name, err))
		}
	}
	switch {
	case t.cgroup != "":
		errs = append(errs, apply(t.cgroup, t.settings, false))
	case t.node != "":
		off := []*blkiodev.ThrottleDevice{{Path: t.node, Rate: 0}}
		r := container.Resources{BlkioDeviceWriteBps: off, BlkioDeviceWriteIOps: off}
		if _, err := c.docker.ContainerUpdate(ctx, id, container.UpdateConfig{Resources: r}); err != nil {
			errs = append(errs, fmt.Errorf("docker: lifting the write limits of %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
