package main

// capture's refusals on the real Docker engine (CI=true: they fail without it).

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/cluster"
	"github.com/etcdpm/etcdpm/stack"
	"github.com/etcdpm/etcdpm/stack/stacktest"
)

// composeCopy copies the demo's docker-compose.yml and config.default.ini
// into a directory of a random name (so that the project compose names after
// it exists nowhere) and returns the compose file.
func composeCopy(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), stack.RandomName("etcdpm-test-ghost"))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"docker-compose.yml", "config.default.ini"} {
		data, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "docker-compose.yml")
}

// A project that never appears fails within seconds, naming the project and
// its compose file, and leaves no directory.
func TestCaptureNoProject(t *testing.T) {
	stacktest.Require(t)
	file := composeCopy(t)
	out := filepath.Join(t.TempDir(), "out")
	start := time.Now()
	_, errOut, code := etcdpm(t, "", "capture", "-f", file, "-o", out)
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("capture of a missing project took %v to fail", took)
	}
	project := filepath.Base(filepath.Dir(file))
	if code != 1 || !strings.Contains(errOut, "project "+project+" of "+file+" has no container") {
		t.Errorf("exit %d, stderr %q; want 1 and a message naming %s and %s", code, errOut, project, file)
	}
	if _, err := os.Lstat(out); !os.IsNotExist(err) {
		t.Errorf("%s was created: %v", out, err)
	}
}

// With no -p and two projects made from the same compose file, capture
// refuses and lists them.
func TestCaptureTwoProjects(t *testing.T) {
	compose := stacktest.Require(t)
	image := stacktest.Image(t)
	file := composeCopy(t)
	var names []string
	for range 2 {
		ports, err := cluster.FreePorts(1)
		if err != nil {
			t.Fatal(err)
		}
		p := stacktest.Project(t, stack.Options{
			File: file, Name: stack.RandomName("etcdpm-test-two"), Compose: &compose,
			Env: map[string]string{"ETCD_IMAGE": image, "ETCD1_PORT": strconv.Itoa(ports[0])},
		})
		if err := p.Up(t.Context(), "etcd1"); err != nil {
			t.Fatal(err)
		}
		names = append(names, p.Name)
	}
	out := filepath.Join(t.TempDir(), "out")
	_, errOut, code := etcdpm(t, "", "capture", "-f", file, "-o", out, "--for", "1s")
	if code != 1 || !strings.Contains(errOut, "2 projects run") || !strings.Contains(errOut, "--project") {
		t.Errorf("exit %d, stderr %q; want 1 and the projects listed", code, errOut)
	}
	for _, n := range names {
		if !strings.Contains(errOut, n) {
			t.Errorf("stderr %q does not list %s", errOut, n)
		}
	}
	if _, err := os.Lstat(out); !os.IsNotExist(err) {
		t.Errorf("%s was created: %v", out, err)
	}
}
