package stack_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/stack"
	"github.com/etcdpm/etcdpm/stack/stacktest"
)

// `compose up` of an image that is neither here nor pullable (no registry
// reachable, or no such repository) fails naming the image, its service and
// scripts/build-image.sh, and leaves nothing behind.
func TestUpMissingImage(t *testing.T) {
	compose := stacktest.Require(t)
	const image = "etcdpm/etcd:v0.0.0-no-such-image"
	p := stacktest.Project(t, stack.Options{
		File: filepath.Join("..", "docker-compose.yml"), Name: stack.RandomName("etcdpm-test-image"),
		Env: map[string]string{"ETCD_IMAGE": image}, Compose: &compose,
	})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	err := p.Up(ctx, "etcd1", "etcd2", "etcd3")
	var me *stack.MissingImageError
	if !errors.As(err, &me) {
		t.Fatalf("up on a missing image: %v, want a *stack.MissingImageError", err)
	}
	for _, want := range []string{"image " + image + " (etcd1, etcd2, etcd3)", "scripts/build-image.sh"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "e3w") {
		t.Errorf("error %q names the GUI, which was not asked for", err)
	}
}
