package capture

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
)

// forwardFunc forwards a local port on 127.0.0.1 to a pod's 2379 through
// the API server (kubectl port-forward), until ctx ends or the pod goes; it
// returns the local host:port, once the forward listens, and a channel
// closed when the forward ends (nil: it ends with ctx only).
type forwardFunc func(ctx context.Context, pod string) (string, <-chan struct{}, error)

// podForwarder is forwardFunc through the API server of cfg, for the pods
// of namespace.
func podForwarder(cfg *rest.Config, cs kubernetes.Interface, namespace string) forwardFunc {
	return func(ctx context.Context, pod string) (string, <-chan struct{}, error) {
		transport, upgrader, err := spdy.RoundTripperFor(cfg)
		if err != nil {
			return "", nil, err
		}
		u := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(pod).SubResource("portforward").URL()
		dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, u)
		ready := make(chan struct{})
		fw, err := portforward.NewOnAddressesWithContext(ctx, dialer, []string{"127.0.0.1"}, []string{"0:2379"}, ready, io.Discard, io.Discard)
		if err != nil {
			return "", nil, err
		}
		errc, done := make(chan error, 1), make(chan struct{})
		go func() {
			errc <- fw.ForwardPorts() // returns when the pod's connection is lost, or ctx ends
			close(done)
		}()
		select {
		case <-ready:
		case err := <-errc:
			return "", nil, fmt.Errorf("port-forward to %s:2379: %w", pod, err)
		case <-ctx.Done():
			return "", nil, ctx.Err()
		}
		ports, err := fw.GetPorts()
		if err != nil || len(ports) != 1 {
			fw.Close()
			return "", nil, fmt.Errorf("port-forward to %s:2379: no local port (%v)", pod, err)
		}
		return fmt.Sprintf("127.0.0.1:%d", ports[0].Local), done, nil
	}
}
