package analysis

import (
	"slices"
	"time"
)

// The server hints of a long log (late heartbeats, slow applies, stream
// blips, failed requests) come in thousands of episodes. A store keeps its
// episodes whole until foldBatch more have closed; then it folds those that
// no detector will look up into one aggregate per member and class (the
// first, the worst and the last episode, and a count), so memory stays
// bounded by the cluster, not by the length of the logs.
//
// The detectors look episodes up near changes of leadership only: a leader
// slow shortly before it lost its leadership (slowNear), the stream drops
// that tell a leader's shutdown (transferTrigger) or follow a stop (the
// severity of peer-unreachable), the requests that waited out a quorum loss
// (waitedDuring). So an episode is pinned, kept for them, when a mark lies
// within foldNear of it: for a slow episode that slowNear would take, a mark
// of its member (a leadership won or lost, a stop, a restart, a transfer);
// for an unreachable member, one of its marks or any member's stop;
// for a waited request, any member's campaign. Pinned episodes keep their
// first evPinned evidence lines, and the store keeps at most maxPinned of
// them (the oldest fold first): a week of elections every few minutes.

const (
	// foldBatch is how many closed episodes a store takes before it folds.
	foldBatch = 256
	// maxPinned bounds the pinned episodes of a store: some thousand
	// elections (the generated GiB of 100 elections pins about 500).
	maxPinned = 4000
	// evPinned is how many evidence lines a pinned episode keeps: its
	// finding, when a long log merges it with others, and the finding that
	// looks it up show its first lines only.
	evPinned = 2
	// foldNear is how close to a mark an episode is pinned: a leader change
	// looks for slowness up to slowLead before it, transfers and stops a few
	// seconds around them.
	foldNear = time.Minute
	// foldAfter is how long after its end an episode may be folded: the
	// marks of the minute after it (a leader change it led to) have come by
	// then, inputs being merged roughly in time order. The clock is the
	// latest time seen, or for the hints a member logs about itself (slow,
	// waited), that member's: compose prints each container's lines in one
	// block, so the latest time seen runs ahead of the blocks that follow.
	foldAfter = 2 * time.Minute
)

// hintKind says what a store's episodes are about.
type hintKind uint8

const (
	slowHints    hintKind = iota // a member slow (heartbeats, disk, applies)
	unreachHints                 // a member its peers could not reach
	waitedHints                  // requests that waited for a leader
)

// episodes keeps the closed episodes of one kind of hint.
type episodes struct {
	kind   hintKind
	gap    time.Duration // separates two episodes about the same member
	closed []*episode    // kept: the pinned ones, then those not yet looked at
	pinned int           // how many of closed are pinned
	folds  []*fold       // the folded ones, per member and class
	foldOf map[foldKey]*fold
	folded int // episodes folded, into folds or (needed by no finding) away
	// waiting is how many episodes the last compact left waiting: the next
	// waits for as many more, so that a log of many members, whose
	// episodes of the last minutes all wait, costs no pass over them per
	// episode.
	waiting int
}

type foldKey struct {
	subject int32
	class   uint8
}

// fold aggregates the folded episodes of one member and class: the class is
// what decides the severity of their findings (a slow episode's severity; an
// unreachable member after its stop or not).
type fold struct {
	subject            int32
	class              uint8
	n                  int
	reporters          uint64
	first, worst, last *episode
}

// episode returns the subject's open episode for t, closing a stale one.
func (a *Analyzer) episode(es *episodes, cur **episode, subject int32, t time.Time) *episode {
	if e := *cur; e != nil {
		if t.Sub(e.end) <= es.gap {
			return e
		}
		a.closeEpisode(es, e)
	}
	e := &episode{subject: subject, start: t, end: t}
	*cur = e
	return e
}

// closeEpisode keeps a closed episode, folding when a batch is full.
func (a *Analyzer) closeEpisode(es *episodes, e *episode) {
	es.closed = append(es.closed, e)
	if len(es.closed)-es.pinned > foldBatch+es.waiting {
		a.compact(es)
	}
}

