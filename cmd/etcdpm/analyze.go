package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/internal/outfile"
	"github.com/etcdpm/etcdpm/parser"
	"github.com/etcdpm/etcdpm/report"
)

type analyzeCmd struct {
	Inputs []string `arg:"" name:"input" help:"Log files, directories of log files (a must-gather, kubectl logs files), archives of them (.tar.gz, .tgz, .tar, .zip), or - for stdin (.gz is read as such)."`

	Format    string `enum:"auto,${formats}" default:"auto" help:"Output: text (for people), json (the etcdpm.analysis/v1 document), events (JSON lines, one election event each), html (a self-contained report) or md (Markdown for a GitHub issue). auto: from the -o file's extension (${extensions}; another is refused), else text."`
	Output    string `short:"o" placeholder:"FILE" help:"Write the output to FILE (default: stdout), whole or not at all; a symbolic link there is replaced, never written through."`
	MD        string `name:"md" placeholder:"FILE" help:"Also write the Markdown summary to FILE (default: none), as -o writes."`
	Title     string `placeholder:"TITLE" help:"Title of the HTML and Markdown reports (default: the inputs' names)."`
	Layout    string `default:"auto" enum:"auto,${layouts}" help:"Envelope around etcd's lines: auto (detected per input), or one of ${layouts_list}."`
	TZ        string `name:"tz" default:"UTC" placeholder:"ZONE" help:"Zone of timestamps that carry none (capnslog, raft std-logger) when no envelope time is given: a name such as Europe/Paris, or an offset such as +02:00 (default: ${default})."`
	MaxErrors int    `default:"5" help:"Malformed lines to report per input (0: only count them)."`
	Color     string `default:"auto" enum:"auto,always,never" help:"Colour in text output: auto (only on a terminal), always or never."`

	MergeCaptures bool `name:"merge-captures" help:"Analyze several capture directories (of etcdpm capture or repro, given or found in a directory) as one incident: their logs, faults and status merged. Without it, two capture directories are refused, each being an incident of its own."`

	CPUProfile string `name:"cpuprofile" hidden:"" placeholder:"FILE" help:"Write a CPU profile to FILE (for performance work)."`
}

func (c *analyzeCmd) Help() string {
	return `Reads etcd logs of any common layout: capnslog (3.3, 3.4), raft std-logger (3.4), zap JSON
(3.4 --logger=zap to 3.7) and zap console, bare or behind docker compose v1/v2 prefixes (with or
without --timestamps), docker logs -t, kubectl logs [--timestamps] [--prefix] and journalctl
(short, short-precise, short-iso, json). Several inputs are merged by time.

Examples:
  etcdpm analyze logs.txt
  docker compose logs --timestamps etcd1 etcd2 etcd3 > logs.txt && etcdpm analyze logs.txt
  kubectl -n kube-system logs etcd-node1 --timestamps | etcdpm analyze -
  journalctl -u etcd -o short-iso --since -1h | etcdpm analyze --tz Europe/Paris -
  etcdpm analyze --format json -o analysis.json n1.log n2.log n3.log
  etcdpm analyze logs.txt -o report.html --md report.md
  etcdpm analyze --format events logs.txt | jq 'select(.kind=="became-leader")'`
}

// Validate rejects flags that cannot work together before anything is read
// or written: a usage error.
func (c *analyzeCmd) Validate() error {
	if c.MD == "-" {
		return errors.New("--md takes a file; for the Markdown on stdout, use --format md")
	}
	if _, err := loadZone(c.TZ); err != nil {
		return fmt.Errorf("--tz %q: %w", c.TZ, err)
	}
	if c.MaxErrors < 0 {
		return fmt.Errorf("--max-errors must be 0 or more, not %d", c.MaxErrors)
	}
	format := c.Format
	if format == "auto" {
		var err error
		if format, err = report.FormatOf(c.Output); err != nil {
			return fmt.Errorf("-o %s", err)
		}
	}
	if c.MD != "" && format == report.Events {
		return fmt.Errorf("--md needs an analysis, which the events format (--format events, -o *.jsonl) does not make")
	}
	if c.MD != "" && c.Output != "" && c.Output != "-" && samePath(c.MD, c.Output) {
		return fmt.Errorf("-o and --md both name %s", c.Output)
	}
	return nil
}

// loadZone reads --tz: a zone name (Europe/Paris, UTC, Local) or a fixed
// offset from UTC (+02:00, -0530).
func loadZone(s string) (*time.Location, error) {
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		for _, layout := range []string{"-07:00", "-0700", "-07"} {
			if t, err := time.Parse(layout, s); err == nil {
				_, off := t.Zone()
				return time.FixedZone(s, off), nil
			}
		}
		return nil, fmt.Errorf("not an offset like +02:00 or -0530")
	}
	return time.LoadLocation(s)
}

