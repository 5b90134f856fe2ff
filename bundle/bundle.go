// Package bundle packs a capture directory and its report into one tar.gz
// to attach to an issue, with its IP addresses and host names replaced
// when asked (Redactor).
package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/parser"
	"github.com/etcdpm/etcdpm/report"
)

// The files of a capture directory a bundle takes beside its logs, when
// present, in this order.
var extraFiles = []string{
	capdir.StatusFile,
	capdir.EventsFile,
	"metrics.jsonl", // the members' scraped metrics, in captures that have them
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

// analyze analyzes the capture directory dir as `etcdpm analyze dir` does,
// its inputs named as in the bundle (name/logs.txt).
func analyze(ctx context.Context, dir, name string) (*analysis.Result, []string, error) {
	c, err := capdir.Read(dir)
	var warns []string
	if me := (*capdir.MalformedError)(nil); errors.As(err, &me) {
		warns = append(warns, me.Error())
	} else if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(c.Logs))
	srcs := make([]parser.Source, len(c.Logs))
	for i, l := range c.Logs {
		f, err := os.Open(l)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		rel, _ := filepath.Rel(dir, l)
		names[i] = path.Join(name, filepath.ToSlash(rel))
		srcs[i] = parser.Source{R: f, Opts: parser.Options{Name: names[i], Input: i, TZ: time.UTC}}
	}
	res, _, err := analysis.Analyze(ctx, srcs, c.Faults, c.Status, analysis.Options{Inputs: names, Start: c.Start, End: c.End})
	if err != nil {
		return nil, nil, fmt.Errorf("analyzing %s: %w", dir, err)
	}
	return res, warns, nil
}

// pathError drops the path from an *fs.PathError, which the message
// already names.
func pathError(err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// sameAnalysis says how b's analysis differs from a's in what redaction
// must not change: the verdict, the findings (kind, severity, members,
// span, count, terms, evidence lines), the members and the leaders. Names
// and texts may differ (they are redacted).
func sameAnalysis(a, b *analysis.Result) error {
	if a.Diagnosis.Verdict != b.Diagnosis.Verdict {
		return fmt.Errorf("verdict %s, not %s", b.Diagnosis.Verdict, a.Diagnosis.Verdict)
	}
	if len(a.Findings) != len(b.Findings) {
		return fmt.Errorf("%d findings, not %d", len(b.Findings), len(a.Findings))
	}
	for i, f := range a.Findings {
		g := b.Findings[i]
		if f.Kind != g.Kind || f.Severity != g.Severity || fmt.Sprint(f.Members) != fmt.Sprint(g.Members) ||
			!f.Start.Equal(g.Start) || !f.End.Equal(g.End) || f.Count != g.Count ||
			f.TermFrom != g.TermFrom || f.TermTo != g.TermTo || len(f.Evidence) != len(g.Evidence) {
			return fmt.Errorf("finding %d is %s %v, not %s %v", i+1, g.Kind, g.Members, f.Kind, f.Members)
		}
		for j, e := range f.Evidence {
			if e.Line != g.Evidence[j].Line {
				return fmt.Errorf("finding %d (%s) quotes line %d, not %d", i+1, f.Kind, g.Evidence[j].Line, e.Line)
			}
		}
	}
	if len(a.Members) != len(b.Members) || len(a.Leaders) != len(b.Leaders) || len(a.Leaderless) != len(b.Leaderless) {
		return fmt.Errorf("%d members, %d leaderships, %d leaderless windows, not %d, %d, %d",
			len(b.Members), len(b.Leaders), len(b.Leaderless), len(a.Members), len(a.Leaders), len(a.Leaderless))
	}
	for i, m := range a.Members {
		n := b.Members[i]
		if m.ID != n.ID || m.MaxTerm != n.MaxTerm || m.Campaigns != n.Campaigns || m.TimesLeader != n.TimesLeader {
			return fmt.Errorf("member %v differs", m.ID)
		}
	}
	for i, l := range a.Leaders {
		if l != b.Leaders[i] {
			return fmt.Errorf("leadership %d differs", i+1)
		}
	}
	return nil
}

// tarball writes the entries of one directory into a tar.gz.
type tarball struct {
	gz   *gzip.Writer
	tw   *tar.Writer
	dir  string
	time time.Time
	dirs map[string]bool
}

func newTarball(w io.Writer, dir string, t time.Time) *tarball {
	gz := gzip.NewWriter(w)
	return &tarball{gz: gz, tw: tar.NewWriter(gz), dir: dir, time: t.Truncate(time.Second), dirs: map[string]bool{}}
}

// addFile adds the file at src as name: the bytes it holds when opened (a
// log still growing is taken up to there).
func (t *tarball) addFile(name, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return t.add(name, fi.Size(), f)
}

// add adds name (a path with slashes under the directory), size bytes read
// from r, and the directories above it.
func (t *tarball) add(name string, size int64, r io.Reader) error {
	full := path.Join(t.dir, name)
	if err := t.addDir(path.Dir(full)); err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: full, Size: size, Mode: 0o644, ModTime: t.time}
	if err := t.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("bundling %s: %w", name, err)
	}
	if n, err := io.CopyN(t.tw, r, size); err != nil {
		return fmt.Errorf("bundling %s: %w (%d of %d bytes)", name, err, n, size)
	}
	return nil
}

// addDir adds the directory d and those above it, once each.
func (t *tarball) addDir(d string) error {
	if d == "." || d == "/" || t.dirs[d] {
		return nil
	}
	if err := t.addDir(path.Dir(d)); err != nil {
		return err
	}
	t.dirs[d] = true
	return t.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: t.time})
}

func (t *tarball) close() error {
	if err := t.tw.Close(); err != nil {
		return err
	}
	return t.gz.Close()
}

// Extract unpacks a bundle (a tar.gz as Write makes) into dir and returns
// the names of its files, with slashes. Only regular files and directories
// are taken, and no entry may reach outside dir (an absolute name, or ..);
// a file that exists already is refused.
func Extract(r io.Reader, dir string) ([]string, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("reading the bundle: %w", err)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return names, fmt.Errorf("reading the bundle: %w", err)
		}
		if !filepath.IsLocal(filepath.FromSlash(h.Name)) {
			return names, fmt.Errorf("reading the bundle: entry %q is outside its directory", h.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			err = extractFile(p, tr)
			names = append(names, h.Name)
		default:
			err = fmt.Errorf("reading the bundle: entry %q is neither a file nor a directory", h.Name)
		}
		if err != nil {
			return names, err
		}
	}
}

func extractFile(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
