package cluster_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/etcdpm/etcdpm/cluster"
	"github.com/etcdpm/etcdpm/cluster/tlstest"
)

func TestTLSConfig(t *testing.T) {
	dir := t.TempDir()
	certs, err := tlstest.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := (cluster.TLS{}).Config(); cfg != nil || err != nil {
		t.Errorf("zero TLS: %v, %v; want nil, nil", cfg, err)
	}
	cfg, err := cluster.TLS{CACert: certs.CA, Cert: certs.ClientCert, Key: certs.ClientKey}.Config()
	if err != nil || cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.InsecureSkipVerify {
		t.Errorf("Config() = %+v, %v; want the CA and one certificate", cfg, err)
	}
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello\n"), 0o644)
	for _, tc := range []struct {
		tls  cluster.TLS
		want string
	}{
		{cluster.TLS{Cert: certs.ClientCert}, "--cert and --key go together"},
		{cluster.TLS{Key: certs.ClientKey}, "--cert and --key go together"},
		{cluster.TLS{CACert: filepath.Join(dir, "none.pem")}, "--cacert: open "},
		{cluster.TLS{CACert: notPEM}, "no PEM certificate in it"},
		{cluster.TLS{Cert: certs.ClientCert, Key: certs.ServerKey}, "--cert " + certs.ClientCert + " and --key " + certs.ServerKey + ": tls: private key does not match public key"},
	} {
		if _, err := tc.tls.Config(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.tls, err, tc.want)
		}
	}
}

func TestExplainTLS(t *testing.T) {
	for _, tc := range []struct{ err, want string }{
		{`Get "https://127.0.0.1:1/metrics": tls: failed to verify certificate: x509: certificate signed by unknown authority`, "--cacert"},
		{`remote error: tls: expired certificate`, "--cert and --key"},
		{`remote error: tls: certificate required`, "requires a client certificate (--client-cert-auth)"},
		{`tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time`, "the member's certificate is expired"},
		{`tls: failed to verify certificate: x509: certificate is valid for 10.0.0.1, not 127.0.0.1`, "does not name the endpoint's host"},
		{`Get "https://127.0.0.1:1/metrics": http: server gave HTTP response to HTTPS client`, "serves plain http: use http://"},
	} {
		got := cluster.ExplainTLS(errors.New(tc.err))
		var te *cluster.TLSError
		if !errors.As(got, &te) || !strings.Contains(got.Error(), tc.want) || !strings.HasSuffix(got.Error(), "("+tc.err+")") {
			t.Errorf("ExplainTLS(%q) = %q, want a TLSError saying %q and ending with the cause", tc.err, got, tc.want)
		}
	}
	plain := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	if got := cluster.ExplainTLS(plain); got != plain {
		t.Errorf("ExplainTLS(%v) = %v, want it unchanged", plain, got)
	}
}
