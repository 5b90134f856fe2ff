package main

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
)

// An archive (a bundle) is a .tar.gz, .tgz, .tar or .zip of logs: a must-gather, a
// directory of kubectl logs, a capture directory. Its entries are read into
// memory, never written to disk, and walked by the same rules as a
// directory. Their names are untrusted: a name that leaves the archive
// (../x, /x) is skipped, and so is a link; the entries and the bytes they
// expand to are bounded.

// The bounds of an archive: entries of any kind, the decompressed bytes of
// those kept (the logs, etcd_info, a capture's files), and the decompressed
// bytes gone through (a tar's other entries are read past). Variables for
// the tests.
var (
	maxArchiveEntries       = 100_000
	maxArchiveBytes   int64 = 2 << 30
	maxArchiveRead    int64 = 16 << 30
)

// isArchive reports whether an argument names an archive, by its name.
func isArchive(p string) bool {
	lower := strings.ToLower(p)
	for _, ext := range []string{".tar.gz", ".tgz", ".tar", ".zip"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// archive is an archive's entries that etcdpm may read, held in memory.
type archive struct {
	name   string                   // the archive's path, as given
	files  map[string]*archiveEntry // by slash path inside the archive
	dirs   map[string][]string      // each directory's children's names ("." is the top)
	linked map[string]bool          // the directories listed in their parent's
	kept   int64                    // bytes held
	skip   *skipped
}

// archiveEntry is one entry of an archive.
type archiveEntry struct {
	name string // its path inside the archive
	data []byte
	mod  time.Time
}

// errArchiveTooBig is an archive past maxArchiveBytes or maxArchiveRead.
var errArchiveTooBig = errors.New("too big to read safely (a zip bomb?); extract its etcd logs and analyze them")

// readArchive reads the archive at p. A damaged archive is an error; an
// entry with a name that leaves the archive, a link, a device or a FIFO is
// skipped with a warning.
func readArchive(p string, skip *skipped) (*archive, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := &archive{name: p, files: map[string]*archiveEntry{}, dirs: map[string][]string{".": nil}, linked: map[string]bool{}, skip: skip}
	if strings.HasSuffix(strings.ToLower(p), ".zip") {
		err = b.readZip(f)
	} else {
		err = b.readTar(f)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	for dir := range b.dirs {
		slices.Sort(b.dirs[dir])
		b.dirs[dir] = slices.Compact(b.dirs[dir])
	}
	return b, nil
}

func (b *archive) readTar(f *os.File) error {
	var r io.Reader = bufio.NewReaderSize(f, 256<<10)
	if magic, _ := r.(*bufio.Reader).Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return err
		}
		r = gzipReader{zr}
	}
	read := &boundedReader{r: r, left: maxArchiveRead}
	tr := tar.NewReader(read)
	for n := 1; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			if read.left < 0 {
				return fmt.Errorf("more than %s decompressed: %w", size(maxArchiveRead), errArchiveTooBig)
			}
			return b.cut(n, err)
		}
		if n > maxArchiveEntries {
			return fmt.Errorf("more than %d entries: %w", maxArchiveEntries, errArchiveTooBig)
		}
		var mode fs.FileMode
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse:
		case tar.TypeDir:
			mode = fs.ModeDir
		case tar.TypeSymlink, tar.TypeLink:
			mode = fs.ModeSymlink
		case tar.TypeXGlobalHeader, tar.TypeXHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
			continue
		default:
			mode = fs.ModeIrregular
		}
		if err := b.add(h.Name, mode, h.Linkname, h.ModTime, tr); errors.Is(err, errArchiveTooBig) {
			return err
		} else if err != nil {
			return b.cut(n, err)
		}
	}
}

