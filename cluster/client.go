package cluster

import (
	"crypto/tls"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
)

// NewClient returns an etcd client of one member, as every part of etcdpm
// talks to a member: to that client URL only (no rebalancing to other
// members, no auto-sync), silent, and reconnecting within a second of the
// member coming back (gRPC's default backoff grows to two minutes). It does
// not wait for the member: calls to one that is down fail.
//
// tc is the TLS configuration of every connection (TLS.Config builds it once from the flags); nil
// means none, and then an https endpoint is verified against the system's roots.
func NewClient(endpoint string, tc *tls.Config) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:        []string{endpoint},
		TLS:              clientTLS(endpoint, tc),
		AutoSyncInterval: 0,
		DialTimeout:      2 * time.Second,
		Logger:           zap.NewNop(),
		DialOptions: []grpc.DialOption{
			grpc.WithConnectParams(grpc.ConnectParams{
				Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
				MinConnectTimeout: time.Second,
			}),
		},
	})
}
