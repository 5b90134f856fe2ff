//go:build unix

package capture_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/capture"
	"github.com/etcdpm/etcdpm/cluster"
	"github.com/etcdpm/etcdpm/cluster/local"
	"github.com/etcdpm/etcdpm/cluster/local/localtest"
	"github.com/etcdpm/etcdpm/cluster/tlstest"
)

// etcdBinary is $ETCDPM_ETCD_BINARY, or the etcd 3.6 that scripts/build-etcd.sh builds.
func etcdBinary(t *testing.T) string { return localtest.EtcdBinary(t, filepath.Join("..")) }

// startLocal starts a 3-member cluster of real etcd members and waits until it is healthy.
func startLocal(t *testing.T, ctx context.Context, tlsCfg *local.ServerTLS) *local.Cluster {
	t.Helper()
	c, err := local.Start(ctx, local.Config{Binary: etcdBinary(t), Dir: t.TempDir(), TLS: tlsCfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, _, err := cluster.WaitHealthy(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func clientURLs(c *local.Cluster) []string {
	var eps []string
	for _, name := range c.Names() {
		eps = append(eps, c.ClientURL(name))
	}
	return eps
}

// readJSONL decodes every line of path.
func readJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, sc.Text())
		}
		out = append(out, v)
	}
	return out
}

// TestPollerTLS polls and scrapes a real TLS cluster (https client URLs, --client-cert-auth)
// with the right certificates, a wrong CA, an expired client certificate and none: records OK
// with the right ones, else every record an error in etcdpm's words naming the flag to fix,
// each within the poll timeout, and Stop returns at once.
func TestPollerTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	certs, err := tlstest.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	good := cluster.TLS{CACert: certs.CA, Cert: certs.ClientCert, Key: certs.ClientKey}
	goodCfg, err := good.Config()
	if err != nil {
		t.Fatal(err)
	}
	c := startLocal(t, ctx, &local.ServerTLS{
		CertFile: certs.ServerCert, KeyFile: certs.ServerKey, TrustedCAFile: certs.CA, ClientCertAuth: true, Client: goodCfg,
	})
	eps := clientURLs(c)
	for _, ep := range eps {
		if !strings.HasPrefix(ep, "https://127.0.0.1:") {
			t.Fatalf("client URL %s, want https://127.0.0.1:port", ep)
		}
	}

	for _, tc := range []struct {
		name string
		tls  cluster.TLS
		// want is what every error says; "" for records that are OK.
		want []string
		// plain polls http:// URLs instead.
		plain bool
	}{
		{"right certificates", good, nil, false},
		{"wrong CA", cluster.TLS{CACert: certs.OtherCA, Cert: certs.ClientCert, Key: certs.ClientKey},
			[]string{"--cacert", "x509: certificate signed by unknown authority"}, false},
		{"expired client certificate", cluster.TLS{CACert: certs.CA, Cert: certs.ExpiredCert, Key: certs.ExpiredKey},
			[]string{"--cert", "expired"}, false},
		{"no client certificate", cluster.TLS{CACert: certs.CA},
			[]string{"--cert", "requires a client certificate"}, false},
		{"insecure, no client certificate", cluster.TLS{InsecureSkipVerify: true},
			[]string{"--cert", "requires a client certificate"}, false},
		{"http:// URLs", good, []string{"serves TLS: use https://"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tc.tls.Config()
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			status, metrics := filepath.Join(dir, capdir.StatusFile), filepath.Join(dir, capdir.MetricsFile)
			urls := eps
			if tc.plain {
				urls = nil
				for _, ep := range eps {
					urls = append(urls, "http://"+strings.TrimPrefix(ep, "https://"))
				}
			}
			p, err := capture.StartPoller(status, c.Names(), urls, capture.PollerOptions{TLS: cfg, MetricsPath: metrics, MetricsInterval: 250 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(1500 * time.Millisecond)
			start := time.Now()
			if _, err := p.Stop(); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("Stop took %v", d)
			}
			explained := map[string]bool{} // a file of which some record says why
			check := func(file string, ok bool, errMsg string, latencyMS float64) {
				t.Helper()
				// The poll timeout is half the interval (125 ms for status at 250 ms); some slack
				// for a loaded machine, but no hang.
				if latencyMS > 1000 {
					t.Errorf("%s: a call took %.0f ms", file, latencyMS)
				}
				if tc.want == nil {
					if !ok {
						t.Errorf("%s: error %q, want OK", file, errMsg)
					}
					return
				}
				if ok {
					t.Errorf("%s: OK, want an error", file)
					return
				}
				// On a loaded machine a call may time out before its handshake
				// fails: inconclusive, but some call must say why (below).
				if strings.Contains(errMsg, "context deadline exceeded") && !strings.Contains(errMsg, tc.want[0]) {
					return
				}
				explained[file] = true
				for _, w := range tc.want {
					if !strings.Contains(errMsg, w) {
						t.Errorf("%s: error %q does not say %q", file, errMsg, w)
					}
				}
			}
			srecs := readJSONL[capdir.StatusRecord](t, status)
			mrecs := readJSONL[capdir.MetricsRecord](t, metrics)
			if len(srecs) < 3*3 || len(mrecs) < 3*3 {
				t.Fatalf("%d status and %d metrics records in 1.5 s, want 3 members × 3 or more", len(srecs), len(mrecs))
			}
			// With the right files, a member's first call may time out while its connection
			// is made on a loaded machine: the later ones must be OK.
			seen := map[string]bool{}
			warm := func(file, name string) bool {
				first := !seen[file+name]
				seen[file+name] = true
				return !first || tc.want != nil
			}
			for _, r := range srecs {
				if !warm(capdir.StatusFile, r.Name) {
					continue
				}
				check(capdir.StatusFile, r.OK, r.Error, r.LatencyMS)
				if tc.want == nil && (r.Member == "" || r.CurrentTerm() == 0 || r.State == "") {
					t.Errorf("status record %+v: no member, term or state (/debug/vars over TLS)", r)
				}
			}
			for _, r := range mrecs {
				if !warm(capdir.MetricsFile, r.Name) {
					continue
				}
				check(capdir.MetricsFile, r.OK, r.Error, r.LatencyMS)
				if tc.want == nil {
					m := r.Metrics
					if m == nil || m.HasLeader != 1 || m.WALFsync == nil || m.WALFsync.Count == 0 || m.BackendCommit == nil {
						t.Errorf("metrics of %s: %+v, want a leader, fsyncs and backend commits", r.Name, m)
					}
				}
			}
			if tc.want != nil {
				for _, file := range []string{capdir.StatusFile, capdir.MetricsFile} {
					if !explained[file] {
						t.Errorf("%s: no record says %q", file, tc.want)
					}
				}
				t.Logf("status error: %s", srecs[len(srecs)-1].Error)
				t.Logf("metrics error: %s", mrecs[len(mrecs)-1].Error)
			}
		})
	}
}
