//go:build unix

package local_test

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/cluster"
	"github.com/etcdpm/etcdpm/cluster/local"
	"github.com/etcdpm/etcdpm/cluster/tlstest"
)

// TestTLSMembers runs members with https client URLs and --client-cert-auth: the cluster's own
// clients (cluster.NewClient with the client certificate) read and write; a client that trusts
// the system's roots only, or sends no certificate, is refused.
func TestTLSMembers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	certs, err := tlstest.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	client, err := cluster.TLS{CACert: certs.CA, Cert: certs.ClientCert, Key: certs.ClientKey}.Config()
	if err != nil {
		t.Fatal(err)
	}
	c, err := local.Start(ctx, local.Config{Binary: etcdBinary(t), Dir: t.TempDir(), Members: 1, TLS: &local.ServerTLS{
		CertFile: certs.ServerCert, KeyFile: certs.ServerKey, TrustedCAFile: certs.CA, ClientCertAuth: true, Client: client,
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, err := cluster.WaitHealthy(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := c.Get(ctx, "k"); v != "v" || !ok || err != nil {
		t.Fatalf("Get = %q, %v, %v", v, ok, err)
	}
	ep := c.ClientURL(c.Names()[0])
	if !strings.HasPrefix(ep, "https://") {
		t.Fatalf("ClientURL = %s, want https", ep)
	}
	noCert, err := cluster.TLS{CACert: certs.CA}.Config()
	if err != nil {
		t.Fatal(err)
	}
	// gRPC retries a refused handshake until the deadline: the reason is not in its error
	// (capture's poller finds it over HTTP; see capture's TestPollerTLS), only the refusal.
	for name, cfg := range map[string]*tls.Config{"system roots": nil, "no client certificate": noCert} {
		cli, err := cluster.NewClient(ep, cfg)
		if err != nil {
			t.Fatal(err)
		}
		sctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err = cli.Get(sctx, "k")
		cancel()
		cli.Close()
		if err == nil {
			t.Errorf("%s: Get succeeded", name)
		}
	}
}
