package bundle

import (
	"bytes"
	"regexp"
)

// isFQDN reports whether tok looks like a fully qualified host name:
// lower-case labels of letters, digits and '-' joined by dots, the last one
// letters only and not a file's extension (server.go, snap.db), and either
// three labels or more (etcd-0.etcd.kube-system.svc) or two ending in a
// common top-level or internal domain (example.com, node1.local). The
// domains of public code and images (go.etcd.io, gcr.io, github.com) are
// not hosts of the incident.
func isFQDN(tok []byte) bool {
	if len(tok) > 253 || bytes.IndexByte(tok, '.') < 0 {
		return false
	}
	labels, start := 0, 0 // start: of the last label
	for i := 0; i <= len(tok); i++ {
		if i < len(tok) && tok[i] != '.' {
			if c := tok[i]; !('a' <= c && c <= 'z' || isDigit(c) || c == '-') {
				return false
			}
			continue
		}
		l := tok[start:i]
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		labels++
		if i < len(tok) {
			start = i + 1
		}
	}
	last := tok[start:]
	if len(last) < 2 || len(last) > 24 || bytes.IndexFunc(last, func(r rune) bool { return r < 'a' || r > 'z' }) >= 0 {
		return false
	}
	if fileExtensions[string(last)] {
		return false
	}
	for i := 0; i < start; i++ { // each domain under a label boundary
		if (i == 0 || tok[i-1] == '.') && publicDomains[string(tok[i:])] {
			return false
		}
	}
	return labels >= 3 || topDomains[string(last)]
}

// topDomains are the last labels that make a two-label token a host name.
var topDomains = set("com", "net", "org", "io", "dev", "cloud", "local", "localdomain", "internal",
	"lan", "home", "corp", "intranet", "private", "svc", "edu", "gov", "mil", "int", "info", "biz",
	"co", "uk", "de", "fr", "nl", "eu", "us", "ca", "au", "jp", "cn", "in", "br", "ru", "ch", "se")

// fileExtensions are last labels that make a token a file name.
var fileExtensions = set("go", "log", "logs", "txt", "json", "jsonl", "ndjson", "yaml", "yml", "toml",
	"ini", "conf", "cfg", "md", "html", "htm", "js", "css", "gz", "tgz", "tar", "zip", "bz", "xz",
	"zst", "pem", "crt", "cert", "key", "csr", "db", "wal", "snap", "tmp", "bak", "sh", "py", "service",
	"socket", "mount", "timer", "so", "exe", "proto", "pb", "png", "svg", "pid", "lock", "sock", "out", "err")

// publicDomains are the domains, and the domains under them, that name
// public code and images rather than the incident's hosts.
var publicDomains = set("etcd.io", "github.com", "githubusercontent.com", "golang.org", "go.dev",
	"k8s.io", "kubernetes.io", "gopkg.in", "uber.org", "gcr.io", "ghcr.io", "docker.io", "docker.com",
	"quay.io", "googleapis.com", "googlesource.com", "prometheus.io", "grpc.io", "opentelemetry.io")

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// journalLine matches the start of a journalctl line in its short formats
// (short, short-precise, short-iso, short-iso-precise, short-full), up to
// the host: "Nov 23 21:05:15 node1 etcd[1001]: ...".
var journalLine = regexp.MustCompile(`^(?:\S+ +\d{1,2} \d\d:\d\d:\d\d(?:\.\d+)?|` +
	`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)|` +
	`\S+ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+) ([A-Za-z0-9][A-Za-z0-9_.-]*) [A-Za-z0-9_.@/-]+(?:\[\d+\])?: `)

// journalHost returns the host of a journald line: the host field of
// journalctl's short formats, or the _HOSTNAME of its JSON records; "" for
// another line.
func journalHost(line []byte) string {
	if i := bytes.Index(line, []byte(`"_HOSTNAME":"`)); i >= 0 {
		h := line[i+len(`"_HOSTNAME":"`):]
		if j := bytes.IndexByte(h, '"'); j >= 0 {
			return string(h[:j])
		}
		return ""
	}
	if len(line) == 0 || !isAlnum(line[0]) || bytes.IndexByte(line, ':') < 0 {
		return ""
	}
	if len(line) > 160 {
		line = line[:160]
	}
	if m := journalLine.FindSubmatch(line); m != nil {
		return string(m[1])
	}
	return ""
}