// cut ends the reading of a tar that fails at its entry n (cut short, or
// damaged from there): an error when nothing was read before, else a
// warning, and the entries read before are analyzed.
func (b *archive) cut(n int, err error) error {
	if n == 1 {
		return err
	}
	b.skip.warn(fmt.Sprintf("%s: %v at its entry %d; the analysis covers the %d entries before it", b.name, err, n, n-1))
	return nil
}

func (b *archive) readZip(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return err
	}
	if len(zr.File) > maxArchiveEntries {
		return fmt.Errorf("%d entries, more than %d: %w", len(zr.File), maxArchiveEntries, errArchiveTooBig)
	}
	for _, zf := range zr.File {
		mode := zf.Mode()
		var target string
		if mode&fs.ModeSymlink != 0 {
			target = zipLink(zf)
		}
		if !mode.IsRegular() || !b.wanted(zf.Name) {
			if err := b.add(zf.Name, mode.Type(), target, zf.Modified, nil); err != nil {
				return err
			}
			continue
		}
		if int64(zf.UncompressedSize64) > maxArchiveBytes-b.kept || zf.UncompressedSize64 > 1<<62 {
			return fmt.Errorf("%s: %s once decompressed, more than the %s of logs a bundle may hold: %w", shortName(zf.Name), size(int64(min(zf.UncompressedSize64, 1<<62))), size(maxArchiveBytes), errArchiveTooBig)
		}
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("%s: %w", shortName(zf.Name), err)
		}
		err = b.add(zf.Name, 0, "", zf.Modified, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// zipLink is the target of a link entry of a zip: its data.
func zipLink(zf *zip.File) string {
	rc, err := zf.Open()
	if err != nil {
		return "?"
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 256))
	return string(b)
}

// wanted reports whether the entry named name may be read: a log, an
// etcd_info file, a capture's file.
func (b *archive) wanted(name string) bool {
	base := path.Base(name)
	return isLogName(base) || base == capdir.StatusFile || base == capdir.EventsFile
}

// add adds the entry name of mode's type (0: a file, read from r; a
// directory; a link to target; another kind), or skips it with a warning.
func (b *archive) add(name string, mode fs.FileMode, target string, mod time.Time, r io.Reader) error {
	clean, ok := entryName(name)
	switch {
	case !ok:
		if mode.IsRegular() || mode&fs.ModeSymlink != 0 {
			b.skip.add(fmt.Errorf("%s:%s: a name that leaves the archive, not read", b.name, shortName(name)))
		}
		return nil
	case mode.IsDir():
		b.addDir(clean)
		return nil
	case !b.wanted(clean):
		return nil
	case mode&fs.ModeSymlink != 0:
		b.skip.add(fmt.Errorf("%s:%s: a link in the archive (to %s), not followed", b.name, clean, shortName(target)))
		return nil
	case !mode.IsRegular():
		b.skip.add(fmt.Errorf("%s:%s: not a regular file", b.name, clean))
		return nil
	case b.files[clean] != nil:
		b.skip.add(fmt.Errorf("%s:%s: in the archive twice; the first one read", b.name, clean))
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(r, maxArchiveBytes-b.kept+1))
	if err != nil {
		return fmt.Errorf("%s: %w", clean, err)
	}
	b.kept += int64(len(data))
	if b.kept > maxArchiveBytes {
		return fmt.Errorf("%s: its logs are more than %s once decompressed: %w", clean, size(maxArchiveBytes), errArchiveTooBig)
	}
	b.files[clean] = &archiveEntry{name: clean, data: data, mod: mod}
	b.addDir(path.Dir(clean))
	dir := path.Dir(clean)
	b.dirs[dir] = append(b.dirs[dir], path.Base(clean))
	return nil
}

// addDir records dir and its parents as directories, each a child of its
// parent.
func (b *archive) addDir(dir string) {
	for ; dir != "." && !b.linked[dir]; dir = path.Dir(dir) {
		b.linked[dir] = true
		parent := path.Dir(dir)
		b.dirs[parent] = append(b.dirs[parent], path.Base(dir))
		if _, ok := b.dirs[dir]; !ok {
			b.dirs[dir] = nil
		}
	}
}

