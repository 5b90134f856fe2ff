package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/report"
)

// input is one log stream named on the command line.
type input struct {
	name string
	r    io.Reader
	c    io.Closer
	fi   os.FileInfo // nil for stdin
	// capture is the capture directory whose logs.txt this is, if any.
	capture string
	// source names the member's stream when the lines' envelope names
	// none: the pod (see podOf).
	source string
	// info is the etcd_info of the must-gather this input is the first log
	// of, if any.
	info *etcdInfo
}

// reference is the time year-less stamps are read against when the input
// has no dated stamp of its own: its capture's end (meta.json), else the
// file's mtime; zero for stdin and FIFOs.
func (in *input) reference() (time.Time, string) {
	if in.capture != "" {
		if m, err := capdir.ReadMeta(in.capture); err == nil {
			if m.End != nil && !m.End.IsZero() {
				return *m.End, "capture meta"
			}
			if !m.Start.IsZero() {
				return m.Start, "capture meta"
			}
		}
	}
	if in.fi != nil && in.fi.Mode().IsRegular() {
		return in.fi.ModTime(), "file mtime"
	}
	return time.Time{}, ""
}

// openInputs opens files, the log files of directories (see expand), and "-"
// for stdin. Gzipped inputs are recognised by their magic bytes. A file named
// twice (directly, through its directory or a link) is read once, with a
// warning. A file named on the command line that cannot be opened is an
// error; one found in a directory is skipped with a warning, and counted. A
// FIFO named on the command line is waited for, but no longer than ctx; reads
// end with errInterrupted once ctx is done.
func openInputs(ctx context.Context, args []string, stdin io.Reader, warn func(string)) ([]input, error) {
	var ins []input
	closeAll := func() {
		for _, in := range ins {
			if in.c != nil {
				in.c.Close()
			}
		}
	}
	// The names of files found in directories are untrusted, like log text.
	rawWarn := warn
	warn = func(msg string) { rawWarn(report.TerminalText(msg)) }
	skip := &skipped{warn: warn}
	sawStdin := false
	for _, arg := range args {
		if arg == "-" {
			if sawStdin {
				warn("- (stdin) is given more than once; reading it once")
				continue
			}
			sawStdin = true
			r, err := maybeGunzip(newCtxReader(ctx, stdin, false), "stdin")
			if err != nil {
				closeAll()
				return nil, err
			}
			ins = append(ins, input{name: "stdin", r: r})
			continue
		}
		read, bad, first := 0, skip.n, len(ins)
		files, err := expand(arg, skip)
		if err != nil {
			closeAll()
			return nil, pathError(err)
		}
		var infos []*etcdInfo
	files:
		for _, f := range files {
			if f.info {
				infos = readEtcdInfo(infos, f, skip)
				continue
			}
			in, err := openFile(ctx, f)
			if err != nil && f.inDir && !errors.Is(err, errInterrupted) {
				skip.add(err)
				continue
			}
			if err != nil {
				closeAll()
				return nil, err
			}
			if in == nil {
				continue // found in a directory, and not a log
			}
			read++
			for _, prev := range ins {
				if prev.fi != nil && os.SameFile(prev.fi, in.fi) {
					in.c.Close()
					if prev.name == f.path {
						warn(fmt.Sprintf("%s is given more than once; reading it once", f.path))
					} else {
						warn(fmt.Sprintf("%s is the same file as %s; reading it once", f.path, prev.name))
					}
					continue files
				}
			}
			ins = append(ins, *in)
		}
		if read == 0 {
			closeAll()
			if bad := skip.n - bad; bad > 0 {
				return nil, fmt.Errorf("%s: none of its %s could be read", arg, lines(int64(bad), "log file"))
			}
			return nil, fmt.Errorf("%s: %w", arg, errNoLogs)
		}
		for _, info := range infos {
			if len(ins) > first && ins[first].info == nil {
				ins[first].info = info
			}
		}
	}
	skip.summary()
	return ins, nil
}

