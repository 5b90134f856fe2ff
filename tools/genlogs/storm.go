package main

import (
	"fmt"
	"io"
	"path/filepath"
)

// The storm format (--format storm) is one long election storm: the quorum loss of a real run
// (testdata/real/VERSION-quorum-loss-prevote-off: the leader and a follower stopped, the survivor
// campaigning alone with pre-vote off), its fault replayed once, then its survivor's campaign
// repeated until the file is nearly full, each time an election timeout later and at the next
// term, and its recovery last. Terms rise from 40 into the hundreds of thousands on a few
// hundred MB; per member, terms never fall. The lines are behind `docker compose logs
// --timestamps`, as the compose format's.
//
// The storm-run format (--format storm-run) repeats the same quorum loss whole instead: every
// member's lines from the fault to the recovery (stops, the survivor's campaigns, restarts,
// stream churn, the new leader), again and again, each time after the last and from the term
// the last one reached, as a storm whose members keep coming and going: about half its lines
// are election events.

// loadStorm reads the quorum loss of etcd version that a storm repeats.
func loadStorm(root, version string) (*episode, error) {
	dir := filepath.Join(root, "testdata/real", version+"-quorum-loss-prevote-off")
	r, err := loadRun(dir)
	if err != nil {
		return nil, err
	}
	e := newEpisode(r)
	if e == nil || !e.canStorm() {
		return nil, fmt.Errorf("%s: no campaign loop to repeat", dir)
	}
	return e, nil
}

// generateStorm writes size bytes (a little less when the recovery does not fill it up) of e's
// storm to w.
func generateStorm(w io.Writer, e *episode, size int64, members int, seed uint64, tmpDir string) (stats, error) {
	g, cnt, err := newGen(w, outStorm, size, members, seed, tmpDir)
	if err != nil {
		return stats{}, err
	}
	start := g.now
	// The campaigns stop where the rest of the episode (one more campaign, the recovery) still
	// fits, with a margin: every bystander repeats some of its lines.
	until := size - tailBytes(e.lines[e.cycleA:])*int64(members-1)
	campaigns := 0
	g.play(e, func(i int) bool {
		campaigns = i
		return i == 0 || cnt.size() < until
	})
	err = cnt.sink.close()
	st := stats{bytes: cnt.size(), lines: cnt.lines, storms: 1, stormCampaigns: campaigns, term: g.term, span: g.now - start}
	return st, err
}

// generateStormRun writes size bytes of e replayed whole, again and again, to w: the last
// replay stops where the file is full.
func generateStormRun(w io.Writer, e *episode, size int64, members int, seed uint64, tmpDir string) (stats, error) {
	g, cnt, err := newGen(w, outStorm, size, members, seed, tmpDir)
	if err != nil {
		return stats{}, err
	}
	start := g.now
	runs := 0
	for ; !g.full; runs++ {
		g.playEpisode(e, 0)
	}
	err = cnt.sink.close()
	st := stats{bytes: cnt.size(), lines: cnt.lines, storms: runs, term: g.term, span: g.now - start}
	return st, err
}

// tailBytes is about the size of lines once rendered behind compose's prefix: their literal
// text, 20 bytes a field, 45 of prefix and newline.
func tailBytes(lines []*tline) int64 {
	var n int64
	for _, l := range lines {
		n += 45
		for _, s := range l.segs {
			n += int64(len(s.lit))
			if s.op != opLit {
				n += 20
			}
		}
	}
	return n
}
