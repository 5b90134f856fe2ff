package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// TLS names the files of a TLS client of etcd, as etcdctl's --cacert, --cert, --key and
// --insecure-skip-tls-verify do. The zero value is no TLS configuration: https endpoints are then
// verified against the system's roots.
type TLS struct {
	CACert string // PEM CA bundle to verify the members' certificates; "" for the system pool
	Cert   string // PEM client certificate, for members run with --client-cert-auth
	Key    string // its PEM private key
	// InsecureSkipVerify accepts any server certificate (the client certificate is still sent).
	InsecureSkipVerify bool
}

// IsZero reports whether t configures nothing.
func (t TLS) IsZero() bool { return t == TLS{} }

// Config reads the files once and returns the client configuration every connection to a member
// uses (gRPC and HTTP alike); nil when t is zero. Errors name the flag to fix.
func (t TLS) Config() (*tls.Config, error) {
	if t.IsZero() {
		return nil, nil
	}
	if (t.Cert == "") != (t.Key == "") {
		return nil, errors.New("--cert and --key go together: give both or neither")
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify}
	if t.CACert != "" {
		pem, err := os.ReadFile(t.CACert)
		if err != nil {
			return nil, fmt.Errorf("--cacert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--cacert %s: no PEM certificate in it", t.CACert)
		}
		cfg.RootCAs = pool
	}
	if t.Cert != "" {
		pair, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("--cert %s and --key %s: %w", t.Cert, t.Key, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// clientTLS is the configuration a client of endpoint uses: cfg (cloned), or for an https
// endpoint with none given, the system's roots; nil for plain http.
func clientTLS(endpoint string, cfg *tls.Config) *tls.Config {
	if cfg != nil {
		return cfg.Clone()
	}
	if strings.HasPrefix(endpoint, "https://") || strings.HasPrefix(endpoint, "unixs://") {
		return &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return nil
}

// ExplainTLS rewords a failed TLS handshake with a member in etcdpm's words, naming the flag
// that fixes it, and keeps Go's own message at the end; other errors are returned unchanged.
// It matches on the message, as the handshake's error reaches gRPC's callers only as text.
func ExplainTLS(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var why string
	switch {
	case strings.Contains(msg, "x509: certificate signed by unknown authority"):
		why = "the member's certificate is not signed by a CA etcdpm trusts: give the CA that signed it with --cacert (or $ETCDCTL_CACERT)"
	case strings.Contains(msg, "x509: certificate has expired") || strings.Contains(msg, "x509: certificate is not yet valid"):
		why = "the member's certificate is expired or not valid yet: renew it on the member (or, to look anyway, --insecure-skip-tls-verify)"
	case strings.Contains(msg, "x509: certificate is valid for") || strings.Contains(msg, "x509: cannot validate certificate"):
		why = "the member's certificate does not name the endpoint's host: use an endpoint its certificate names in --endpoints"
	case strings.Contains(msg, "tls: expired certificate"):
		why = "the member rejected etcdpm's client certificate as expired: give a valid one with --cert and --key (or $ETCDCTL_CERT, $ETCDCTL_KEY)"
	case strings.Contains(msg, "tls: certificate required"):
		why = "the member requires a client certificate (--client-cert-auth): give one with --cert and --key (or $ETCDCTL_CERT, $ETCDCTL_KEY)"
	case strings.Contains(msg, "tls: bad certificate") || strings.Contains(msg, "tls: unknown certificate authority"):
		why = "the member rejected etcdpm's client certificate: give one signed by the member's client CA with --cert and --key"
	case strings.Contains(msg, "tls: first record does not look like a TLS handshake") || strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		why = "the member serves plain http: use http:// in --endpoints"
	case strings.Contains(msg, "malformed HTTP response"):
		why = "the member serves TLS: use https:// in --endpoints (with --cacert, and --cert and --key if it asks for a client certificate)"
	default:
		return err
	}
	return &TLSError{Why: why, Err: err}
}

// ExplainPlain explains err, a request to an http:// endpoint that failed, when the member
// there serves TLS: etcd closes such a connection without a word (EOF), so a TLS handshake is
// tried, within timeout, to tell. Other errors, and those of other endpoints, are returned as
// ExplainTLS returns them.
func ExplainPlain(endpoint string, err error, timeout time.Duration) error {
	host, ok := strings.CutPrefix(endpoint, "http://")
	if err == nil || !ok || !strings.HasSuffix(err.Error(), "EOF") {
		return ExplainTLS(err)
	}
	d := &net.Dialer{Timeout: timeout}
	conn, herr := tls.DialWithDialer(d, "tcp", host, &tls.Config{InsecureSkipVerify: true}) // only to tell TLS
	if herr == nil {
		conn.Close()
	}
	// A TLS alert (a client certificate required, with TLS 1.2) is TLS too.
	if herr != nil && !strings.Contains(herr.Error(), "remote error: tls:") {
		return ExplainTLS(err)
	}
	return &TLSError{Why: "the member serves TLS: use https:// in --endpoints (with --cacert, and --cert and --key if it asks for a client certificate)", Err: err}
}

// TLSError is a TLS handshake that failed, explained.
type TLSError struct {
	Why string // what to fix, naming the flag
	Err error
}

func (e *TLSError) Error() string { return "TLS: " + e.Why + " (" + e.Err.Error() + ")" }
func (e *TLSError) Unwrap() error { return e.Err }
