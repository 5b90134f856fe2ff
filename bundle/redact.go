package bundle

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
)

// Redactor replaces IP addresses (v4 and v6, also inside URLs and
// host:port, the port kept; not 0.0.0.0 and ::, which name no host, only
// "every interface") and host names with placeholders: the same value
// always with the same one, numbered in the order they are first met. An
// IPv4 address becomes one of the addresses kept for documentation
// (10.0.0.1 -> 192.0.2.1, RFC 5737, then 198.51.100.0/24, 203.0.113.0/24
// and 198.18.0.0/15), an IPv6 one 2001:db8::1 (RFC 3849): they still read
// as addresses, to etcdpm too, which tells a peer URL's host name from an
// address (a redacted address read as a host name would name the peers).
// A host name becomes host-1 (node-a.example.com -> host-1). The host
// names are those Learn and AddHost were told of, and tokens that look
// like a fully qualified domain name (see isFQDN). The mapping lives only
// in the Redactor.
//
// Learn every text first, then Append: the placeholders are picked so
// that none of them can be mistaken for text that was already there (an
// address the inputs hold is never a placeholder; "hostx-1" when the
// input holds "host-1"). A Redactor is not safe for concurrent use.
type Redactor struct {
	known  map[string]bool // lower-case host names, whole
	first  map[string]bool // the first word of each known name, to skip labels quickly
	order  []string        // the known names, in the order they were added
	sealed bool            // the known names have their placeholders

	hostBase *placeholder
	hosts    map[string]string
	ips      map[netip.Addr]string
	taken    map[netip.Addr]bool // documentation addresses the inputs hold
	next4    int                 // the index of the next IPv4 placeholder to try (docAddr4)
	next6    uint64              // the last IPv6 placeholder tried
	lower    []byte              // scratch
	words    []word              // scratch
}

// word is where a word of a label starts and ends.
type word struct{ start, end int }

// placeholder is the prefix of one kind of placeholder: base, then as many
// x as it takes to be new, then "-" and a number.
type placeholder struct {
	base   string
	taken  map[int]bool // x counts the inputs already use after base
	prefix string       // picked at the first use
}

// NewRedactor returns a Redactor that knows no host name yet.
func NewRedactor() *Redactor {
	return &Redactor{
		known:    map[string]bool{},
		first:    map[string]bool{},
		hostBase: &placeholder{base: "host", taken: map[int]bool{}},
		hosts:    map[string]string{},
		ips:      map[netip.Addr]string{},
		taken:    map[netip.Addr]bool{},
	}
}

// notHosts are names that hide nothing and that the capture's own files
// need as they are: words of etcd's lines, the names of the capture's
// files and the keys of its records.
var notHosts = set("localhost", "etcd", "default", "raft", "logs", "status", "events", "meta",
	"actions", "members", "metrics", "repro", "report", "member", "leader", "name", "etcdpm")

// AddHost makes name a host name to replace wherever it stands as a word
// (words are separated by anything but letters and digits). IP addresses
// (replaced anyway), names of one character and generic ones (notHosts:
// localhost, etcd, ...) are ignored.
func (r *Redactor) AddHost(name string) {
	name = strings.ToLower(strings.Trim(name, ".-_"))
	if len(name) < 2 || notHosts[name] || !isHostChars(name) {
		return
	}
	if _, err := netip.ParseAddr(name); err == nil || allDigits(name) {
		return
	}
	if !r.known[name] {
		r.known[name] = true
		r.first[firstWord(name)] = true
		r.order = append(r.order, name)
	}
}

// Learn reads text the Redactor will be given, for the host names it
// names (the hosts of URLs, the hosts of journald lines and records) and
// for the placeholders it must not reuse.
func (r *Redactor) Learn(text []byte) {
	for line := range bytes.Lines(text) {
		r.learnLine(line)
	}
}

