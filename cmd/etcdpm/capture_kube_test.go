package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCaptureKubeFlags: the Kubernetes flags go with --kubeconfig and
// --endpoints, not with a compose project's; a usage error writes nothing.
func TestCaptureKubeFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "kube-system"}, "-n, -l and --context choose etcd pods: give --kubeconfig too"},
		{[]string{"-l", "component=etcd"}, "give --kubeconfig too"},
		{[]string{"--kubeconfig", "kc", "-p", "demo", "--endpoints", "http://10.0.0.1:2379"}, "--kubeconfig captures etcd pods, -f, --project and --config a compose project"},
	} {
		checkUsageError(t, out, append([]string{"capture", "-o", out}, c.args...), c.want)
	}
}

// TestCaptureKubeconfig: a kubeconfig that cannot be read, or whose API
// server does not answer, fails (exit 1) saying so, and leaves no directory.
func TestCaptureKubeconfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	refused := filepath.Join(dir, "refused")
	if err := os.WriteFile(bad, []byte("not: [a kubeconfig\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	kc := `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
users: [{name: u, user: {}}]
current-context: c
`
	if err := os.WriteFile(refused, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ kubeconfig, want string }{
		{filepath.Join(dir, "missing"), "etcdpm: capture: kubeconfig: "},
		{bad, "etcdpm: capture: kubeconfig: "},
		{refused, "etcdpm: capture: listing pods in kube-system (-l component=etcd): "},
	} {
		out := filepath.Join(dir, "out")
		_, stderr, code := etcdpm(t, "", "capture", "--kubeconfig", c.kubeconfig, "--endpoints", "http://127.0.0.1:1", "-o", out, "--for", "5s")
		if code != 1 || !strings.HasPrefix(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and %q", c.kubeconfig, code, stderr, c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: %s was created (%v)", c.kubeconfig, out, err)
		}
	}
}
