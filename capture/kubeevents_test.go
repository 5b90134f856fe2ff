package capture

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/etcdpm/etcdpm/capdir"
)

// The pods' container terminations and their Kubernetes events are the
// capture's faults: a container died (or was killed for memory) until it
// started again; events of other pods, or from before the capture, are not.
func TestKubeFaults(t *testing.T) {
	k := newFakeKube(t)
	dir := filepath.Join(t.TempDir(), "out")
	s, err := newKubeSession(KubeOptions{Out: dir, Namespace: "kube-system", Selector: "component=etcd", Endpoints: []string{"http://10.0.0.1:2379"}},
		clientsetPods{k.cs}, k)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 23, 21, 51, 0, 0, time.UTC)
	s.start = t0
	for _, pod := range []string{"etcd-n1", "etcd-n2", "etcd-n3"} {
		s.followers[pod+"/etcd"] = &podFollower{pod: pod, container: "etcd"}
	}
	term := func(pod string, died, started time.Time, reason string, code int32) corev1.Pod {
		p := etcdPod(pod, "", 1)
		cs := &p.Status.ContainerStatuses[0]
		cs.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{FinishedAt: metav1.NewTime(died), Reason: reason, ExitCode: code}
		cs.State.Running.StartedAt = metav1.NewTime(started)
		return *p
	}
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	s.terminations([]corev1.Pod{
		term("etcd-n1", sec(10), sec(12), "Error", 137),
		term("etcd-n2", sec(20), sec(25), "OOMKilled", 137),
		term("etcd-n3", sec(-60), sec(-58), "Error", 1), // before the capture
	})
	ev := func(pod, reason string, at time.Time) corev1.Event {
		return corev1.Event{Reason: reason, LastTimestamp: metav1.NewTime(at),
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pod, FieldPath: "spec.containers{etcd}"}}
	}
	s.kubeEvents([]corev1.Event{
		ev("etcd-n1", "Killing", sec(9)),
		ev("etcd-n1", "Started", sec(12)), // the termination's start again
		ev("etcd-n3", "Killing", sec(30)),
		ev("etcd-n3", "Started", sec(31)),
		ev("etcd-n3", "Pulled", sec(31)),
		ev("kube-apiserver-n1", "Killing", sec(40)),
		ev("etcd-n2", "Killing", sec(-5)),
	}, sec(60))
	if err := s.writeEvents(); err != nil {
		t.Fatal(err)
	}
	s.logFile.Close()
	end := sec(60)
	if err := capdir.WriteMeta(dir, &capdir.Meta{Schema: capdir.MetaSchema, Start: t0, End: &end}, false); err != nil {
		t.Fatal(err)
	}
	capt, err := capdir.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range capt.Faults {
		got = append(got, fmt.Sprintf("%s %v..%v", f.Label, f.Start.Sub(t0), f.End.Sub(t0)))
	}
	want := []string{"killed etcd-n1 9s..12s", "killed (out of memory) etcd-n2 20s..25s", "killed etcd-n3 30s..31s"}
	if !slices.Equal(got, want) {
		t.Errorf("faults\n%q, want\n%q", got, want)
	}
}
