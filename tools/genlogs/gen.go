package main

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// outFormat is what genlogs writes.
type outFormat uint8

const (
	outZapJSON  outFormat = iota // bare zap JSON, every member's lines merged by time
	outCompose                   // zap JSON behind `docker compose logs --timestamps`, grouped per container
	outCapnslog                  // etcd 3.4: capnslog and raft std-logger lines, merged by time
	outStorm                     // one quorum loss's campaign loop, repeated; behind compose --timestamps
)

// cluster is the generated cluster: its members' IDs, names and URLs.
type cluster struct {
	ids            []uint64
	hex, dec       []string
	names          []string
	votersHex      string
	votersDec      string
	initialCluster string
	clusterID      string
}

func newCluster(rnd *rand.Rand, n int) *cluster {
	c := &cluster{}
	for i := range n {
		id := rnd.Uint64() | 1<<60 // 16 hex digits, as most real IDs
		c.ids = append(c.ids, id)
		c.hex = append(c.hex, strconv.FormatUint(id, 16))
		c.dec = append(c.dec, strconv.FormatUint(id, 10))
		c.names = append(c.names, "etcd"+strconv.Itoa(i+1))
	}
	sorted := slices.Clone(c.ids)
	slices.Sort(sorted)
	var h, d, ic []string
	for _, id := range sorted {
		h = append(h, strconv.FormatUint(id, 16))
		d = append(d, strconv.FormatUint(id, 10))
	}
	for _, name := range c.names {
		ic = append(ic, name+"=http://"+name+":2380")
	}
	c.votersHex, c.votersDec = strings.Join(h, " "), strings.Join(d, " ")
	c.initialCluster = strings.Join(ic, ",")
	c.clusterID = strconv.FormatUint(rnd.Uint64()|1<<60, 16)
	return c
}

// shift says how an episode's terms and times move: every term by termOff; terms from
// stormFrom on by stormAdd more (the campaigns a storm inserted before them); current terms by
// cycleAdd more (the campaign being repeated).
type shift struct {
	termOff, idxOff     int64
	stormFrom, stormAdd int64
	cycleAdd            int64
}

func (s *shift) term(v int64, current bool) int64 {
	out := v + s.termOff
	if s.stormAdd != 0 && v >= s.stormFrom {
		out += s.stormAdd
	}
	if current {
		out += s.cycleAdd
	}
	return max(out, 0)
}

// gen writes one generated log.
type gen struct {
	rnd    *rand.Rand
	c      *cluster
	format outFormat
	out    sink
	target int64
	full   bool

	now     int64 // µs since the epoch
	last    int64 // time of the last line written
	term    int64 // the cluster's current term
	index   int64 // its last raft index
	leader  int   // generated member leading
	granted []int // per member: votes and rejections of its current campaign
	reject  []int
	maxTerm int64

	pending []pendingLine // lines scheduled later (a stream coming back), by time

	clk clockCache
	buf []byte
}

type pendingLine struct {
	t    int64
	l    *tline
	perm []int
}

// perm maps the template's real members 0..2 to generated members.
func (g *gen) emit(l *tline, t int64, perm []int, sh *shift) {
	if g.full {
		return
	}
	t = max(t, g.last) // merged by time, as a collector's export is
	g.last = t
	self := perm[l.member]
	b := g.buf[:0]
	for i := range l.segs {
		s := &l.segs[i]
		switch s.op {
		case opLit:
			b = append(b, s.lit...)
		case opTS:
			switch l.lay {
			case layZap:
				b = g.clk.appendZap(b, t)
			case layCapnslog:
				b = g.clk.appendCapnslog(b, t)
			case layStdlog:
				b = g.clk.appendStdlog(b, t)
			}
		case opRelTS:
			b = g.clk.appendZap(b, t+s.val)
		case opID:
			b = append(b, g.c.hex[perm[s.m]]...)
		case opDec:
			b = append(b, g.c.dec[perm[s.m]]...)
		case opName:
			b = append(b, g.c.names[perm[s.m]]...)
		case opPeerHost:
			b = append(b, g.c.names[perm[s.m]]...)
			b = append(b, ":2380"...)
		case opClientHost:
			b = append(b, g.c.names[perm[s.m]]...)
			b = append(b, ":2379"...)
		case opClusterID:
			b = append(b, g.c.clusterID...)
		case opInitialCluster:
			b = append(b, g.c.initialCluster...)
		case opVotersHex:
			b = append(b, g.c.votersHex...)
		case opVotersDec:
			b = append(b, g.c.votersDec...)
		case opTerm, opLogTerm:
			v := s.val
			if sh != nil {
				v = sh.term(v, s.op == opTerm)
			}
			if s.op == opTerm {
				g.maxTerm = max(g.maxTerm, v)
			}
			b = strconv.AppendInt(b, v, 10)
		case opIndex:
			v := s.val
			if sh != nil {
				v = max(v+sh.idxOff, 0)
			} else {
				v += g.index
			}
			b = strconv.AppendInt(b, v, 10)
		case opTallyGranted:
			b = strconv.AppendInt(b, int64(g.granted[self]), 10)
		case opTallyRejected:
			b = strconv.AppendInt(b, int64(g.reject[self]), 10)
		}
	}
	g.buf = b
	switch {
	case l.cls&clsCampaignStart != 0:
		g.granted[self], g.reject[self] = 0, 0
	case l.cls&clsLeader != 0:
		g.leader = self
	}
	// counted after rendering: the tally line follows the response it counts
	if l.cls&clsGrant != 0 {
		g.granted[self]++
	} else if l.cls&clsReject != 0 {
		g.reject[self]++
	}
	g.out.line(self, t, b)
	if g.out.size() >= g.target {
		g.full = true
	}
}

