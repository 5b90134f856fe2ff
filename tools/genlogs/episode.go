package main

import "sort"

// episode is one real incident: the three members' lines from a run's first fault to its
// recovery, merged by time.
type episode struct {
	run       *realRun
	lines     []*tline
	leader    int   // real member leading when the fault came
	clone     int   // real member whose lines bystanders repeat (a follower that campaigns least)
	baseTerm  int64 // term before the fault
	baseIndex int64
	// A campaign loop (quorum loss): lines[cycleA:cycleB] is one campaign of the looping member,
	// which a storm repeats, each time dTerm terms and dt µs later.
	cycleA, cycleB int
	cycleTerm      int64 // the term the repeated campaign starts from
	dTerm, dt      int64
}

func (e *episode) canStorm() bool { return e.cycleB > e.cycleA }

// newEpisode cuts the fault window out of r; nil when r has none.
func newEpisode(r *realRun) *episode {
	if r.start == 0 {
		return nil
	}
	e := &episode{run: r, leader: -1, clone: -1}
	for m := range r.lines {
		for _, l := range r.lines[m] {
			switch {
			case l.t < r.start:
				if l.cls&clsLeader != 0 {
					e.leader = m
				}
				for _, s := range l.segs {
					switch s.op {
					case opTerm:
						e.baseTerm = max(e.baseTerm, s.val)
					case opIndex:
						e.baseIndex = max(e.baseIndex, s.val)
					}
				}
			case l.t <= r.end:
				e.lines = append(e.lines, l)
			}
		}
	}
	if len(e.lines) == 0 {
		return nil
	}
	sort.SliceStable(e.lines, func(i, j int) bool { return e.lines[i].t < e.lines[j].t })
	if e.leader < 0 {
		e.leader = 0
	}
	var campaigns [3]int
	for _, l := range e.lines {
		if l.cls&clsCampaign != 0 {
			campaigns[l.member]++
		}
	}
	for m := range 3 {
		if m != e.leader && (e.clone < 0 || campaigns[m] < campaigns[e.clone]) {
			e.clone = m
		}
	}
	e.findLoop()
	return e
}

// findLoop finds the longest run of campaigns by one member with no leader elected between
// them, and keeps its quietest campaign as the storm's unit when the run has 3 or more.
func (e *episode) findLoop() {
	bestLen, bestK := 0, -1
	var bestMarks []int
	for m := range 3 {
		var marks []int
		flush := func() {
			if len(marks) > bestLen {
				bestLen, bestMarks = len(marks), append([]int(nil), marks...)
				bestK = m
			}
			marks = marks[:0]
		}
		for i, l := range e.lines {
			if l.cls&clsLeader != 0 {
				flush()
			}
			if l.member == m && l.cls&clsNewElection != 0 {
				marks = append(marks, i)
			}
		}
		flush()
	}
	if bestK < 0 || bestLen < 4 {
		return
	}
	// the quietest campaign after the first: the loop as it runs, without a member restarting
	k := 1
	for i := 2; i < bestLen-1; i++ {
		if bestMarks[i+1]-bestMarks[i] <= bestMarks[k+1]-bestMarks[k] {
			k = i
		}
	}
	a, b := bestMarks[k], bestMarks[k+1]
	ta, tb := firstTerm(e.lines[a]), firstTerm(e.lines[b])
	if ta < 0 || tb < ta {
		return
	}
	e.cycleA, e.cycleB = a, b
	e.cycleTerm, e.dTerm = ta, tb-ta
	e.dt = e.lines[b].t - e.lines[a].t
}

func firstTerm(l *tline) int64 {
	for _, s := range l.segs {
		if s.op == opTerm {
			return s.val
		}
	}
	return -1
}

// cloneable reports whether a bystander repeats line l as the clone member s would see it:
// s's own lines but its campaigns, and the lines of others about s that fan out per peer.
func cloneable(l *tline, s int) bool {
	if l.member == s {
		// not its campaigns, nor what it says of itself as leader ("s lost leader s")
		return l.cls&clsCampaign == 0 && selfRefs(l, s) < 2
	}
	if l.refs&(1<<s) == 0 {
		return false
	}
	if l.cls&clsRaft != 0 {
		return l.cls&clsFanout != 0
	}
	return l.cls&clsTransfer == 0
}

// selfRefs counts the times l names member s by ID.
func selfRefs(l *tline, s int) int {
	n := 0
	for _, x := range l.segs {
		if (x.op == opID || x.op == opDec) && int(x.m) == s {
			n++
		}
	}
	return n
}
