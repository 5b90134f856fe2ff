package capture

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A project with no container fails after AppearTimeout, naming the
// project, its compose file and the projects that run, and writes nothing;
// one whose container comes within it is captured.
func TestAwaitProject(t *testing.T) {
	e := newFakeEngine()
	e.add("other", "etcd1", 1, "", true)
	out := filepath.Join(t.TempDir(), "out")
	start := time.Now()
	_, err := newSession(t.Context(), Options{Out: out, Project: "ghost", ComposeFile: "/srv/ghost/docker-compose.yml", AppearTimeout: 300 * time.Millisecond}, e, nil, nil)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("failed after %v", took)
	}
	if err == nil {
		t.Fatal("a capture of a project with no container started")
	}
	for _, want := range []string{"project ghost of /srv/ghost/docker-compose.yml has no container", "running: other", "docker-compose up -d"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := os.Lstat(out); !os.IsNotExist(err) {
		t.Errorf("%s was created: %v", out, err)
	}

	go func() {
		time.Sleep(100 * time.Millisecond)
		e.add("late", "etcd1", 1, "", true)
	}()
	s, err := newSession(t.Context(), Options{Out: out, Project: "late", AppearTimeout: 5 * time.Second}, e, nil, nil)
	if err != nil {
		t.Fatalf("a project whose container comes within the timeout: %v", err)
	}
	runSession(t, s)()
}
