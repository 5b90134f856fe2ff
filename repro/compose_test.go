//go:build unix

package repro

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/stack"
	"github.com/etcdpm/etcdpm/stack/stacktest"
)

// composeFile is the repository's docker-compose.yml.
var composeFile, _ = filepath.Abs(filepath.Join("..", "docker-compose.yml"))

// requireCompose returns the compose command and the image to run, built when missing. Without
// Docker or compose the test skips, or fails under CI=true.
func requireCompose(t *testing.T) (stack.Compose, string) {
	t.Helper()
	return stacktest.Require(t), stacktest.Image(t)
}

// checkNoLeftovers fails the test when Docker still holds anything of the project.
func checkNoLeftovers(t *testing.T, compose stack.Compose, project string) {
	t.Helper()
	p, err := stack.New(t.Context(), stack.Options{File: composeFile, Name: project, Compose: &compose})
	if err != nil {
		t.Fatal(err)
	}
	left, err := p.Leftovers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !left.Empty() {
		t.Errorf("project %s left %s", project, left)
		p.Down(context.WithoutCancel(t.Context()))
	}
}

// TestComposeScenarios runs the demo's quorum loss and a frozen leader on the demo's stack.
func TestComposeScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the compose stack takes 20-40 s per scenario")
	}
	compose, image := requireCompose(t)
	t.Logf("compose: %s; image: %s", compose, image)
	for _, c := range []struct {
		scenario string
		hold     time.Duration
		verdict  string
		want     []string
		fault    string
	}{
		{"quorum-loss", 10 * time.Second, "quorum-loss", []string{"candidacy-loop", "recovery"}, "stopped etcd"},
		{"leader-pause", 6 * time.Second, "", []string{"leader-change"}, "paused etcd"},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			project := stack.RandomName("etcdpm-repro-test")
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
			defer cancel()
			start := time.Now()
			o, err := Run(ctx, Options{
				Scenario: c.scenario, Backend: Compose, Hold: c.hold,
				Out: filepath.Join(t.TempDir(), "out"), ComposeFile: composeFile, Image: image,
				Project: project, Compose: &compose, Progress: testWriter{t}, Version: "test",
			})
			checkNoLeftovers(t, compose, project)
			if err != nil {
				t.Fatal(err)
			}
			kinds := o.Kinds()
			t.Logf("%s in %.1fs: verdict %s, findings %s", c.scenario, time.Since(start).Seconds(), o.Result.Diagnosis.Verdict, kinds)
			if !o.Checked || o.Intact != o.Keys || o.Keys == 0 {
				t.Errorf("data: %d of %d keys intact (checked %v)", o.Intact, o.Keys, o.Checked)
			}
			if c.verdict != "" && o.Result.Diagnosis.Verdict != c.verdict {
				t.Errorf("verdict %s, want %s (findings %s)", o.Result.Diagnosis.Verdict, c.verdict, kinds)
			}
			for _, k := range c.want {
				if !slices.Contains(kinds, k) {
					t.Errorf("no %s finding (findings %s)", k, kinds)
				}
			}
			checkDir(t, o, c.fault)
		})
	}
}

// TestComposeInterrupt sends SIGINT to `etcdpm repro --backend compose` during its hold: the
// project's containers, network and volumes are removed before it exits.
func TestComposeInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	compose, image := requireCompose(t)
	bin := etcdpmBinary(t)
	project := stack.RandomName("etcdpm-repro-test")
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(bin, "repro", "--backend", "compose", "-f", composeFile, "--image", image,
		"-p", project, "--scenario", "leader-pause", "--hold", "1m", "-o", out)
	cmd.Env = append(os.Environ(), "ETCDPM_COMPOSE="+strings.Join(compose.Command, " "))
	stdout := interrupt(t, cmd)
	if !strings.Contains(stdout, "cluster removed") {
		t.Errorf("stdout lacks the removal:\n%s", stdout)
	}
	checkNoLeftovers(t, compose, project)
}

// TestComposeUpFails: a project that cannot come up (its image is missing and no registry
// answers) fails the run and leaves nothing.
func TestComposeUpFails(t *testing.T) {
	compose, _ := requireCompose(t)
	project := stack.RandomName("etcdpm-repro-test")
	_, err := Run(t.Context(), Options{
		Backend: Compose, ComposeFile: composeFile, Image: "etcdpm/etcd:v0.0.0-no-such-image",
		Project: project, Compose: &compose, Out: filepath.Join(t.TempDir(), "out"),
	})
	if err == nil {
		t.Fatal("a run on a missing image succeeded")
	}
	t.Logf("error: %v", err)
	for _, want := range []string{"etcdpm/etcd:v0.0.0-no-such-image", "scripts/build-image.sh"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	checkNoLeftovers(t, compose, project)
}
