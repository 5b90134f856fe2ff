package capture

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/etcdpm/etcdpm/capdir"
)

// KubeOptions configure a capture of etcd pods through the Kubernetes API.
type KubeOptions struct {
	// Out is the directory to write; it is created, and must not hold a
	// capture already.
	Out string
	// Kubeconfig is the kubeconfig file ("" is client-go's default rules:
	// $KUBECONFIG, else ~/.kube/config); Context its context ("" the current).
	Kubeconfig, Context string
	// Namespace and Selector choose the pods (a label selector, e.g.
	// component=etcd).
	Namespace, Selector string
	// Endpoints are the members' client URLs to poll; a member is named by
	// the pod whose IP its host is, else by its host. Without them, each
	// pod's 2379 is forwarded through the API server and polled on
	// 127.0.0.1 (https with TLS): the pods there when the capture starts, a
	// pod that appears later from the next listing of the pods on, and a
	// pod recreated (a new UID) or whose forward was lost, forwarded anew.
	Endpoints []string
	// Duration stops the capture after this long; zero runs until ctx ends.
	Duration time.Duration
	// Interval is how often each member's status is polled (DefaultInterval
	// when zero).
	Interval time.Duration
	// MetricsInterval is how often each endpoint's /metrics is scraped
	// (DefaultMetricsInterval when zero); negative scrapes nothing.
	MetricsInterval time.Duration
	// TLS is every connection's to the endpoints; nil is none.
	TLS *tls.Config
	// Version and Command are etcdpm's version and command line, for meta.json.
	Version string
	Command []string
}

// KubeSession is one capture of a namespace's etcd pods: the logs of each
// pod's containers (the previous container's first, then the current one
// followed), the members' status through the endpoints given, and the
// pods' container terminations and Kubernetes events as faults.
type KubeSession struct {
	opts    KubeOptions
	dir     string
	pods    kubePods
	logs    podLogs
	relist  time.Duration // how often the pods are listed again
	backoff time.Duration // before a log stream is opened again
	dial    dialFunc      // nil: etcd's client (the tests' fake cluster else)
	forward forwardFunc   // to each pod's 2379, without Options.Endpoints

	logFile *capdir.LineFile

	mu        sync.Mutex
	start     time.Time
	followers map[string]*podFollower // by pod/container
	terms     map[string]bool         // terminations written, by pod/container/finishedAt
	podIPs    map[string]string       // pod name by IP
	forwarded map[string]forwarding   // the pods whose 2379 is forwarded, by name (no Options.Endpoints)
	nEvents   int64
	lastErr   string
	fatal     error
	cancel    context.CancelCauseFunc
	wg        sync.WaitGroup
	flushErr  error
	eventRecs []capdir.EventRecord
}

