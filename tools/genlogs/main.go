// Command genlogs writes realistic etcd logs of any size, for benchmarks: a cluster's normal
// traffic with elections now and then and a few election storms, rebuilt from real etcd runs.
//
//	go run ./tools/genlogs --format zap-json|compose|capnslog --size 1GiB --members 5 --seed 1 -o FILE
//
// Every line is a real line (testdata/real, testdata/shared/etcd-3.4.45, and the steady-state
// capture in tools/genlogs/testdata, see capture-steady.sh) with its member IDs, names, URLs,
// cluster ID, terms, indexes and times rewritten: the three real members become the generated
// ones, the clock runs on, terms rise through each election. Elections replay a real run's fault
// window (leader stopped or killed, quorum lost, partitions, a frozen leader); storms replay a
// quorum loss whose survivor campaigns hundreds of times. With more than 3 members, the extra
// ones repeat the lines of the run's most passive follower. The same seed gives the same bytes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "genlogs: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("genlogs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	formatName := fs.String("format", "zap-json", "zap-json (etcd 3.5+), compose (zap JSON behind docker compose logs --timestamps), capnslog (etcd 3.4) storm (one election storm, behind compose --timestamps: one campaign repeated) or storm-run (the same, its whole quorum loss repeated)")
	sizeText := fs.String("size", "1GiB", "bytes to write: 1GiB, 100MB, 64MiB, 5000000, ...")
	members := fs.Int("members", 5, "cluster members (3 to 9; storm: default 3, the real run's)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same output")
	out := fs.String("o", "-", "output file (- for stdout)")
	version := fs.String("etcd-version", "3.6.16", "etcd release of the zap runs under testdata/real to replay (storm: default 3.5.35)")
	root := fs.String("root", "", "repository root (default: the module root above the working directory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var format outFormat
	switch *formatName {
	case "zap-json":
		format = outZapJSON
	case "compose":
		format = outCompose
	case "capnslog":
		format = outCapnslog
	case "storm", "storm-run":
		format = outStorm
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["members"] {
			*members = 3
		}
		if !set["etcd-version"] {
			*version = "3.5.35"
		}
	default:
		return fmt.Errorf("--format %q: want zap-json, compose, capnslog, storm or storm-run", *formatName)
	}
	size, err := parseSize(*sizeText)
	if err != nil {
		return err
	}
	if *members < 3 || *members > 9 {
		return fmt.Errorf("--members %d: want 3 to 9", *members)
	}
	if *root == "" {
		if *root, err = moduleRoot(); err != nil {
			return err
		}
	}
	var tpl *templates
	var storm *episode
	if format == outStorm {
		storm, err = loadStorm(*root, *version)
	} else {
		tpl, err = loadTemplates(*root, format, *version)
	}
	if err != nil {
		return err
	}
	var w io.Writer = stdout
	var f *os.File
	if *out != "-" {
		if f, err = os.Create(*out); err != nil {
			return err
		}
		w = f
	}
	start := time.Now()
	var st stats
	if storm != nil {
		gen := generateStorm
		if *formatName == "storm-run" {
			gen = generateStormRun
		}
		st, err = gen(w, storm, size, *members, *seed, tmpDirFor(*out))
	} else {
		st, err = generate(w, tpl, format, size, *members, *seed, tmpDirFor(*out))
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	if storm != nil && *formatName == "storm-run" {
		fmt.Fprintf(stderr, "genlogs: %s: %d bytes, %d lines, the quorum loss replayed %d times, terms up to %d, %s of logs, in %.1fs\n",
			*out, st.bytes, st.lines, st.storms, st.term, time.Duration(st.span)*time.Microsecond, time.Since(start).Seconds())
		return nil
	}
	if storm != nil {
		fmt.Fprintf(stderr, "genlogs: %s: %d bytes, %d lines, one storm of %d repeated campaigns, terms up to %d, %s of logs, in %.1fs\n",
			*out, st.bytes, st.lines, st.stormCampaigns, st.term, time.Duration(st.span)*time.Microsecond, time.Since(start).Seconds())
		return nil
	}
	fmt.Fprintf(stderr, "genlogs: %s: %d bytes, %d lines (%.1f%% normal traffic), %d elections, %d storms (%d campaigns), terms up to %d, %s of logs, in %.1fs\n",
		*out, st.bytes, st.lines, 100*float64(st.normal)/float64(max(st.lines, 1)), st.elections, st.storms, st.stormCampaigns,
		st.term, time.Duration(st.span)*time.Microsecond, time.Since(start).Seconds())
	return nil
}

// stats says what generate wrote.
type stats struct {
	bytes, lines, normal int64
	elections, storms    int
	stormCampaigns       int
	term                 int64
	span                 int64 // µs of log time
}

// generate writes size bytes of logs to w.
func generate(w io.Writer, tpl *templates, format outFormat, size int64, members int, seed uint64, tmpDir string) (stats, error) {
	g, cnt, err := newGen(w, format, size, members, seed, tmpDir)
	if err != nil {
		return stats{}, err
	}
	rnd, start, out := g.rnd, g.now, cnt.sink
	// An election every 10 MiB or so (every quarter of an hour of log); storms at even spacing,
	// one per 320 MiB (at least one), of 200 to 500 campaigns.
	const every = 10 << 20
	nStorms := max(1, int((size+160<<20)/(320<<20)))
	var stormAt []int64
	for i := range nStorms {
		stormAt = append(stormAt, size*int64(2*i+1)/int64(2*nStorms))
	}
	var st stats
	next := &timers{compaction: start + 5*60*1e6, snapshot: g.index + 10_000}
	nextEp := int64(every / 2)
	for !g.full {
		until := nextEp
		if len(stormAt) > 0 {
			until = min(until, stormAt[0])
		}
		cnt.normal = true
		g.normal(&tpl.traffic, until, next)
		cnt.normal = false
		if g.full {
			break
		}
		if len(stormAt) > 0 && cnt.size() >= stormAt[0] {
			stormAt = stormAt[1:]
			e := tpl.storms[rnd.IntN(len(tpl.storms))]
			repeats := 200 + rnd.IntN(301)
			g.playEpisode(e, repeats)
			st.storms++
			st.stormCampaigns += repeats
			continue
		}
		g.playEpisode(tpl.episodes[rnd.IntN(len(tpl.episodes))], 0)
		st.elections++
		nextEp = cnt.size() + every/2 + rnd.Int64N(every)
	}
	err = out.close()
	st.bytes, st.lines, st.normal = cnt.size(), cnt.lines, cnt.normalLines
	st.term, st.span = g.term, g.now-start
	return st, err
}

// newGen starts a generated log of size bytes to w: a new cluster of members, its clock at
// 2026-11-23 00:00 UTC, term 40.
func newGen(w io.Writer, format outFormat, size int64, members int, seed uint64, tmpDir string) (*gen, *countingSink, error) {
	rnd := rand.New(rand.NewPCG(seed, 0x65746364706d)) // "etcdpm"
	c := newCluster(rnd, members)
	var out sink
	if format == outCompose || format == outStorm {
		cs, err := newComposeSink(w, tmpDir, c.names, rand.New(rand.NewPCG(seed, 2)))
		if err != nil {
			return nil, nil, err
		}
		out = cs
	} else {
		out = newBareSink(w)
	}
	cnt := &countingSink{sink: out}
	start := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC).UnixMicro()
	g := &gen{
		rnd: rnd, c: c, format: format, out: cnt, target: size,
		now: start, term: 40, index: 250_000, leader: rnd.IntN(members),
		granted: make([]int, members), reject: make([]int, members),
	}
	return g, cnt, nil
}

// countingSink counts lines, and those written as normal traffic.
type countingSink struct {
	sink
	normal             bool
	lines, normalLines int64
}

func (c *countingSink) line(member int, t int64, b []byte) {
	c.lines++
	if c.normal {
		c.normalLines++
	}
	c.sink.line(member, t, b)
}

// parseSize reads "1GiB", "100MB", "64MiB", "512KiB", "1000".
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("--size %q: want e.g. 1GiB, 100MB or a byte count", s)
	}
	return int64(v * float64(mult)), nil
}

// moduleRoot finds the directory holding go.mod, from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory; use --root")
		}
		dir = parent
	}
}
