// Package repro reproduces an etcd failure end to end: it brings up a 3-member cluster (child
// processes on 127.0.0.1, or the demo's compose stack), writes data, records the cluster as
// capture does, injects a scenario's fault, heals it, checks the data, and analyzes the record.
package repro

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/capture"
	"github.com/etcdpm/etcdpm/cluster"
	"github.com/etcdpm/etcdpm/cluster/scenario"
	"github.com/etcdpm/etcdpm/report"
	"github.com/etcdpm/etcdpm/stack"
)

// The backends.
const (
	Local   = "local"   // child processes on 127.0.0.1 (cluster/local)
	Compose = "compose" // the demo's docker-compose.yml on the Docker engine
)

// memberNames are the members' names in both backends: the demo's services.
var memberNames = []string{"etcd1", "etcd2", "etcd3"}

// Files a run adds to its capture directory.
const (
	ActionsFile = capdir.ActionsFile // the steps, "<RFC 3339 UTC> ACTION <text>" as the lab writes them
	RunFile     = "repro.json"       // how the run was made and how it ended
)

// Options configure a run. The zero value of a field means its default.
type Options struct {
	// Scenario is a name of Scenarios (or its lab name); default quorum-loss.
	Scenario string
	// Backend is Local (default) or Compose.
	Backend string
	// PreVote is raft's --pre-vote for every member.
	PreVote bool
	// Hold is how long the fault lasts; default DefaultHold.
	Hold time.Duration
	// Out is the capture directory to create; default ./etcdpm-repro-<scenario>-<UTC time>. It
	// must not exist, or be empty.
	Out string
	// RootKey is the prefix the data is written under; default /root, the demo's.
	RootKey string

	// EtcdBinary, for the local backend, is the etcd executable to run; when empty the members
	// are run by MemberCommand.
	EtcdBinary string
	// MemberCommand returns the unstarted command that runs one embedded etcd member with the
	// given etcd flags (etcdpm's hidden `member` command). Required by the local backend when
	// EtcdBinary is empty.
	MemberCommand func(etcdFlags []string) *exec.Cmd

	// ComposeFile is the compose backend's file; default docker-compose.yml.
	ComposeFile string
	// Image is the etcd image (ETCD_IMAGE); default the environment's, else the compose file's.
	Image string
	// Project is the compose project's name; default a random etcdpm-repro-<hex>.
	Project string
	// Compose is the compose command; default stack.Detect's.
	Compose *stack.Compose
	// TLS, for the compose backend, is the TLS of every connection to the members (a compose
	// file whose members serve https); nil is none. The local backend's members serve http.
	TLS *tls.Config

	// Progress receives one line per step; nil prints nothing. Terminal says it is a terminal,
	// where a live status line is kept under the steps.
	Progress io.Writer
	Terminal bool
	// Version and Command are etcdpm's version and command line, for meta.json and the reports.
	Version string
	Command []string
}

// DefaultHold is how long a fault lasts by default.
const DefaultHold = 20 * time.Second

// keysWritten is how many keys a run writes under the root key before the fault.
const keysWritten = 10

// Outcome is what a run did and found.
type Outcome struct {
	Dir      string
	Scenario string
	Backend  string
	PreVote  bool
	// Etcd says what ran the members: "embedded etcd 3.6.16", an etcd binary, an image.
	Etcd    string
	Members map[string]string // name to raft ID
	Steps   []scenario.Step
	// Keys were written before the fault; Intact of them read back unchanged after it, when
	// Checked (the run got that far).
	Keys, Intact int
	Checked      bool
	Capture      *capture.Summary
	Result       *analysis.Result
	// HTML and Markdown are the reports' paths.
	HTML, Markdown string
	// Elapsed is the time from the start of Run to the reports.
	Elapsed time.Duration
}

// ErrDataLost means keys written before the fault did not read back after it.
var ErrDataLost = scenario.ErrDataLost

// backend runs a cluster and records it into a capture directory.
type backend interface {
	// describe says what runs the members.
	describe() string
	// start brings the cluster up; every member answers when it returns.
	start(ctx context.Context) (cluster.Cluster, error)
	// startCapture starts recording into dir.
	startCapture(ctx context.Context, dir string) error
	// snapshot is how the recording stands, for the live line.
	snapshot() capture.Snapshot
	// stopCapture ends the recording and completes dir (nil, nil when it never started).
	stopCapture() (*capture.Summary, error)
	// close removes everything start made; it is safe to call after a failed or no start.
	close(ctx context.Context) error
}

// cleanupTimeout bounds the teardown, which runs even after Ctrl-C.
const cleanupTimeout = 2 * time.Minute

