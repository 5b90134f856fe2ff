package parser

import (
	"math/rand/v2"
	"testing"
)

// cursor.hex reads an ID as parseHexID does, 16 digits at once or one by one.
func TestCursorHex(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	alphabet := "0123456789abcdef/:`gAF \x80\xb0\xe6"
	for range 200000 {
		b := make([]byte, rnd.IntN(20))
		for i := range b {
			if rnd.IntN(8) == 0 {
				b[i] = alphabet[rnd.IntN(len(alphabet))]
			} else {
				b[i] = alphabet[rnd.IntN(16)]
			}
		}
		n := 0
		for n < len(b) && n < 17 && (b[n] >= '0' && b[n] <= '9' || b[n] >= 'a' && b[n] <= 'f') {
			n++
		}
		want, wok := parseHexID(b[:n])
		c := newCursor(b)
		got := c.hex()
		if c.ok != wok || got != want || wok && len(c.b) != len(b)-n {
			t.Fatalf("%q: %v %v rest %d; want %v %v rest %d", b, got, c.ok, len(c.b), want, wok, len(b)-n)
		}
	}
}
