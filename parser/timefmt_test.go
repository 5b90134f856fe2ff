package parser

import (
	"math/rand/v2"
	"testing"
	"time"
)

// parseFrac reads any number of digits, 8 at once when it can, and keeps 9.
func TestParseFrac(t *testing.T) {
	for _, c := range []struct {
		in      string
		nsec, n int
	}{
		{".123456789Z", 123456789, 10},
		{".000000001 ", 1, 10},
		{".12345678", 123456780, 9},
		{".1234567a9", 123456700, 8},
		{".1Z", 100000000, 2},
		{".651504Z", 651504000, 7},
		{".1234567890123Z", 123456789, 14},
		{".Z", 0, 0},
		{"Z", 0, 0},
		{".\xb1\xb2345678", 0, 0},
	} {
		if nsec, n := parseFrac([]byte(c.in)); nsec != c.nsec || n != c.n {
			t.Errorf("parseFrac(%q) = %d, %d; want %d, %d", c.in, nsec, n, c.nsec, c.n)
		}
	}
}

// A clock cache gives the stamps and times scanRFC3339 and time.Date give, for a stamp of
// the cached minute or not.
func TestClockCache(t *testing.T) {
	var c clockCache
	for _, s := range []string{
		"2026-11-23T21:05:15.651504000Z x", "2026-11-23T21:05:16.1Z", "2026-11-23T21:05:60.5Z",
		"2026-11-23T21:05:61.5Z", "2026-11-23T21:05:1x.5Z", "2026-11-23T21:05:17+02:00",
		"2026-11-23T21:05:17", "2026-11-23T21:06:00.000001Z", "2026-11-23T21:05:17.123Z",
		"2026-13-23T21:05:17.123Z", "2026-11-23T21:05:17.123Z",
	} {
		want, wn, wok := scanRFC3339([]byte(s))
		got := stamp{y: 1, nsec: 1} // scan writes over it, or zeroes it
		n, ok := c.scan([]byte(s), &got)
		if ok != wok || n != wn {
			t.Errorf("%q: %d, %v; want %d, %v", s, n, ok, wn, wok)
			continue
		}
		if !ok {
			if got != (stamp{}) {
				t.Errorf("%q: not a stamp, but scan left %+v", s, got)
			}
			continue
		}
		if !got.based {
			t.Errorf("%q: no minute base", s)
		}
		gt, wt := got.time(time.UTC), want.time(time.UTC)
		if gt != wt {
			t.Errorf("%q: %v, want %v", s, gt, wt)
		}
	}
}

// parseFrac reads 8 digits at a time; it must read every fraction as the one-digit loop
// (parseFracLoop, the code before parseFrac8) does, whatever bytes follow the digits (the bytes around '0' and '9', 0xfa and over, whose carry spills).
func TestParseFracEightAtOnce(t *testing.T) {
	tricky := []byte{'0', '1', '5', '9', '/', ':', '.', 'Z', '+', ' ', 0, 0x2f, 0x3a, 0x3f, 0x40, 0x7f, 0x80, 0xb9, 0xf0, 0xf9, 0xfa, 0xff}
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(b []byte) {
		t.Helper()
		gn, gl := parseFrac(b)
		wn, wl := 0, 0
		if len(b) >= 2 && b[0] == '.' && isDigit(b[1]) {
			wn, wl = parseFracLoop(b)
		}
		if gn != wn || gl != wl {
			t.Fatalf("%q: %d, %d; want %d, %d", b, gn, gl, wn, wl)
		}
	}
	for _, s := range []string{".1Z", ".12345678", ".123456789", ".1234567891234Z", ".200715498Z ", ".200000Z\",",
		".99999999", ".000000001Z", ".5\xff\xff\xff\xff\xff\xff\xff", ".1234567\xfa9"} {
		check([]byte(s))
	}
	b := make([]byte, 16)
	for range 200000 {
		n := 2 + rng.IntN(len(b)-1)
		b[0] = '.'
		for i := 1; i < n; i++ {
			if rng.IntN(4) == 0 {
				b[i] = tricky[rng.IntN(len(tricky))]
			} else {
				b[i] = '0' + byte(rng.IntN(10))
			}
		}
		check(b[:n])
	}
}