// entryName is an entry's name as a path inside the archive (./ and a
// trailing / dropped), and whether it stays inside: not absolute, no ..,
// no backslash.
func entryName(name string) (string, bool) {
	n := name
	for strings.HasPrefix(n, "./") {
		n = n[2:]
	}
	n = strings.TrimSuffix(n, "/")
	return n, n != "" && !strings.ContainsAny(n, `\`+"\x00") && fs.ValidPath(n)
}

// shortName cuts an untrusted name for a message (the messages are made
// safe for the terminal as a whole).
func shortName(name string) string {
	if len(name) > 200 {
		return name[:200] + "..."
	}
	return name
}

// walk returns the archive's files to read, by the rules of a directory
// (see expand), named archive:path.
func (b *archive) walk() []found {
	var out []found
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		if logs, ok := b.captureLogs(dir); ok {
			for _, p := range logs {
				out = append(out, b.found(p))
			}
			b.skip.warn(fmt.Sprintf("%s:%s is a capture directory: its logs are read, not its status, faults and metrics; extract it and analyze the directory for those", b.name, dir))
			return
		}
		names := slices.Clone(b.dirs[dir])
		orderLogs(names, func(n string) string { return n })
		pod := isMustGatherPod(dir)
		for _, n := range names {
			p := path.Join(dir, n)
			if _, isDir := b.dirs[p]; isDir {
				switch {
				case pod && n != "etcd": // another container of an etcd pod
				case depth+1 > maxDepth:
					b.skip.add(fmt.Errorf("%s:%s: more than %d directories deep", b.name, p, maxDepth))
				default:
					walk(p, depth+1)
				}
				continue
			}
			if b.files[p] != nil && isLogName(n) {
				f := b.found(p)
				f.info = isEtcdInfo(p)
				out = append(out, f)
			}
		}
	}
	walk(".", 0)
	b.shorten(out)
	return out
}

// shorten names the logs of a must-gather in the archive from its
// namespaces/ on (archive:namespaces/openshift-etcd/pods/...), without the
// directories above it (must-gather.local.N/IMAGE/, IMAGE a hundred
// characters long), when no two logs get the same name that way.
func (b *archive) shorten(files []found) {
	short := make([]string, len(files))
	count := map[string]int{}
	for i, f := range files {
		p := f.entry.name
		if j := strings.Index(p, "/namespaces/"); j >= 0 && podOf(p, nil) != "" {
			short[i] = b.name + ":" + p[j+1:]
			count[short[i]]++
		}
	}
	for i := range files {
		if short[i] != "" && count[short[i]] == 1 {
			files[i].path = short[i]
		}
	}
}

func (b *archive) found(p string) found {
	return found{path: b.name + ":" + p, inDir: true, entry: b.files[p]}
}

// captureLogs returns the logs of the capture directory dir of the archive,
// if it is one: meta.json, and the logs it names (or logs.txt) all there.
func (b *archive) captureLogs(dir string) ([]string, bool) {
	meta := b.files[path.Join(dir, capdir.MetaFile)]
	if meta == nil {
		return nil, false
	}
	var m capdir.Meta
	if json.Unmarshal(meta.data, &m) != nil {
		return nil, false
	}
	logs := m.Logs
	if len(logs) == 0 {
		logs = []string{capdir.LogsFile}
	}
	var paths []string
	for _, l := range logs {
		p := path.Join(dir, l)
		if clean, ok := entryName(p); !ok || b.files[clean] == nil {
			return nil, false
		}
		paths = append(paths, p)
	}
	return paths, true
}

// boundedReader fails once more than left bytes were read.
type boundedReader struct {
	r    io.Reader
	left int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, errArchiveTooBig
	}
	return n, err
}

// size says a number of bytes in MiB or GiB.
func size(n int64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