// NewKube reads the kubeconfig and prepares a capture of opts.Namespace's
// pods matching opts.Selector into opts.Out.
func NewKube(ctx context.Context, opts KubeOptions) (*KubeSession, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if opts.Kubeconfig != "" {
		rules.ExplicitPath = opts.Kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: opts.Context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	s, err := newKubeSession(opts, clientsetPods{cs}, clientsetLogs{cs})
	if err != nil {
		return nil, err
	}
	s.forward = podForwarder(cfg, cs, s.opts.Namespace)
	return s, nil
}

// newKubeSession prepares a session listing pods with pods and reading their
// logs with logs.
func newKubeSession(opts KubeOptions, pods kubePods, logs podLogs) (*KubeSession, error) {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	s := &KubeSession{
		opts: opts, pods: pods, logs: logs,
		relist: 2 * time.Second, backoff: time.Second,
		followers: make(map[string]*podFollower),
		terms:     make(map[string]bool),
		podIPs:    make(map[string]string),
		forwarded: make(map[string]forwarding),
	}
	s.dir = opts.Out
	if s.dir == "" {
		s.dir = "capture-" + opts.Namespace + "-" + time.Now().Format("20060102-150405")
	}
	if err := makeDir(s.dir); err != nil {
		return nil, err
	}
	var err error
	if s.logFile, err = capdir.CreateLineFile(filepath.Join(s.dir, capdir.LogsFile)); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir returns the capture directory.
func (s *KubeSession) Dir() string { return s.dir }

// Target names what is captured: namespace/selector.
func (s *KubeSession) Target() string { return s.opts.Namespace + "/" + s.opts.Selector }

// Run captures until ctx ends or Options.Duration passes, then writes
// events.jsonl and meta.json and closes every file.
func (s *KubeSession) Run(ctx context.Context) (*Summary, error) {
	runCtx, cancel, release := runContext(ctx, s.opts.Duration)
	defer release()
	s.mu.Lock()
	s.start, s.cancel = time.Now(), cancel
	s.mu.Unlock()

	pods, err := s.pods.List(runCtx, s.opts.Namespace, s.opts.Selector)
	if err != nil { // nothing captured: nothing left behind
		s.logFile.Close()
		os.Remove(s.logFile.Path())
		os.Remove(s.dir) // when empty
		return nil, fmt.Errorf("listing pods in %s (-l %s): %w", s.opts.Namespace, s.opts.Selector, err)
	}
	s.update(runCtx, pods)
	s.terminations(pods)
	forwarding := len(s.opts.Endpoints) == 0
	var fwd []forwarded
	if forwarding {
		if fwd, err = s.forwardPods(runCtx, pods); err != nil {
			cancel(err)
			s.wg.Wait()
			s.logFile.Close()
			return nil, err
		}
	}
	names, endpoints := make([]string, 0, len(s.opts.Endpoints)), s.opts.Endpoints
	for _, ep := range s.opts.Endpoints {
		names = append(names, s.memberName(ep))
	}
	for _, f := range fwd {
		names, endpoints = append(names, f.pod), append(endpoints, f.endpoint)
	}
	popts := PollerOptions{TLS: s.opts.TLS, Interval: s.opts.Interval}
	if s.opts.MetricsInterval >= 0 {
		popts.MetricsPath, popts.MetricsInterval = filepath.Join(s.dir, capdir.MetricsFile), s.opts.MetricsInterval
	}
	var poller *Poller
	if s.dial != nil {
		poller, err = startPoller(filepath.Join(s.dir, capdir.StatusFile), names, endpoints, s.dial, s.opts.Interval)
	} else {
		poller, err = StartPoller(filepath.Join(s.dir, capdir.StatusFile), names, endpoints, popts)
	}
	if err != nil {
		cancel(err)
		s.wg.Wait()
		s.logFile.Close()
		return nil, err
	}
	if err := s.writeMeta(poller, nil); err != nil {
		s.fail(err)
	}

	// The first list was above: the pods again every relist, until the end.
	every(runCtx, s.relist, func() {
		if err := s.logFile.Flush(); err != nil {
			s.fail(err)
		}
		if pods, err := s.pods.List(runCtx, s.opts.Namespace, s.opts.Selector); err == nil {
			s.update(runCtx, pods)
			s.terminations(pods) // each one, when a container restarts twice
			if forwarding && s.forwardNew(runCtx, pods, poller) {
				if err := s.writeMeta(poller, nil); err != nil {
					s.fail(err)
				}
			}
		} else if runCtx.Err() == nil {
			s.noteError("listing pods: %v", err)
		}
	})
	s.wg.Wait()
	end := time.Now()
	// The pods' Kubernetes events of the capture's time, and their last
	// terminations.
	ectx, ecancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	if pods, err := s.pods.List(ectx, s.opts.Namespace, s.opts.Selector); err == nil {
		s.terminations(pods)
	}
	if evs, err := s.pods.Events(ectx, s.opts.Namespace); err == nil {
		s.kubeEvents(evs, end)
	} else {
		s.noteError("listing events: %v", err)
	}
	ecancel()
	_, perr := poller.Stop()
	errs := []error{perr, s.logFile.Close(), s.writeEvents()}
	s.mu.Lock()
	s.start, end = s.start.UTC(), end.UTC()
	s.mu.Unlock()
	errs = append(errs, s.writeMeta(poller, &end))
	sum := s.summary(poller, end)
	s.mu.Lock()
	if s.fatal != nil {
		errs = append([]error{s.fatal}, errs...)
	}
	s.mu.Unlock()
	for _, err := range errs {
		if err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// update follows the containers of pods not followed yet, and keeps their
// IPs.
func (s *KubeSession) update(ctx context.Context, pods []corev1.Pod) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range pods {
		for _, ip := range p.Status.PodIPs {
			s.podIPs[ip.IP] = p.Name
		}
		if p.Status.PodIP != "" {
			s.podIPs[p.Status.PodIP] = p.Name
		}
		for _, c := range p.Spec.Containers {
			key := p.Name + "/" + c.Name
			if s.followers[key] != nil || ctx.Err() != nil {
				continue
			}
			f := &podFollower{s: s, pod: p.Name, container: c.Name, restarts: restartCount(p, c.Name)}
			s.followers[key] = f
			s.wg.Go(func() { f.run(ctx) })
		}
	}
}

// forwarding is a pod's forward: the pod it goes to, when it ends, and
// how to end it.
type forwarding struct {
	uid    types.UID
	done   <-chan struct{}
	cancel context.CancelFunc
}

// forwarded is a pod's 2379 forwarded to endpoint.
type forwarded struct{ pod, endpoint string }

// forwardPods forwards each pod's 2379 through the API server, to be polled
// at the local ends; their hosts name the pods.
func (s *KubeSession) forwardPods(ctx context.Context, pods []corev1.Pod) ([]forwarded, error) {
	if s.forward == nil || len(pods) == 0 {
		return nil, fmt.Errorf("no --endpoints, and no pod in %s matches -l %s to forward 2379 to", s.opts.Namespace, s.opts.Selector)
	}
	var out []forwarded
	for _, p := range pods {
		ep, f, err := s.forwardPod(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("%w (or give the members' client URLs with --endpoints)", err)
		}
		s.keepForward(p.Name, f)
		out = append(out, forwarded{p.Name, ep})
	}
	return out, nil
}

// forwardPod forwards p's 2379 and returns the endpoint to poll it at, and
// the forward, to keep once the endpoint is polled (keepForward).
func (s *KubeSession) forwardPod(ctx context.Context, p corev1.Pod) (string, forwarding, error) {
	fctx, cancel := context.WithCancel(ctx)
	local, done, err := s.forward(fctx, p.Name)
	if err != nil {
		cancel()
		return "", forwarding{}, err
	}
	s.mu.Lock()
	s.podIPs[local] = p.Name
	s.mu.Unlock()
	f := forwarding{uid: p.UID, done: done, cancel: cancel}
	if s.opts.TLS != nil {
		return "https://" + local, f, nil
	}
	return "http://" + local, f, nil
}

// keepForward records f as pod's forward, ending the one it replaces.
func (s *KubeSession) keepForward(pod string, f forwarding) {
	s.mu.Lock()
	old, ok := s.forwarded[pod]
	s.forwarded[pod] = f
	s.mu.Unlock()
	if ok {
		old.cancel()
	}
}

// forwardNew forwards the pods that have no forward yet, or whose forward
// ended or goes to a pod of the same name that is gone, and polls each at
// its new end; it reports whether the members polled changed. A pod that
// cannot be forwarded or polled yet (still starting) is tried again at the
// next listing.
func (s *KubeSession) forwardNew(ctx context.Context, pods []corev1.Pod, poller *Poller) bool {
	changed := false
	for _, p := range pods {
		s.mu.Lock()
		old, ok := s.forwarded[p.Name]
		s.mu.Unlock()
		if ok && old.uid == p.UID && !ended(old.done) {
			continue
		}
		ep, f, err := s.forwardPod(ctx, p)
		if err == nil {
			if ok {
				err = poller.Replace(p.Name, ep)
			} else {
				err = poller.Add(p.Name, ep)
			}
			if err != nil {
				f.cancel()
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				s.noteError("%v", err)
			}
			continue
		}
		s.keepForward(p.Name, f)
		changed = true
	}
	return changed
}

// ended reports whether done is closed.
func ended(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// memberName is the pod whose IP is endpoint's host, else the host.
func (s *KubeSession) memberName(endpoint string) string {
	host := hostOf(endpoint)
	if h, _, ok := strings.Cut(host, "/"); ok {
		host = h
	}
	ip := host
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		ip = host[:i]
	}
	ip = strings.Trim(ip, "[]")
	s.mu.Lock()
	defer s.mu.Unlock()
	return cmp.Or(s.podIPs[host], s.podIPs[ip], host) // a forward's local host:port, or the pod's IP
}

// restartCount is the restarts of the pod's container name.
func restartCount(p corev1.Pod, name string) int32 {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == name {
			return cs.RestartCount
		}
	}
	return 0
}

// fail stops the capture because of err (a file that cannot be written).
func (s *KubeSession) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fatal == nil {
		s.fatal = err
		if s.cancel != nil {
			s.cancel(err)
		}
	}
}

// noteError keeps the last error, for meta.json.
func (s *KubeSession) noteError(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.mu.Lock()
	s.lastErr = msg
	s.mu.Unlock()
}

// LastError is the last error the capture met and went on after ("" none).
func (s *KubeSession) LastError() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

func (s *KubeSession) summary(p *Poller, end time.Time) *Summary {
	lines, lost := s.logFile.Counts()
	status, _ := p.file.Counts()
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := &Summary{Dir: s.dir, Project: s.Target(), Start: s.start, End: end, LogLines: lines,
		StatusRecords: status, MetricsRecords: p.MetricsRecords(), Events: s.nEvents, Lost: map[string]int64{}}
	if lost > 0 {
		sum.Lost[capdir.LogsFile] = lost
	}
	return sum
}

// writeMeta writes meta.json as the capture stands; end is set at the end
// of the capture (the file then synced).
func (s *KubeSession) writeMeta(p *Poller, end *time.Time) error {
	sum := s.summary(p, time.Time{})
	s.mu.Lock()
	m := &capdir.Meta{
		Schema: capdir.MetaSchema, Etcdpm: s.opts.Version, Command: s.opts.Command,
		Project: s.Target(), Interval: cmp.Or(s.opts.Interval, DefaultInterval).String(), Start: s.start.UTC(), End: end,
		Services: []capdir.MetaService{}, Members: []capdir.MetaMember{},
		Counts: capdir.MetaCounts{LogLines: sum.LogLines, StatusRecords: sum.StatusRecords, MetricsRecords: sum.MetricsRecords, Events: sum.Events},
	}
	if p.metrics != nil {
		m.MetricsInterval = cmp.Or(s.opts.MetricsInterval, DefaultMetricsInterval).String()
	}
	if s.fatal != nil {
		m.Error = s.fatal.Error()
	}
	pods := map[string]*capdir.MetaService{}
	for _, f := range s.followers {
		svc := pods[f.pod]
		if svc == nil {
			svc = &capdir.MetaService{Name: f.pod}
			pods[f.pod] = svc
		}
		svc.Containers = append(svc.Containers, capdir.MetaContainer{ID: f.pod + "/" + f.container, Name: f.container})
	}
	s.mu.Unlock()
	for _, svc := range pods {
		slices.SortFunc(svc.Containers, func(a, b capdir.MetaContainer) int { return cmp.Compare(a.Name, b.Name) })
		m.Services = append(m.Services, *svc)
	}
	slices.SortFunc(m.Services, func(a, b capdir.MetaService) int { return cmp.Compare(a.Name, b.Name) })
	last := p.Last()
	for _, pm := range p.Members() {
		name := pm.Name
		mm := capdir.MetaMember{Name: name, Endpoint: pm.Endpoint}
		if r, ok := last[name]; ok {
			mm.ID, mm.Version = r.Member, r.Version
		}
		if _, ok := pods[name]; ok {
			mm.Service = name
		}
		m.Members = append(m.Members, mm)
	}
	return capdir.WriteMeta(s.dir, m, end != nil)
}

// kubePods lists a namespace's pods and events (the client-go clientset in
// production, its fake in the tests).
type kubePods interface {
	List(ctx context.Context, namespace, selector string) ([]corev1.Pod, error)
	Events(ctx context.Context, namespace string) ([]corev1.Event, error)
}

// clientsetPods is kubePods on a clientset.
type clientsetPods struct{ cs kubernetes.Interface }

func (c clientsetPods) List(ctx context.Context, namespace, selector string) ([]corev1.Pod, error) {
	l, err := c.cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(l.Items, func(a, b corev1.Pod) int { return cmp.Compare(a.Name, b.Name) })
	return l.Items, nil
}

func (c clientsetPods) Events(ctx context.Context, namespace string) ([]corev1.Event, error) {
	l, err := c.cs.CoreV1().Events(namespace).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=Pod"})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}
