package capture

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/parser"
)

// No API server runs here: these tests run the client-go path (the
// clientset's List and GetLogs(...).Stream) against client-go's fake
// clientset, whose reactor answers each GET pods/<pod>/log with the real
// lines of a real etcd run (testdata/real/3.6.16-quorum-loss-prevote-off),
// as the kubelet would with Timestamps (the line's own zap time in front):
// from SinceTime (in whole seconds, as on the wire) on, the previous
// container's log with Previous. Each follow ends when the lines given out
// end, as a lost connection does.

const kubeRun = "../testdata/real/3.6.16-quorum-loss-prevote-off"

// kubeLine is one line of a pod's log, as the kubelet gives it with
// Timestamps.
type kubeLine struct {
	at   time.Time
	text string // "<RFC 3339 time> <line>\n"
}

// kubeLogs reads the run's member logs as the logs of pods etcd-n1 ..
// etcd-n3: each member's lines, with the index of its last start (run.json)
// where its previous container ends (0: it never restarted).
func kubeLogs(t *testing.T) (lines map[string][]kubeLine, restart map[string]int) {
	t.Helper()
	var run struct {
		Steps []struct {
			Time           time.Time
			Action, Target string
		}
	}
	if b, err := os.ReadFile(filepath.Join(kubeRun, "run.json")); err != nil || json.Unmarshal(b, &run) != nil {
		t.Fatalf("run.json: %v", err)
	}
	lines, restart = map[string][]kubeLine{}, map[string]int{}
	for _, m := range []string{"n1", "n2", "n3"} {
		data, err := os.ReadFile(filepath.Join(kubeRun, m+".log"))
		if err != nil {
			t.Fatal(err)
		}
		var lastStart time.Time
		starts := 0
		for _, s := range run.Steps {
			if s.Action == "start" && s.Target == m {
				lastStart, starts = s.Time, starts+1
			}
		}
		pod := "etcd-" + m
		for _, l := range strings.SplitAfter(string(data), "\n") {
			if l == "" {
				continue
			}
			var rec struct{ TS time.Time }
			if err := json.Unmarshal([]byte(l), &rec); err != nil || rec.TS.IsZero() {
				t.Fatalf("%s: no ts in %q: %v", m, l, err)
			}
			if starts > 1 && restart[pod] == 0 && !rec.TS.Before(lastStart) {
				restart[pod] = len(lines[pod])
			}
			lines[pod] = append(lines[pod], kubeLine{rec.TS, rec.TS.UTC().Format(time.RFC3339Nano) + " " + l})
		}
	}
	if restart["etcd-n1"] == 0 || restart["etcd-n2"] == 0 || restart["etcd-n3"] != 0 {
		t.Fatalf("the run's n1 and n2 restarted, n3 did not: %v", restart)
	}
	return lines, restart
}

// fakeKube is the API server of the tests: pods etcd-n1 .. etcd-n3 in
// kube-system, and their logs. Its Stream asks client-go's fake clientset
// (which records the request, and answers "fake logs": its GetLogs action
// names no pod) and gives the pod's real lines instead.
type fakeKube struct {
	t  *testing.T
	cs *fake.Clientset

	mu      sync.Mutex
	lines   map[string][]kubeLine
	restart map[string]int // where the current container's lines start
	follows map[string]int // follow requests so far, by pod
	asked   []kubeAsk      // the requests, in the order of the fake's actions
}

// kubeAsk is one log request.
type kubeAsk struct {
	pod  string
	opts *corev1.PodLogOptions
}

func etcdPod(name, ip string, restarts int32) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system", Labels: map[string]string{"component": "etcd", "tier": "control-plane"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "etcd"}}},
		Status: corev1.PodStatus{PodIP: ip, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "etcd", RestartCount: restarts,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		}}},
	}
}

