package local

import (
	"crypto/tls"
	"errors"
)

// ServerTLS is the TLS of the members' client URLs: etcd's --cert-file, --key-file,
// --trusted-ca-file and --client-cert-auth, the same files for every member.
type ServerTLS struct {
	CertFile, KeyFile string // the server certificate (valid for 127.0.0.1) and its key
	TrustedCAFile     string // the CA that signs client certificates
	ClientCertAuth    bool   // refuse clients without a certificate signed by TrustedCAFile
	// Client is the TLS of the cluster's own clients (Status, Put, Get, MoveLeader): the CA of
	// CertFile and, with ClientCertAuth, a client certificate. Required.
	Client *tls.Config
}

// check rejects a ServerTLS that cannot start a member.
func (t *ServerTLS) check() error {
	if t.CertFile == "" || t.KeyFile == "" || t.Client == nil || t.ClientCertAuth && t.TrustedCAFile == "" {
		return errors.New("local cluster config: TLS needs CertFile, KeyFile and Client, and TrustedCAFile with ClientCertAuth")
	}
	return nil
}

// flags are the etcd flags of t.
func (t *ServerTLS) flags() []string {
	flags := []string{"--cert-file=" + t.CertFile, "--key-file=" + t.KeyFile}
	if t.TrustedCAFile != "" {
		flags = append(flags, "--trusted-ca-file="+t.TrustedCAFile)
	}
	if t.ClientCertAuth {
		flags = append(flags, "--client-cert-auth")
	}
	return flags
}
