package analysis

import (
	"encoding/binary"
	"strings"
)

// A storm-run keeps a hundred thousand lines for good (the starts and ends
// of leaderships, the first lines of streaks: see keep), nearly all of them
// a few shapes of line with other times, terms and indexes. packer keeps
// such a line in a tenth of its bytes: the number of its template (the line
// with its runs of digits taken out, each template kept once) and its digits,
// two to a byte. Only the few lines a finding or the timeline shows are
// unpacked.
type packer struct {
	ids  map[string]uint32
	tpls []string
	tpl  []byte // scratch
	dig  []byte // scratch
}

// maxTemplates bounds the templates kept: lines of more shapes are kept
// whole.
const maxTemplates = 4096

// In a template, 0 1 stands for a run of digits and 0 0 for a 0 byte. A run
// is packed as its length (at most 255: a longer run is several) and its
// digits, the first in the high four bits.

// pack returns line packed, or nil when packing would not make it shorter
// (or it is empty, or of too many shapes).
func (p *packer) pack(line []byte) []byte {
	if len(line) == 0 {
		return nil
	}
	tpl, dig := p.tpl[:0], p.dig[:0]
	for i := 0; i < len(line); {
		if c := line[i]; !isDigit(c) {
			j := i + 1
			for j < len(line) && !isDigit(line[j]) && line[j] != 0 {
				j++
			}
			if c == 0 {
				tpl = append(tpl, 0)
			}
			tpl = append(tpl, line[i:j]...)
			i = j
			continue
		}
		j := i
		for j < len(line) && j-i < 255 && isDigit(line[j]) {
			j++
		}
		tpl = append(tpl, 0, 1)
		dig = append(dig, byte(j-i))
		for k := i; k < j; k += 2 {
			b := (line[k] - '0') << 4
			if k+1 < j {
				b |= line[k+1] - '0'
			}
			dig = append(dig, b)
		}
		i = j
	}
	p.tpl, p.dig = tpl, dig
	id, ok := p.ids[string(tpl)]
	if !ok {
		if len(p.tpls) >= maxTemplates {
			return nil
		}
		if p.ids == nil {
			p.ids = map[string]uint32{}
		}
		id = uint32(len(p.tpls))
		s := string(tpl)
		p.ids[s] = id
		p.tpls = append(p.tpls, s)
	}
	var n [binary.MaxVarintLen32]byte
	head := binary.PutUvarint(n[:], uint64(id))
	if head+len(dig) >= len(line) {
		return nil
	}
	out := make([]byte, head+len(dig))
	copy(out, n[:head])
	copy(out[head:], dig)
	return out
}

// unpack returns the line pack made b of.
func (p *packer) unpack(b []byte) string {
	id, n := binary.Uvarint(b)
	tpl, dig := p.tpls[id], b[n:]
	var out strings.Builder
	out.Grow(len(tpl) + 2*len(dig))
	for i := 0; i < len(tpl); i++ {
		c := tpl[i]
		if c != 0 {
			out.WriteByte(c)
			continue
		}
		i++
		if tpl[i] == 0 {
			out.WriteByte(0)
			continue
		}
		l := int(dig[0])
		for k := range l {
			d := dig[1+k/2]
			if k%2 == 0 {
				d >>= 4
			}
			out.WriteByte('0' + d&15)
		}
		dig = dig[1+(l+1)/2:]
	}
	return out.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// textOf is the text of a line kept as evidence.
func (a *Analyzer) textOf(text []byte, packed bool) string {
	if packed {
		return a.pk.unpack(text)
	}
	return string(text)
}
