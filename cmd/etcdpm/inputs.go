package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// input is one log stream named on the command line.
type input struct {
	name string
	r    io.Reader
	c    io.Closer
}

// openInputs opens files, the files of directories, and "-" for stdin.
// Gzipped inputs are recognised by their magic bytes.
func openInputs(args []string, stdin io.Reader) ([]input, error) {
	var ins []input
	closeAll := func() {
		for _, in := range ins {
			if in.c != nil {
				in.c.Close()
			}
		}
	}
	for _, arg := range args {
		if arg == "-" {
			r, err := maybeGunzip(stdin, "stdin")
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
			return nil, err
		}
		for _, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				closeAll()
				return nil, err
			}
			r, err := maybeGunzip(f, p)
			if err != nil {
				f.Close()
				closeAll()
				return nil, err
			}
			ins = append(ins, input{name: p, r: r, c: f})
		}
	}
	return ins, nil
}

// expand turns a directory into its log files (*.log, *.txt, and their .gz),
// sorted; a file is itself.
func expand(arg string) ([]string, error) {
	fi, err := os.Stat(arg)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{arg}, nil
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

func maybeGunzip(r io.Reader, name string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return zr, nil
	}
	return br, nil
}