func (o *Options) setDefaults(now time.Time) (Scenario, error) {
	if o.Scenario == "" {
		o.Scenario = DefaultScenario
	}
	sc, ok := LookupScenario(o.Scenario)
	if !ok {
		return sc, fmt.Errorf("unknown scenario %q (want one of %s)", o.Scenario, strings.Join(ScenarioNames(), ", "))
	}
	switch o.Backend {
	case "":
		o.Backend = Local
	case Local, Compose:
	default:
		return sc, fmt.Errorf("unknown backend %q (want local or compose)", o.Backend)
	}
	if o.Hold == 0 {
		o.Hold = DefaultHold
	}
	if o.Hold < 0 {
		return sc, errors.New("hold must be positive")
	}
	if o.Out == "" {
		o.Out = fmt.Sprintf("etcdpm-repro-%s-%s", sc.Name, now.UTC().Format("20060102T150405Z"))
	}
	if o.RootKey == "" {
		o.RootKey = "/root"
	}
	o.RootKey = strings.TrimRight(o.RootKey, "/")
	switch {
	case o.Backend == Local && o.EtcdBinary == "" && o.MemberCommand == nil:
		return sc, errors.New("local backend: no way to run a member (MemberCommand or EtcdBinary)")
	case o.Backend == Compose && o.EtcdBinary != "":
		return sc, errors.New("--etcd-binary is for the local backend; the compose backend runs ETCD_IMAGE")
	}
	if o.ComposeFile == "" {
		o.ComposeFile = "docker-compose.yml"
	}
	if o.Backend == Compose {
		if _, err := os.Stat(o.ComposeFile); err != nil {
			return sc, fmt.Errorf("compose backend: %w (run from the etcdpm repository, or name the stack's file)", err)
		}
	}
	return sc, nil
}

// Run reproduces opts.Scenario: up, data, capture, fault, hold, heal, data check, analysis, and
// the reports in the capture directory. Whatever happens (an error, ctx ending on Ctrl-C),
// nothing it started is left running when it returns: members, containers, networks, volumes.
// A run that lost data returns its outcome and an error wrapping ErrDataLost; a failed run
// keeps its capture directory and, unless ctx ended, analyzes what it recorded.
func Run(ctx context.Context, opts Options) (out *Outcome, err error) {
	begin := time.Now()
	sc, err := opts.setDefaults(begin)
	if err != nil {
		return nil, err
	}
	p := newProgress(opts.Progress, opts.Terminal, begin)
	o := &Outcome{Dir: opts.Out, Scenario: sc.Name, Backend: opts.Backend, PreVote: opts.PreVote}
	if err := createDir(o.Dir); err != nil {
		return nil, err
	}
	actions, err := os.Create(filepath.Join(o.Dir, ActionsFile))
	if err != nil {
		return nil, err
	}
	defer actions.Close()
	tl := scenario.NewTimeline(actions)

	var b backend = &localBackend{opts: &opts}
	if opts.Backend == Compose {
		b = &composeBackend{opts: &opts}
	}
	p.step("repro %s (%s), pre-vote %t, hold %s, backend %s", sc.Name, sc.Summary, opts.PreVote, opts.Hold, opts.Backend)

	closed, started := false, false
	teardown := func() error {
		if closed {
			return nil
		}
		closed = true
		p.hideLive()
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if err := b.close(cctx); err != nil {
			p.step("removing the cluster: %v", err)
			return fmt.Errorf("removing the cluster: %w", err)
		}
		if started {
			p.step("cluster removed")
		}
		return nil
	}
	defer func() {
		if terr := teardown(); terr != nil && err == nil {
			err = terr
		}
	}()

	runErr := o.run(ctx, sc, &opts, b, tl, p, &started)
	p.hideLive()
	o.Steps = tl.Steps()
	switch {
	case ctx.Err() != nil:
		p.step("interrupted: stopping the capture, removing the cluster")
	case runErr != nil:
		p.step("failed: %v", runErr)
	}
	sum, capErr := b.stopCapture()
	o.Capture = sum
	if sum != nil {
		p.step("capture stopped: %d log lines, %d status records, %d metrics records, %d events", sum.LogLines, sum.StatusRecords, sum.MetricsRecords, sum.Events)
	}
	terr := teardown()
	if runErr == nil {
		runErr = capErr
	}
	if runErr == nil {
		runErr = terr
	}
	if ctx.Err() != nil {
		if sum != nil {
			p.printf("interrupted; what was recorded is in %s/ (etcdpm analyze %s)\n", o.Dir, o.Dir)
		}
		o.writeRun(&opts, runErr)
		return o, fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}
	if sum == nil { // nothing recorded: nothing to analyze
		o.writeRun(&opts, runErr)
		return o, runErr
	}
	if aerr := o.analyze(&opts, sc, p, begin); aerr != nil && runErr == nil {
		runErr = aerr
	}
	o.writeRun(&opts, runErr)
	return o, runErr
}

