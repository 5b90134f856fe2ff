package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/etcdpm/etcdpm/capture"
)

// validateKube rejects Kubernetes flags given without --kubeconfig, or
// with a compose project's.
func (c *captureCmd) validateKube() error {
	if !c.kube() {
		if c.Namespace != "" || c.Selector != "" || c.KubeContext != "" {
			return errors.New("-n, -l and --context choose etcd pods: give --kubeconfig too (e.g. --kubeconfig ~/.kube/config)")
		}
		return nil
	}
	switch {
	case c.File != "" || c.Project != "" || c.Config != "":
		return errors.New("--kubeconfig captures etcd pods, -f, --project and --config a compose project: give one or the other")
	}
	if c.Namespace == "" {
		c.Namespace = "kube-system"
	}
	if c.Selector == "" {
		c.Selector = "component=etcd"
	}
	return nil
}

// runKube captures the etcd pods of --kubeconfig's cluster.
func (c *captureCmd) runKube(e *env) error {
	tc, metricsEvery, err := c.connections()
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	s, err := capture.NewKube(e.ctx, capture.KubeOptions{
		Out: c.Out, Kubeconfig: c.Kubeconfig, Context: c.KubeContext,
		Namespace: c.Namespace, Selector: c.Selector, Endpoints: c.Endpoints,
		Duration: c.For, Interval: c.Interval, MetricsInterval: metricsEvery, TLS: tc,
		Version: versionString(), Command: append([]string{"etcdpm"}, os.Args[1:]...),
	})
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	fmt.Fprintf(e.stdout, "capture: pods %s -l %s into %s/ (Ctrl-C to stop)\n", c.Namespace, c.Selector, s.Dir())
	sum, err := s.Run(e.ctx)
	if msg := s.LastError(); msg != "" {
		fmt.Fprintf(e.stderr, "etcdpm: capture: last error: %s\n", msg)
	}
	if sum != nil && sum.LogLines == 0 {
		fmt.Fprintf(e.stderr, "etcdpm: capture: no log line recorded: no pod in %s matches -l %s?\n", c.Namespace, c.Selector)
	}
	return c.finish(e, sum, err, s.Dir(), s.Target())
}
