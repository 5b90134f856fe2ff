//go:build linux || darwin

package parser

import (
	"math"
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps f when it is a regular file; nil when it cannot (a pipe, an
// empty file, a system that refuses).
func mapFile(f *os.File) *mapping {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 || fi.Size() > math.MaxInt/2 {
		return nil
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil
	}
	_ = unix.Madvise(b, unix.MADV_SEQUENTIAL)
	return &mapping{data: b}
}

// dropPages gives pages of a mapping back; the file's pages stay in the page cache.
func dropPages(b []byte) { _ = unix.Madvise(b, unix.MADV_DONTNEED) }

func (m *mapping) unmap() { _ = unix.Munmap(m.data) }
