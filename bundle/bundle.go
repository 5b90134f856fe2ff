// Package bundle packs a capture directory and its report into one tar.gz
// to attach to an issue, with its IP addresses and host names replaced
// when asked (Redactor).
package bundle

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/report"
)

// The files of a capture directory a bundle takes beside its logs, when
// present, in this order.
var extraFiles = []string{
	capdir.StatusFile,
	capdir.EventsFile,
	capdir.MetricsFile,
	capdir.ActionsFile,
	"repro.json", // etcdpm repro's run: the scenario, its verdict, the data check
}

// The reports a bundle holds, made fresh from its files.
const (
	ReportHTML = "report.html"
	ReportMD   = "report.md"
)

// Options say how to bundle.
type Options struct {
	// Redact replaces IP addresses and host names in every file.
	Redact bool
	// Title is the reports' title (default: the directory's name).
	Title string
	// Version is etcdpm's version, in the reports' footer.
	Version string
	// Generated is when the reports were made and the time of the entries;
	// zero is now.
	Generated time.Time
}

// Result says what a bundle holds.
type Result struct {
	// Name is the directory every entry is under, the capture directory's
	// name (redacted).
	Name string
	// Files are the entries under Name, in the bundle's order.
	Files []string
	// Analysis is the analysis the reports show.
	Analysis *analysis.Result
	// IPs and Hosts count the distinct addresses and host names replaced.
	IPs, Hosts int
	// Warnings are the capture's unreadable lines, as capdir reports them.
	Warnings []string
}

// Files returns the files of the capture directory dir a bundle takes,
// relative to dir with slashes: meta.json, the logs, then the status,
// events, metrics, actions and repro.json that are there.
func Files(dir string) ([]string, error) {
	if err := CheckDir(dir); err != nil {
		return nil, err
	}
	logs, err := capdir.LogFiles(dir)
	if err != nil {
		return nil, err
	}
	files := []string{capdir.MetaFile}
	for _, l := range logs {
		rel, err := filepath.Rel(dir, l)
		if err != nil {
			return nil, err
		}
		files = append(files, filepath.ToSlash(rel))
	}
	for _, f := range extraFiles {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil && fi.Mode().IsRegular() {
			files = append(files, f)
		}
	}
	return files, nil
}

// CheckDir returns an error that says why dir is not a capture directory,
// nil if it is one.
func CheckDir(dir string) error {
	if capdir.IsDir(dir) {
		return nil
	}
	const what = "etcdpm capture and etcdpm repro make them"
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", dir, pathError(err))
	case !fi.IsDir():
		return fmt.Errorf("%s is not a capture directory but a file (%s)", dir, what)
	}
	meta, err := capdir.ReadMeta(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is not a capture directory: it has no %s (%s)", dir, capdir.MetaFile, what)
	}
	if err != nil {
		return fmt.Errorf("%s is not a capture directory: %w", dir, err)
	}
	logs, _ := capdir.LogFiles(dir)
	for _, l := range logs {
		if fi, err := os.Stat(l); err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a whole capture directory: its log %s is missing", dir, l)
		}
	}
	return fmt.Errorf("%s is not a capture directory (schema %q)", dir, meta.Schema)
}

