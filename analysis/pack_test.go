package analysis

import (
	"strings"
	"testing"
)

func TestPackRoundTrip(t *testing.T) {
	var p packer
	long := strings.Repeat("7", 600)
	for _, s := range []string{
		`{"level":"info","ts":"2024-05-01T10:00:00.012345Z","logger":"raft","msg":"8e9e05c52164694d became candidate at term 10023"}`,
		`{"level":"info","ts":"2024-05-01T10:00:01.000009Z","logger":"raft","msg":"8e9e05c52164694d became candidate at term 7"}`,
		"a\x00b 0012 x" + long + "y",
		"no digits here, but long enough to pack once the template is known",
		"12345", "1", "",
	} {
		b := p.pack([]byte(s))
		if b == nil {
			if s != "" && len(s) > 40 && strings.ContainsAny(s, "0123456789") {
				t.Errorf("%.40q: not packed", s)
			}
			continue
		}
		if len(b) >= len(s) {
			t.Errorf("%.40q: packed to %d bytes of %d", s, len(b), len(s))
		}
		if got := p.unpack(b); got != s {
			t.Errorf("unpack(pack(%.40q)) = %.40q", s, got)
		}
	}
}

// FuzzPackRoundTrip: a packed line, however hostile, unpacks to itself.
func FuzzPackRoundTrip(f *testing.F) {
	f.Add([]byte(`{"level":"info","ts":"2024-05-01T10:00:00.012345Z","msg":"8e9e05c52164694d became candidate at term 10023"}`))
	f.Add([]byte("a\x00b\x00\x01 0012 x9"))
	f.Add([]byte(strings.Repeat("1", 300)))
	var p packer
	f.Fuzz(func(t *testing.T, line []byte) {
		b := p.pack(line)
		if b == nil {
			return
		}
		if len(b) >= len(line) {
			t.Fatalf("packed to %d bytes of %d", len(b), len(line))
		}
		if got := p.unpack(b); got != string(line) {
			t.Fatalf("unpack(pack(%q)) = %q", line, got)
		}
	})
}
