package main

import (
	"bufio"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// sink receives the generated lines (without their newline) of member, at time t (µs).
type sink interface {
	line(member int, t int64, b []byte)
	size() int64 // bytes written so far
	close() error
}

// bareSink writes the lines as they come: every member's lines merged by time, as a log
// collector's export holds them.
type bareSink struct {
	w   *bufio.Writer
	n   int64
	err error
}

func newBareSink(w io.Writer) *bareSink { return &bareSink{w: bufio.NewWriterSize(w, 1<<20)} }

func (s *bareSink) line(_ int, _ int64, b []byte) {
	if s.err != nil {
		return
	}
	if _, err := s.w.Write(b); err != nil {
		s.err = err
	}
	s.w.WriteByte('\n')
	s.n += int64(len(b)) + 1
}

func (s *bareSink) size() int64 { return s.n }

func (s *bareSink) close() error { return errors.Join(s.err, s.w.Flush()) }

// composeSink writes what `docker compose logs --timestamps` prints: each container's lines
// behind "etcd3-1  | <daemon time> ", the daemon's time a few hundred µs after etcd's, grouped
// per container as compose prints a stopped project's logs (the real captures in
// testdata/compose are). Each container's lines go to a temporary file, joined at the end.
type composeSink struct {
	out      io.Writer
	files    []*os.File
	ws       []*bufio.Writer
	prefixes []string
	clk      clockCache
	rnd      *rand.Rand
	n        int64
	buf      []byte
	err      error
}

func newComposeSink(out io.Writer, tmpDir string, names []string, rnd *rand.Rand) (*composeSink, error) {
	s := &composeSink{out: out, rnd: rnd}
	width := 0
	for _, n := range names {
		width = max(width, len(n)+2) // "etcd3-1": the service and compose v2's "-1"
	}
	for _, n := range names {
		f, err := os.CreateTemp(tmpDir, ".genlogs-"+n+"-*")
		if err != nil {
			s.close()
			return nil, err
		}
		s.files = append(s.files, f)
		s.ws = append(s.ws, bufio.NewWriterSize(f, 1<<20))
		c := n + "-1"
		s.prefixes = append(s.prefixes, c+strings.Repeat(" ", width-len(c)+2)+"| ")
	}
	return s, nil
}

func (s *composeSink) line(member int, t int64, b []byte) {
	buf := append(s.buf[:0], s.prefixes[member]...)
	buf = s.clk.appendDocker(buf, t*1000+100_000+s.rnd.Int64N(800_000))
	buf = append(buf, ' ')
	buf = append(buf, b...)
	buf = append(buf, '\n')
	s.buf = buf
	if _, err := s.ws[member].Write(buf); err != nil && s.err == nil {
		s.err = err
	}
	s.n += int64(len(buf))
}

func (s *composeSink) size() int64 { return s.n }

func (s *composeSink) close() error {
	err := s.err
	w := bufio.NewWriterSize(s.out, 1<<20)
	for i, f := range s.files {
		if err == nil {
			err = s.ws[i].Flush()
		}
		if err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err == nil {
			_, err = io.Copy(w, f)
		}
		f.Close()
		os.Remove(f.Name())
	}
	if err == nil {
		err = w.Flush()
	}
	return err
}

func tmpDirFor(out string) string {
	if out == "" || out == "-" {
		return os.TempDir()
	}
	return filepath.Dir(out)
}
