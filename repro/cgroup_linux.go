package repro

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/etcdpm/etcdpm/cluster/scenario"
)

// cgroupRoot is where the host's cgroup hierarchies are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// cfsPeriod is the CPU period of a CPU limit, in microseconds (Docker's default).
const cfsPeriod = 100000

// cgroupV2 says the host runs the unified hierarchy (cgroups v2).
func cgroupV2() bool {
	_, err := os.Stat(filepath.Join(cgroupRoot, "cgroup.controllers"))
	return err == nil
}

// procCgroup is the directory of the cgroup of process pid for a v1 controller (cpu, blkio), or
// of its v2 cgroup.
func procCgroup(pid int, controller string) (string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return "", fmt.Errorf("the cgroup of process %d: %w", pid, err)
	}
	v2 := cgroupV2()
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		// hierarchy-ID:controller-list:path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case v2 && parts[0] == "0" && parts[1] == "":
			return filepath.Join(cgroupRoot, parts[2]), nil
		case !v2 && containsField(parts[1], controller):
			dir := filepath.Join(cgroupRoot, controller, parts[2])
			if _, err := os.Stat(dir); err != nil {
				return "", fmt.Errorf("the %s cgroup of process %d: %w", controller, pid, err)
			}
			return dir, nil
		}
	}
	return "", fmt.Errorf("process %d has no %s cgroup", pid, controller)
}

func containsField(list, field string) bool {
	for f := range strings.SplitSeq(list, ",") {
		if f == field {
			return true
		}
	}
	return false
}

// cgroupSetting is one cgroup file's value while throttled and after.
type cgroupSetting struct {
	file, set, unset string
}

// cpuSettings limit a cgroup to cpus of one CPU.
func cpuSettings(cpus float64) []cgroupSetting {
	quota := strconv.Itoa(max(1000, int(cpus*cfsPeriod)))
	period := strconv.Itoa(cfsPeriod)
	if cgroupV2() {
		return []cgroupSetting{{"cpu.max", quota + " " + period, "max " + period}}
	}
	return []cgroupSetting{{"cpu.cfs_period_us", period, period}, {"cpu.cfs_quota_us", quota, "-1"}}
}

// writeSettings cap a cgroup's writes to the block device dev ("major:minor").
func writeSettings(dev string, lim scenario.Limits) []cgroupSetting {
	if cgroupV2() {
		var set []string
		if lim.WriteBps > 0 {
			set = append(set, fmt.Sprintf("wbps=%d", lim.WriteBps))
		}
		if lim.WriteIOps > 0 {
			set = append(set, fmt.Sprintf("wiops=%d", lim.WriteIOps))
		}
		return []cgroupSetting{{"io.max", dev + " " + strings.Join(set, " "), dev + " wbps=max wiops=max"}}
	}
	var out []cgroupSetting
	if lim.WriteBps > 0 {
		out = append(out, cgroupSetting{"blkio.throttle.write_bps_device", fmt.Sprintf("%s %d", dev, lim.WriteBps), dev + " 0"})
	}
	if lim.WriteIOps > 0 {
		out = append(out, cgroupSetting{"blkio.throttle.write_iops_device", fmt.Sprintf("%s %d", dev, lim.WriteIOps), dev + " 0"})
	}
	return out
}

// apply writes the settings' values into dir (set, else unset), all it can; unset undoes a
// partial set.
func apply(dir string, settings []cgroupSetting, set bool) error {
	var errs []error
	for _, s := range settings {
		v := s.unset
		if set {
			v = s.set
		}
		if err := os.WriteFile(filepath.Join(dir, s.file), []byte(v), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("writing %q to %s: %w", v, filepath.Join(dir, s.file), err))
			if set {
				apply(dir, settings, false)
				break
			}
		}
	}
	return errors.Join(errs...)
}

// blockDevice finds the whole disk under path: its device node and "major:minor". A path on a
// file system with no block device (tmpfs, overlay) is an error saying so.
func blockDevice(path string) (node, dev string, err error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return "", "", err
	}
	sys := fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev))
	if _, err := os.Stat(sys); err != nil {
		return "", "", fmt.Errorf("%s is on device %d:%d, which is no block device (tmpfs, overlay?): its writes cannot be throttled", path, unix.Major(st.Dev), unix.Minor(st.Dev))
	}
	if _, err := os.Stat(filepath.Join(sys, "partition")); err == nil {
		sys = filepath.Join(sys, "..") // the throttles take the whole disk
	}
	uevent, err := os.ReadFile(filepath.Join(sys, "uevent"))
	if err != nil {
		return "", "", err
	}
	var major, minor, name string
	for line := range strings.SplitSeq(string(uevent), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "MAJOR":
			major = v
		case "MINOR":
			minor = v
		case "DEVNAME":
			name = v
		}
	}
	if major == "" || name == "" {
		return "", "", fmt.Errorf("%s: no device in %s", path, sys)
	}
	return "/dev/" + name, major + ":" + minor, nil
}