// playEpisode replays e with the generated cluster's members, terms and clock; with repeats > 0
// and a campaign loop in e, its loop runs repeats more campaigns (a storm).
func (g *gen) playEpisode(e *episode, repeats int) {
	g.play(e, func(i int) bool { return i < repeats })
}

// play replays e; while more(i) says so, its campaign loop runs its i-th extra campaign (a
// storm: none when more(0) is false or e has no loop).
func (g *gen) play(e *episode, more func(i int) bool) {
	n := len(g.c.ids)
	// the template's leader is the current leader; the others are drawn from the followers
	perm := []int{-1, -1, -1}
	perm[e.leader] = g.leader
	others := g.rnd.Perm(n)
	k := 0
	for m := range 3 {
		if perm[m] >= 0 {
			continue
		}
		for others[k] == g.leader {
			k++
		}
		perm[m] = others[k]
		k++
	}
	var bystanders []int
	for _, x := range others[k:] {
		if x != g.leader && !slices.Contains(perm, x) {
			bystanders = append(bystanders, x)
		}
	}
	clonePerms := make([][]int, len(bystanders))
	for i, b := range bystanders {
		p := slices.Clone(perm)
		p[e.clone] = b
		clonePerms[i] = p
	}

	sh := &shift{termOff: g.term - e.baseTerm, idxOff: g.index - e.baseIndex}
	t0 := e.lines[0].t
	base := g.now + 200_000
	g.maxTerm = g.term
	var last int64
	play := func(lines []*tline, dt int64) {
		for _, l := range lines {
			t := base + (l.t - t0) + dt
			g.emit(l, t, perm, sh)
			if cloneable(l, e.clone) {
				for i, p := range clonePerms {
					g.emit(l, t+int64(i+1)*3, p, sh)
				}
			}
			last = max(last, t)
		}
	}
	if more(0) && e.canStorm() {
		play(e.lines[:e.cycleA], 0)
		repeats := 0
		for ; more(repeats) && !g.full; repeats++ {
			sh.cycleAdd = int64(repeats) * e.dTerm
			play(e.lines[e.cycleA:e.cycleB], int64(repeats)*e.dt)
		}
		sh.cycleAdd = 0
		sh.stormFrom, sh.stormAdd = e.cycleTerm, int64(repeats)*e.dTerm
		play(e.lines[e.cycleA:], int64(repeats)*e.dt)
	} else {
		play(e.lines, 0)
	}
	g.now = last
	g.term = g.maxTerm
	g.index += 50 // the entries the episode committed
}

// flushPending writes the scheduled lines due by t.
func (g *gen) flushPending(t int64) {
	for len(g.pending) > 0 && g.pending[0].t <= t {
		p := g.pending[0]
		g.pending = g.pending[1:]
		g.emit(p.l, max(p.t, g.now), p.perm, nil)
	}
}

func (g *gen) schedule(t int64, l *tline, perm []int) {
	i, _ := slices.BinarySearchFunc(g.pending, t, func(p pendingLine, t int64) int {
		switch {
		case p.t < t:
			return -1
		case p.t > t:
			return 1
		}
		return 0
	})
	g.pending = slices.Insert(g.pending, i, pendingLine{t, l, perm})
}

// permFor maps a one-member template: its printer to self, the members it names to others.
func (g *gen) permFor(l *tline, self, peer int) []int {
	n := len(g.c.ids)
	perm := []int{-1, -1, -1}
	perm[l.member] = self
	if peer >= 0 {
		for m := range 3 {
			if m != l.member && l.refs&(1<<m) != 0 {
				perm[m] = peer
				break
			}
		}
	}
	for m := range 3 {
		for perm[m] < 0 {
			x := g.rnd.IntN(n)
			if !slices.Contains(perm, x) {
				perm[m] = x
			}
		}
	}
	return perm
}

// clockCache formats times fast: the date and clock are built once per second.
type clockCache struct {
	sec  int64
	base [19]byte // "2006-01-02T15:04:05"
}

func (c *clockCache) set(us int64) int64 {
	sec := us / 1e6
	if sec != c.sec || c.base[0] == 0 {
		c.sec = sec
		time.Unix(sec, 0).UTC().AppendFormat(c.base[:0], "2006-01-02T15:04:05")
	}
	return us % 1e6
}

func appendFrac(b []byte, v int64, digits int) []byte {
	var d [9]byte
	for i := digits - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:digits]...)
}

// appendZap appends "2006-01-02T15:04:05.000000Z".
func (c *clockCache) appendZap(b []byte, us int64) []byte {
	f := c.set(us)
	b = append(b, c.base[:]...)
	b = append(b, '.')
	b = appendFrac(b, f, 6)
	return append(b, 'Z')
}

// appendDocker appends the daemon's "2006-01-02T15:04:05.000000000Z".
func (c *clockCache) appendDocker(b []byte, ns int64) []byte {
	f := c.set(ns / 1000)
	b = append(b, c.base[:]...)
	b = append(b, '.')
	b = appendFrac(b, f*1000+ns%1000, 9)
	return append(b, 'Z')
}

// appendCapnslog appends "2006-01-02 15:04:05.000000".
func (c *clockCache) appendCapnslog(b []byte, us int64) []byte {
	f := c.set(us)
	n := len(b)
	b = append(b, c.base[:]...)
	b[n+10] = ' '
	b = append(b, '.')
	return appendFrac(b, f, 6)
}

// appendStdlog appends Go's log.LstdFlags "2006/01/02 15:04:05".
func (c *clockCache) appendStdlog(b []byte, us int64) []byte {
	c.set(us)
	n := len(b)
	b = append(b, c.base[:]...)
	b[n+4], b[n+7], b[n+10] = '/', '/', ' '
	return b
}
