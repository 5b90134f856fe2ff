// Package outfile creates output files whole or not at all, and never
// writes through a symbolic link found where an output goes.
package outfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// File is an output being written: a temporary file beside its path that
// Commit renames onto the path, or a device or FIFO written in place.
type File struct {
	path  string
	f     *os.File
	temp  bool        // f is a temporary file to rename onto path
	mode  fs.FileMode // the mode the file gets
	ended bool
}

// streamName matches the names of the process's own streams, links that
// the system makes and only root can plant: they are written through.
var streamName = regexp.MustCompile(`^/(dev/(stdout|stderr|fd/[0-9]+)|proc/self/fd/[0-9]+)$`)

// Create opens path for writing.
//
//   - Nothing there, or a regular file: a temporary file in the same
//     directory, renamed onto path by Commit; an existing file keeps its
//     mode, and is untouched until then.
//   - A symbolic link: the link itself is replaced by the new file (as
//     rename(2) does); what it points to is never opened nor changed. The
//     names of the process's own streams (/dev/stdout, /dev/stderr,
//     /dev/fd/N, /proc/self/fd/N) are the exception: written through.
//   - A device or a FIFO (/dev/null): written in place, never replaced.
//   - A directory: an error.
func Create(path string) (*File, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return createTemp(path, 0o644)
	case err != nil:
		return nil, fmt.Errorf("writing %s: %w", path, pathError(err))
	case fi.Mode()&fs.ModeSymlink != 0 && streamName.MatchString(filepath.Clean(path)):
		return openInPlace(path, nil)
	case fi.Mode()&fs.ModeSymlink != 0:
		return createTemp(path, 0o644)
	case fi.IsDir():
		return nil, fmt.Errorf("writing %s: is a directory", path)
	case fi.Mode().IsRegular():
		return createTemp(path, fi.Mode().Perm())
	}
	return openInPlace(path, fi)
}

// openInPlace opens a device or a FIFO for writing. When lstat is given,
// what was opened must be the file it describes: a link swapped in since
// is refused before anything is written.
func openInPlace(path string, lstat fs.FileInfo) (*File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, pathError(err))
	}
	if lstat != nil {
		if fi, err := f.Stat(); err != nil || !os.SameFile(fi, lstat) {
			f.Close()
			return nil, fmt.Errorf("writing %s: it changed while being opened", path)
		}
	}
	return &File{path: path, f: f}, nil
}

func createTemp(path string, mode fs.FileMode) (*File, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) { // not the temporary file's name: the directory's fault
			err = fmt.Errorf("%s: %w", dir, pe.Err)
		}
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return &File{path: path, f: f, temp: true, mode: mode}, nil
}

// pathError drops the path from an *fs.PathError, which the caller's
// message already names.
func pathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Name returns the path the file is written to.
func (f *File) Name() string { return f.path }

// Write writes to the file (the temporary one until Commit).
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }

// Commit closes the file and, for a temporary one, gives it its mode and
// renames it onto the path. On an error nothing is left but what was
// there before. Commit and Abort after the first are no-ops.
func (f *File) Commit() error {
	if f.ended {
		return nil
	}
	f.ended = true
	err := f.f.Close()
	if f.temp {
		if err == nil {
			err = os.Chmod(f.f.Name(), f.mode)
		}
		if err == nil {
			err = os.Rename(f.f.Name(), f.path)
		}
		if err != nil {
			os.Remove(f.f.Name())
		}
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", f.path, pathError(err))
	}
	return nil
}

// Abort closes the file and removes the temporary one: the path keeps what
// it had.
func (f *File) Abort() {
	if f.ended {
		return
	}
	f.ended = true
	f.f.Close()
	if f.temp {
		os.Remove(f.f.Name())
	}
}

// WriteFile writes data to path as Create and Commit do: whole or not at
// all, a symbolic link there replaced, never written through.
func WriteFile(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("writing %s: %w", path, pathError(err))
	}
	return f.Commit()
}
