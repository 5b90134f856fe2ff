package cluster

import (
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
func NewClient(endpoint string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:        []string{endpoint},
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
