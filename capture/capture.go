// Package capture records a running etcd cluster of a compose project into a
// directory that `etcdpm analyze` reads whole: the containers' logs, each
// member's polled status, the project's Docker events and a description.
// The Docker and etcd SDKs are used here only, behind small interfaces.
package capture

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
)

// DefaultInterval is how often each member's status is polled by default.
const DefaultInterval = 250 * time.Millisecond

// Options configure a capture.
type Options struct {
	// Out is the directory to write; it is created, and must not hold a
	// capture already.
	Out string
	// Project is the compose project; when empty it is found from
	// ComposeFile (the project whose containers were made from it).
	Project string
	// ComposeFile is the project's compose file (for the project's name and
	// meta.json).
	ComposeFile string
	// Endpoints, when set, are the members' client URLs to poll instead of
	// the containers' published 2379/tcp ports.
	Endpoints []string
	// ConfigEndpoints are polled when no container of the project publishes
	// 2379/tcp (config.default.ini's endpoints).
	ConfigEndpoints []string
	// Interval is the status poll interval (DefaultInterval when zero). Each
	// call times out after half of it.
	Interval time.Duration
	// Duration stops the capture after this long; zero runs until ctx ends.
	Duration time.Duration
	// AppearTimeout is how long New waits for a first container of the
	// project (DefaultAppearTimeout when zero; negative: it does not wait)
	// before it fails, having written nothing. Not with Endpoints.
	AppearTimeout time.Duration
	// MetricsInterval is how often each member's /metrics is scraped into
	// metrics.jsonl (DefaultMetricsInterval when zero); negative scrapes
	// nothing.
	MetricsInterval time.Duration
	// TLS is every connection's to the members (status, /debug/vars,
	// /metrics); nil is none. With it, the containers' published ports are
	// polled as https.
	TLS *tls.Config
	// Version and Command are etcdpm's version and command line, for meta.json.
	Version string
	Command []string
}

// Summary is what a capture wrote.
type Summary struct {
	Dir           string
	Project       string
	Start, End    time.Time
	LogLines      int64
	StatusRecords int64
	// MetricsRecords counts metrics.jsonl's records (0 without the file).
	MetricsRecords int64
	Events         int64
	// Lost counts the lines that could not be written, per file.
	Lost map[string]int64
}

// Session is one capture: New prepares it, Run records until its context
// ends, and Snapshot tells how it goes while it runs.
type Session struct {
	opts       Options
	dir        string
	project    string
	eng        engine
	dial       dialFunc
	scrape     scrapeFunc    // nil: no metrics
	timeout    time.Duration // per status call
	flushEvery time.Duration
	docker     dockerVersion
	// closeScraper releases scrape's connections.
	closeScraper func()

	logs, status, events *capdir.LineFile
	metrics              *capdir.LineFile // nil: no metrics

	start time.Time
	lines atomic.Int64
	width atomic.Int32

	mu        sync.Mutex
	followers map[string]*follower // by container ID
	foreign   map[string]bool      // container IDs of other projects
	members   []*memberSlot
	static    bool // members are Options.Endpoints (or ConfigEndpoints)
	names     map[uint64]string
	lastErr   string
	lastErrAt time.Time
	// lastErrMember is the member whose poll failed with lastErr, nil when
	// lastErr is not a poll's.
	lastErrMember *memberSlot
	nEvents       int64
	lastEvent     time.Time
	seenEvents    map[eventKey]bool // events at lastEvent, to drop repeats
	metaDirty     bool
	fatal         error
	cancel        context.CancelCauseFunc
	runCtx        context.Context
	wg            sync.WaitGroup
	end           time.Time
	ran           bool
}

type dockerVersion struct{ Server, API string }

// New connects to the Docker engine, finds the project and creates the
// capture directory and its files.
func New(ctx context.Context, opts Options) (*Session, error) {
	eng, err := dialDocker(ctx)
	if err != nil {
		return nil, err
	}
	scraper := newMetricsScraper(opts.TLS)
	s, err := newSession(ctx, opts, eng, etcdDialer(opts.TLS), scraper.scrape)
	if err != nil {
		eng.Close()
		return nil, err
	}
	s.closeScraper = scraper.close
	return s, nil
}

