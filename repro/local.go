package repro

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/version"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/capture"
	"github.com/etcdpm/etcdpm/cluster"
	"github.com/etcdpm/etcdpm/cluster/local"
)

// MembersDir is the directory of a local run's capture that keeps each member's log as etcd
// wrote it; those are the capture's logs.
const MembersDir = capdir.MembersDir

// localBackend runs the members as child processes on 127.0.0.1 (cluster/local): an embedded
// etcd (Options.MemberCommand) or an etcd binary. Data dirs live in a temporary directory that
// close removes.
type localBackend struct {
	opts *Options
	tmp  string
	lc   *local.Cluster
	c    *recordingCluster

	dir      string
	capStart time.Time
	poller   *capture.Poller
	events   *eventLog

	mu        sync.Mutex
	logOffset []int64 // how far snapshot counted each member's log
	logLines  int64
}

func (b *localBackend) describe() string {
	if b.opts.EtcdBinary != "" {
		return "etcd " + b.opts.EtcdBinary
	}
	return "embedded etcd " + version.Version
}

func (b *localBackend) start(ctx context.Context) (cluster.Cluster, error) {
	tmp, err := os.MkdirTemp("", "etcdpm-repro-")
	if err != nil {
		return nil, err
	}
	b.tmp = tmp
	cfg := local.Config{Names: memberNames, PreVote: b.opts.PreVote, Dir: tmp}
	if b.opts.EtcdBinary != "" {
		cfg.Binary = b.opts.EtcdBinary
	} else {
		cfg.Command = b.opts.MemberCommand
	}
	lc, err := local.Start(ctx, cfg)
	if err != nil {
		// The members' logs say why they did not start; tmp goes with
		// close, so they are kept in the run's directory and the error
		// points there.
		if dst := keepLogs(tmp, filepath.Join(b.opts.Out, MembersDir)); dst != "" {
			err = errors.New(strings.ReplaceAll(err.Error(), tmp+string(filepath.Separator), dst+string(filepath.Separator)))
		}
		return nil, fmt.Errorf("starting members: %w", err)
	}
	b.lc = lc
	b.c = &recordingCluster{Cluster: lc, throttles: localThrottles{lc: lc, dir: tmp}}
	return b.c, nil
}

func (b *localBackend) where() string {
	var eps []string
	for _, name := range memberNames {
		eps = append(eps, b.lc.ClientURL(name))
	}
	return strings.Join(eps, ",")
}

func (b *localBackend) startCapture(ctx context.Context, dir string) error {
	b.dir = dir
	b.capStart = time.Now()
	var eps []string
	for _, name := range memberNames {
		eps = append(eps, b.lc.ClientURL(name))
	}
	ev, err := createEventLog(filepath.Join(dir, capdir.EventsFile))
	if err != nil {
		return err
	}
	b.events = ev
	b.c.record(ev)
	popts := capture.PollerOptions{MetricsPath: filepath.Join(dir, capdir.MetricsFile), MetricsInterval: capture.DefaultMetricsInterval}
	if b.poller, err = capture.StartPoller(filepath.Join(dir, capdir.StatusFile), memberNames, eps, popts); err != nil {
		return err
	}
	return b.writeMeta(nil, capdir.MetaCounts{}, nil)
}

func (b *localBackend) snapshot() capture.Snapshot {
	if b.poller == nil {
		return capture.Snapshot{}
	}
	sn := b.poller.Snapshot()
	sn.Events = b.events.count()
	sn.LogLines = b.countLogLines()
	return sn
}

// countLogLines counts the lines the members logged so far, reading only what is new.
func (b *localBackend) countLogLines() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.logOffset == nil {
		b.logOffset = make([]int64, len(memberNames))
	}
	buf := make([]byte, 64<<10)
	for i, name := range memberNames {
		f, err := os.Open(b.lc.LogPath(name))
		if err != nil {
			continue
		}
		for {
			n, err := f.ReadAt(buf, b.logOffset[i])
			b.logLines += int64(bytes.Count(buf[:n], []byte{'\n'}))
			b.logOffset[i] += int64(n)
			if err != nil || n == 0 {
				break
			}
		}
		f.Close()
	}
	return b.logLines
}

// stopCapture stops polling and recording, and writes members/<name>.log (each member's log as
// etcd wrote it: the capture's logs, which meta.json lists) and the final meta.json.
func (b *localBackend) stopCapture() (*capture.Summary, error) {
	if b.poller == nil {
		return nil, nil
	}
	var errs []error
	records, err := b.poller.Stop()
	errs = append(errs, err)
	b.c.record(nil)
	events, err := b.events.close()
	errs = append(errs, err)
	end := time.Now()
	logs := make([][]byte, len(memberNames))
	for i, name := range memberNames {
		logs[i], err = os.ReadFile(b.lc.LogPath(name))
		errs = append(errs, err)
	}
	files, lines, err := copyLogs(b.dir, memberNames, logs)
	errs = append(errs, err)
	counts := capdir.MetaCounts{LogLines: lines, StatusRecords: records, MetricsRecords: b.poller.MetricsRecords(), Events: events}
	errs = append(errs, b.writeMeta(&end, counts, files))
	sum := &capture.Summary{Dir: b.dir, Project: filepath.Base(b.dir), Start: b.capStart, End: end,
		LogLines: lines, StatusRecords: records, MetricsRecords: counts.MetricsRecords, Events: events}
	return sum, errors.Join(errs...)
}

// writeMeta writes meta.json as capture does: what was recorded, from when to when (end nil:
// still recording), and the members' logs.
func (b *localBackend) writeMeta(end *time.Time, counts capdir.MetaCounts, logs []string) error {
	m := capdir.Meta{
		Schema: capdir.MetaSchema, Etcdpm: b.opts.Version, Command: b.opts.Command,
		Project: filepath.Base(b.dir), Interval: capture.DefaultInterval.String(), MetricsInterval: capture.DefaultMetricsInterval.String(),
		Start:    b.capStart.UTC(),
		Services: []capdir.MetaService{}, Members: []capdir.MetaMember{}, Counts: counts, Logs: logs,
	}
	if m.Logs == nil {
		for _, name := range memberNames {
			m.Logs = append(m.Logs, capdir.MemberLog(name))
		}
	}
	if end != nil {
		e := end.UTC()
		m.End = &e
	}
	ids := b.lc.IDs()
	var last map[string]capdir.StatusRecord
	if b.poller != nil {
		last = b.poller.Last()
	}
	for _, name := range memberNames {
		m.Members = append(m.Members, capdir.MetaMember{
			Name: name, ID: ids[name], EtcdName: name, Endpoint: b.lc.ClientURL(name), Version: last[name].Version,
		})
	}
	return capdir.WriteMeta(b.dir, &m, end != nil)
}

// close kills every member and removes their data.
func (b *localBackend) close(context.Context) error {
	var errs []error
	if b.c != nil {
		b.c.mu.Lock()
		errs = append(errs, b.c.throttles.undoAll())
		b.c.mu.Unlock()
	}
	if b.lc != nil {
		errs = append(errs, b.lc.Close())
	}
	if b.tmp != "" {
		errs = append(errs, os.RemoveAll(b.tmp))
	}
	return errors.Join(errs...)
}

// keepLogs copies the members' logs (*.log) of dir into dst, and returns dst;
// "" when there was none or they could not be copied.
func keepLogs(dir, dst string) string {
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(logs) == 0 || os.MkdirAll(dst, 0o755) != nil {
		return ""
	}
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err != nil || os.WriteFile(filepath.Join(dst, filepath.Base(p)), b, 0o644) != nil {
			return ""
		}
	}
	return dst
}
