package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// traffic is a layout's normal traffic: lines drawn one at a time by weight, network blips
// (a stream lost, then back), and rounds every member prints together (compaction, snapshot).
type traffic struct {
	kinds      []kind
	total      float64
	blips      blipSet
	blipWeight float64
	compaction []*episode // every 5 minutes
	snapshot   []*episode // every 10,000 entries
}

type kind struct {
	name   string
	lines  []*tline
	weight float64
	leader bool // printed by the leader only
}

type blipSet struct{ lost, inactive, active, established []*tline }

func (b *blipSet) ok() bool {
	return len(b.lost) > 0 && len(b.inactive) > 0 && len(b.active) > 0 && len(b.established) > 0
}

// templates are what a layout is generated from.
type templates struct {
	episodes []*episode
	storms   []*episode
	traffic  traffic
	sources  []string // the directories read, for the record
}

// Weights of the normal traffic, per line drawn. Most of a busy cluster's log is its slow
// requests ("apply request took too long", and "request stats" past
// --warning-unary-request-duration); heartbeats late on a slow disk, probes and blips are rarer.
var (
	zapWeights = map[string]float64{
		"apply request took too long":         48,
		"request stats":                       44,
		"leader failed to send out heartbeat": 1,
		"prober detected unhealthy status":    0.5,
	}
	capnslogWeights = map[string]float64{
		"took too long":         96,
		"health check for peer": 0.5,
	}
	blipWeight = 0.4
)

// loadTemplates reads the real runs a format is built from, under root.
func loadTemplates(root string, f outFormat, version string) (*templates, error) {
	t := &templates{}
	steadyDir := filepath.Join(root, "tools/genlogs/testdata/steady-3.6.16")
	steady, err := loadRun(steadyDir)
	if err != nil {
		return nil, err
	}
	t.sources = append(t.sources, steadyDir)
	var runs []*realRun
	if f == outCapnslog {
		dir := filepath.Join(root, "testdata/shared/etcd-3.4.45/L01-v3.4.45-capnslog")
		r, err := loadRun(dir)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
		t.sources = append(t.sources, dir)
	} else {
		dirs, _ := filepath.Glob(filepath.Join(root, "testdata/real/3.*"))
		for _, dir := range dirs {
			if strings.HasSuffix(dir, "-console") {
				continue
			}
			r, err := loadRun(dir)
			if err != nil {
				return nil, err
			}
			runs = append(runs, r)
			t.sources = append(t.sources, dir)
		}
	}
	for _, r := range runs {
		if f != outCapnslog && r.version != version {
			continue
		}
		if e := newEpisode(r); e != nil {
			t.episodes = append(t.episodes, e)
			if e.canStorm() {
				t.storms = append(t.storms, e)
			}
		}
	}
	if len(t.episodes) == 0 {
		return nil, fmt.Errorf("no election episodes for etcd %s under %s", version, root)
	}
	if len(t.storms) == 0 {
		return nil, fmt.Errorf("no campaign loop (quorum loss) among the episodes of etcd %s", version)
	}
	tr := &t.traffic
	byName := map[string]*kind{}
	addLine := func(name string, w float64, leader bool, l *tline) {
		k := byName[name]
		if k == nil {
			tr.kinds = append(tr.kinds, kind{name: name, weight: w, leader: leader})
			k = &tr.kinds[len(tr.kinds)-1]
			byName[name] = k
		}
		k.lines = append(k.lines, l)
	}
	peerOf := func(l *tline) bool { return l.refs&^(1<<l.member) != 0 }
	if f == outCapnslog {
		conv, err := capnslogSlowRequests(steady)
		if err != nil {
			return nil, err
		}
		for _, l := range conv {
			addLine("took too long", capnslogWeights["took too long"], false, l)
		}
	} else {
		for m := range steady.lines {
			for _, l := range steady.lines[m] {
				if w, ok := zapWeights[l.msg]; ok {
					addLine(l.msg, w, false, l)
				}
			}
		}
	}
	for _, r := range runs {
		for m := range r.lines {
			for _, l := range r.lines[m] {
				msg := l.msg
				switch {
				case strings.HasPrefix(msg, "leader failed to send out heartbeat"):
					addLine("leader failed to send out heartbeat", zapWeights["leader failed to send out heartbeat"], true, l)
				case msg == "prober detected unhealthy status" && peerOf(l):
					addLine(msg, zapWeights[msg], false, l)
				case strings.HasPrefix(msg, "health check for peer "):
					addLine("health check for peer", capnslogWeights["health check for peer"], false, l)
				case !peerOf(l):
				case msg == "lost TCP streaming connection with remote peer", strings.HasPrefix(msg, "lost the TCP streaming connection with peer "):
					tr.blips.lost = append(tr.blips.lost, l)
				case msg == "peer became inactive (message send to peer failed)", strings.HasPrefix(msg, "peer ") && strings.HasSuffix(msg, " became inactive (message send to peer failed)"):
					tr.blips.inactive = append(tr.blips.inactive, l)
				case msg == "peer became active", strings.HasPrefix(msg, "peer ") && strings.HasSuffix(msg, " became active"):
					tr.blips.active = append(tr.blips.active, l)
				case msg == "established TCP streaming connection with remote peer", strings.HasPrefix(msg, "established a TCP streaming connection with peer "):
					tr.blips.established = append(tr.blips.established, l)
				}
			}
		}
	}
	if tr.blips.ok() {
		tr.blipWeight = blipWeight
	}
	for _, k := range tr.kinds {
		tr.total += k.weight
	}
	tr.total += tr.blipWeight
	if f != outCapnslog {
		tr.compaction = rounds(steady, map[string]bool{
			"starting auto periodic compaction": true, "completed auto periodic compaction": true,
			"compact tree index": true, "finished scheduled compaction": true, "storing new hash": true,
		}, "starting auto periodic compaction")
		tr.snapshot = rounds(steady, map[string]bool{
			"triggering snapshot": true, "saved snapshot to disk": true, "compacted Raft logs": true,
			"purged": true, "compacted raft logs": true,
		}, "")
	}
	return t, nil
}