// newSession prepares a session polling members with dial, and scraping
// their metrics with scrape (nil: none).
func newSession(ctx context.Context, opts Options, eng engine, dial dialFunc, scrape scrapeFunc) (*Session, error) {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.MetricsInterval == 0 {
		opts.MetricsInterval = DefaultMetricsInterval
	}
	if opts.MetricsInterval < 0 {
		scrape = nil
	}
	s := &Session{
		opts: opts, eng: eng, dial: dial, scrape: scrape, closeScraper: func() {},
		timeout:    statusTimeout(opts.Interval),
		flushEvery: time.Second,
		followers:  make(map[string]*follower),
		foreign:    make(map[string]bool),
		names:      make(map[uint64]string),
		seenEvents: make(map[eventKey]bool),
	}
	s.width.Store(1)
	var err error
	if s.docker.Server, s.docker.API, err = eng.Version(ctx); err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	if s.project, err = resolveProject(ctx, eng, opts.Project, opts.ComposeFile); err != nil {
		return nil, err
	}
	if len(opts.Endpoints) == 0 && opts.AppearTimeout >= 0 {
		if err := awaitProject(ctx, eng, s.project, opts.ComposeFile, cmp.Or(opts.AppearTimeout, DefaultAppearTimeout)); err != nil {
			return nil, err
		}
	}
	s.dir = opts.Out
	if s.dir == "" {
		s.dir = "capture-" + s.project + "-" + time.Now().Format("20060102-150405")
	}
	if err := s.create(); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir returns the capture directory.
func (s *Session) Dir() string { return s.dir }

// Project returns the compose project captured.
func (s *Session) Project() string { return s.project }

// create makes the directory and its files.
func (s *Session) create() error {
	err := makeDir(s.dir)
	if err != nil {
		return err
	}
	var files []*capdir.LineFile
	for _, p := range []struct {
		dst  **capdir.LineFile
		name string
	}{{&s.logs, capdir.LogsFile}, {&s.status, capdir.StatusFile}, {&s.events, capdir.EventsFile}, {&s.metrics, capdir.MetricsFile}} {
		if p.dst == &s.metrics && s.scrape == nil {
			continue
		}
		if *p.dst, err = capdir.CreateLineFile(filepath.Join(s.dir, p.name)); err != nil {
			for _, f := range files {
				f.Close()
			}
			return err
		}
		files = append(files, *p.dst)
	}
	return nil
}

// Run captures until ctx ends, Options.Duration passes, or a file cannot be
// written; then it stops the producers, reads what the containers logged
// meanwhile, and flushes and syncs every file. It returns an error when a
// file could not be written (a *capdir.WriteError, with the lines lost).
func (s *Session) Run(ctx context.Context) (*Summary, error) {
	s.mu.Lock()
	if s.ran {
		s.mu.Unlock()
		return nil, errors.New("capture: a session runs once")
	}
	s.ran = true
	s.mu.Unlock()

	runCtx, cancel, release := runContext(ctx, s.opts.Duration)
	defer release()
	s.mu.Lock()
	s.start = time.Now()
	s.lastEvent = s.start
	s.cancel, s.runCtx = cancel, runCtx
	s.mu.Unlock()

	// Events first (from now), so that no container started while the
	// others are listed is missed; then the containers already there.
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.watchEvents(runCtx)
	}()
	if err := s.discover(runCtx); err != nil {
		s.noteError("listing containers: %v", err)
	}
	s.writeMeta(false)

	tick := time.NewTicker(s.flushEvery)
	defer tick.Stop()
loop:
	for {
		select {
		case <-runCtx.Done():
			break loop
		case <-tick.C:
			for _, f := range s.files() {
				if err := f.Flush(); err != nil {
					s.fail(err)
				}
			}
			s.mu.Lock()
			dirty := s.metaDirty
			s.mu.Unlock()
			if dirty {
				s.writeMeta(false)
			}
		}
	}
	return s.shutdown(ctx)
}

// runContext is the context a capture runs in: ctx, cancelled with a cause
// (a file that cannot be written), ended after d when d > 0; release frees
// it.
func runContext(ctx context.Context, d time.Duration) (run context.Context, cancel context.CancelCauseFunc, release func()) {
	run, cancel = context.WithCancelCause(ctx)
	if d <= 0 {
		return run, cancel, func() { cancel(nil) }
	}
	run, stop := context.WithTimeout(run, d)
	return run, cancel, func() { stop(); cancel(nil) }
}

