package capture

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// podLogs streams the log of one pod's container with the options given:
// the API server's GET pods/<pod>/log (client-go's fake answers it with a
// fixed body, so the tests put the real lines behind this interface).
type podLogs interface {
	Stream(ctx context.Context, namespace, pod string, opts *corev1.PodLogOptions) (io.ReadCloser, error)
}

// clientsetLogs is podLogs on a clientset.
type clientsetLogs struct{ cs kubernetes.Interface }

func (c clientsetLogs) Stream(ctx context.Context, namespace, pod string, opts *corev1.PodLogOptions) (io.ReadCloser, error) {
	return c.cs.CoreV1().Pods(namespace).GetLogs(pod, opts).Stream(ctx)
}

// podFollower follows one container of a pod into logs.txt, each line as
// `kubectl logs --timestamps --prefix` prints it:
// "[pod/<pod>/<container>] <RFC 3339 time> <line>".
type podFollower struct {
	s              *KubeSession
	pod, container string
	// restarts is the container's restart count whose previous log was read.
	restarts int32
	// last is the time of the last line written, and atLast how many lines
	// carried it: a stream opened again from last (SinceTime, whole seconds
	// on the wire) skips what was written already.
	last   time.Time
	atLast int
}

// run reads the previous container's log when the container restarted,
// then follows the current one until ctx ends. A stream that ends (the
// connection lost, the container restarted) is opened again from the last
// line's time; when the container restarted meanwhile, the rest of its
// previous log is read first.
func (f *podFollower) run(ctx context.Context) {
	if f.restarts > 0 {
		f.read(ctx, &corev1.PodLogOptions{Container: f.container, Previous: true, Timestamps: true})
	}
	for resume := false; ctx.Err() == nil; resume = true {
		opts := &corev1.PodLogOptions{Container: f.container, Follow: true, Timestamps: true}
		if resume && !f.last.IsZero() {
			opts.SinceTime = &metav1.Time{Time: f.last}
		}
		f.read(ctx, opts)
		if !sleepCtx(ctx, f.s.backoff) {
			return
		}
		pods, err := f.s.pods.List(ctx, f.s.opts.Namespace, f.s.opts.Selector)
		if err != nil {
			continue
		}
		i := -1
		for j := range pods {
			if pods[j].Name == f.pod {
				i = j
			}
		}
		if i < 0 { // deleted, or not listed for a while: asked again, a second later
			f.s.noteError("pod %s is not listed", f.pod)
			continue
		}
		n := restartCount(pods[i], f.container)
		if n < f.restarts { // a new pod of that name: its restarts count from 0
			f.restarts = n
		}
		if n > f.restarts {
			prev := &corev1.PodLogOptions{Container: f.container, Previous: true, Timestamps: true}
			if !f.last.IsZero() {
				prev.SinceTime = &metav1.Time{Time: f.last}
			}
			f.read(ctx, prev)
			f.restarts = n
		}
	}
}

// read copies one stream into logs.txt.
func (f *podFollower) read(ctx context.Context, opts *corev1.PodLogOptions) {
	rc, err := f.s.logs.Stream(ctx, f.s.opts.Namespace, f.pod, opts)
	if err != nil {
		if ctx.Err() == nil && !apierrors.IsBadRequest(err) { // BadRequest: no previous container, or not started
			f.s.noteError("logs of %s/%s: %v", f.pod, f.container, err)
		}
		return
	}
	defer rc.Close()
	prefix := []byte("[pod/" + f.pod + "/" + f.container + "] ")
	from, skip := f.last, f.atLast
	br := bufio.NewReaderSize(rc, 64<<10)
	var buf, out []byte
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			buf = append(buf[:0], line...)
			continue
		}
		if len(buf) > 0 {
			line = append(buf, line...)
			buf = buf[:0]
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if len(line) > 0 && (err == nil || errors.Is(err, io.EOF)) && f.fresh(line, from, &skip) {
			out = append(append(out[:0], prefix...), line...)
			if werr := f.s.logFile.Add(out); werr != nil {
				f.s.fail(werr)
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && ctx.Err() == nil {
				f.s.noteError("logs of %s/%s: %v", f.pod, f.container, err)
			}
			return
		}
	}
}

// fresh reports whether line was not written yet: a stream opened from
// from repeats the lines before it and the skip first ones at it. It notes
// the lines it passes in last and atLast.
func (f *podFollower) fresh(line []byte, from time.Time, skip *int) bool {
	t, ok := lineTime(line)
	if !ok {
		return true
	}
	switch {
	case t.Before(from):
		return false
	case t.Equal(from) && *skip > 0:
		*skip--
		return false
	}
	if t.After(f.last) {
		f.last, f.atLast = t, 0
	}
	if t.Equal(f.last) {
		f.atLast++
	}
	return true
}

// lineTime is the time kubelet put in front of a line (Timestamps).
func lineTime(line []byte) (time.Time, bool) {
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(line[:sp]))
	return t, err == nil
}

// sleepCtx waits d, or less when ctx ends: it reports whether ctx is alive.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
