package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/capture"
	"github.com/etcdpm/etcdpm/parser"
	"github.com/etcdpm/etcdpm/report"
)

type analyzeCmd struct {
	Inputs []string `arg:"" name:"input" help:"Log files, directories of log files, or - for stdin (.gz is read as such)."`

	Format    string `short:"f" enum:"auto,text,json,events,html,md" default:"auto" help:"Output: text (for people), json (the etcdpm.analysis/v1 document), events (JSON lines, one election event each), html (a self-contained report) or md (Markdown for a GitHub issue). auto: from the -o file's extension, else text."`
	Output    string `short:"o" placeholder:"FILE" help:"Write the output to FILE instead of stdout (written whole or not at all)."`
	MD        string `name:"md" placeholder:"FILE" help:"Also write the Markdown summary to FILE."`
	Title     string `placeholder:"TITLE" help:"Title of the HTML and Markdown reports (default: the inputs' names)."`
	Layout    string `default:"auto" enum:"auto,bare,compose,docker,kubectl,journald,journald-json" help:"Envelope around etcd's lines: auto (detected per input), bare, compose, docker, kubectl, journald or journald-json."`
	TZ        string `name:"tz" default:"UTC" placeholder:"ZONE" help:"Zone of timestamps that carry none (capnslog, raft std-logger) when no envelope time is given: a name such as Europe/Paris, or an offset such as +02:00."`
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
		format = formatOf(c.Output)
	}
	if c.MD != "" && format == "events" {
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

// errAborted makes a commit remove its temporary file.
var errAborted = errors.New("aborted")

// samePath reports whether a and b name the same file, existing or not.
func samePath(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

func (c *analyzeCmd) Run(e *env) error {
	if c.Format == "auto" {
		c.Format = formatOf(c.Output)
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
	warn := func(msg string) { fmt.Fprintf(e.stderr, "etcdpm: warning: %s\n", msg) }
	ins, err := openInputs(e.ctx, c.Inputs, e.stdin, warn)
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
			Name: in.name, Input: i, Layout: c.Layout, TZ: loc, MaxErrors: maxErrors,
		}}
	}

	// Both outputs are opened before reading, so that a path that cannot be
	// written fails at once, and committed only when all went well.
	out, commit, err := c.output(e.stdout)
	if err != nil {
		return err
	}
	commitMD := func(err error) error { return err }
	var mdOut io.Writer
	if c.MD != "" {
		mdOut, commitMD, err = createAtomic(c.MD)
		if err != nil {
			commit(err)
			return err
		}
	}
	committed := false
	defer func() {
		if !committed { // an error below: remove the temporary files
			commit(errAborted)
			commitMD(errAborted)
		}
	}()
	w := bufio.NewWriterSize(out, 64<<10)

	var res *analysis.Result
	var stats []parser.Stats
	if c.Format == "events" {
		enc := newEventEncoder(w, names)
		stats, err = parser.Read(e.ctx, srcs, runtime.GOMAXPROCS(0), enc.write)
		if err == nil {
			err = enc.err
		}
	} else {
		var capt capdir.Capture
		if capt, err = readCaptures(e.stderr, c.Inputs); err != nil {
			return err
		}
		res, stats, err = analyzeSources(e.ctx, names, srcs, capt)
	}
	// An input that fails part way (a truncated .gz, an I/O error) does not
	// cost the others: the analysis of what was read is written, and the
	// command fails afterwards with the error.
	var readErr error
	if err != nil && res != nil && !errors.Is(err, errInterrupted) {
		readErr, err = err, nil
		fmt.Fprintf(e.stderr, "etcdpm: warning: %v; the analysis covers only what was read before it\n", readErr)
	}
	if err != nil {
		return err
	}
	reportMalformed(e.stderr, names, stats)
	reportEmpty(e.stderr, names, stats, c.Layout)

	switch c.Format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(res)
	case "text":
		color := c.Color == "always" || c.Color == "auto" && c.Output == "" && e.isTerminal && os.Getenv("NO_COLOR") == ""
		err = writeText(w, res, textOptions{Color: color, Width: 100})
	case "html":
		err = report.HTML(w, res, c.reportOptions(names))
	case "md":
		err = report.Markdown(w, res, c.reportOptions(names))
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil && mdOut != nil && res != nil {
		mw := bufio.NewWriter(mdOut)
		err = report.Markdown(mw, res, c.reportOptions(names))
		if err == nil {
			err = mw.Flush()
		}
	}
	committed = true
	err = commit(err)
	if mdErr := commitMD(err); err == nil {
		err = mdErr
	}
	if err == nil {
		err = readErr
	}
	return err
}