func (r *Redactor) learnLine(line []byte) {
	r.hostBase.note(line)
	r.noteDocAddrs(line)
	for rest := line; ; {
		i := bytes.Index(rest, []byte("://"))
		if i < 0 {
			break
		}
		rest = rest[i+3:]
		if h := urlHost(rest); h != "" {
			r.AddHost(h)
		}
	}
	if h := journalHost(line); h != "" {
		r.AddHost(h)
	}
}

// urlHost returns the host of what follows a URL's "://": after any
// user@, up to the port or the path; "" for an IPv6 literal.
func urlHost(s []byte) string {
	end := bytes.IndexAny(s, "/?#\" \t,]}")
	if end < 0 {
		end = len(s)
	}
	if at := bytes.LastIndexByte(s[:end], '@'); at >= 0 {
		s = s[at+1:]
	}
	n := 0
	for n < len(s) && isTokenByte(s[n]) {
		n++
	}
	return string(s[:n])
}

// note marks the x counts of the placeholders that line already holds.
func (p *placeholder) note(line []byte) {
	for i := 0; ; {
		j := bytes.Index(line[i:], []byte(p.base))
		if j < 0 {
			return
		}
		j += i
		i = j + len(p.base)
		if j > 0 && isAlnum(line[j-1]) {
			continue
		}
		k := i
		for k < len(line) && line[k] == 'x' {
			k++
		}
		if k+1 < len(line) && line[k] == '-' && isDigit(line[k+1]) {
			p.taken[k-i] = true
		}
	}
}

// get returns the placeholder for the n-th value.
func (p *placeholder) get(n int) string {
	if p.prefix == "" {
		x := 0
		for p.taken[x] {
			x++
		}
		p.prefix = p.base + strings.Repeat("x", x) + "-"
	}
	return p.prefix + strconv.Itoa(n)
}

// Counts returns how many distinct IP addresses and host names were
// replaced (the host names counting those known).
func (r *Redactor) Counts() (ips, hosts int) { return len(r.ips), len(r.hosts) }

// String returns s redacted.
func (r *Redactor) String(s string) string { return string(r.Append(nil, []byte(s))) }

