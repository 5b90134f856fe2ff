package capdir

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"
)

// File is what a LineFile writes to; *os.File implements it, tests fake a
// full disk.
type File interface {
	Write(p []byte) (int, error)
	Truncate(size int64) error
	Sync() error
	Close() error
}

// WriteError is a capture directory's file that could not be written. Lost counts the
// lines that are not in the file because of it.
type WriteError struct {
	Path string
	Err  error
	Lost int64
}

func (e *WriteError) Error() string {
	err := e.Err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // "no space left on device", not "write out/logs.txt: no space ..."
	}
	msg := fmt.Sprintf("writing %s: %v", e.Path, err)
	if e.Lost > 0 {
		msg += fmt.Sprintf(" (%d %s not written)", e.Lost, plural(e.Lost, "line"))
	}
	return msg
}

func (e *WriteError) Unwrap() error { return e.Err }

// LineFile is a capture file written one whole line at a time. Add is safe
// for concurrent use; lines are buffered and reach the file in Flush, in one
// write of whole lines. A write that fails half way is cut back to the last
// whole line, so the file never ends inside a line (barring a crash of the
// machine), and the lines that did not make it are counted in Lost.
type LineFile struct {
	path string // as errors show it, e.g. "out/logs.txt"

	mu      sync.Mutex
	f       File
	buf     []byte
	pending int64 // lines in buf
	size    int64 // bytes in the file, whole lines only
	lines   int64 // lines in the file
	lost    int64 // lines that could not be written
	err     error // the first write error; sticky
	closed  bool
}

// flushSize is how much a LineFile buffers before writing without waiting
// for the next Flush.
const flushSize = 256 << 10

// NewLineFile returns a LineFile writing to f; path is its name in errors.
func NewLineFile(path string, f File) *LineFile {
	return &LineFile{path: path, f: f, buf: make([]byte, 0, 64<<10)}
}

// CreateLineFile creates path, which must not exist.
func CreateLineFile(path string) (*LineFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, &WriteError{Path: path, Err: err}
	}
	return NewLineFile(path, f), nil
}

// Add appends line and a newline. line must not hold a newline. It returns
// the file's error, if any: the line is then counted as lost.
func (l *LineFile) Add(line []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil || l.closed {
		l.lost++
		return l.errLocked()
	}
	l.buf = append(l.buf, line...)
	l.buf = append(l.buf, '\n')
	l.pending++
	if len(l.buf) >= flushSize {
		return l.flushLocked()
	}
	return nil
}

// Flush writes the buffered lines to the file (not to the disk: see Close).
func (l *LineFile) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.flushLocked()
}

func (l *LineFile) flushLocked() error {
	if l.err != nil {
		return l.errLocked()
	}
	if len(l.buf) == 0 {
		return nil
	}
	n, err := l.f.Write(l.buf)
	if err == nil && n < len(l.buf) {
		err = fmt.Errorf("short write: %d of %d bytes", n, len(l.buf))
	}
	if err == nil {
		l.size += int64(n)
		l.lines += l.pending
		l.buf, l.pending = l.buf[:0], 0
		return nil
	}
	// Keep the whole lines that made it; cut the file back to the end of the
	// last of them.
	whole := bytes.LastIndexByte(l.buf[:max(n, 0)], '\n') + 1
	written := int64(bytes.Count(l.buf[:whole], []byte{'\n'}))
	if whole < n {
		if terr := l.f.Truncate(l.size + int64(whole)); terr != nil {
			err = fmt.Errorf("%w; and cutting the half line off: %v", err, terr)
		}
	}
	l.size += int64(whole)
	l.lines += written
	l.lost += l.pending - written
	l.buf, l.pending = l.buf[:0], 0
	l.err = err
	return l.errLocked()
}

func (l *LineFile) errLocked() error {
	if l.err == nil {
		return nil
	}
	return &WriteError{Path: l.path, Err: l.err, Lost: l.lost}
}

// Err returns the file's write error, with the lines lost so far.
func (l *LineFile) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.errLocked()
}

// Counts returns the lines written to the file and the lines lost.
func (l *LineFile) Counts() (lines, lost int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines, l.lost
}

// Close flushes, syncs the file to the disk and closes it. Lines added after
// Close are lost (and counted).
func (l *LineFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.errLocked()
	}
	l.closed = true
	ferr := l.flushLocked()
	serr := l.f.Sync()
	if errors.Is(serr, syscall.EINVAL) || errors.Is(serr, syscall.ENOTSUP) {
		serr = nil // a file that cannot be synced (a pipe, /dev/full): nothing to sync
	}
	cerr := l.f.Close()
	if ferr != nil {
		return ferr
	}
	for _, err := range []error{serr, cerr} {
		if err != nil && l.err == nil {
			l.err = err
			return l.errLocked()
		}
	}
	return nil
}

func plural(n int64, what string) string {
	if n == 1 {
		return what
	}
	return what + "s"
}

// Path returns the file's path, as errors show it.
func (l *LineFile) Path() string { return l.path }

// writeFileSync writes path whole; sync syncs it to the disk.
func writeFileSync(path string, b []byte, sync bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
