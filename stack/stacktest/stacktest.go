// Package stacktest gives tests the demo stack on the real Docker engine:
// the compose command and the etcd image, or a skip (a failure under CI=true,
// where these tests must run).
package stacktest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/stack"
)

// LocalImage is the image scripts/build-image.sh builds; Image builds it when
// missing. ETCDPM_TEST_ETCD_IMAGE runs the tests on another image, which must
// be present (no registry is needed, nor reachable in CI).
const LocalImage = "etcdpm/etcd:v3.6.16"

// Unavailable fails under CI=true and skips elsewhere.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: "+format, args...)
	}
	t.Skipf(format+" (the test fails instead under CI=true)", args...)
}

// Require returns the compose command when the Docker engine answers and
// compose v1 or v2 is installed; otherwise Unavailable.
func Require(t testing.TB) stack.Compose {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := exec.LookPath("docker"); err != nil {
		Unavailable(t, "docker is not installed: %v", err)
	}
	if out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		Unavailable(t, "the Docker engine does not answer: %v: %s", err, bytes.TrimSpace(out))
	}
	c, err := stack.Detect(ctx)
	if err != nil {
		Unavailable(t, "%v", err)
	}
	return c
}

// Image returns the etcd image to run (ETCDPM_TEST_ETCD_IMAGE, else
// LocalImage), building a missing etcdpm/etcd image with
// scripts/build-image.sh.
func Image(t testing.TB) string {
	t.Helper()
	image := os.Getenv("ETCDPM_TEST_ETCD_IMAGE")
	if image == "" {
		image = LocalImage
	}
	if exec.CommandContext(t.Context(), "docker", "image", "inspect", image).Run() == nil {
		return image
	}
	version, ok := strings.CutPrefix(image, "etcdpm/etcd:v")
	if !ok {
		t.Fatalf("image %s is missing: pull it, or unset ETCDPM_TEST_ETCD_IMAGE to build %s", image, LocalImage)
	}
	t.Logf("building %s with scripts/build-image.sh %s", image, version)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(repoRoot(t), "scripts", "build-image.sh"), version).CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/build-image.sh %s: %v\n%s", version, err, out)
	}
	return image
}

// repoRoot is the directory of go.mod above the test's working directory.
func repoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Project returns the project opts describe; when the test ends it is
// removed (down -v) and checked to leave nothing behind.
func Project(t testing.TB, opts stack.Options) *stack.Project {
	t.Helper()
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	p, err := stack.New(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := p.Down(ctx); err != nil {
			t.Errorf("teardown of %s: %v", p.Name, err)
		}
		if left, err := p.Leftovers(ctx); err != nil || !left.Empty() {
			t.Errorf("teardown of %s: left %v, %v", p.Name, left, err)
		}
	})
	return p
}