// Append appends text, redacted, to dst. Text is read as tokens (runs of
// letters, digits, '.', '-' and '_') and what separates them; separators
// are kept as they are.
func (r *Redactor) Append(dst, text []byte) []byte {
	if !r.sealed {
		r.sealed = true
		for _, name := range r.order {
			r.host(name)
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		if !isTokenByte(c) && c != ':' {
			dst = append(dst, c)
			i++
			continue
		}
		if c != ':' || i == 0 || !isTokenByte(text[i-1]) {
			if n, a, ok := ipAt(text, i); ok && !a.IsUnspecified() {
				dst = append(dst, r.ip(a)...)
				i += n
				continue
			}
		}
		if c == ':' {
			dst = append(dst, c)
			i++
			continue
		}
		if n := escapeAt(text, i); n > 0 { // \n, \t, \u00e9 before a word: not part of it
			dst = append(dst, text[i:i+n]...)
			i += n
			continue
		}
		j := i
		for j < len(text) && isTokenByte(text[j]) {
			j++
		}
		dst = r.appendToken(dst, text[i:j])
		i = j
	}
	return dst
}

// escapeAt returns the length of the letters of a JSON or Go escape at i
// (after a backslash), 0 if there is none.
func escapeAt(s []byte, i int) int {
	if i == 0 || s[i-1] != '\\' {
		return 0
	}
	switch s[i] {
	case 'n', 't', 'r', 'b', 'f':
		return 1
	case 'u':
		if i+5 <= len(s) && isHexString(s[i+1:i+5]) {
			return 5
		}
	}
	return 0
}

func (r *Redactor) host(lower string) string {
	p, ok := r.hosts[lower]
	if !ok {
		p = r.hostBase.get(len(r.hosts) + 1)
		r.hosts[lower] = p
	}
	return p
}

// appendToken appends tok redacted: whole when it is a host name (known,
// or a domain name), else each known host name among its words.
func (r *Redactor) appendToken(dst, tok []byte) []byte {
	lead := 0
	for lead < len(tok) && (tok[lead] == '.' || tok[lead] == '-' || tok[lead] == '_') {
		lead++
	}
	end := len(tok)
	for end > lead && (tok[end-1] == '.' || tok[end-1] == '-' || tok[end-1] == '_') {
		end--
	}
	core := tok[lead:end]
	if len(core) == 0 {
		return append(dst, tok...)
	}
	low := r.toLower(core)
	if r.known[string(low)] || isFQDN(core) {
		dst = append(dst, tok[:lead]...)
		dst = append(dst, r.host(string(low))...)
		return append(dst, tok[end:]...)
	}
	// A host name before more labels: "node-a.example.com.log".
	if dots := bytes.Count(core, []byte(".")); dots > 0 {
		for k, end := dots, len(core); k > 0; k-- {
			end = bytes.LastIndexByte(core[:end], '.')
			head := core[:end]
			low := r.toLower(head)
			if r.known[string(low)] || k >= 2 && isFQDN(head) {
				dst = append(dst, tok[:lead]...)
				dst = append(dst, r.host(string(low))...)
				tok, lead = tok[lead+end:], 0
				break
			}
		}
	}
	if len(r.known) == 0 {
		return append(dst, tok...)
	}
	// Known names among the words of each label: "etcd1" in "etcd1-1",
	// "etcd3_1" or "etcd1.log".
	for i := 0; i < len(tok); {
		j := i
		for j < len(tok) && tok[j] != '.' {
			j++
		}
		dst = r.appendLabel(dst, tok[i:j])
		if j < len(tok) {
			dst = append(dst, '.')
		}
		i = j + 1
	}
	return dst
}

// appendLabel appends a label (no dots) with each run of its words
// ('-' and '_' separate them) that is a known host name replaced, the
// longest run first.
func (r *Redactor) appendLabel(dst, label []byte) []byte {
	words := r.words[:0]
	for i := 0; i <= len(label); {
		j := i
		for j < len(label) && label[j] != '-' && label[j] != '_' {
			j++
		}
		words = append(words, word{i, j})
		i = j + 1
	}
	r.words = words
	low := r.toLower(label)
	at := 0 // label[:at] is in dst
	for w := 0; w < len(words); w++ {
		if !r.first[string(low[words[w].start:words[w].end])] {
			continue
		}
		for v := len(words) - 1; v >= w; v-- {
			name := low[words[w].start:words[v].end]
			if !r.known[string(name)] {
				continue
			}
			dst = append(dst, label[at:words[w].start]...)
			dst = append(dst, r.host(string(name))...)
			at = words[v].end
			w = v
			break
		}
	}
	return append(dst, label[at:]...)
}

// toLower returns b in lower case, in a scratch buffer valid until the
// next call (b itself when it has no upper-case letter).
func (r *Redactor) toLower(b []byte) []byte {
	upper := false
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			upper = true
			break
		}
	}
	if !upper {
		return b
	}
	r.lower = append(r.lower[:0], b...)
	for i, c := range r.lower {
		if 'A' <= c && c <= 'Z' {
			r.lower[i] = c + 'a' - 'A'
		}
	}
	return r.lower
}

func isTokenByte(c byte) bool { return isAlnum(c) || c == '.' || c == '-' || c == '_' }

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isHexString(b []byte) bool {
	for _, c := range b {
		if !isHex(c) {
			return false
		}
	}
	return true
}

func isHostChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isTokenByte(s[i]) {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && s[i] != '.' {
			return false
		}
	}
	return true
}

// firstWord returns name up to its first '-', '_' or '.'.
func firstWord(name string) string {
	if i := strings.IndexAny(name, "-_."); i >= 0 {
		return name[:i]
	}
	return name
}
