package bundle

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"time"
)

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
