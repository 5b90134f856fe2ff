package repro

import (
	"bytes"
	"os"
	"path/filepath"

	"github.com/etcdpm/etcdpm/capdir"
)

// copyLogs writes each member's log as etcd wrote it into the capture directory dir, as
// capdir.MemberLog names it, and returns those names (meta.json's logs) and the lines written.
func copyLogs(dir string, names []string, logs [][]byte) ([]string, int64, error) {
	if err := os.MkdirAll(filepath.Join(dir, capdir.MembersDir), 0o755); err != nil {
		return nil, 0, err
	}
	var paths []string
	var lines int64
	for i, name := range names {
		rel := capdir.MemberLog(name)
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(rel)), logs[i], 0o644); err != nil {
			return paths, lines, err
		}
		paths = append(paths, rel)
		lines += countLines(logs[i])
	}
	return paths, lines, nil
}

// countLines counts the lines of a log, the last one with or without its newline.
func countLines(b []byte) int64 {
	var n int64
	for range bytes.Lines(b) {
		n++
	}
	return n
}
