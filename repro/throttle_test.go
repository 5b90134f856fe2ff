//go:build linux

package repro

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/cluster/scenario"
	"github.com/etcdpm/etcdpm/stack"
)

// throttleCheck is what a throttle test checks of the throttled member: limited (true) at the
// end of the hold, or free (false) after the scenario.
type throttleCheck func(t *testing.T, name string, limited bool)

// throttleRun runs a throttle scenario on b up to the data check with the capture on, checks the
// throttled member with check during the hold and after it, and returns the capture directory,
// the member and b's close (which the test's cleanup calls too).
func throttleRun(t *testing.T, ctx context.Context, b backend, scenarioName string, check throttleCheck) (string, string, func() error) {
	t.Helper()
	closeOnce := sync.OnceValue(func() error { return b.close(context.WithoutCancel(ctx)) })
	t.Cleanup(func() { closeOnce() })
	sc, ok := LookupScenario(scenarioName)
	if !ok || !sc.Throttles() {
		t.Fatalf("no throttle scenario %s", scenarioName)
	}
	c, err := b.start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tl := scenario.NewTimeline(io.Discard)
	throttled := ""
	_, err = sc.Run(ctx, c, tl, scenario.Options{
		Hold: 12 * time.Second, Keys: keys("/root", scenarioName), Root: "/root",
		Print:       func(text string) { t.Log(text) },
		BeforeFault: func(ctx context.Context) error { return b.startCapture(ctx, dir) },
		Observe: func() string {
			for _, s := range tl.Steps() {
				if s.Action == "throttle" {
					throttled = s.Target
				}
			}
			check(t, throttled, true)
			return "checked the throttle of " + throttled
		},
	})
	if _, cerr := b.stopCapture(); cerr != nil {
		t.Error(cerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if throttled == "" {
		t.Fatal("no throttle step")
	}
	check(t, throttled, false)
	return dir, throttled, closeOnce
}

// checkThrottleLogs checks that the member's logs show what etcd logs of a slow disk or a
// starved leader, and returns the capture's metrics of the member.
func checkThrottleLogs(t *testing.T, dir, name string) capdir.MetricsSeries {
	t.Helper()
	paths, err := capdir.LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var logs []byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, b...)
	}
	late := bytes.Count(logs, []byte("leader failed to send out heartbeat on time"))
	slow := bytes.Count(logs, []byte("slow fdatasync"))
	t.Logf("logs: %d late heartbeats, %d slow fdatasyncs, %d slow applies", late, slow, bytes.Count(logs, []byte("apply request took too long")))
	if late+slow == 0 {
		t.Error("the logs show no late heartbeat and no slow fdatasync")
	}
	capt, err := capdir.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(capt.Faults, func(f capdir.Fault) bool {
		return f.Target == name && strings.HasPrefix(f.Label, "throttled "+name+" (") && f.End.After(f.Start)
	}) {
		t.Errorf("no fault of %s throttled in the capture: %+v", name, capt.Faults)
	}
	for _, ms := range capt.Metrics {
		if ms.Name == name {
			return ms
		}
	}
	t.Fatalf("no metrics of %s", name)
	return capdir.MetricsSeries{}
}

// maxFsync is the member's highest WAL fsync p99 over the capture's intervals, in seconds.
func maxFsync(ms capdir.MetricsSeries) float64 {
	worst := 0.0
	for _, iv := range ms.Intervals {
		worst = max(worst, iv.WALFsync.P99)
	}
	return worst
}

// cgroupFile reads a file of the cgroup of process pid for controller.
func cgroupFile(t *testing.T, pid int, controller, file string) (string, string) {
	t.Helper()
	dir, err := procCgroup(pid, controller)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return dir, strings.TrimSpace(string(b))
}

