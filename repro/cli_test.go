//go:build unix

package repro

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// etcdpmBinary builds cmd/etcdpm once per test run, into a directory removed at the end.
func etcdpmBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "etcdpm-repro-test-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "etcdpm")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/etcdpm/etcdpm/cmd/etcdpm").CombinedOutput()
		if err != nil {
			buildErr = errors.New("go build ./cmd/etcdpm: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// removeBinary removes what etcdpmBinary built; TestMain calls it.
func removeBinary() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// TestCommand runs the built etcdpm as a user does: a whole run, whose directory `etcdpm analyze`
// then reads to the same verdict.
func TestCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	bin := etcdpmBinary(t)
	work := t.TempDir()
	out := filepath.Join(work, "out")
	cmd := exec.Command(bin, "repro", "--scenario", "leader-kill", "--hold", "5s", "-o", out)
	cmd.Dir = work
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("etcdpm repro: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	t.Logf("etcdpm repro in %.1fs:\n%s", time.Since(start).Seconds(), stdout.String())
	for _, want := range []string{"members up (embedded etcd 3.6.16)", "kill -SIGKILL", "data intact: 10 of 10", "verdict:  leader-change", filepath.Join(out, HTMLFile)} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	for line := range strings.Lines(stdout.String()) {
		if strings.HasPrefix(line, "[") && !stepLine.MatchString(line) {
			t.Errorf("step line %q is not [ elapseds] text", line)
		}
	}
	checkGone(t, out)

	var run runFile
	if data, err := os.ReadFile(filepath.Join(out, RunFile)); err != nil || json.Unmarshal(data, &run) != nil {
		t.Fatalf("%s: %v", RunFile, err)
	}
	analyzed, err := exec.Command(bin, "analyze", "--format", "json", out).Output()
	if err != nil {
		t.Fatalf("etcdpm analyze %s: %v", out, err)
	}
	var res struct {
		Diagnosis struct{ Verdict string }
		Findings  []struct{ Kind string }
	}
	if err := json.Unmarshal(analyzed, &res); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, f := range res.Findings {
		if !slices.Contains(kinds, f.Kind) {
			kinds = append(kinds, f.Kind)
		}
	}
	if res.Diagnosis.Verdict != run.Verdict || !slices.Equal(kinds, run.Findings) {
		t.Errorf("etcdpm analyze DIR: %s %q; repro said %s %q", res.Diagnosis.Verdict, kinds, run.Verdict, run.Findings)
	}
	if run.Intact == nil || *run.Intact != run.Keys {
		t.Errorf("%s: intact %v of %d", RunFile, run.Intact, run.Keys)
	}
}

// TestCommandInterrupt sends SIGINT to `etcdpm repro` during its hold, as Ctrl-C does: it exits
// with an error, and no member (etcdpm member processes) nor their data is left.
func TestCommandInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	bin := etcdpmBinary(t)
	out := filepath.Join(t.TempDir(), "out")
	stdout := interrupt(t, exec.Command(bin, "repro", "--scenario", "leader-partition", "--hold", "1m", "-o", out))
	if !strings.Contains(stdout, "interrupted") {
		t.Errorf("stdout lacks interrupted:\n%s", stdout)
	}
	checkGone(t, out)
	if pids := processesWith(t, bin); len(pids) > 0 {
		t.Errorf("etcdpm processes %v left", pids)
	}
}

// interrupt starts cmd, sends it SIGINT once it printed its "holding" step, and returns its
// output once it exited with an error, which must be within a minute.
func interrupt(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() {
		exited <- cmd.Wait()
		pw.Close()
	}()
	var stdout bytes.Buffer
	lines := make(chan struct{})
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			stdout.WriteString(sc.Text() + "\n")
			if !sent && strings.Contains(sc.Text(), "] holding") {
				sent = true
				time.AfterFunc(2*time.Second, func() { cmd.Process.Signal(syscall.SIGINT) })
			}
		}
	}()
	var err error
	select {
	case err = <-exited:
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("still running 3 minutes after it started:\n%s", stdout.String())
	}
	<-lines
	t.Logf("stdout:\n%sstderr:\n%s", stdout.String(), stderr.String())
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("exit: %v, want exit status 1", err)
	}
	if !strings.Contains(stderr.String(), "etcdpm: repro: interrupted") {
		t.Errorf("stderr lacks the interruption: %s", stderr.String())
	}
	return stdout.String()
}