// compact looks at the episodes not looked at yet: those that ended more
// than foldAfter ago are pinned (and trimmed) or folded, the others wait for
// the next batch. Past maxPinned it folds the oldest pinned ones.
func (a *Analyzer) compact(es *episodes) {
	fresh := es.closed[es.pinned:]
	if es.kind == unreachHints {
		for _, e := range fresh {
			if a.settled(es, e) {
				a.noteCutOff(es, e)
			}
		}
	}
	var wait []*episode
	keep := es.closed[:es.pinned]
	for _, e := range fresh {
		switch {
		case !a.settled(es, e):
			wait = append(wait, e)
		case a.pinned(es, e):
			e.ev.trim(evPinned)
			keep = append(keep, e)
		default:
			a.fold(es, e)
		}
	}
	if n := len(keep) - maxPinned*3/4; len(keep) > maxPinned {
		for _, e := range keep[:n] {
			a.fold(es, e)
		}
		keep = append(keep[:0], keep[n:]...)
	}
	es.pinned, es.waiting = len(keep), len(wait)
	keep = append(keep, wait...)
	clear(es.closed[len(keep):])
	es.closed = keep
}

// settled reports whether e ended foldAfter before the clock.
func (a *Analyzer) settled(es *episodes, e *episode) bool {
	now := a.clock
	if es.kind != unreachHints {
		if m := a.mem[e.subject]; m.lastSeen.Before(now) {
			now = m.lastSeen
		}
	}
	return e.end.Before(now.Add(-foldAfter))
}

// pinned reports whether a detector may look e up at Finish.
func (a *Analyzer) pinned(es *episodes, e *episode) bool {
	switch es.kind {
	case waitedHints:
		return a.campMarks.near(e.start, e.end)
	case slowHints:
		return slowCause(e) && a.mem[e.subject].marks.near(e.start, e.end)
	}
	return a.mem[e.subject].marks.near(e.start, e.end) || a.stopMarks.near(e.start, e.end)
}

// fold adds e to its member's aggregate, or drops it when no finding would
// tell it: a blip, a waited request far from any election, or a member's own
// view of being cut off (the episode about it tells that).
func (a *Analyzer) fold(es *episodes, e *episode) {
	es.folded++
	var class uint8
	switch es.kind {
	case waitedHints:
		return
	case unreachHints:
		if !unreachReported(e) || e.cutOffView {
			return
		}
		if e.afterStop {
			class = 1
		}
	case slowHints:
		class = slowClass(e)
	}
	k := foldKey{e.subject, class}
	fo := es.foldOf[k]
	if fo == nil {
		if es.foldOf == nil {
			es.foldOf = make(map[foldKey]*fold)
		}
		fo = &fold{subject: e.subject, class: class, first: e, worst: e, last: e}
		es.folds = append(es.folds, fo)
		es.foldOf[k] = fo
	}
	fo.n++
	fo.reporters |= e.reporters
	if e.start.Before(fo.first.start) {
		fo.first = e
	}
	if es.weight(e) > es.weight(fo.worst) {
		fo.worst = e
	}
	if e.start.After(fo.last.start) {
		fo.last = e
	}
}

// weight is how bad an episode was: a slow one's longest delay, an
// unreachable member's time unreachable.
func (es *episodes) weight(e *episode) time.Duration {
	if es.kind == slowHints {
		return max(e.maxHeartbeat, e.maxFsync, e.maxApply)
	}
	return e.end.Sub(e.start)
}

// noteCutOff flags e as its reporter's own view of being cut off from the
// others (see cutOffFrom), looking among the kept episodes and the open
// ones, before either is folded.
func (a *Analyzer) noteCutOff(es *episodes, e *episode) {
	if e.cutOffView || popcount(e.reporters) != 1 || !unreachReported(e) {
		return
	}
	r := a.mem[ixsOf(e.reporters)[0]]
	x := a.cutOffFrom(e, es.closed)
	if x == nil && r.unrEp != nil && a.cutOffFrom(e, []*episode{r.unrEp}) != nil {
		x = r.unrEp
	}
	if x != nil {
		e.cutOffView, x.cutOff = true, true
	}
}

