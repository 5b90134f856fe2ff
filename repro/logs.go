package repro

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// daemonTime is how Docker stamps log lines (`docker logs -t`, `compose logs --timestamps`).
const daemonTime = "2006-01-02T15:04:05.000000000Z07:00"

// logLine is one line of a member's log file.
type logLine struct {
	t      time.Time
	member int
	text   []byte
}

// mergeLogs writes path, the logs.txt of a capture directory, from the members' own log files
// (names[i] printed logs[i]): every line as `docker compose logs --timestamps` prints a
// container's, "<name>-1  | <time> <line>", stamped with the time etcd logged it (zap's "ts";
// a line without one, such as a panic's, takes the time of the line before it, or after it, or
// fallback), the members' lines merged in time order. It returns the number of lines written.
func mergeLogs(path string, names []string, logs [][]byte, fallback time.Time) (int64, error) {
	var lines []logLine
	for i, data := range logs {
		first := len(lines)
		last := time.Time{}
		for text := range bytes.Lines(data) {
			text = bytes.TrimRight(text, "\r\n")
			if len(text) == 0 {
				continue
			}
			if t, ok := lineTime(text); ok {
				if last.IsZero() { // the lines before take this first time
					for j := first; j < len(lines); j++ {
						lines[j].t = t
					}
				}
				last = t
			}
			lines = append(lines, logLine{t: last, member: i, text: text})
		}
		for j := first; j < len(lines) && lines[j].t.IsZero(); j++ {
			lines[j].t = fallback
		}
	}
	// By time, each member's lines keeping their order.
	slices.SortStableFunc(lines, func(a, b logLine) int { return a.t.Compare(b.t) })

	width := 0
	prefixes := make([]string, len(names))
	for i, name := range names {
		prefixes[i] = name + "-1"
		width = max(width, len(prefixes[i])+1)
	}
	for i := range prefixes {
		prefixes[i] = fmt.Sprintf("%-*s | ", width, prefixes[i])
	}

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 256<<10)
	var buf []byte
	for _, l := range lines {
		buf = append(buf[:0], prefixes[l.member]...)
		buf = l.t.UTC().AppendFormat(buf, daemonTime)
		buf = append(buf, ' ')
		buf = append(buf, l.text...)
		buf = append(buf, '\n')
		w.Write(buf)
	}
	err = w.Flush()
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("writing %s: %w", path, err)
	}
	return int64(len(lines)), nil
}

// lineTime reads the time etcd stamped a line with: zap JSON's "ts" field, or the first field
// of a zap console line.
func lineTime(line []byte) (time.Time, bool) {
	var ts []byte
	if line[0] == '{' {
		_, rest, ok := bytes.Cut(line, []byte(`"ts":"`))
		if !ok {
			return time.Time{}, false
		}
		ts, _, ok = bytes.Cut(rest, []byte(`"`))
		if !ok {
			return time.Time{}, false
		}
	} else {
		ts = line
		if i := bytes.IndexAny(line, " \t"); i > 0 {
			ts = line[:i]
		}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, string(ts)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// copyLogs writes each member's log as it printed it to dir/<name>.log.
func copyLogs(dir string, names []string, logs [][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name+".log"), logs[i], 0o644); err != nil {
			return err
		}
	}
	return nil
}
