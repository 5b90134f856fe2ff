package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/report"
)

// found is a file to read: named on the command line, or found in a
// directory.
type found struct {
	path string
	// inDir: found in a directory, so that a file that cannot be read is
	// skipped with a warning rather than an error.
	inDir bool
	// capture is the capture directory whose logs.txt this is, if any.
	capture string
	// entry is the bundle's entry this is (path is then bundle:entry), nil
	// for a file.
	entry *archiveEntry
	// info: a must-gather's etcd_info file (see isEtcdInfo), read as its
	// status, not as a log.
	info bool
}

// errNoLogs is a directory with no log file in it or below it.
var errNoLogs = errors.New("no log files (*.log, *.txt, JSON logs, and their .gz) in this directory or below it")

// maxDepth bounds how deep expand goes below a directory.
const maxDepth = 32

// expand turns an argument into the files to read. A file is itself. A
// directory is its log files and those of its subdirectories, depth first in
// name order: *.log, *.txt, and *.json, *.jsonl, *.ndjson that hold log
// records (see isLog), each also gzipped (.gz), except a lab's actions.log.
// A capture directory (meta.json and its logs) is its logs alone: logs.txt, or
// the members' logs that meta.json lists. In an
// OpenShift must-gather tree (namespaces/NS/pods/POD/CONTAINER/...), only
// the etcd containers are read. Links to files are followed; links to
// directories only within the tree, and a directory reached twice (a link
// loop) is read once. A link, FIFO, socket or device named like a log
// that cannot be read is skipped with a warning. A directory may give no file.
// In each directory a container's previous log comes before its current
// one (see orderLogs), and a must-gather's etcd_info files are found too.
// A bundle (see isArchive) is read in memory and walked by the same rules.
func expand(arg string, skip *skipped) ([]found, error) {
	fi, err := os.Stat(arg)
	if err != nil {
		return nil, err
	}
	if fi.Mode().IsRegular() && isArchive(arg) {
		b, err := readArchive(arg, skip)
		if err != nil {
			return nil, err
		}
		return b.walk(), nil
	}
	if !fi.IsDir() {
		f := found{path: arg}
		if dir, ok := capdir.DirOf(arg); ok {
			f.capture = dir
		}
		return []found{f}, nil
	}
	w := walker{skip: skip, seen: map[string]bool{}, root: realPath(arg)}
	if err := w.dir(arg, 0); err != nil {
		return nil, err
	}
	return w.files, nil
}

// walker collects the log files of a directory tree.
type walker struct {
	skip  *skipped
	seen  map[string]bool // directories read, by their real path
	root  string          // the real path of the directory named
	files []found
}

// realPath is path absolute and with no link in it, or path itself when it
// cannot be resolved.
func realPath(path string) string {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return path
	}
	if abs, err := filepath.Abs(real); err == nil {
		return abs
	}
	return real
}

func (w *walker) dir(dir string, depth int) error {
	key := realPath(dir)
	if w.seen[key] {
		return nil
	}
	w.seen[key] = true
	if rel, err := filepath.Rel(w.root, key); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		// a link out of the tree: a directory from someone else must not
		// make etcdpm read this machine's /var/log
		w.skip.add(fmt.Errorf("%s: a link to a directory outside %s (%s), not followed", dir, w.root, key))
		return nil
	}
	if capdir.IsDir(dir) {
		logs, err := capdir.LogFiles(dir) // logs.txt, or each member's log
		if err != nil {
			return err
		}
		for _, p := range logs {
			w.files = append(w.files, found{path: p, inDir: true, capture: dir})
		}
		return nil
	}
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		if depth == 0 {
			return err
		}
		w.skip.add(pathError(err))
		return nil
	}
	orderLogs(entries, fs.DirEntry.Name)
	pod := isMustGatherPod(filepath.ToSlash(dir))
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			fi, err := os.Stat(p)
			if err != nil {
				if isLogName(e.Name()) {
					w.skip.add(linkError(p, err))
				}
				continue
			}
			mode = fi.Mode().Type()
		}
		switch {
		case mode.IsDir():
			if pod && e.Name() != "etcd" {
				continue // another container of an etcd pod: etcdctl, etcd-metrics, ...
			}
			if depth+1 > maxDepth {
				w.skip.add(fmt.Errorf("%s: more than %d directories deep", p, maxDepth))
				continue
			}
			if err := w.dir(p, depth+1); err != nil {
				return err
			}
		case !isLogName(e.Name()):
		case !mode.IsRegular():
			w.skip.add(fmt.Errorf("%s: %s, not a regular file", p, fileKind(mode)))
		default:
			w.files = append(w.files, found{path: p, inDir: true, info: isEtcdInfo(filepath.ToSlash(p))})
		}
	}
	return nil
}

