package repro

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/internal/outfile"
	"github.com/etcdpm/etcdpm/parser"
	"github.com/etcdpm/etcdpm/report"
)

// The reports repro writes into the capture directory.
const (
	HTMLFile     = "report.html"
	MarkdownFile = "report.md"
)

// analyzeDir analyzes a capture directory as `etcdpm analyze DIR` does: the etcd lines of its
// logs (logs.txt, or each member's own), with the polled status and the faults of status.jsonl
// and events.jsonl (capdir.Read).
func analyzeDir(dir string) (*analysis.Result, error) {
	capt, err := capdir.Read(dir)
	var me *capdir.MalformedError
	if err != nil && !errors.As(err, &me) {
		return nil, err
	}
	var srcs []parser.Source
	for i, path := range capt.Logs {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		srcs = append(srcs, parser.Source{R: f, Opts: parser.Options{Name: path, Input: i, TZ: time.UTC}})
	}
	res, _, err := analysis.Analyze(context.Background(), srcs, capt.Faults, capt.Status,
		analysis.Options{Inputs: capt.Logs, Start: capt.Start, End: capt.End, Metrics: capt.Metrics})
	if err != nil {
		return nil, fmt.Errorf("reading the logs of %s: %w", dir, err)
	}
	return res, nil
}

// writeReports renders res as dir/report.html and dir/report.md, each written whole (a
// link found there is replaced, never written through).
func writeReports(dir string, res *analysis.Result, opts report.Options) (htmlPath, mdPath string, err error) {
	htmlPath, mdPath = filepath.Join(dir, HTMLFile), filepath.Join(dir, MarkdownFile)
	var h, m bytes.Buffer
	if err := report.HTML(&h, res, opts); err != nil {
		return "", "", fmt.Errorf("rendering %s: %w", htmlPath, err)
	}
	if err := report.Markdown(&m, res, opts); err != nil {
		return "", "", fmt.Errorf("rendering %s: %w", mdPath, err)
	}
	for path, b := range map[string][]byte{htmlPath: h.Bytes(), mdPath: m.Bytes()} {
		if err := outfile.WriteFile(path, b); err != nil {
			return "", "", err
		}
	}
	return htmlPath, mdPath, nil
}