func newFakeKube(t *testing.T) *fakeKube {
	lines, restart := kubeLogs(t)
	k := &fakeKube{t: t, lines: lines, restart: restart, follows: map[string]int{}}
	k.cs = fake.NewClientset(
		etcdPod("etcd-n1", "10.0.0.1", 1), etcdPod("etcd-n2", "10.0.0.2", 1), etcdPod("etcd-n3", "10.0.0.3", 0),
		// Not etcd, and etcd of another namespace: neither is captured.
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "kube-apiserver-n1", Namespace: "kube-system", Labels: map[string]string{"component": "kube-apiserver"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "kube-apiserver"}}}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "etcd-other", Namespace: "other", Labels: map[string]string{"component": "etcd"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "etcd"}}}},
	)
	return k
}

// n3Cut is where etcd-n3's first container stops: its first follow gives
// the lines before it, then the container restarts, having written two
// more lines (read from its previous log).
const n3Cut = 40

func (k *fakeKube) Stream(ctx context.Context, namespace, pod string, opts *corev1.PodLogOptions) (io.ReadCloser, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	rc, err := clientsetLogs{k.cs}.Stream(ctx, namespace, pod, opts)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	if string(body) != "fake logs" {
		k.t.Errorf("the fake's body is %q", body)
	}
	k.asked = append(k.asked, kubeAsk{pod, opts})
	all := k.lines[pod]
	cut := k.restart[pod]
	lines := all[cut:]
	if opts.Previous {
		if cut == 0 {
			return nil, apierrors.NewBadRequest(`previous terminated container "etcd" in pod "` + pod + `" not found`)
		}
		lines = all[:cut]
	}
	if opts.SinceTime != nil {
		since := opts.SinceTime.Truncate(time.Second) // RFC 3339 in whole seconds on the wire
		i := slices.IndexFunc(lines, func(l kubeLine) bool { return !l.at.Before(since) })
		if i < 0 {
			i = len(lines)
		}
		lines = lines[i:]
	}
	var b strings.Builder
	if !opts.Follow {
		for _, l := range lines {
			b.WriteString(l.text)
		}
		return io.NopCloser(strings.NewReader(b.String())), nil
	}
	k.follows[pod]++
	if k.follows[pod] == 1 { // the connection is lost halfway, or etcd-n3 restarts
		half := len(lines) / 2
		if pod == "etcd-n3" {
			half = n3Cut
			k.restart[pod] = n3Cut + 2
			p := etcdPod("etcd-n3", "10.0.0.3", 1)
			if err := k.cs.Tracker().Update(corev1.SchemeGroupVersion.WithResource("pods"), p, "kube-system"); err != nil {
				k.t.Error(err)
			}
		}
		for _, l := range lines[:half] {
			b.WriteString(l.text)
		}
		return io.NopCloser(strings.NewReader(b.String())), nil
	}
	// Then the rest, and nothing more until the capture ends.
	pr, pw := io.Pipe()
	go func() {
		for _, l := range lines {
			if _, err := io.WriteString(pw, l.text); err != nil {
				return
			}
		}
		<-ctx.Done()
		pw.CloseWithError(ctx.Err())
	}()
	return pr, nil
}

// analyzeCapture analyzes a capture directory as `etcdpm analyze DIR` does.
func analyzeCapture(t *testing.T, dir string) *analysis.Result {
	t.Helper()
	capt, err := capdir.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := analyzeFiles(t, capt.Logs, capt.Faults, capt.Status, analysis.Options{Inputs: capt.Logs, Start: capt.Start, End: capt.End})
	return res
}

func analyzeFiles(t *testing.T, paths []string, faults []analysis.Fault, status []analysis.StatusSeries, opts analysis.Options) (*analysis.Result, []parser.Stats) {
	t.Helper()
	var srcs []parser.Source
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		srcs = append(srcs, parser.Source{R: f, Opts: parser.Options{Name: p, Input: i, TZ: time.UTC}})
	}
	res, stats, err := analysis.Analyze(context.Background(), srcs, faults, status, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res, stats
}