// Write writes the bundle of the capture directory dir to w, a tar.gz of
// one directory named as dir holding its files (Files) and the reports
// (report.html, report.md) made from them. With opts.Redact every file is
// redacted first, its name too, and the reports are made from the
// redacted files; the redacted files must analyze as the original ones do
// (same verdict, findings, leaders), or Write fails and writes nothing
// more. What goes to w is not valid until Write returns nil.
func Write(ctx context.Context, w io.Writer, dir string, opts Options) (*Result, error) {
	files, err := Files(dir)
	if err != nil {
		return nil, err
	}
	if opts.Generated.IsZero() {
		opts.Generated = time.Now().UTC()
	}
	name := filepath.Base(filepath.Clean(dir))
	if abs, err := filepath.Abs(dir); err == nil && (name == "." || name == ".." || name == string(filepath.Separator)) {
		name = filepath.Base(abs)
	}
	stage, entries := dir, files
	res := &Result{Name: name}
	if opts.Redact {
		tmp, err := os.MkdirTemp("", "etcdpm-bundle-")
		if err != nil {
			return nil, fmt.Errorf("bundling %s: %w", dir, err)
		}
		defer os.RemoveAll(tmp)
		r, err := learn(dir, files)
		if err != nil {
			return nil, err
		}
		res.Name = r.String(name)
		if entries, err = redactFiles(ctx, r, dir, tmp, files); err != nil {
			return nil, err
		}
		stage = tmp
		res.IPs, res.Hosts = r.Counts()
		opts.Title = r.String(opts.Title)
	}

	an, warns, err := analyze(ctx, stage, res.Name)
	if err != nil {
		return nil, err
	}
	res.Analysis, res.Warnings = an, warns
	if opts.Redact {
		orig, _, err := analyze(ctx, dir, name)
		if err != nil {
			return nil, err
		}
		if err := sameAnalysis(orig, an); err != nil {
			return nil, fmt.Errorf("bundling %s: the redacted logs do not analyze as the original ones (%v); no bundle written (please report it)", dir, err)
		}
	}
	ropts := report.Options{Title: opts.Title, Version: opts.Version, Generated: opts.Generated}
	if ropts.Title == "" {
		ropts.Title = res.Name
	}
	var html, md bytes.Buffer
	if err := report.Write(&html, "html", an, ropts); err != nil {
		return nil, fmt.Errorf("writing %s: %w", ReportHTML, err)
	}
	if err := report.Write(&md, "md", an, ropts); err != nil {
		return nil, fmt.Errorf("writing %s: %w", ReportMD, err)
	}

	tw := newTarball(w, res.Name, opts.Generated)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := tw.addFile(e, filepath.Join(stage, filepath.FromSlash(e))); err != nil {
			return nil, err
		}
	}
	for _, rep := range []struct {
		name string
		b    []byte
	}{{ReportHTML, html.Bytes()}, {ReportMD, md.Bytes()}} {
		if err := tw.add(rep.name, int64(len(rep.b)), bytes.NewReader(rep.b)); err != nil {
			return nil, err
		}
	}
	if err := tw.close(); err != nil {
		return nil, err
	}
	res.Files = append(entries, ReportHTML, ReportMD)
	return res, nil
}

// learn reads every file for the host names the capture names (the
// services, containers and endpoints of meta.json, the containers of
// events.jsonl, the hosts of URLs and journald lines everywhere) and
// returns a Redactor that knows them.
func learn(dir string, files []string) (*Redactor, error) {
	r := NewRedactor()
	meta, err := capdir.ReadMeta(dir)
	if err != nil {
		return nil, err
	}
	for _, s := range meta.Services {
		r.AddHost(s.Name)
	}
	for _, s := range meta.Services {
		for _, c := range s.Containers {
			r.AddHost(c.Name)
		}
	}
	for _, m := range meta.Members {
		r.AddHost(m.Container)
	}
	for _, f := range files {
		err := eachLine(filepath.Join(dir, filepath.FromSlash(f)), func(line []byte) error {
			r.learnLine(line)
			if f == capdir.EventsFile {
				if c := jsonString(line, "container"); c != "" {
					r.AddHost(c)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

// redactFiles writes each file of dir, redacted, into tmp under its
// redacted name, and returns those names.
func redactFiles(ctx context.Context, r *Redactor, dir, tmp string, files []string) ([]string, error) {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = r.String(f)
		dst := filepath.Join(tmp, filepath.FromSlash(names[i]))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return nil, err
		}
		out, err := os.Create(dst)
		if err != nil {
			return nil, fmt.Errorf("redacting %s: %w", f, err)
		}
		bw := bufio.NewWriterSize(out, 256<<10)
		var buf []byte
		n := 0
		err = eachLine(filepath.Join(dir, filepath.FromSlash(f)), func(line []byte) error {
			if n++; n%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			buf = r.Append(buf[:0], line)
			_, err := bw.Write(buf)
			return err
		})
		if err == nil {
			err = bw.Flush()
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("redacting %s: %w", f, err)
		}
	}
	return names, nil
}

// eachLine calls fn with each line of the file at path, its newline
// included; the line is valid until fn returns.
func eachLine(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 256<<10)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) > 0 {
			if ferr := fn(line); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// jsonString returns the string value of "key" in a JSON line, "" when
// there is none (or it has escapes).
func jsonString(line []byte, key string) string {
	k := []byte(`"` + key + `":"`)
	i := bytes.Index(line, k)
	if i < 0 {
		return ""
	}
	v := line[i+len(k):]
	j := bytes.IndexAny(v, `"\`)
	if j < 0 || v[j] != '"' {
		return ""
	}
	return string(v[:j])
}

// pathError drops the path from an *fs.PathError, which the message
// already names.
func pathError(err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
