package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/etcdpm/etcdpm/capdir"
)

// input is one log stream named on the command line.
type input struct {
	name string
	r    io.Reader
	c    io.Closer
	fi   os.FileInfo // nil for stdin
}

// openInputs opens files, the files of directories, and "-" for stdin.
// Gzipped inputs are recognised by their magic bytes. A file named twice
// (directly, through its directory or a link) is read once, with a warning;
// reads end with errInterrupted once ctx is done.
func openInputs(ctx context.Context, args []string, stdin io.Reader, warn func(string)) ([]input, error) {
	var ins []input
	closeAll := func() {
		for _, in := range ins {
			if in.c != nil {
				in.c.Close()
			}
		}
	}
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
		paths, err := expand(arg)
		if err != nil {
			closeAll()
			return nil, pathError(err)
		}
	files:
		for _, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				closeAll()
				return nil, pathError(err)
			}
			fi, err := f.Stat()
			if err != nil {
				f.Close()
				closeAll()
				return nil, pathError(err)
			}
			for _, in := range ins {
				if in.fi != nil && os.SameFile(in.fi, fi) {
					f.Close()
					if in.name == p {
						warn(fmt.Sprintf("%s is given more than once; reading it once", p))
					} else {
						warn(fmt.Sprintf("%s is the same file as %s; reading it once", p, in.name))
					}
					continue files
				}
			}
			r, err := maybeGunzip(newCtxReader(ctx, f, fi.Mode().IsRegular()), p)
			if err != nil {
				f.Close()
				closeAll()
				return nil, err
			}
			ins = append(ins, input{name: p, r: r, c: f, fi: fi})
		}
	}
	return ins, nil
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

// expand turns a directory into its log files (*.log, *.txt, and their .gz),
// sorted, or a capture directory into its logs; a file is itself.
func expand(arg string) ([]string, error) {
	fi, err := os.Stat(arg)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{arg}, nil
	}
	if capdir.IsDir(arg) {
		return capdir.LogFiles(arg) // logs.txt, or each member's log
	}
	entries, err := os.ReadDir(arg)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		n := strings.TrimSuffix(e.Name(), ".gz")
		if strings.HasSuffix(n, ".log") || strings.HasSuffix(n, ".txt") {
			if n == "actions.log" {
				continue // a lab's fault timeline, not an etcd log
			}
			paths = append(paths, filepath.Join(arg, e.Name()))
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no log files (*.log, *.txt, *.gz) in this directory", arg)
	}
	sort.Strings(paths)
	return paths, nil
}

// errTruncatedGzip stands for a gzip stream cut short. It must not be
// io.ErrUnexpectedEOF, which the parser takes for the end of the input.
var errTruncatedGzip = errors.New("gzip: unexpected end of file (truncated?)")

func maybeGunzip(r io.Reader, name string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = errTruncatedGzip
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return gzipReader{zr}, nil
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