func TestKubeCapture(t *testing.T) {
	k := newFakeKube(t)
	fc := &fakeCluster{members: map[string]*fakeMember{}}
	for i, id := range []uint64{0xc1afc607fb48dea, 0x302e2e4c5374c763, 0x1ca9251c4419fc27} {
		fc.members["http://10.0.0."+string(rune('1'+i))+":2379"] = &fakeMember{id: id, leader: 0x1ca9251c4419fc27, term: 9, name: "n" + string(rune('1'+i)), up: true}
	}
	dir := filepath.Join(t.TempDir(), "out")
	s, err := newKubeSession(KubeOptions{
		Out: dir, Namespace: "kube-system", Selector: "component=etcd", MetricsInterval: -1,
		Endpoints: []string{"http://10.0.0.1:2379", "http://10.0.0.2:2379", "http://10.0.0.3:2379"},
	}, clientsetPods{k.cs}, k)
	if err != nil {
		t.Fatal(err)
	}
	s.relist, s.backoff, s.dial = 20*time.Millisecond, 20*time.Millisecond, fc.dial
	total := 0
	for _, ls := range k.lines {
		total += len(ls)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var sum *Summary
	go func() {
		var err error
		sum, err = s.Run(ctx)
		done <- err
	}()
	eventually(t, "every line in logs.txt", func() bool {
		n, _ := s.logFile.Counts()
		return n >= int64(total)
	})
	time.Sleep(100 * time.Millisecond) // a line too many would come now
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if sum.LogLines != int64(total) || sum.StatusRecords == 0 {
		t.Errorf("summary: %d log lines (want %d), %d status records", sum.LogLines, total, sum.StatusRecords)
	}

	// Every line once, in order, as kubectl logs --timestamps --prefix prints it.
	got := map[string][]string{}
	for _, l := range readLines(t, filepath.Join(dir, capdir.LogsFile)) {
		pod, _, _ := strings.Cut(strings.TrimPrefix(l, "[pod/"), "/etcd] ")
		if !strings.HasPrefix(l, "[pod/"+pod+"/etcd] ") {
			t.Fatalf("a line of logs.txt with no pod's prefix: %q", l)
		}
		got[pod] = append(got[pod], strings.TrimPrefix(l, "[pod/"+pod+"/etcd] ")+"\n")
	}
	for pod, ls := range k.lines {
		want := make([]string, len(ls))
		for i, l := range ls {
			want[i] = l.text
		}
		if !slices.Equal(got[pod], want) {
			t.Errorf("%s: %d lines, want %d (the first that differs: %d)", pod, len(got[pod]), len(want), firstDiff(got[pod], want))
		}
	}
	if len(got) != 3 {
		t.Errorf("logs of %v, want etcd-n1 .. etcd-n3 only", slices.Sorted(maps.Keys(got)))
	}

	// The requests: the pods listed with the selector in the namespace...
	for _, a := range k.cs.Actions() {
		l, ok := a.(k8stesting.ListAction)
		if !ok {
			continue
		}
		r := l.GetListRestrictions()
		switch what := a.GetResource().Resource + " in " + a.GetNamespace(); {
		case what == "pods in kube-system" && r.Labels.String() == "component=etcd":
		case what == "events in kube-system" && r.Fields.String() == "involvedObject.kind=Pod":
		default:
			t.Errorf("listed %s with labels %q, fields %q: want pods with component=etcd, or the pods' events", what, r.Labels, r.Fields)
		}
	}
	// ... and each log request as the fake recorded it.
	var logs []*corev1.PodLogOptions
	for _, a := range k.cs.Actions() {
		if a.GetVerb() == "get" && a.GetSubresource() == "log" {
			if a.GetNamespace() != "kube-system" {
				t.Errorf("logs asked in %q", a.GetNamespace())
			}
			logs = append(logs, a.(k8stesting.GenericAction).GetValue().(*corev1.PodLogOptions))
		}
	}
	if len(logs) != len(k.asked) {
		t.Fatalf("the fake recorded %d log requests, Stream saw %d", len(logs), len(k.asked))
	}
	at := func(pod string, i int) *metav1.Time { return &metav1.Time{Time: k.lines[pod][i].at} }
	follow := func(since *metav1.Time) corev1.PodLogOptions {
		return corev1.PodLogOptions{Container: "etcd", Follow: true, Timestamps: true, SinceTime: since}
	}
	previous := func(since *metav1.Time) corev1.PodLogOptions {
		return corev1.PodLogOptions{Container: "etcd", Previous: true, Timestamps: true, SinceTime: since}
	}
	half := func(pod string) int { r := k.restart[pod]; return r + (len(k.lines[pod])-r)/2 - 1 }
	want := map[string][]corev1.PodLogOptions{
		// Restarted before the capture: the previous container's log, then
		// the current one followed, and again from its last line's time
		// after the connection was lost.
		"etcd-n1": {previous(nil), follow(nil), follow(at("etcd-n1", half("etcd-n1")))},
		"etcd-n2": {previous(nil), follow(nil), follow(at("etcd-n2", half("etcd-n2")))},
		// Restarted during it: the rest of the previous container's log,
		// then the new container's.
		"etcd-n3": {follow(nil), previous(at("etcd-n3", n3Cut-1)), follow(at("etcd-n3", n3Cut+1))},
	}
	asked := map[string][]corev1.PodLogOptions{}
	for i, a := range k.asked {
		if a.opts != logs[i] {
			t.Errorf("request %d: Stream saw other options than the fake recorded", i)
		}
		asked[a.pod] = append(asked[a.pod], *a.opts)
	}
	for pod, w := range want {
		if !reflect.DeepEqual(asked[pod], w) {
			t.Errorf("%s's log requests:\n got %+v\nwant %+v", pod, asked[pod], w)
		}
	}

	// The directory tells what the plain files tell, with the members
	// named by pod.
	plain, _ := analyzeFiles(t, []string{filepath.Join(kubeRun, "n1.log"), filepath.Join(kubeRun, "n2.log"), filepath.Join(kubeRun, "n3.log")}, nil, nil, analysis.Options{})
	res := analyzeCapture(t, dir)
	if res.Diagnosis.Verdict != plain.Diagnosis.Verdict || res.Diagnosis.Verdict != "quorum-loss" {
		t.Errorf("verdict %q, the plain files' %q (want quorum-loss)", res.Diagnosis.Verdict, plain.Diagnosis.Verdict)
	}
	if !reflect.DeepEqual(res.Members, plain.Members) {
		t.Errorf("members\n%+v, the plain files'\n%+v", res.Members, plain.Members)
	}
	// Each member's lines carry its pod's name (etcd's own name, n1 .. n3,
	// names the member where the logs say it).
	f, err := os.Open(filepath.Join(dir, capdir.LogsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sources := map[string]bool{}
	if _, err := parser.Read(t.Context(), []parser.Source{{R: f, Opts: parser.Options{Name: "logs.txt", TZ: time.UTC}}}, 1, func(ev *parser.Event) {
		sources[ev.Source] = true
		if ev.Name != "" && ev.Source != "etcd-"+ev.Name {
			t.Errorf("a line of member %s carries the source %q", ev.Name, ev.Source)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(sources)); !slices.Equal(got, []string{"etcd-n1", "etcd-n2", "etcd-n3"}) {
		t.Errorf("the lines' sources %q, want the pods etcd-n1 .. etcd-n3", got)
	}
	members := metaMembers(t, dir, func(m capdir.MetaMember) string { return m.ID })
	if want := []string{"etcd-n1=" + hexID(0xc1afc607fb48dea), "etcd-n2=" + hexID(0x302e2e4c5374c763), "etcd-n3=" + hexID(0x1ca9251c4419fc27)}; !slices.Equal(members, want) {
		t.Errorf("meta.json's members %v, want %v (named by the pod of the endpoint's IP)", members, want)
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// metaMembers are meta.json's members, each as "<name>=<what>".
func metaMembers(t *testing.T, dir string, what func(capdir.MetaMember) string) []string {
	t.Helper()
	meta, err := capdir.ReadMeta(dir)
	if err != nil {
		t.Fatal(err)
	}
	var members []string
	for _, m := range meta.Members {
		members = append(members, m.Name+"="+what(m))
	}
	return members
}