// shutdown stops the producers, catches up with the logs and events, then
// flushes, syncs and closes every file and writes meta.json.
func (s *Session) shutdown(parent context.Context) (*Summary, error) {
	s.wg.Wait() // producers stop with runCtx
	s.mu.Lock()
	fatal := s.fatal
	followers := make([]*follower, 0, len(s.followers))
	for _, f := range s.followers {
		followers = append(followers, f)
	}
	members := slices.Clone(s.members)
	s.mu.Unlock()

	if fatal == nil {
		// What happened between the last read and now: the containers'
		// last lines, the last events.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), 10*time.Second)
		s.catchUpEvents(ctx)
		var wg sync.WaitGroup
		for _, f := range followers {
			wg.Go(func() {
				if err := f.catchUp(ctx); err != nil && !errors.As(err, new(*capdir.WriteError)) {
					s.noteError("logs of %s: %v", f.info.Name, err)
				}
			})
		}
		wg.Wait()
		cancel()
	}
	for _, m := range members {
		m.closePoller()
	}
	s.closeScraper()

	s.mu.Lock()
	s.end = time.Now()
	s.mu.Unlock()
	var errs []error
	for _, f := range s.files() {
		if err := f.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.writeMeta(true); err != nil {
		errs = append(errs, err)
	}
	if d, err := os.Open(s.dir); err == nil {
		d.Sync() // the files' names
		d.Close()
	}
	s.eng.Close()
	sum := s.summary()
	if len(errs) > 0 {
		return sum, errs[0]
	}
	return sum, nil
}

func (s *Session) summary() *Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := &Summary{Dir: s.dir, Project: s.project, Start: s.start, End: s.end, Events: s.nEvents, Lost: map[string]int64{}}
	for _, f := range s.files() {
		n, lost := f.Counts()
		switch f {
		case s.logs:
			sum.LogLines = n
		case s.status:
			sum.StatusRecords = n
		case s.metrics:
			sum.MetricsRecords = n
		case s.events:
			sum.Events = n
		}
		if lost > 0 {
			sum.Lost[filepath.Base(f.Path())] = lost
		}
	}
	return sum
}

// files are the session's line files.
func (s *Session) files() []*capdir.LineFile {
	if s.metrics == nil {
		return []*capdir.LineFile{s.logs, s.status, s.events}
	}
	return []*capdir.LineFile{s.logs, s.status, s.events, s.metrics}
}

// fail stops the capture because of err (a file that cannot be written).
func (s *Session) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fatal == nil {
		s.fatal = err
		s.lastErr, s.lastErrAt, s.lastErrMember = err.Error(), time.Now(), nil
		if s.cancel != nil {
			s.cancel(err)
		}
	}
}

// prefixWidth is the width logs.txt pads container names to: the longest
// name known plus one, as docker compose v2 does.
func (s *Session) prefixWidth() int { return int(s.width.Load()) }

// discover lists the project's containers: a follower for each, and a
// member slot for each etcd member among them (or for each endpoint given).
func (s *Session) discover(ctx context.Context) error {
	cs, err := s.eng.Containers(ctx, s.project)
	s.mu.Lock()
	eps := s.opts.Endpoints
	if len(eps) == 0 && err == nil && !slices.ContainsFunc(cs, func(c containerInfo) bool { return c.Member }) {
		eps = s.opts.ConfigEndpoints
	}
	if len(eps) > 0 {
		s.static = true
		for _, ep := range eps {
			s.addMemberLocked(&memberSlot{name: hostOf(ep), endpoint: ep, static: true, unnamed: true})
		}
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	slices.SortFunc(cs, func(a, b containerInfo) int { return strings.Compare(a.logName(), b.logName()) })
	for _, c := range cs {
		s.follow(ctx, c)
	}
	return nil
}

// follow starts following a container (once), and polls its member.
func (s *Session) follow(ctx context.Context, c containerInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	if f, ok := s.followers[c.ID]; ok {
		f.signal()
		s.updateMemberLocked(ctx, c)
		return
	}
	if w := int32(len(c.logName()) + 1); w > s.width.Load() {
		s.width.Store(w)
	}
	f := newFollower(s, c)
	s.followers[c.ID] = f
	s.metaDirty = true
	s.wg.Go(func() { f.run(ctx) })
	s.updateMemberLocked(ctx, c)
}
