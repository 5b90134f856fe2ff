package capture

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/etcdpm/etcdpm/capdir"
)

// The port-forward to a pod's 2379 asks the API server as kubectl
// port-forward does: POST pods/<pod>/portforward, upgraded to SPDY. This
// API server refuses the upgrade: the forward fails saying so, and no
// capture starts.
func TestKubePortForward(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.Method+" "+r.URL.Path+" upgrade="+r.Header.Get("Upgrade"))
		mu.Unlock()
		http.Error(w, "port-forward refused by the test", http.StatusForbidden)
	}))
	defer srv.Close()
	cfg := &rest.Config{Host: srv.URL}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err = podForwarder(cfg, cs, "kube-system")(ctx, "etcd-n1")
	if err == nil || !strings.Contains(err.Error(), "port-forward to etcd-n1:2379: ") {
		t.Errorf("forward: %v, want a port-forward error", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"POST /api/v1/namespaces/kube-system/pods/etcd-n1/portforward upgrade=SPDY/3.1"}; !slices.Equal(asked, want) {
		t.Errorf("the API server was asked %q, want %q", asked, want)
	}

	// Without --endpoints, the session forwards each pod's 2379 and polls
	// the local ends, named by pod.
	k := newFakeKube(t)
	dir := filepath.Join(t.TempDir(), "out")
	s, err := newKubeSession(KubeOptions{Out: dir, Namespace: "kube-system", Selector: "component=etcd", MetricsInterval: -1}, clientsetPods{k.cs}, k)
	if err != nil {
		t.Fatal(err)
	}
	fc := &fakeCluster{members: map[string]*fakeMember{}}
	s.relist, s.backoff, s.dial = 20*time.Millisecond, 20*time.Millisecond, fc.dial
	s.forward = func(_ context.Context, pod string) (string, error) {
		return "127.0.0.1:1" + pod[len(pod)-1:], nil
	}
	sum, err := s.Run(ctxFor(t, 200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	members := metaMembers(t, dir, func(m capdir.MetaMember) string { return m.Endpoint })
	if want := []string{"etcd-n1=http://127.0.0.1:11", "etcd-n2=http://127.0.0.1:12", "etcd-n3=http://127.0.0.1:13"}; !slices.Equal(members, want) || sum.StatusRecords == 0 {
		t.Errorf("members %q (%d status records), want %q", members, sum.StatusRecords, want)
	}
}

// ctxFor is a context that ends after d.
func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
