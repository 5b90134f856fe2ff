package capture

import (
	"cmp"
	"encoding/json"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/etcdpm/etcdpm/capdir"
)

// kubeEventActions maps the kubelet's event reasons to events.jsonl's
// actions: a container killed (probe failures, deletion), started again, or
// killed by the kernel for memory.
var kubeEventActions = map[string]string{
	"Killing":    "kill",
	"Started":    "start",
	"OOMKilling": "oom",
}

// terminations keeps each container's last termination the pods tell of
// (within the capture): its end as a die (or oom) event, and the start of
// the container after it.
func (s *KubeSession) terminations(pods []corev1.Pod) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range pods {
		for _, cs := range p.Status.ContainerStatuses {
			t := cs.LastTerminationState.Terminated
			if t == nil || t.FinishedAt.Time.Before(s.start) {
				continue
			}
			key := p.Name + "/" + cs.Name + "/" + t.FinishedAt.UTC().Format(time.RFC3339Nano)
			if s.terms[key] {
				continue
			}
			s.terms[key] = true
			action := "die"
			if t.Reason == "OOMKilled" {
				action = "oom"
			}
			s.eventRecs = append(s.eventRecs, capdir.EventRecord{
				Time: t.FinishedAt.UTC(), Type: "container", Action: action, Name: p.Name,
				Container: cs.Name, ID: p.Name + "/" + cs.Name,
				Attributes: map[string]string{"exitCode": strconv.Itoa(int(t.ExitCode)), "reason": t.Reason},
			})
			if r := cs.State.Running; r != nil && r.StartedAt.After(t.FinishedAt.Time) {
				s.eventRecs = append(s.eventRecs, capdir.EventRecord{
					Time: r.StartedAt.UTC(), Type: "container", Action: "start", Name: p.Name,
					Container: cs.Name, ID: p.Name + "/" + cs.Name,
				})
			}
		}
	}
}

// kubeEvents keeps the Kubernetes events of the pods followed, from the
// capture's start to end, whose reason maps to a fault.
func (s *KubeSession) kubeEvents(evs []corev1.Event, end time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pods := map[string]bool{}
	for _, f := range s.followers {
		pods[f.pod] = true
	}
	for _, e := range evs {
		action, ok := kubeEventActions[e.Reason]
		if !ok || e.InvolvedObject.Kind != "Pod" || !pods[e.InvolvedObject.Name] {
			continue
		}
		at := cmp.Or(e.EventTime.Time, e.LastTimestamp.Time, e.FirstTimestamp.Time)
		if at.Before(s.start.Truncate(time.Second)) || at.After(end) {
			continue
		}
		if action == "start" && s.hasStartLocked(e.InvolvedObject.Name, at) {
			continue // the termination's start, to the nanosecond
		}
		container := e.InvolvedObject.FieldPath // spec.containers{etcd}
		if i, j := len("spec.containers{"), len(container)-1; len(container) > i && container[j] == '}' {
			container = container[i:j]
		}
		s.eventRecs = append(s.eventRecs, capdir.EventRecord{
			Time: at.UTC(), Type: "container", Action: action, Name: e.InvolvedObject.Name,
			Container: container, ID: e.InvolvedObject.Name + "/" + container,
			Attributes: map[string]string{"reason": e.Reason, "message": e.Message},
		})
	}
}

// hasStartLocked reports whether a start of pod within a second of at is
// kept already.
func (s *KubeSession) hasStartLocked(pod string, at time.Time) bool {
	return slices.ContainsFunc(s.eventRecs, func(r capdir.EventRecord) bool {
		d := r.Time.Sub(at)
		return r.Action == "start" && r.Name == pod && d > -time.Second && d < time.Second
	})
}

// writeEvents writes events.jsonl, in time order.
func (s *KubeSession) writeEvents() error {
	s.mu.Lock()
	recs := slices.Clone(s.eventRecs)
	s.mu.Unlock()
	slices.SortStableFunc(recs, func(a, b capdir.EventRecord) int { return a.Time.Compare(b.Time) })
	f, err := capdir.CreateLineFile(filepath.Join(s.dir, capdir.EventsFile))
	if err != nil {
		return err
	}
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			continue
		}
		f.Add(b)
	}
	n, _ := f.Counts()
	s.mu.Lock()
	s.nEvents = n
	s.mu.Unlock()
	return f.Close()
}