// run is the part of Run that uses the cluster: up to the data check.
func (o *Outcome) run(ctx context.Context, sc Scenario, opts *Options, b backend, tl *scenario.Timeline, p *progress, started *bool) error {
	p.step("starting %d members: %s", len(memberNames), strings.Join(memberNames, ", "))
	*started = true
	c, err := b.start(ctx)
	if err != nil {
		return err
	}
	o.Members, o.Etcd = c.IDs(), b.describe()
	var parts []string
	for _, name := range memberNames {
		parts = append(parts, name+" "+o.Members[name])
	}
	p.step("members up (%s): %s", o.Etcd, strings.Join(parts, ", "))
	data := keys(opts.RootKey, sc.Name)
	res, err := sc.Run(ctx, c, tl, scenario.Options{
		Hold: opts.Hold, Keys: data, Root: opts.RootKey,
		Print: func(text string) { p.step("%s", text) },
		BeforeFault: func(ctx context.Context) error {
			if err := b.startCapture(ctx, o.Dir); err != nil {
				return err
			}
			p.step("capturing into %s/", o.Dir)
			p.showLive(b.snapshot)
			return nil
		},
		Observe: func() string { return describe(b.snapshot()) },
	})
	o.Keys, o.Intact, o.Checked = res.Keys, res.Intact, res.Checked
	return err
}

// keys are the data a run writes: the demo's /root/foo, and more under /root/etcdpm-repro/.
func keys(root, scenarioName string) [][2]string {
	kvs := [][2]string{{root + "/foo", "Hello World"}}
	for i := 1; len(kvs) < keysWritten; i++ {
		kvs = append(kvs, [2]string{fmt.Sprintf("%s/etcdpm-repro/%s/%02d", root, scenarioName, i), fmt.Sprintf("value %d", i)})
	}
	return kvs
}

// analyze analyzes the capture directory, writes the reports and prints the verdict.
func (o *Outcome) analyze(opts *Options, sc Scenario, p *progress, begin time.Time) error {
	res, err := analyzeDir(o.Dir)
	if err != nil {
		return fmt.Errorf("analyzing %s: %w", o.Dir, err)
	}
	o.Result = res
	title := fmt.Sprintf("etcdpm repro %s (%s backend, pre-vote %t, hold %s)", sc.Name, opts.Backend, opts.PreVote, opts.Hold)
	o.HTML, o.Markdown, err = writeReports(o.Dir, res, report.Options{Title: title, Version: opts.Version, Generated: time.Now().UTC()})
	if err != nil {
		return err
	}
	o.Elapsed = time.Since(begin)
	p.step("analyzed: verdict %s", res.Diagnosis.Verdict)
	data := "not checked (the run failed before)"
	if o.Checked {
		data = fmt.Sprintf("%d of %d keys intact", o.Intact, o.Keys)
	}
	p.printf("\nverdict:  %s: %s\nfindings: %s\ndata:     %s\nreport:   %s\n          %s\n",
		res.Diagnosis.Verdict, res.Diagnosis.Headline, strings.Join(o.Kinds(), ", "), data, o.HTML, o.Markdown)
	return nil
}

// Kinds lists the kinds of the findings, each once, in the result's order.
func (o *Outcome) Kinds() []string {
	var kinds []string
	if o.Result != nil {
		for _, f := range o.Result.Findings {
			if !slices.Contains(kinds, f.Kind) {
				kinds = append(kinds, f.Kind)
			}
		}
	}
	return kinds
}

// runFile is repro.json.
type runFile struct {
	Schema   string            `json:"schema"`
	Scenario string            `json:"scenario"`
	Backend  string            `json:"backend"`
	PreVote  bool              `json:"pre_vote"`
	Hold     string            `json:"hold"`
	Etcd     string            `json:"etcd"`
	Members  map[string]string `json:"members"`
	RootKey  string            `json:"root_key"`
	Keys     int               `json:"keys"`
	Intact   *int              `json:"intact"` // null: not checked
	Steps    []scenario.Step   `json:"steps"`
	Verdict  string            `json:"verdict,omitempty"`
	Findings []string          `json:"findings,omitempty"`
	Error    string            `json:"error,omitempty"`
	Seconds  float64           `json:"seconds,omitempty"` // command to report
}

// writeRun writes repro.json; a failure to write it is not the run's.
func (o *Outcome) writeRun(opts *Options, runErr error) {
	rf := runFile{
		Schema: "etcdpm.repro/v1", Scenario: o.Scenario, Backend: o.Backend, PreVote: o.PreVote,
		Hold: opts.Hold.String(), Etcd: o.Etcd, Members: o.Members, RootKey: opts.RootKey, Keys: o.Keys,
		Steps: o.Steps, Findings: o.Kinds(), Seconds: o.Elapsed.Seconds(),
	}
	if o.Checked {
		rf.Intact = &o.Intact
	}
	if o.Result != nil {
		rf.Verdict = o.Result.Diagnosis.Verdict
	}
	if runErr != nil {
		rf.Error = runErr.Error()
	}
	data, err := json.MarshalIndent(&rf, "", "  ")
	if err == nil {
		os.WriteFile(filepath.Join(o.Dir, RunFile), append(data, '\n'), 0o644)
	}
}

// createDir creates dir, which must not exist or be empty.
func createDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case err == nil && len(entries) > 0:
		return fmt.Errorf("%s exists and is not empty: choose another --out", dir)
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return err
	}
	return os.MkdirAll(dir, 0o755)
}
