package repro

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/version"

	"github.com/etcdpm/etcdpm/capture"
	"github.com/etcdpm/etcdpm/cluster"
	"github.com/etcdpm/etcdpm/cluster/local"
)

// MembersDir is the directory of a local run's capture that keeps each member's log as etcd
// wrote it (logs.txt holds the same lines, merged and stamped).
const MembersDir = "members"

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
	poller   *statusPoller
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
	b.c = &recordingCluster{Cluster: lc}
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
	ev, err := createEventLog(filepath.Join(dir, capture.EventsFile))
	if err != nil {
		return err
	}
	b.events = ev
	b.c.record(ev)
	if b.poller, err = startStatusPoller(filepath.Join(dir, capture.StatusFile), memberNames, eps); err != nil {
		return err
	}
	return b.writeMeta(nil, capture.MetaCounts{})
}

func (b *localBackend) snapshot() capture.Snapshot {
	if b.poller == nil {
		return capture.Snapshot{}
	}
	sn := b.poller.snapshot()
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

// stopCapture stops polling and recording, and writes logs.txt (the members' logs, merged),
// members/<name>.log (each as etcd wrote it) and the final meta.json.
func (b *localBackend) stopCapture() (*capture.Summary, error) {
	if b.poller == nil {
		return nil, nil
	}
	var errs []error
	records, err := b.poller.stop()
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
	lines, err := mergeLogs(filepath.Join(b.dir, capture.LogsFile), memberNames, logs, b.capStart)
	errs = append(errs, err)
	errs = append(errs, copyLogs(filepath.Join(b.dir, MembersDir), memberNames, logs))
	counts := capture.MetaCounts{LogLines: lines, StatusRecords: records, Events: events}
	errs = append(errs, b.writeMeta(&end, counts))
	sum := &capture.Summary{Dir: b.dir, Project: filepath.Base(b.dir), Start: b.capStart, End: end,
		LogLines: lines, StatusRecords: records, Events: events}
	return sum, errors.Join(errs...)
}

// writeMeta writes meta.json as capture does: what was recorded, from when to when (end nil:
// still recording).
func (b *localBackend) writeMeta(end *time.Time, counts capture.MetaCounts) error {
	m := capture.Meta{
		Schema: capture.MetaSchema, Etcdpm: b.opts.Version, Command: b.opts.Command,
		Project: filepath.Base(b.dir), Interval: statusInterval.String(), Start: b.capStart.UTC(),
		Services: []capture.MetaService{}, Members: []capture.MetaMember{}, Counts: counts,
	}
	if end != nil {
		e := end.UTC()
		m.End = &e
	}
	ids := b.lc.IDs()
	var last map[string]capture.StatusRecord
	if b.poller != nil {
		last = b.poller.last()
	}
	for _, name := range memberNames {
		m.Members = append(m.Members, capture.MetaMember{
			Name: name, ID: ids[name], EtcdName: name, Endpoint: b.lc.ClientURL(name), Version: last[name].Version,
		})
	}
	data, err := json.MarshalIndent(&m, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(b.dir, capture.MetaFile)
	tmp := filepath.Join(b.dir, "."+capture.MetaFile+".tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// close kills every member and removes their data.
func (b *localBackend) close(context.Context) error {
	var errs []error
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
