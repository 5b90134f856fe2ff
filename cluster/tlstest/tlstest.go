// Package tlstest writes the certificates of a TLS test cluster on 127.0.0.1 (a CA, a server
// certificate, client certificates good and expired, and a CA that signed nothing), made with
// crypto/x509 for tests that run real etcd members with --client-cert-auth.
package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files are the PEM files Write made, by path.
type Files struct {
	CA                    string // the CA that signed everything below
	ServerCert, ServerKey string // for 127.0.0.1 and localhost, server and client use
	ClientCert, ClientKey string // a valid client certificate
	// ExpiredCert expired an hour ago (signed by CA).
	ExpiredCert, ExpiredKey string
	// OtherCA is a CA that signed nothing here: trusting it alone fails verification.
	OtherCA string
}

// Write makes the certificates into dir.
func Write(dir string) (*Files, error) {
	now := time.Now()
	ca, caKey, err := makeCA("etcdpm test CA", now)
	if err != nil {
		return nil, err
	}
	other, _, err := makeCA("etcdpm other CA", now)
	if err != nil {
		return nil, err
	}
	f := &Files{CA: filepath.Join(dir, "ca.pem"), OtherCA: filepath.Join(dir, "other-ca.pem")}
	if err := writePEM(f.CA, "CERTIFICATE", ca.Raw); err != nil {
		return nil, err
	}
	if err := writePEM(f.OtherCA, "CERTIFICATE", other.Raw); err != nil {
		return nil, err
	}
	leaves := []struct {
		name       string
		cert, key  *string
		notBefore  time.Time
		notAfter   time.Time
		serverAddr bool
	}{
		{"server", &f.ServerCert, &f.ServerKey, now.Add(-time.Hour), now.Add(24 * time.Hour), true},
		{"client", &f.ClientCert, &f.ClientKey, now.Add(-time.Hour), now.Add(24 * time.Hour), false},
		{"expired", &f.ExpiredCert, &f.ExpiredKey, now.Add(-48 * time.Hour), now.Add(-time.Hour), false},
	}
	for i, l := range leaves {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(10 + i)),
			Subject:      pkix.Name{CommonName: "etcdpm test " + l.name},
			NotBefore:    l.notBefore, NotAfter: l.notAfter,
			KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		if l.serverAddr {
			tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
			tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
			tmpl.DNSNames = []string{"localhost"}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return nil, fmt.Errorf("%s certificate: %w", l.name, err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		*l.cert, *l.key = filepath.Join(dir, l.name+".pem"), filepath.Join(dir, l.name+"-key.pem")
		if err := writePEM(*l.cert, "CERTIFICATE", der); err != nil {
			return nil, err
		}
		if err := writePEM(*l.key, "PRIVATE KEY", keyDER); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func makeCA(name string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(7 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}
