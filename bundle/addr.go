package bundle

import "net/netip"

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
