package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The repository's own file: what the stack's GUI and etcdpm on the host read.
func TestLoadRepositoryFile(t *testing.T) {
	c, err := Load(filepath.Join("..", DefaultPath))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://127.0.0.1:12379", "http://127.0.0.1:22379", "http://127.0.0.1:32379"}
	if !slices.Equal(c.Endpoints, want) {
		t.Errorf("Endpoints = %q, want %q", c.Endpoints, want)
	}
	if c.RootKey != "/root" {
		t.Errorf("RootKey = %q, want /root", c.RootKey)
	}
	if c.EndpointsLine == 0 {
		t.Errorf("EndpointsLine = 0, want the line of [etcdpm] endpoints")
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		ini       string
		endpoints []string
		rootKey   string
	}{
		{
			name:      "e3w only: addr gets http://",
			ini:       "[app]\nport=8080\n[etcd]\nroot_key=/root\naddr=etcd1:2379,etcd2:2379, etcd3:2379\n",
			endpoints: []string{"http://etcd1:2379", "http://etcd2:2379", "http://etcd3:2379"},
			rootKey:   "/root",
		},
		{
			name:      "etcdpm endpoints win over addr",
			ini:       "[etcd]\nroot_key=/root\naddr=etcd1:2379\n[etcdpm]\nendpoints = http://127.0.0.1:12379 , https://10.0.0.2:2379/\n",
			endpoints: []string{"http://127.0.0.1:12379", "https://10.0.0.2:2379"},
			rootKey:   "/root",
		},
		{
			name:      "etcdpm root_key wins",
			ini:       "[etcd]\nroot_key=/root\naddr=etcd1:2379\n[etcdpm]\nroot_key=/other\n",
			endpoints: []string{"http://etcd1:2379"},
			rootKey:   "/other",
		},
		{
			name:      "no root key: the whole keyspace",
			ini:       "[etcd]\naddr=etcd1:2379\n",
			endpoints: []string{"http://etcd1:2379"},
		},
		{
			name:      "e3w sample: relative root key, colon delimiters, comments",
			ini:       "; e3w's sample\n[etcd]\nroot_key: e3w_test\naddr: etcd:2379,etcd:22379 ; inline comment\n",
			endpoints: []string{"http://etcd:2379", "http://etcd:22379"},
			rootKey:   "e3w_test",
		},
		{
			name:      "unix socket",
			ini:       "[etcdpm]\nendpoints=unix:///run/etcd.sock\n",
			endpoints: []string{"unix:///run/etcd.sock"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("x.ini", []byte(tt.ini))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.Endpoints, tt.endpoints) {
				t.Errorf("Endpoints = %q, want %q", c.Endpoints, tt.endpoints)
			}
			if c.RootKey != tt.rootKey {
				t.Errorf("RootKey = %q, want %q", c.RootKey, tt.rootKey)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		ini  string
		want string
	}{
		{"no endpoints", "[app]\nport=8080\n",
			`x.ini: no endpoints: set [etcdpm] endpoints (from the host) or [etcd] addr`},
		{"empty endpoints", "[etcd]\naddr=etcd1:2379\n\n[etcdpm]\nendpoints =\n",
			`x.ini:5: [etcdpm] endpoints is empty`},
		{"empty entry", "[etcd]\n\naddr=etcd1:2379,,etcd3:2379\n",
			`x.ini:3: [etcd] addr, entry 2: empty endpoint (a stray comma?)`},
		{"no port", "[etcd]\naddr=etcd1\n",
			`x.ini:2: [etcd] addr, entry 1: "etcd1" has no valid port (etcd's client port is usually 2379)`},
		{"bad scheme", "[etcdpm]\nendpoints=grpc://a:1\n",
			`x.ini:2: [etcdpm] endpoints, entry 1: "grpc://a:1": scheme "grpc" is not http, https, unix or unixs`},
		{"path", "[etcdpm]\nendpoints=http://a:1/v3\n",
			`x.ini:2: [etcdpm] endpoints, entry 1: "http://a:1/v3": an endpoint is scheme://host:port only`},
		{"root key ends with slash", "[etcd]\naddr=a:1\n# comment\nroot_key = /root/\n",
			`x.ini:4: [etcd] root_key "/root/" must not end with "/" (e3w refuses it too)`},
		{"etcdpm root key ends with slash", "[etcd]\naddr=a:1\nroot_key=/root\n[etcdpm]\nroot_key=/\n",
			`x.ini:5: [etcdpm] root_key "/" must not end with "/" (e3w refuses it too)`},
		{"no delimiter", "[etcd]\naddr=a:1\n  oops  \n",
			`x.ini:3: want key = value, got "oops"`},
		{"unclosed section", "[etcd]\naddr=a:1\n[etcdpm\n",
			`x.ini:3: unclosed section "[etcdpm"`},
		{"empty key name", "[etcd]\n= a\n",
			`x.ini:2: no key name before the "=" in "= a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.ini", []byte(tt.ini))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q\nwant    %q", err, tt.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error is %T, want *config.Error", err)
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.ini"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error = %v, want fs.ErrNotExist", err)
	}
}

func TestLoadNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.ini")
	if err := os.WriteFile(path, []byte("[etcd]\naddr=etcd1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	var ce *Error
	if !errors.As(err, &ce) || ce.File != path || ce.Line != 2 {
		t.Fatalf("error = %#v, want *Error at %s:2", err, path)
	}
}

// TestEndpointURL: endpoints from the file or from --endpoints get a scheme; anything but
// scheme://host:port (or a unix socket) is refused.
func TestEndpointURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:2379":          "http://127.0.0.1:2379",
		"http://etcd1:2379/":      "http://etcd1:2379",
		"https://[::1]:2379":      "https://[::1]:2379",
		"unix:///run/etcd.sock":   "unix:///run/etcd.sock",
		"http://10.0.0.1:2379":    "http://10.0.0.1:2379",
		"https://etcd.local:2379": "https://etcd.local:2379",
	} {
		if got, err := EndpointURL(in); err != nil || got != want {
			t.Errorf("EndpointURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "etcd1", "http://:2379", "http://etcd1:0", "http://etcd1:99999", "http://u:p@etcd1:2379", "grpc://etcd1:2379"} {
		if got, err := EndpointURL(in); err == nil {
			t.Errorf("EndpointURL(%q) = %q, want an error", in, got)
		}
	}
}