// formatOf picks the output format from a file name's extension.
func formatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".html", ".htm":
		return "html"
	case ".md", ".markdown":
		return "md"
	case ".json":
		return "json"
	case ".jsonl", ".ndjson":
		return "events"
	}
	return "text"
}

func (c *analyzeCmd) reportOptions(names []string) report.Options {
	title := c.Title
	if title == "" {
		base := make([]string, len(names))
		for i, n := range names {
			base[i] = filepath.Base(n)
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
		dir, ok := capture.DirOf(arg)
		if !ok || seen[dir] {
			continue
		}
		seen[dir] = true
		c, err := capture.Read(dir)
		if err != nil {
			var me *capture.MalformedError
			if !errors.As(err, &me) {
				return all, err
			}
			fmt.Fprintf(stderr, "etcdpm: warning: %v\n", err)
		}
		all.Faults = append(all.Faults, c.Faults...)
		all.Status = append(all.Status, c.Status...)
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
	return analysis.Analyze(ctx, srcs, c.Faults, c.Status, analysis.Options{Inputs: names, Start: c.Start, End: c.End})
}

// output returns where to write: stdout, or a file written whole or not at
// all (a temporary file renamed on success).
func (c *analyzeCmd) output(stdout io.Writer) (io.Writer, func(error) error, error) {
	if c.Output == "" || c.Output == "-" {
		return stdout, func(err error) error { return err }, nil
	}
	return createAtomic(c.Output)
}

// createAtomic opens a temporary file beside path; commit renames it to path
// on success and removes it on failure. An existing file keeps its mode, and
// a symbolic link is written through. A device or a FIFO (/dev/null,
// /dev/stdout) cannot be replaced: it is written to directly.
func createAtomic(path string) (io.Writer, func(error) error, error) {
	target, mode := path, os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return nil, nil, fmt.Errorf("writing %s: is a directory", path)
		}
		if !fi.Mode().IsRegular() {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return nil, nil, fmt.Errorf("writing %s: %w", path, pathError(err))
			}
			return f, func(err error) error {
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return fmt.Errorf("writing %s: %w", path, err)
				}
				return nil
			}, nil
		}
		mode = fi.Mode().Perm()
		if t, err := filepath.EvalSymlinks(path); err == nil {
			target = t
		}
	}
	dir := filepath.Dir(target)
	f, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) { // not the temporary file's name: the directory's fault
			err = fmt.Errorf("%s: %w", dir, pe.Err)
		}
		return nil, nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return f, func(err error) error {
		if err == nil {
			err = f.Close()
		} else {
			f.Close()
		}
		if err == nil {
			err = os.Chmod(f.Name(), mode)
		}
		if err == nil {
			err = os.Rename(f.Name(), target)
		}
		if err != nil {
			os.Remove(f.Name())
			return fmt.Errorf("writing %s: %w", path, err)
		}
		return nil
	}, nil
}

// reportMalformed prints the first malformed lines of each input as
// "file:line: why", and how many more there were.
func reportMalformed(w io.Writer, names []string, stats []parser.Stats) {
	for i, st := range stats {
		for _, se := range st.Errors {
			fmt.Fprintf(w, "etcdpm: warning: %s\n", se.Error())
		}
		if more := st.Malformed - int64(len(st.Errors)); more > 0 && len(st.Errors) > 0 {
			fmt.Fprintf(w, "etcdpm: warning: %s: %s\n", names[i], lines(more, "more malformed line"))
		} else if more > 0 {
			fmt.Fprintf(w, "etcdpm: warning: %s: %s\n", names[i], lines(more, "malformed line"))
		}
	}
}