// marks are the 10-second slots in which something happened to a member's
// leadership (or, for Analyzer.campMarks, in which any member campaigned),
// sorted. They only decide which episodes stay whole.
type marks struct {
	slots []int64
	last  int64 // the slot marked last, +1 (0: none)
}

const (
	markSlot = 10 * time.Second
	// maxMarks bounds the slots of one member: a week of a campaign every
	// ten seconds.
	maxMarks = 1 << 16
)

func slotOf(t time.Time) int64 {
	n := t.UnixNano()
	s := n / int64(markSlot)
	if n < 0 && n%int64(markSlot) != 0 {
		s--
	}
	return s
}

func (ms *marks) add(t time.Time) {
	if t.IsZero() {
		return
	}
	s := slotOf(t)
	if s+1 == ms.last {
		return
	}
	ms.last = s + 1
	i, found := slices.BinarySearch(ms.slots, s)
	if found || len(ms.slots) >= maxMarks {
		return
	}
	ms.slots = slices.Insert(ms.slots, i, s)
}

// near reports whether a slot within foldNear of [from, to] is marked.
func (ms *marks) near(from, to time.Time) bool {
	lo, hi := slotOf(from.Add(-foldNear)), slotOf(to.Add(foldNear))
	i, _ := slices.BinarySearch(ms.slots, lo)
	return i < len(ms.slots) && ms.slots[i] <= hi
}

// classed is a closed episode with the class of its finding (see fold).
type classed struct {
	e     *episode
	class uint8
}

// episodeFindings writes the findings of a store's episodes at Finish: one
// per kept episode (items, classed by the caller) or, for a member and
// severity with more than maxRepeats episodes kept and folded, one for all
// of them (see merge.go), written from its first, worst and last episodes
// only. sev gives a class's severity, one the finding of one episode.
func (a *Analyzer) episodeFindings(f *facts, es *episodes, items []classed, sev func(uint8) Severity,
	one func(*episode, uint8) Finding) []Finding {
	type key struct {
		subject int32
		sev     Severity
	}
	type group struct {
		items []classed
		folds []*fold
		n     int
	}
	groups := map[key]*group{}
	var order []key
	groupOf := func(k key) *group {
		g := groups[k]
		if g == nil {
			g = &group{}
			groups[k] = g
			order = append(order, k)
		}
		return g
	}
	for _, it := range items {
		g := groupOf(key{it.e.subject, sev(it.class)})
		g.items = append(g.items, it)
		g.n++
	}
	for _, fo := range es.folds {
		g := groupOf(key{fo.subject, sev(fo.class)})
		g.folds = append(g.folds, fo)
		g.n += fo.n
	}
	var out []Finding
	for _, k := range order {
		g := groups[k]
		if g.n <= maxRepeats && len(g.folds) == 0 {
			for _, it := range g.items {
				out = append(out, one(it.e, it.class))
			}
			continue
		}
		var first, worst, last classed
		var reporters uint64
		consider := func(c classed) {
			if first.e == nil || c.e.start.Before(first.e.start) {
				first = c
			}
			if worst.e == nil || es.weight(c.e) > es.weight(worst.e) {
				worst = c
			}
			if last.e == nil || c.e.start.After(last.e.start) {
				last = c
			}
		}
		for _, it := range g.items {
			consider(it)
			reporters |= it.e.reporters
		}
		for _, fo := range g.folds {
			consider(classed{fo.first, fo.class})
			consider(classed{fo.worst, fo.class})
			consider(classed{fo.last, fo.class})
			reporters |= fo.reporters
		}
		m := &merged{}
		for i, c := range []classed{first, worst, last} {
			if (i >= 1 && c.e == first.e) || (i == 2 && c.e == worst.e) {
				continue
			}
			x := one(c.e, c.class)
			m.add(a, &x)
		}
		m.n = g.n
		for _, ix := range ixsOf(reporters) {
			m.addMember(a.mem[ix].id)
		}
		m.sameList = false
		out = append(out, a.render(f, m))
	}
	return out
}
