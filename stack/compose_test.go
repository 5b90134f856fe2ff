package stack

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestRandomName(t *testing.T) {
	a, b := RandomName("etcdpm-test"), RandomName("etcdpm-test")
	// Compose v1 keeps [-_a-z0-9] of a project name; v2 wants [a-z0-9][-_a-z0-9]*.
	re := regexp.MustCompile(`^etcdpm-test-[0-9a-f]{8}$`)
	if !re.MatchString(a) || !re.MatchString(b) || a == b {
		t.Errorf("RandomName: %q, %q", a, b)
	}
}

func TestComposeV1(t *testing.T) {
	for version, v1 := range map[string]bool{"1.29.2": true, "2.29.7": false, "v2.40.0": false, "dev": false} {
		if got := (Compose{Version: version}).V1(); got != v1 {
			t.Errorf("Compose{Version: %q}.V1() = %v, want %v", version, got, v1)
		}
	}
}

// fakeCompose writes a compose stand-in that prints its version and appends
// each command line to a file, and points ETCDPM_COMPOSE at it.
func fakeCompose(t *testing.T, version string) (argsFile string) {
	t.Helper()
	dir := t.TempDir()
	argsFile = filepath.Join(dir, "args")
	script := "#!/bin/sh\n" +
		"if [ \"$1\" = version ]; then echo " + version + "; exit 0; fi\n" +
		"echo \"ETCD_PRE_VOTE=$ETCD_PRE_VOTE $*\" >> " + argsFile + "\n" +
		"if [ \"$5\" = logs ]; then echo 'etcd3_1  | line'; fi\n"
	path := filepath.Join(dir, "docker-compose")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ETCDPM_COMPOSE", path)
	t.Setenv("ETCD_PRE_VOTE", "from-the-environment")
	return argsFile
}

func TestProjectCommands(t *testing.T) {
	argsFile := fakeCompose(t, "1.29.2")
	file := filepath.Join(t.TempDir(), "docker-compose.yml")
	if err := os.WriteFile(file, []byte("services: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	p, err := New(ctx, Options{File: file, Name: "etcdpm-test-x", Env: map[string]string{"ETCD_PRE_VOTE": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Compose.V1() || p.Compose.Version != "1.29.2" {
		t.Errorf("Compose = %v, want the fake 1.29.2", p.Compose)
	}
	if err := p.Up(ctx, "etcd1", "etcd2"); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(ctx, "etcd1"); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx, "etcd1"); err != nil {
		t.Fatal(err)
	}
	logs, err := p.Logs(ctx, true)
	if err != nil || string(logs) != "etcd3_1  | line\n" {
		t.Errorf("Logs = %q, %v", logs, err)
	}
	if _, err := p.Exec(ctx, "etcd3", "etcdctl", "endpoint", "status"); err != nil {
		t.Fatal(err)
	}
	if err := p.Down(ctx); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	pf := "-p etcdpm-test-x -f " + file
	want := []string{
		"ETCD_PRE_VOTE=true " + pf + " up -d etcd1 etcd2",
		"ETCD_PRE_VOTE=true " + pf + " stop etcd1",
		"ETCD_PRE_VOTE=true " + pf + " start etcd1",
		"ETCD_PRE_VOTE=true " + pf + " logs --no-color --timestamps",
		"ETCD_PRE_VOTE=true " + pf + " exec -T etcd3 etcdctl endpoint status",
		"ETCD_PRE_VOTE=true " + pf + " down -v --remove-orphans --timeout 5",
	}
	got := strings.Split(strings.TrimSpace(string(data)), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("commands run:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNewMissingFile(t *testing.T) {
	fakeCompose(t, "2.29.7")
	_, err := New(t.Context(), Options{File: filepath.Join(t.TempDir(), "none.yml")})
	if err == nil || !strings.Contains(err.Error(), "none.yml") {
		t.Errorf("New with a missing file: %v", err)
	}
}

func TestDetectNone(t *testing.T) {
	t.Setenv("ETCDPM_COMPOSE", filepath.Join(t.TempDir(), "no-such-compose"))
	if _, err := Detect(t.Context()); err == nil {
		t.Error("Detect found a compose that does not exist")
	}
}
