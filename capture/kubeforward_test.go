package capture

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
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
	_, _, err = podForwarder(cfg, cs, "kube-system")(ctx, "etcd-n1")
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
	s.forward = func(_ context.Context, pod string) (string, <-chan struct{}, error) {
		return "127.0.0.1:1" + pod[len(pod)-1:], nil, nil
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

// Pods forwarded after the capture starts: etcd-n4 appears (listed at the
// next relist), etcd-n3 is recreated under its name (a new UID), and
// etcd-n2's forward ends (its connection lost). Each is forwarded (again)
// and its member polled at the new local end, every --interval; meta.json
// lists the four, at their last ends.
func TestKubeForwardLater(t *testing.T) {
	k := newFakeKube(t)
	dir := filepath.Join(t.TempDir(), "out")
	s, err := newKubeSession(KubeOptions{Out: dir, Namespace: "kube-system", Selector: "component=etcd", MetricsInterval: -1, Interval: 40 * time.Millisecond},
		clientsetPods{k.cs}, k)
	if err != nil {
		t.Fatal(err)
	}
	fc := &fakeCluster{members: map[string]*fakeMember{}}
	s.relist, s.backoff, s.dial = 20*time.Millisecond, 20*time.Millisecond, fc.dial
	var mu sync.Mutex
	forwards := map[string][]string{} // the local ends, by pod
	lost := make(chan struct{})       // etcd-n2's first forward ends
	s.forward = func(_ context.Context, pod string) (string, <-chan struct{}, error) {
		mu.Lock()
		defer mu.Unlock()
		local := "127.0.0.1:" + strconv.Itoa(20000+100*int(pod[len(pod)-1]-'0')+len(forwards[pod]))
		forwards[pod] = append(forwards[pod], local)
		fc.mu.Lock()
		fc.members["http://"+local] = &fakeMember{id: uint64(pod[len(pod)-1]), leader: 1, term: 9, name: pod, up: true}
		fc.mu.Unlock()
		if pod == "etcd-n2" && len(forwards[pod]) == 1 {
			return local, lost, nil
		}
		return local, nil, nil
	}
	count := func(pod string) int {
		mu.Lock()
		defer mu.Unlock()
		return len(forwards[pod])
	}
	// polledAt reports whether status.jsonl holds a record of pod at the end.
	polledAt := func(pod, local string) bool {
		b, _ := os.ReadFile(filepath.Join(dir, capdir.StatusFile))
		return strings.Contains(string(b), `"name":"`+pod+`","endpoint":"http://`+local+`"`)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := s.Run(ctx)
		done <- err
	}()
	eventually(t, "the three pods polled", func() bool {
		k.mu.Lock()
		followed := k.follows["etcd-n3"] // the fake's first follow of it rewrites the pod
		k.mu.Unlock()
		return followed > 0 && count("etcd-n3") == 1 && polledAt("etcd-n3", "127.0.0.1:20300")
	})
	if err := k.cs.Tracker().Add(etcdPod("etcd-n4", "10.0.0.4", 0)); err != nil {
		t.Fatal(err)
	}
	n3 := etcdPod("etcd-n3", "10.0.0.3", 0)
	n3.UID = "recreated"
	if err := k.cs.Tracker().Update(corev1.SchemeGroupVersion.WithResource("pods"), n3, "kube-system"); err != nil {
		t.Fatal(err)
	}
	close(lost)
	eventually(t, "the new ends polled", func() bool {
		return polledAt("etcd-n4", "127.0.0.1:20400") && polledAt("etcd-n3", "127.0.0.1:20301") && polledAt("etcd-n2", "127.0.0.1:20201")
	})
	time.Sleep(100 * time.Millisecond) // a forward too many would come now
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := map[string]int{}
	for pod, ends := range forwards {
		got[pod] = len(ends)
	}
	mu.Unlock()
	if want := map[string]int{"etcd-n1": 1, "etcd-n2": 2, "etcd-n3": 2, "etcd-n4": 1}; !maps.Equal(got, want) {
		t.Errorf("forwards per pod %v, want %v", got, want)
	}
	members := metaMembers(t, dir, func(m capdir.MetaMember) string { return m.Endpoint })
	if want := []string{"etcd-n1=http://127.0.0.1:20100", "etcd-n2=http://127.0.0.1:20201", "etcd-n3=http://127.0.0.1:20301", "etcd-n4=http://127.0.0.1:20400"}; !slices.Equal(members, want) {
		t.Errorf("meta.json's members %q, want %q", members, want)
	}
	// No record of the old ends after the new ones, and polls every 40ms.
	recs := readLines(t, filepath.Join(dir, capdir.StatusFile))
	var n1 []time.Time
	newSeen := map[string]bool{}
	for _, l := range recs {
		var r capdir.StatusRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		switch r.Endpoint {
		case "http://127.0.0.1:20201", "http://127.0.0.1:20301":
			newSeen[r.Name] = true
		case "http://127.0.0.1:20200", "http://127.0.0.1:20300":
			if newSeen[r.Name] {
				t.Errorf("%s polled at its old end %s after its new one", r.Name, r.Endpoint)
			}
		case "http://127.0.0.1:20100":
			n1 = append(n1, r.Time)
		}
	}
	if meta, err := capdir.ReadMeta(dir); err != nil || meta.Interval != "40ms" {
		t.Errorf("meta.json's interval: %v %v, want 40ms", meta, err)
	}
	if span := n1[len(n1)-1].Sub(n1[0]); len(n1) < 3 || span/time.Duration(len(n1)-1) > 80*time.Millisecond {
		t.Errorf("etcd-n1 polled %d times in %v, want every 40ms", len(n1), span)
	}
}

// ctxFor is a context that ends after d.
func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
