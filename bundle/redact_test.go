package bundle

import (
	"bytes"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestRedactLine(t *testing.T) {
	for _, c := range []struct {
		name  string
		known []string // AddHost
		in    string
		want  string
	}{
		{"ipv4 host:port", nil, "dial tcp 10.0.0.1:2380: connect: connection refused", "dial tcp 192.0.2.1:2380: connect: connection refused"},
		{"ipv4 urls", nil, `"http://10.0.0.1:2379,http://10.0.0.2:2379,http://10.0.0.1:2380"`, `"http://192.0.2.1:2379,http://192.0.2.2:2379,http://192.0.2.1:2380"`},
		{"ipv4 sentence end", nil, "lookup etcd3 on 127.0.0.11.", "lookup etcd3 on 192.0.2.1."},
		{"ipv6 bracketed with zone", nil, "listening on [fe80::1%eth0]:2380", "listening on [2001:db8::1%eth0]:2380"},
		{"ipv6 url", nil, `"https://[2001:db8::5]:2379/health"`, `"https://[2001:db8::1]:2379/health"`},
		{"ipv6 same address, two spellings", nil, "2001:DB8::5 and 2001:db8:0::5", "2001:db8::1 and 2001:db8::1"},
		{"ipv6 mapped ipv4", nil, "from ::ffff:10.0.0.1 and ::1 and 10.0.0.1", "from 2001:db8::1 and 2001:db8::2 and 192.0.2.1"},
		{"ipv6 loopback in brackets", nil, "[::1]:2379", "[2001:db8::1]:2379"},
		{"ipv6 at a colon", nil, "addr: fe80::aa:1:", "addr: 2001:db8::1:"},
		{"unspecified kept", nil, `"listen-client-urls":["http://0.0.0.0:2379"],"error":"accept tcp [::]:2380: use of closed network connection"`, `"listen-client-urls":["http://0.0.0.0:2379"],"error":"accept tcp [::]:2380: use of closed network connection"`},
		{"not ipv6", nil, `"msg":"cmux::serve" std::string ab:cd ::`, `"msg":"cmux::serve" std::string ab:cd ::`},
		{"times untouched", nil, `2026-11-23T22:10:23.999420415Z 2020-04-30 17:20:31.622130 W | raft: x`, `2026-11-23T22:10:23.999420415Z 2020-04-30 17:20:31.622130 W | raft: x`},
		{"versions untouched", nil, `"etcd-version":"3.6.16","go-version":"go1.26.8","caller":"v3@v3.6.0/raft.go:988"`, `"etcd-version":"3.6.16","go-version":"go1.26.8","caller":"v3@v3.6.0/raft.go:988"`},
		{"not addresses", nil, "999.1.1.1 1.2.3.4.5 1.2.3 took 2.612759ms 10.0.0.1a", "999.1.1.1 1.2.3.4.5 1.2.3 took 2.612759ms 10.0.0.1a"},
		{"member ids untouched", nil, `45a19f43f73224e5 became leader at term 3, voters=(5017466574126327013 5185516622810125932)`, `45a19f43f73224e5 became leader at term 3, voters=(5017466574126327013 5185516622810125932)`},
		{"go struct ids", nil, `{ID:8e9e05c52164694d Name:etcd1 PeerURLs:[http://10.0.0.1:2380]}`, `{ID:8e9e05c52164694d Name:etcd1 PeerURLs:[http://192.0.2.1:2380]}`},
		{"fqdn with port", nil, "https://node-a.example.com:2380", "https://host-1:2380"},
		{"kubernetes fqdn", nil, "etcd-0.etcd.kube-system.svc.cluster.local:2380 and etcd-0.etcd.kube-system.svc", "host-1:2380 and host-2"},
		{"fqdn in an address", nil, "admin@node-a.example.com, node-a.example.com.", "admin@host-1, host-1."},
		{"aws private name", nil, "ip-10-0-1-5.ec2.internal", "host-1"},
		{"code and image domains kept", nil, `go.etcd.io/etcd/server/v3@v3.6.16/embed/etcd.go:138 gcr.io/etcd-development/etcd:v3.6.16 github.com/etcd-io/etcd`, `go.etcd.io/etcd/server/v3@v3.6.16/embed/etcd.go:138 gcr.io/etcd-development/etcd:v3.6.16 github.com/etcd-io/etcd`},
		{"stack trace escapes", nil, `"stacktrace":"main.main\n\tgo.etcd.io/etcd/server/v3/main.go:40\n\tnode-a.example.com"`, `"stacktrace":"main.main\n\tgo.etcd.io/etcd/server/v3/main.go:40\n\thost-1"`},
		{"file names and identifiers kept", nil, `snap.db raft.node: e.g. zap.Logger etcdpm.capture/v1 n2.etcd/member`, `snap.db raft.node: e.g. zap.Logger etcdpm.capture/v1 n2.etcd/member`},
		{"known names as words", []string{"etcd1", "etcd2"}, `etcd1-1  | {"name":"etcd1","peer":"http://etcd2:2380"} etcd2_1 members/etcd1.log`, `host-1-1  | {"name":"host-1","peer":"http://host-2:2380"} host-2_1 members/host-1.log`},
		{"known names, whole words only", []string{"etcd1"}, "etcd10 etcd1x xetcd1 etcd1", "etcd10 etcd1x xetcd1 host-1"},
		{"longest known name first", []string{"etcd1", "proj_etcd1_1"}, "proj_etcd1_1 proj-etcd1-1", "host-2 proj-host-1-1"},
		{"known names ignore case", []string{"Node-A"}, "NODE-A node-a", "host-1 host-1"},
		{"generic names ignored", []string{"localhost", "etcd", "default", "x", "10.0.0.9", "logs", "members"}, `http://localhost:2379 etcd default x {"logs":["members/etcd1.log"]} logs.txt`, `http://localhost:2379 etcd default x {"logs":["members/etcd1.log"]} logs.txt`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := NewRedactor()
			for _, k := range c.known {
				r.AddHost(k)
			}
			if got := r.String(c.in); got != c.want {
				t.Errorf("\n in: %s\ngot: %s\nwant %s", c.in, got, c.want)
			}
		})
	}
}