// processThrottle limits a process (a local member) by moving it into a cgroup of its own, a
// child of each hierarchy's root, and back. It needs root and writable cgroup hierarchies.
type processThrottle struct {
	pid   int
	moves []cgroupMove
}

// cgroupMove is the process moved from its cgroup into a throttled one.
type cgroupMove struct {
	from, to string
	settings []cgroupSetting
}

// throttleProcess moves process pid, named name, into cgroups with the limits; disk limits apply
// to the device of dataDir.
func throttleProcess(pid int, name, dataDir string, lim scenario.Limits) (*processThrottle, string, error) {
	p := &processThrottle{pid: pid}
	var hows []string
	type want struct {
		controller string
		settings   []cgroupSetting
	}
	var wants []want
	if lim.CPUs > 0 {
		wants = append(wants, want{"cpu", cpuSettings(lim.CPUs)})
	}
	if lim.WriteBps > 0 || lim.WriteIOps > 0 {
		node, dev, err := blockDevice(dataDir)
		if err != nil {
			return nil, "", err
		}
		ctrl := "blkio"
		if cgroupV2() {
			ctrl = "io"
		}
		wants = append(wants, want{ctrl, writeSettings(dev, lim)})
		hows = append(hows, "writes to "+node)
	}
	for _, w := range wants {
		if err := p.move(name, w.controller, w.settings); err != nil {
			p.undo()
			return nil, "", err
		}
	}
	dirs := make([]string, len(p.moves))
	for i, m := range p.moves {
		dirs[i] = m.to
	}
	how := "cgroup " + strings.Join(dirs, ", ")
	if len(hows) > 0 {
		how += ": " + strings.Join(hows, ", ")
	}
	return p, how, nil
}

// move creates the throttled cgroup of one controller (cgroups v1) or the one cgroup (v2, where
// the root's cgroup.subtree_control must enable the controller), and moves the process there.
func (p *processThrottle) move(name, controller string, settings []cgroupSetting) error {
	v2 := cgroupV2()
	from, err := procCgroup(p.pid, controller)
	if err != nil {
		return err
	}
	root := filepath.Join(cgroupRoot, controller)
	if v2 {
		root = cgroupRoot
		if err := os.WriteFile(filepath.Join(root, "cgroup.subtree_control"), []byte("+"+controller), 0o644); err != nil {
			return fmt.Errorf("cgroups v2: enabling %s for child cgroups: %w", controller, err)
		}
	}
	to := filepath.Join(root, fmt.Sprintf("etcdpm-%s-%d", name, p.pid))
	if v2 && len(p.moves) > 0 {
		to = p.moves[0].to // one cgroup holds every v2 limit
	} else if err := os.Mkdir(to, 0o755); err != nil {
		return fmt.Errorf("creating a cgroup for %s: %w", name, err)
	}
	m := cgroupMove{from: from, to: to, settings: settings}
	if err := apply(to, settings, true); err != nil {
		os.Remove(to)
		return err
	}
	if err := os.WriteFile(filepath.Join(to, "cgroup.procs"), []byte(strconv.Itoa(p.pid)), 0o644); err != nil {
		os.Remove(to)
		return fmt.Errorf("moving %s (pid %d) into %s: %w", name, p.pid, to, err)
	}
	p.moves = append(p.moves, m)
	return nil
}

// undo moves the process back into its cgroups and removes the throttled ones.
func (p *processThrottle) undo() error {
	var errs []error
	for i := len(p.moves) - 1; i >= 0; i-- {
		m := p.moves[i]
		err := os.WriteFile(filepath.Join(m.from, "cgroup.procs"), []byte(strconv.Itoa(p.pid)), 0o644)
		if err != nil && !errors.Is(err, unix.ESRCH) { // a member that exited is out already
			errs = append(errs, fmt.Errorf("moving pid %d back into %s: %w", p.pid, m.from, err))
		}
		if err := os.Remove(m.to); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	p.moves = nil
	return errors.Join(errs...)
}
