package bundle

import (
	"bytes"
	"net/netip"
)

// ipAt returns the length and the address of the IP address that starts
// at s[i], if one does and ends there (not followed by a letter, a digit,
// '_', or a dot and more of a name). An IPv6 zone (%eth0) is left after it.
func ipAt(s []byte, i int) (int, netip.Addr, bool) {
	if n := ipv4Len(s[i:]); n > 0 && ends(s, i+n) {
		if a, err := netip.ParseAddr(string(s[i : i+n])); err == nil {
			return n, a, true
		}
	}
	j, colons, hex := i, 0, 0
	for j < len(s) && (isHex(s[j]) || s[j] == ':' || s[j] == '.') {
		switch {
		case s[j] == ':':
			colons++
		case s[j] != '.':
			hex++
		}
		j++
	}
	if colons < 2 || hex == 0 {
		return 0, netip.Addr{}, false
	}
	for j > i && colons >= 2 {
		if a, err := netip.ParseAddr(string(s[i:j])); err == nil && a.Is6() && ends(s, j) {
			return j - i, a, true
		}
		if c := s[j-1]; c != ':' && c != '.' {
			break
		}
		if s[j-1] == ':' {
			colons--
		}
		j-- // "fe80::1:" at the end of a sentence
	}
	return 0, netip.Addr{}, false
}

// ipv4Len returns the length of the dotted quad at the start of s, 0 if
// there is none.
func ipv4Len(s []byte) int {
	n := 0
	for part := 0; part < 4; part++ {
		if part > 0 {
			if n >= len(s) || s[n] != '.' {
				return 0
			}
			n++
		}
		d := 0
		for n < len(s) && isDigit(s[n]) && d < 4 {
			n++
			d++
		}
		if d == 0 || d > 3 {
			return 0
		}
	}
	return n
}

// ends reports whether a token can end at s[i]: the end of s, or a byte
// that is not a letter, a digit or '_', and not a dot before more of them.
func ends(s []byte, i int) bool {
	if i >= len(s) {
		return true
	}
	c := s[i]
	if isAlnum(c) || c == '_' {
		return false
	}
	if c == '.' && i+1 < len(s) && (isAlnum(s[i+1]) || s[i+1] == '-') {
		return false
	}
	return true
}

// The placeholders of IP addresses: addresses kept for documentation.

func (r *Redactor) ip(a netip.Addr) string {
	a = a.WithZone("")
	p, ok := r.ips[a]
	if !ok {
		var next netip.Addr
		for next = r.nextDocAddr(a.Is4()); r.taken[next]; {
			next = r.nextDocAddr(a.Is4())
		}
		p = next.String()
		r.ips[a] = p
	}
	return p
}

// nextDocAddr returns the next address kept for documentation: IPv4 from
// 192.0.2.1, IPv6 from 2001:db8::1.
func (r *Redactor) nextDocAddr(v4 bool) netip.Addr {
	if !v4 {
		r.next6++
		b := [16]byte{0x20, 0x01, 0x0d, 0xb8}
		for i := 15; i >= 8; i-- {
			b[i] = byte(r.next6 >> (8 * (15 - i)))
		}
		return netip.AddrFrom16(b)
	}
	a := docAddr4(r.next4)
	r.next4++
	return a
}

// docAddr4 returns the n-th IPv4 address kept for documentation and
// tests, each once: 192.0.2.1-254, 198.51.100.1-254, 203.0.113.1-254, then
// 198.18.0.0/15 (for benchmarks), each /24 of it from .1 to .254, then
// (past 130810 addresses) 240.0.0.0/4, kept for future use.
func docAddr4(n int) netip.Addr {
	nets := [][3]byte{{192, 0, 2}, {198, 51, 100}, {203, 0, 113}}
	if n < 254*len(nets) {
		p := nets[n/254]
		return netip.AddrFrom4([4]byte{p[0], p[1], p[2], byte(n%254 + 1)})
	}
	if n -= 254 * len(nets); n < 254*512 {
		net := n / 254 // 198.18.0 .. 198.19.255
		return netip.AddrFrom4([4]byte{198, byte(18 + net/256), byte(net % 256), byte(n%254 + 1)})
	}
	n -= 254 * 512
	v := uint32(240)<<24 | uint32(n+1)&(1<<28-1)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// docPrefixes start the documentation addresses an input may hold.
var docPrefixes = [][]byte{[]byte("192.0.2."), []byte("198.51.100."), []byte("203.0.113."),
	[]byte("198.18."), []byte("198.19."), []byte("240."), []byte("2001:db8:"), []byte("2001:DB8:")}

// noteDocAddrs marks the documentation addresses line holds: they are no
// placeholders.
func (r *Redactor) noteDocAddrs(line []byte) {
	for _, p := range docPrefixes {
		for i := 0; ; {
			j := bytes.Index(line[i:], p)
			if j < 0 {
				break
			}
			j += i
			i = j + len(p)
			if j > 0 && (isTokenByte(line[j-1]) || line[j-1] == ':') {
				continue
			}
			if _, a, ok := ipAt(line, j); ok {
				r.taken[a.WithZone("")] = true
			}
		}
	}
}