// openFile opens one file to read. A file found in a directory is opened
// without waiting (a FIFO there is refused, not waited for), must be a
// regular file whose first read succeeds, and is dropped (nil, nil) when its
// first line shows etcdpm's own output or a data file rather than a log.
func openFile(ctx context.Context, f found) (*input, error) {
	if f.entry != nil {
		return openEntry(ctx, f)
	}
	var file *os.File
	var err error
	if f.inDir {
		// O_NONBLOCK: the open of a FIFO would otherwise wait for a writer.
		file, err = os.OpenFile(f.path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	} else {
		file, err = openArg(ctx, f.path)
	}
	if err != nil {
		return nil, pathError(err)
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, pathError(err)
	}
	if f.inDir && !fi.Mode().IsRegular() {
		file.Close()
		return nil, fmt.Errorf("%s: %s, not a regular file", f.path, fileKind(fi.Mode()))
	}
	in, err := openReader(ctx, f, f.path, file, fi.Mode().IsRegular())
	if in == nil || err != nil {
		file.Close()
		return nil, err
	}
	in.c, in.fi = file, fi
	return in, nil
}

// openEntry opens an archive's entry, held in memory.
func openEntry(ctx context.Context, f found) (*input, error) {
	in, err := openReader(ctx, f, f.entry.name, bytes.NewReader(f.entry.data), true)
	if in != nil {
		in.c = io.NopCloser(nil)
	}
	return in, err
}

// openReader reads the file f from r, through gzip when gzipped; p is its
// path, on disk or in a bundle. A regular file's first bytes tell a pod's
// log (see podOf), and whether a file found in a directory is a log at all:
// (nil, nil) when it is not.
func openReader(ctx context.Context, f found, p string, r io.Reader, regular bool) (*input, error) {
	br, err := maybeGunzip(newCtxReader(ctx, r, regular), f.path)
	if err != nil {
		return nil, err
	}
	var head []byte
	if f.inDir || regular {
		var perr error
		head, perr = br.Peek(512)
		var pe *fs.PathError
		if errors.As(perr, &pe) {
			perr = pe.Err
		}
		switch {
		case len(head) == 0 && perr != nil && perr != io.EOF && (f.inDir || errors.Is(perr, errInterrupted)):
			return nil, fmt.Errorf("%s: reading: %w", f.path, perr)
		case f.inDir && !isLog(p, head):
			return nil, nil
		}
	}
	return &input{name: f.path, r: br, capture: f.capture, source: podOf(filepath.ToSlash(p), head)}, nil
}

// openArg opens a file named on the command line. The open of a FIFO waits
// for a writer: it is given up when ctx ends, the FIFO opened for writing
// and closed again so that the waiting open returns and its file is closed.
func openArg(ctx context.Context, path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 || ctx.Done() == nil {
		return os.Open(path)
	}
	type opened struct {
		f   *os.File
		err error
	}
	res := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		res <- opened{f, err}
	}()
	select {
	case o := <-res:
		return o.f, o.err
	case <-ctx.Done():
	}
	if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		w.Close()
	}
	select {
	case o := <-res:
		if o.f != nil {
			o.f.Close()
		}
	case <-time.After(time.Second): // left to the end of the process
	}
	return nil, errInterrupted
}

// fileKind names what a file that is not a regular file is.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	}
	return "a special file"
}

// skipped counts what was found in directories and not read (a file that
// cannot be, a link out of the tree), and warns of the first few.
type skipped struct {
	warn func(string)
	n    int
}

// maxSkipWarnings is how many skipped files are named, one warning each.
const maxSkipWarnings = 5

func (s *skipped) add(err error) {
	s.n++
	if s.n <= maxSkipWarnings {
		s.warn(fmt.Sprintf("%v; skipped", err))
	}
}

// summary says how many files were skipped, once all are known.
func (s *skipped) summary() {
	switch {
	case s.n > maxSkipWarnings:
		s.warn(fmt.Sprintf("%s skipped in all (%d more than named above); the analysis covers the rest", lines(int64(s.n), "file"), s.n-maxSkipWarnings))
	case s.n > 0:
		s.warn(fmt.Sprintf("%s skipped; the analysis covers the rest", lines(int64(s.n), "file")))
	}
}

// pathError drops the system call from a *fs.PathError: "x.log: no such
// file or directory" rather than "stat x.log: no such file or directory".
func pathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// errTruncatedGzip stands for a gzip stream cut short. It must not be
// io.ErrUnexpectedEOF, which the parser takes for the end of the input.
var errTruncatedGzip = errors.New("gzip: unexpected end of file (truncated?)")

// maybeGunzip reads r through gzip when it starts with gzip's magic bytes.
func maybeGunzip(r io.Reader, name string) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	magic, err := br.Peek(2)
	if errors.Is(err, errInterrupted) { // Peek keeps no error for the next read
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = errTruncatedGzip
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return bufio.NewReaderSize(gzipReader{zr}, 64<<10), nil
	}
	return br, nil
}

// gzipReader reports a truncated stream as errTruncatedGzip.
type gzipReader struct{ zr *gzip.Reader }

func (g gzipReader) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = errTruncatedGzip
	}
	return n, err
}

// errInterrupted ends the reads of an analysis cut short by Ctrl-C or SIGTERM.
var errInterrupted = errors.New("interrupted")

// ctxReader fails with errInterrupted once ctx is done. A reader that can
// block indefinitely (stdin, a FIFO) is read on a goroutine, abandoned on
// interruption, so that Ctrl-C works even while it waits for input.
type ctxReader struct {
	ctx     context.Context
	r       io.Reader
	regular bool
	buf     []byte
	res     chan ctxRead
}

type ctxRead struct {
	n   int
	err error
}

func newCtxReader(ctx context.Context, r io.Reader, regular bool) io.Reader {
	if ctx == nil || ctx.Done() == nil {
		return r
	}
	return &ctxReader{ctx: ctx, r: r, regular: regular, res: make(chan ctxRead, 1)}
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, errInterrupted
	}
	if c.regular {
		return c.r.Read(p)
	}
	if cap(c.buf) < len(p) {
		c.buf = make([]byte, len(p))
	}
	buf := c.buf[:len(p)]
	go func() {
		n, err := c.r.Read(buf)
		c.res <- ctxRead{n, err}
	}()
	select {
	case <-c.ctx.Done():
		c.buf = nil // the abandoned read may still write into buf
		return 0, errInterrupted
	case r := <-c.res:
		return copy(p, buf[:r.n]), r.err
	}
}