// reportEmpty warns of inputs with no etcd log line at all, whose analysis
// would otherwise read as a healthy cluster.
func reportEmpty(w io.Writer, names []string, stats []parser.Stats, layout string) {
	for i, st := range stats {
		switch {
		case st.Lines == 0:
			fmt.Fprintf(w, "etcdpm: warning: %s: empty input\n", names[i])
		case st.Events == 0 && st.Skipped+st.Malformed == st.Lines:
			hint := "is it an etcd log?"
			if layout != "auto" {
				hint = "is --layout " + layout + " right?"
			}
			fmt.Fprintf(w, "etcdpm: warning: %s: no etcd log line in %s; %s\n", names[i], lines(st.Lines, "line"), hint)
		}
	}
}

// lines says "1 line" or "2 lines".
func lines(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.FormatInt(n, 10) + " " + what + "s"
}

// eventEncoder writes events as JSON lines without reflection.
type eventEncoder struct {
	w     *bufio.Writer
	names []string
	buf   []byte
	err   error
}

func newEventEncoder(w *bufio.Writer, names []string) *eventEncoder {
	return &eventEncoder{w: w, names: names}
}

func (enc *eventEncoder) write(e *parser.Event) {
	if enc.err != nil {
		return
	}
	b := enc.buf[:0]
	b = append(b, `{"time":`...)
	if e.Time.IsZero() {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = e.Time.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	b = appendStr(b, "kind", e.Kind.String())
	b = appendStr(b, "member", e.Member.String())
	if e.Name != "" {
		b = appendStr(b, "name", e.Name)
	}
	b = appendUint(b, "term", e.Term)
	if e.Peer != 0 {
		b = appendStr(b, "peer", e.Peer.String())
	}
	if e.PeerName != "" {
		b = appendStr(b, "peer_name", e.PeerName)
	}
	if e.Peer2 != 0 {
		b = appendStr(b, "peer2", e.Peer2.String())
	}
	if e.PeerTerm != 0 {
		b = appendUint(b, "peer_term", e.PeerTerm)
	}
	if e.Msg != parser.MsgNone {
		b = appendStr(b, "msg", e.Msg.String())
	}
	if e.LogTerm != 0 || e.Index != 0 {
		b = appendUint(b, "log_term", e.LogTerm)
		b = appendUint(b, "index", e.Index)
	}
	if e.Kind == parser.VoteTally {
		b = appendUint(b, "granted", uint64(e.Granted))
		b = appendUint(b, "rejected", uint64(e.Rejected))
	}
	if e.Duration != 0 {
		b = appendStr(b, "duration", e.Duration.String())
	}
	if e.Failed {
		b = append(b, `,"failed":true`...)
	}
	if e.PreVote != 0 {
		b = append(b, `,"pre_vote":`...)
		b = strconv.AppendBool(b, e.PreVote > 0)
	}
	if e.Version != "" {
		b = appendStr(b, "version", e.Version)
	}
	b = appendStr(b, "level", e.Level.String())
	b = appendStr(b, "input", enc.names[e.Input])
	b = appendUint(b, "line", uint64(e.Line))
	b = append(b, `,"text":`...)
	b = appendJSONString(b, e.Text)
	b = append(b, "}\n"...)
	enc.buf = b
	_, enc.err = enc.w.Write(b)
}

func appendStr(b []byte, key, val string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendJSONString(b, []byte(val))
}

func appendUint(b []byte, key string, v uint64) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendUint(b, v, 10)
}

// appendJSONString quotes s as a JSON string, escaping HTML-significant
// characters as encoding/json does (log text is untrusted).
func appendJSONString(b []byte, s []byte) []byte {
	if bytes.IndexFunc(s, func(r rune) bool {
		return r < 0x20 || r == '"' || r == '\\' || r == '<' || r == '>' || r == '&' || r == 0x2028 || r == 0x2029 || r == 0xfffd
	}) < 0 {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, _ := json.Marshal(string(s))
	return append(b, q...)
}