// TestRedactConsistent: a value has one placeholder across texts (files),
// and two values never share one.
func TestRedactConsistent(t *testing.T) {
	r := NewRedactor()
	a := r.String(`{"endpoint":"http://10.0.0.1:2379","host":"node-a.example.com"}`)
	b := r.String("10.0.0.2 10.0.0.1 node-b.example.com node-a.example.com")
	if a != `{"endpoint":"http://192.0.2.1:2379","host":"host-1"}` || b != "192.0.2.2 192.0.2.1 host-2 host-1" {
		t.Errorf("got %s and %s", a, b)
	}
	if ips, hosts := r.Counts(); ips != 2 || hosts != 2 {
		t.Errorf("Counts = %d, %d; want 2, 2", ips, hosts)
	}
}

// TestDocAddrs: the IPv4 placeholders are all distinct, and all addresses
// kept for documentation, benchmarks or future use.
func TestDocAddrs(t *testing.T) {
	seen := map[netip.Addr]bool{}
	var doc []netip.Prefix
	for _, p := range []string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15", "240.0.0.0/4"} {
		doc = append(doc, netip.MustParsePrefix(p))
	}
	for n := 0; n < 300000; n++ {
		a := docAddr4(n)
		if seen[a] {
			t.Fatalf("docAddr4(%d) = %v, given before", n, a)
		}
		seen[a] = true
		if !slices.ContainsFunc(doc, func(p netip.Prefix) bool { return p.Contains(a) }) {
			t.Fatalf("docAddr4(%d) = %v, not an address for documentation", n, a)
		}
	}
	if a, b := docAddr4(0), docAddr4(254); a.String() != "192.0.2.1" || b.String() != "198.51.100.1" {
		t.Errorf("docAddr4(0), docAddr4(254) = %v, %v", a, b)
	}
}

// TestRedactLearn: the hosts of URLs and of journald lines are learnt,
// then replaced wherever they stand; known names are numbered first, in
// the order added.
func TestRedactLearn(t *testing.T) {
	r := NewRedactor()
	r.AddHost("etcd2")
	r.Learn([]byte(strings.Join([]string{
		`{"initial-cluster":"db-a=https://db-a:2380,db-b=https://user@db-b:2380/"}`,
		`Nov 23 21:05:15 node1 etcd[1001]: {"level":"info","msg":"x"}`,
		`2026-11-23T21:05:15.651504+0000 node2 etcd[1001]: raft2020/04/30 17:20:31 INFO: x`,
		`Thu 2026-11-23 21:05:15 UTC node3 k3s[1249]: x`,
		`{"MESSAGE":"x","_HOSTNAME":"node4","_PID":"1"}`,
		`etcd2-1  | 2026-11-23T22:10:23.999420415Z {"level":"info"}`, // not journald: no host
	}, "\n")))
	got := r.String("etcd2 db-a db-b node1 node2 node3 node4 etcd2-1 2026-11-23T22:10:23.999420415Z")
	want := "host-1 host-2 host-3 host-4 host-5 host-6 host-7 host-1-1 2026-11-23T22:10:23.999420415Z"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestRedactNoCollision: a placeholder never spells text the inputs
// already hold.
func TestRedactNoCollision(t *testing.T) {
	r := NewRedactor()
	r.Learn([]byte("old notes: 192.0.2.1 and 2001:db8::1 were host-1, then hostx-2; ghost-3 is no placeholder\n"))
	got := r.String("10.0.0.1 fe80::1 node-a.example.com host-1 192.0.2.1")
	if want := "192.0.2.2 2001:db8::2 hostxx-1 host-1 192.0.2.3"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	r = NewRedactor()
	r.Learn([]byte("ghost-2 x192.0.2.1\n"))
	if got := r.String("10.0.0.1 a.example.com"); got != "192.0.2.1 host-1" {
		t.Errorf("got %s, want 192.0.2.1 host-1 (ghost-2 and x192.0.2.1 are other words)", got)
	}
}

// BenchmarkRedact redacts the real compose capture's logs, its host names
// learnt as Write learns them.
func BenchmarkRedact(b *testing.B) {
	text, err := os.ReadFile("../capture/testdata/recipe-prevote-off/logs.txt")
	if err != nil {
		b.Fatal(err)
	}
	r, err := learn("../capture/testdata/recipe-prevote-off", []string{"meta.json", "logs.txt"})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	var buf []byte
	for b.Loop() {
		for line := range bytes.Lines(text) {
			buf = r.Append(buf[:0], line)
		}
	}
}

// BenchmarkLearn reads the same logs for host names.
func BenchmarkLearn(b *testing.B) {
	text, err := os.ReadFile("../capture/testdata/recipe-prevote-off/logs.txt")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		NewRedactor().Learn(text)
	}
}