// TestComposeThrottles runs slow-disk and overloaded-leader on the demo's stack: the throttle is
// on the leader's container at the end of the hold (its cgroup says so) and off after, the logs
// show late heartbeats or slow fdatasyncs, and for slow-disk the metrics its slow WAL fsyncs.
func TestComposeThrottles(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the compose stack takes 40 s per scenario")
	}
	compose, image := requireCompose(t)
	if cgroupV2() {
		t.Log("cgroups v2: the checks read io.max and cpu.max")
	}
	for _, name := range []string{"slow-disk", "overloaded-leader"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
			defer cancel()
			project := stack.RandomName("etcdpm-repro-test")
			b := &composeBackend{opts: &Options{ComposeFile: composeFile, Image: image, Project: project, Compose: &compose, Version: "test"}}
			check := func(t *testing.T, member string, limited bool) {
				info, err := b.docker.ContainerInspect(t.Context(), b.c.containers[member])
				if err != nil {
					t.Fatal(err)
				}
				hc := info.HostConfig
				if name == "overloaded-leader" {
					_, quota := cgroupFile(t, info.State.Pid, "cpu", cpuFile())
					t.Logf("%s limited=%v: CpuPeriod %d, CpuQuota %d; cgroup %q", member, limited, hc.CPUPeriod, hc.CPUQuota, quota)
					if limited != (hc.CPUQuota == 1000 && strings.HasPrefix(quota, "1000")) {
						t.Errorf("%s: CpuQuota %d, cgroup %q; want limited %v", member, hc.CPUQuota, quota, limited)
					}
					return
				}
				if len(hc.BlkioDeviceWriteBps) > 0 && hc.BlkioDeviceWriteBps[0].Rate > 0 {
					t.Logf("the engine applied ContainerUpdate's blkio limits: %+v", hc.BlkioDeviceWriteBps[0])
				}
				dir, rule := cgroupFile(t, info.State.Pid, diskController(), diskFile())
				t.Logf("%s limited=%v: %s: %q", member, limited, dir, rule)
				if on := strings.Contains(rule, " 65536") || strings.Contains(rule, "wbps=65536"); on != limited {
					t.Errorf("%s: write rule %q; want limited %v", member, rule, limited)
				}
			}
			dir, member, closeBackend := throttleRun(t, ctx, b, name, check)
			if err := closeBackend(); err != nil {
				t.Error(err)
			}
			checkNoLeftovers(t, compose, project)
			ms := checkThrottleLogs(t, dir, member)
			t.Logf("%s: WAL fsync p99 at most %.3fs", member, maxFsync(ms))
			if name == "slow-disk" && maxFsync(ms) < 0.5 {
				t.Errorf("%s: WAL fsync p99 at most %.3fs, want the throttle to show (≥ 0.5 s)", member, maxFsync(ms))
			}
		})
	}
}

// TestLocalThrottles runs slow-disk and overloaded-leader on the local backend, which moves the
// leader into cgroups of its own: skipped where cgroups cannot be written (not root).
func TestLocalThrottles(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: each scenario runs a real cluster for 20 s")
	}
	probe := filepath.Join(cgroupRoot, "cpu", "etcdpm-probe")
	if cgroupV2() {
		probe = filepath.Join(cgroupRoot, "etcdpm-probe")
	}
	if err := os.Mkdir(probe, 0o755); err != nil {
		t.Skipf("cgroups not writable here: %v", err)
	}
	os.Remove(probe)
	for _, name := range []string{"slow-disk", "overloaded-leader"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			b := &localBackend{opts: &Options{MemberCommand: testMember(t), Out: t.TempDir(), Version: "test"}}
			pids := map[string]int{}
			check := func(t *testing.T, member string, limited bool) {
				if limited {
					pids[member] = b.lc.PID(member)
				}
				ctrl, file, want := "cpu", cpuFile(), "1000"
				if name == "slow-disk" {
					ctrl, file, want = diskController(), diskFile(), "65536"
				}
				dir, v := cgroupFile(t, pids[member], ctrl, file)
				t.Logf("%s limited=%v: %s: %q", member, limited, dir, v)
				if on := strings.Contains(dir, "etcdpm-"+member) && strings.Contains(v, want); on != limited {
					t.Errorf("%s: cgroup %s holds %q; want limited %v", member, dir, v, limited)
				}
			}
			dir, member, _ := throttleRun(t, ctx, b, name, check)
			if left, _ := filepath.Glob(filepath.Join(cgroupRoot, "*", "etcdpm-"+member+"-*")); len(left) > 0 {
				t.Errorf("cgroups left: %q", left)
			}
			ms := checkThrottleLogs(t, dir, member)
			t.Logf("%s: WAL fsync p99 at most %.3fs", member, maxFsync(ms))
		})
	}
}

// The cgroup files the checks read.
func cpuFile() string {
	if cgroupV2() {
		return "cpu.max"
	}
	return "cpu.cfs_quota_us"
}

func diskController() string {
	if cgroupV2() {
		return "io"
	}
	return "blkio"
}

func diskFile() string {
	if cgroupV2() {
		return "io.max"
	}
	return "blkio.throttle.write_bps_device"
}