// rounds cuts the lines of msgs out of r into rounds every member printed within 2 s of each
// other; the member printing leaderMsg is the round's leader.
func rounds(r *realRun, msgs map[string]bool, leaderMsg string) []*episode {
	var all []*tline
	for m := range r.lines {
		for _, l := range r.lines[m] {
			if msgs[l.msg] {
				all = append(all, l)
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].t < all[j].t })
	var out []*episode
	var cur *episode
	for _, l := range all {
		if cur == nil || l.t-cur.lines[len(cur.lines)-1].t > 2_000_000 {
			cur = &episode{run: r, leader: -1}
			out = append(out, cur)
		}
		cur.lines = append(cur.lines, l)
		if l.msg == leaderMsg {
			cur.leader = l.member
		}
	}
	kept := out[:0]
	for _, e := range out {
		var who uint8
		for _, l := range e.lines {
			who |= 1 << l.member
		}
		if who != 7 || leaderMsg != "" && e.leader < 0 {
			continue // a round some member missed (startup, shutdown)
		}
		e.leader = max(e.leader, 0)
		e.clone = (e.leader + 1) % 3
		kept = append(kept, e)
	}
	return kept
}

// capnslogSlowRequests turns real etcd 3.6 "apply request took too long" records into the
// line etcd 3.4's capnslog logger prints for the same request, with its format string
// (etcdserver/util.go): "%srequest %q with result %q took too long (%v) to execute".
func capnslogSlowRequests(steady *realRun) ([]*tline, error) {
	tk := &tokenizer{ids: steady.ids, ports: map[string]portOwner{}, clusters: map[string]bool{}}
	var out []*tline
	for m := range steady.lines {
		for _, l := range steady.lines[m] {
			if l.msg != "apply request took too long" {
				continue
			}
			var rec struct {
				TS       string `json:"ts"`
				Took     string `json:"took"`
				Prefix   string `json:"prefix"`
				Request  string `json:"request"`
				Response string `json:"response"`
				Error    string `json:"error"`
			}
			raw := renderRaw(l)
			if err := json.Unmarshal([]byte(raw), &rec); err != nil {
				return nil, fmt.Errorf("%s: %w", steady.name, err)
			}
			result := rec.Response
			if rec.Error != "" {
				result = "error:" + rec.Error
			}
			ts := strings.Replace(strings.TrimSuffix(rec.TS, "Z"), "T", " ", 1)
			line := ts + " W | etcdserver: " + rec.Prefix + "request " + strconv.Quote(rec.Request) +
				" with result " + strconv.Quote(result) + " took too long (" + rec.Took + ") to execute"
			out = append(out, tk.line(line, m))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no slow requests", steady.name)
	}
	return out, nil
}

// renderRaw gives a template's text back with its own values (for decoding it).
func renderRaw(l *tline) string {
	var b strings.Builder
	for _, s := range l.segs {
		switch s.op {
		case opLit:
			b.WriteString(s.lit)
		case opTS:
			b.WriteString(timeString(l.t))
		case opRelTS:
			b.WriteString(timeString(l.t + s.val))
		case opTerm, opLogTerm, opIndex:
			b.WriteString(strconv.FormatInt(s.val, 10))
		default:
			b.WriteString("0")
		}
	}
	return b.String()
}

func timeString(us int64) string {
	var c clockCache
	return string(c.appendZap(nil, us))
}

// normal writes normal traffic until the next episode is due (size reaches until).
func (g *gen) normal(tr *traffic, until int64, next *timers) {
	for !g.full && g.out.size() < until {
		g.now += int64(math.Max(1, g.rnd.ExpFloat64()*meanGapMicros))
		g.flushPending(g.now)
		if g.now >= next.compaction {
			next.compaction += 5 * 60 * 1e6
			if len(tr.compaction) > 0 {
				g.playEpisode(tr.compaction[g.rnd.IntN(len(tr.compaction))], 0)
			}
		}
		if g.index >= next.snapshot {
			next.snapshot += 10_000
			if len(tr.snapshot) > 0 {
				g.playEpisode(tr.snapshot[g.rnd.IntN(len(tr.snapshot))], 0)
			}
		}
		g.index += 1 + int64(g.rnd.IntN(7))
		x := g.rnd.Float64() * tr.total
		if x >= tr.total-tr.blipWeight {
			g.blip(&tr.blips)
			continue
		}
		for i := range tr.kinds {
			k := &tr.kinds[i]
			if x -= k.weight; x >= 0 && i < len(tr.kinds)-1 {
				continue
			}
			l := k.lines[g.rnd.IntN(len(k.lines))]
			self := g.rnd.IntN(len(g.c.ids))
			if k.leader {
				self = g.leader
			}
			g.emit(l, g.now, g.permFor(l, self, -1), nil)
			break
		}
	}
}

// meanGapMicros is the mean time between two lines of normal traffic: a busy 5-member cluster
// logging 40 lines a second in all.
const meanGapMicros = 25_000

type timers struct {
	compaction int64 // µs
	snapshot   int64 // raft index
}

// blip: one member loses its stream to a peer, which is back 0.2 to 5 s later.
func (g *gen) blip(b *blipSet) {
	n := len(g.c.ids)
	self := g.rnd.IntN(n)
	peer := (self + 1 + g.rnd.IntN(n-1)) % n
	pick := func(ls []*tline) *tline { return ls[g.rnd.IntN(len(ls))] }
	l := pick(b.lost)
	g.emit(l, g.now, g.permFor(l, self, peer), nil)
	l = pick(b.inactive)
	g.emit(l, g.now+15, g.permFor(l, self, peer), nil)
	back := g.now + 200_000 + g.rnd.Int64N(4_800_000)
	l = pick(b.active)
	g.schedule(back, l, g.permFor(l, self, peer))
	l = pick(b.established)
	g.schedule(back+20, l, g.permFor(l, self, peer))
}