// samePath reports whether a and b name the same file, existing or not.
// Two links are two files: an output replaces a link, not its target.
func samePath(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	fa, errA := os.Lstat(a)
	fb, errB := os.Lstat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

func (c *analyzeCmd) Run(e *env) error {
	if c.Format == "auto" {
		c.Format, _ = report.FormatOf(c.Output) // Validate refused an unknown extension
	}
	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	loc, err := loadZone(c.TZ)
	if err != nil {
		return fmt.Errorf("--tz %q: %w", c.TZ, err)
	}
	ins, err := openInputs(e.ctx, c.Inputs, e.stdin, func(msg string) { warn(e.stderr, msg) })
	if err != nil {
		return err
	}
	defer func() {
		for _, in := range ins {
			if in.c != nil {
				in.c.Close()
			}
		}
	}()
	for _, in := range ins {
		for _, o := range []struct{ flag, path string }{{"-o", c.Output}, {"--md", c.MD}} {
			if o.path == "" || o.path == "-" || in.fi == nil {
				continue
			}
			if fi, err := os.Stat(o.path); err == nil && os.SameFile(fi, in.fi) {
				return fmt.Errorf("%s %s would overwrite the input %s", o.flag, o.path, in.name)
			}
		}
	}
	maxErrors := c.MaxErrors
	if maxErrors == 0 {
		maxErrors = -1 // the parser takes 0 for its default
	}
	names := make([]string, len(ins))
	srcs := make([]parser.Source, len(ins))
	for i, in := range ins {
		names[i] = in.name
		srcs[i] = parser.Source{R: in.r, Opts: parser.Options{
			Name: in.name, Source: in.source, Input: i, Layout: c.Layout, TZ: loc, MaxErrors: maxErrors,
		}}
		srcs[i].Opts.ReferenceTime, srcs[i].Opts.ReferenceName = in.reference()
	}

	// Both outputs are opened before reading, so that a path that cannot be
	// written fails at once, and committed only when all went well.
	out, err := openOutput(c.Output, e.stdout)
	if err != nil {
		return err
	}
	defer out.abort()
	var md output
	if c.MD != "" {
		if md, err = openOutput(c.MD, nil); err != nil {
			return err
		}
		defer md.abort()
	}
	w := bufio.NewWriterSize(out, 64<<10)

	var res *analysis.Result
	var stats []parser.Stats
	if c.Format == report.Events {
		enc := report.NewEventWriter(w, names)
		stats, err = parser.Read(e.ctx, srcs, runtime.GOMAXPROCS(0), enc.Write)
		if err == nil {
			err = enc.Err()
		}
	} else {
		var capt capdir.Capture
		if capt, err = inputsCapture(e.stderr, ins); err != nil {
			return err
		}
		res, stats, err = analyzeSources(e.ctx, names, srcs, capt)
		if err == nil {
			// out of time order: read forwards again, or refuse
			again, rerr := reorder(e.ctx, ins, stats, func(msg string) { warn(e.stderr, msg) })
			if rerr != nil {
				return rerr
			}
			if again != nil {
				for i := range ins {
					ins[i].c.Close()
					srcs[i].R = again[i].r
				}
				ins = again
				res, stats, err = analyzeSources(e.ctx, names, srcs, capt)
			}
		}
		if res != nil {
			warnMisplaced(res, func(msg string) { warn(e.stderr, msg) })
			if h := res.Horizon; h != nil {
				warn(e.stderr, fmt.Sprintf("%s:%d: the analysis stopped here, after %s (the most it keeps): the %d events from this line on were read, not analyzed",
					h.Input, h.Line, h.Full, h.Events))
			}
		}
	}
	// An input that fails part way (a truncated .gz, an I/O error) does not
	// cost the others: the analysis of what was read is written, and the
	// command fails afterwards with the error.
	var readErr error
	if err != nil && res != nil && !errors.Is(err, errInterrupted) && !errors.Is(err, context.Canceled) {
		readErr, err = err, nil
		warn(e.stderr, fmt.Sprintf("%v; the analysis covers only what was read before it", readErr))
	}
	if err != nil {
		return err
	}
	reportMalformed(e.stderr, names, stats)
	reportYears(e.stderr, names, stats)
	if err := checkEmpty(e.stderr, names, stats, c.Layout); err != nil {
		return err
	}

	if res != nil {
		opts := c.reportOptions(names)
		opts.Color = c.Color == "always" || c.Color == "auto" && c.Output == "" && e.isTerminal && os.Getenv("NO_COLOR") == ""
		opts.Width = textWidth(e, c.Output)
		err = report.Write(w, c.Format, res, opts)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil && md.Writer != nil {
		mw := bufio.NewWriter(md)
		err = report.Markdown(mw, res, c.reportOptions(names))
		if err == nil {
			err = mw.Flush()
		}
	}
	if err == nil {
		err = out.commit()
	}
	if err == nil && md.Writer != nil {
		err = md.commit()
	}
	if err == nil {
		err = readErr
	}
	return err
}

// textWidth is the text output's width: the terminal's when stdout is one
// (100 when it does not tell), else -1, every log line printed whole for a
// pipe or a file to keep.
func textWidth(e *env, output string) int {
	if output != "" || !e.isTerminal {
		return -1
	}
	return e.termWidth // 0: report's default
}

func (c *analyzeCmd) reportOptions(names []string) report.Options {
	title := c.Title
	if title == "" {
		base := make([]string, len(names))
		for i, n := range names {
			base[i] = titleName(n)
		}
		title = strings.Join(base, ", ")
		if len(names) > 3 {
			title = fmt.Sprintf("%s and %d more", strings.Join(base[:3], ", "), len(names)-3)
		}
	}
	return report.Options{Title: title, Version: versionString(), Generated: time.Now().UTC()}
}

// readCaptures reads the status snapshots and Docker events of the capture
// directories among the inputs (a capture dir, or its logs.txt), inputs of
// the analysis beside the logs. A damaged line is a warning; the rest is
// still read.
func readCaptures(stderr io.Writer, inputs []string) (capdir.Capture, error) {
	var all capdir.Capture
	seen := map[string]bool{}
	for _, arg := range inputs {
		dir, ok := capdir.DirOf(arg)
		if !ok || seen[dir] {
			continue
		}
		seen[dir] = true
		c, err := capdir.Read(dir)
		if err != nil {
			var me *capdir.MalformedError
			if !errors.As(err, &me) {
				return all, err
			}
			warn(stderr, err.Error())
		}
		all.Faults = append(all.Faults, c.Faults...)
		all.Status = append(all.Status, c.Status...)
		all.Metrics = append(all.Metrics, c.Metrics...)
		if all.Start.IsZero() || c.Start.Before(all.Start) {
			all.Start = c.Start
		}
		if c.End.After(all.End) {
			all.End = c.End
		}
	}
	return all, nil
}

// analyzeSources parses the sources on every core and analyzes their events
// with the capture's faults and status.
func analyzeSources(ctx context.Context, names []string, srcs []parser.Source, c capdir.Capture) (*analysis.Result, []parser.Stats, error) {
	return analysis.Analyze(ctx, srcs, c.Faults, c.Status, analysis.Options{Inputs: names, Start: c.Start, End: c.End, Metrics: c.Metrics})
}

// output is where an output goes: stdout, or a file put in place whole by
// commit (outfile.Create: a link there is replaced, never written through).
type output struct {
	io.Writer
	file *outfile.File // nil: stdout
}

// openOutput opens path, or returns stdout for "" and "-".
func openOutput(path string, stdout io.Writer) (output, error) {
	if path == "" || path == "-" {
		return output{Writer: stdout}, nil
	}
	f, err := outfile.Create(path)
	if err != nil {
		return output{}, err
	}
	return output{Writer: f, file: f}, nil
}

func (o output) commit() error {
	if o.file == nil {
		return nil
	}
	return o.file.Commit()
}

// abort removes the file unless it was committed.
func (o output) abort() {
	if o.file != nil {
		o.file.Abort()
	}
}

// warn prints a warning, which may quote log text, made safe for a
// terminal.
func warn(stderr io.Writer, msg string) {
	fmt.Fprintf(stderr, "etcdpm: warning: %s\n", terminalLines(msg))
}

// reportMalformed prints the first malformed lines of each input as
// "file:line: why", and how many more there were.
func reportMalformed(w io.Writer, names []string, stats []parser.Stats) {
	for i, st := range stats {
		for _, se := range st.Errors {
			warn(w, se.Error())
		}
		if more := st.Malformed - int64(len(st.Errors)); more > 0 && len(st.Errors) > 0 {
			warn(w, names[i]+": "+lines(more, "more malformed line"))
		} else if more > 0 {
			warn(w, names[i]+": "+lines(more, "malformed line"))
		}
	}
}

// reportYears says, for each input whose timestamps carry no year, where
// the year came from when it is only a guess (the file's mtime, or the
// current year): the times may be off by a year, and a span across New Year
// with them.
func reportYears(w io.Writer, names []string, stats []parser.Stats) {
	for i, st := range stats {
		switch st.YearFrom {
		case "file mtime", "current year":
			warn(w, names[i]+": its timestamps carry no year; the year is taken from the "+st.YearFrom)
		}
	}
}

// checkEmpty finds the inputs with no etcd log line at all, whose analysis
// would otherwise read as a healthy cluster: an error when no input has
// one, else a warning for each.
func checkEmpty(w io.Writer, names []string, stats []parser.Stats, layout string) error {
	var empty []string
	for i, st := range stats {
		switch {
		case st.Lines == 0:
			empty = append(empty, names[i]+": empty input")
		case st.Events == 0 && st.Skipped+st.Malformed == st.Lines:
			hint := "is it an etcd log?"
			if layout != "auto" {
				hint = "is --layout " + layout + " right?"
			}
			empty = append(empty, fmt.Sprintf("%s: no etcd log line in %s; %s", names[i], lines(st.Lines, "line"), hint))
		}
	}
	if len(empty) == 1 && len(stats) == 1 {
		return errors.New(empty[0]) // main escapes it
	}
	for _, msg := range empty {
		warn(w, msg)
	}
	if len(empty) > 0 && len(empty) == len(stats) {
		return errors.New("no input holds an etcd log line")
	}
	return nil
}

// lines says "1 line" or "2 lines".
func lines(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.FormatInt(n, 10) + " " + what + "s"
}
