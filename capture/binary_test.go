package capture_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
)

// buildEtcdpm builds cmd/etcdpm into a temporary directory.
func buildEtcdpm(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "etcdpm")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/etcdpm")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// cpuTicks returns a process's user and system time, in clock ticks.
func cpuTicks(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// pid (comm) state ppid ... : utime and stime are fields 14 and 15.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return utime + stime
}

func clockTicks() int64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if n, perr := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && perr == nil && n > 0 {
		return n
	}
	return 100
}

// TestCaptureBinary runs `etcdpm capture` on the demo stack, measures its CPU
// use while it follows three members at the default interval, stops a
// member, interrupts the capture with SIGINT, and reads what it left with
// `etcdpm analyze`.
func TestCaptureBinary(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc: the CPU measurement reads /proc/<pid>/stat")
	}
	d := upDemo(t)
	bin := buildEtcdpm(t)
	leader := d.leader(t, services, 90*time.Second)

	out := filepath.Join(t.TempDir(), "capture")
	cmd := exec.Command(bin, "capture", "--project", d.p.Name, "--out", out, "--analyze")
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	})

	waitFor(t, 20*time.Second, "status records of the three members", func() bool {
		b, _ := os.ReadFile(filepath.Join(out, capdir.StatusFile))
		n := 0
		for _, svc := range services {
			if bytes.Contains(b, []byte(`"name":"`+svc+`","endpoint"`)) && bytes.Contains(b, []byte(`"ok":true`)) {
				n++
			}
		}
		return n == 3
	})

	// CPU while following three healthy members at the default interval.
	seconds := 30
	if s, err := strconv.Atoi(os.Getenv("ETCDPM_CAPTURE_CPU_SECONDS")); err == nil && s > 0 {
		seconds = s
	}
	pid := cmd.Process.Pid
	c0, t0 := cpuTicks(t, pid), time.Now()
	time.Sleep(time.Duration(seconds) * time.Second)
	c1, t1 := cpuTicks(t, pid), time.Now()
	cpu := float64(c1-c0) / float64(clockTicks()) / t1.Sub(t0).Seconds()
	t.Logf("capture's CPU use following 3 members at 250ms: %.2f%% of one core (%d ticks of utime+stime over %v)", 100*cpu, c1-c0, t1.Sub(t0).Round(time.Millisecond))
	if cpu > 0.25 {
		t.Errorf("capture uses %.0f%% of a core following 3 members", 100*cpu)
	}

	// Stop a follower, and interrupt the capture while its members campaign.
	var follower string
	for _, svc := range services {
		if svc != leader {
			follower = svc
			break
		}
	}
	docker(t, "stop", "-t", "2", d.ids[follower])
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("capture after SIGINT: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("capture still runs 30s after SIGINT\nstdout:\n%s", stdout.String())
	}
	t.Logf("capture's output:\n%s", stdout.String())
	if stderr.Len() > 0 {
		t.Errorf("capture wrote to stderr:\n%s", stderr.String())
	}
	if !strings.Contains(stdout.String(), "capture 0:") {
		t.Errorf("no periodic status line on a non-terminal stdout:\n%s", stdout.String())
	}
	saveArtifacts(t, out)

	// Every file whole, every .jsonl line a record.
	for _, name := range []string{capdir.LogsFile, capdir.StatusFile, capdir.MetricsFile, capdir.EventsFile} {
		if len(fileLines(t, filepath.Join(out, name))) == 0 {
			t.Errorf("%s is empty", name)
		}
	}
	nStatus := jsonlLines[capdir.StatusRecord](t, filepath.Join(out, capdir.StatusFile))
	nEvents := jsonlLines[capdir.EventRecord](t, filepath.Join(out, capdir.EventsFile))
	nMetrics := jsonlLines[capdir.MetricsRecord](t, filepath.Join(out, capdir.MetricsFile))
	meta, err := capdir.ReadMeta(out)
	if err != nil {
		t.Fatal(err)
	}
	if meta.End == nil || meta.Counts.StatusRecords != int64(nStatus) || meta.Counts.Events != int64(nEvents) || meta.Counts.MetricsRecords != int64(nMetrics) || len(meta.Members) != 3 {
		t.Errorf("meta.json: end %v, counts %+v (files: %d status, %d metrics, %d events), %d members", meta.End, meta.Counts, nStatus, nMetrics, nEvents, len(meta.Members))
	}
	for _, m := range meta.Members {
		if m.ID == "" || m.Version == "" || m.Container == "" {
			t.Errorf("meta.json member %+v: want its ID, etcd version and container", m)
		}
	}

	// etcdpm analyze reads it, as a directory and as its logs.txt.
	for _, arg := range []string{out, filepath.Join(out, capdir.LogsFile)} {
		a := exec.Command(bin, "analyze", arg)
		var aout, aerr bytes.Buffer
		a.Stdout, a.Stderr = &aout, &aerr
		if err := a.Run(); err != nil {
			t.Fatalf("etcdpm analyze %s: %v\n%s", arg, err, aerr.String())
		}
		if aerr.Len() > 0 {
			t.Errorf("etcdpm analyze %s warns:\n%s", arg, aerr.String())
		}
		if !strings.Contains(aout.String(), follower) {
			t.Errorf("etcdpm analyze %s does not mention %s:\n%s", arg, follower, aout.String())
		}
	}
	for _, name := range []string{"report.html", "report.md"} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("--analyze: %s: %v", name, err)
		}
	}
	res := analyzeCapture(t, out)
	found := false
	for _, f := range res.Faults {
		found = found || f.Target == follower && f.Label == "stopped "+follower && f.End.Equal(*meta.End)
	}
	if !found {
		t.Errorf("no fault \"stopped %s\" open until the end: %+v", follower, res.Faults)
	}
	if len(res.Status) != 3 {
		t.Errorf("%d status series, want 3", len(res.Status))
	}
}