// isMustGatherPod reports whether dir (a slash path) is a pod's directory
// in a must-gather: namespaces/NS/pods/POD, whose subdirectories are its
// containers.
func isMustGatherPod(dir string) bool {
	pods := path.Dir(dir)
	return path.Base(pods) == "pods" && path.Base(path.Dir(path.Dir(pods))) == "namespaces"
}

// linkError says why the link at p cannot be followed.
func linkError(p string, err error) error {
	if target, lerr := os.Readlink(p); lerr == nil && errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: a dangling link (to %s)", p, target)
	}
	return pathError(err)
}

// isLogName reports whether a file found in a directory may be a log, by
// its name.
func isLogName(name string) bool {
	n := strings.TrimSuffix(name, ".gz")
	if n == "actions.log" { // a lab's fault timeline, not an etcd log
		return false
	}
	switch filepath.Ext(n) {
	case ".log", ".txt", ".json", ".jsonl", ".ndjson":
		return true
	}
	return false
}

// isLog reports whether a file found in a directory, whose first bytes are
// head, is a log rather than etcdpm's own output (a text, HTML, JSON or
// events report) or a JSON document (meta.json, run.json). A JSON log is one
// record a line, with a "msg" (zap) or a "MESSAGE" (journald).
func isLog(path string, head []byte) bool {
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimSpace(line)
	lower := bytes.ToLower(line)
	switch {
	case bytes.HasPrefix(line, []byte("Verdict: ")), // etcdpm's text output
		bytes.HasPrefix(lower, []byte("<!doctype html")), bytes.HasPrefix(lower, []byte("<html")),
		bytes.HasPrefix(line, []byte(`{"time":`)) && bytes.Contains(line, []byte(`,"kind":"`)): // etcdpm's events
		return false
	case bytes.HasPrefix(line, []byte("{")):
		return bytes.Contains(line, []byte(`"msg":`)) || bytes.Contains(line, []byte(`"MESSAGE":`))
	}
	switch filepath.Ext(strings.TrimSuffix(path, ".gz")) {
	case ".json", ".jsonl", ".ndjson":
		return len(line) == 0 // an empty file is said to be empty
	}
	return true
}

// captureDirs returns the capture directories of the inputs, in their order.
func captureDirs(ins []input) []string {
	var dirs []string
	for _, in := range ins {
		if in.capture != "" {
			dirs = append(dirs, in.capture)
		}
	}
	return dirs
}

// AfterApply refuses two capture directories among the inputs (given, or
// found in a directory) unless --merge-captures asks to analyze them as one:
// each is an incident of its own, and their timelines merged into one would
// mislead. Nothing is opened: a FIFO is not waited for.
func (c *analyzeCmd) AfterApply() error {
	if c.MergeCaptures {
		return nil
	}
	var dirs []string
	seen := map[string]bool{}
	for _, arg := range c.Inputs {
		if arg == "-" || isArchive(arg) { // a bundle is not read twice
			continue
		}
		files, err := expand(arg, &skipped{warn: func(string) {}})
		if err != nil {
			continue // said when the inputs are opened
		}
		for _, f := range files {
			key := filepath.Clean(f.capture)
			if real, err := filepath.EvalSymlinks(key); err == nil {
				key = real
			}
			if f.capture != "" && !seen[key] {
				seen[key] = true
				dirs = append(dirs, f.capture)
			}
		}
	}
	if len(dirs) < 2 {
		return nil
	}
	more := ""
	if len(dirs) > 2 {
		more = fmt.Sprintf(" (and %d more)", len(dirs)-2)
	}
	msg := fmt.Sprintf("%s and %s%s are capture directories, each the record of an incident of its own: analyzed together, their timelines would merge into one; analyze each alone, or add --merge-captures to analyze them as one incident", dirs[0], dirs[1], more)
	return errors.New(report.TerminalText(msg)) // names found in a directory are untrusted
}
