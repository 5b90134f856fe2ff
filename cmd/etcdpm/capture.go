package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/capture"
	"github.com/etcdpm/etcdpm/cluster"
	"github.com/etcdpm/etcdpm/config"
	"github.com/etcdpm/etcdpm/internal/outfile"
	"github.com/etcdpm/etcdpm/parser"
	"github.com/etcdpm/etcdpm/report"
)

type captureCmd struct {
	File            string        `short:"f" placeholder:"FILE" help:"Compose file of the project to capture (default: docker-compose.yml, when --project is not given)."`
	Project         string        `short:"p" placeholder:"NAME" help:"Compose project to capture (docker compose -p NAME; default: the compose file's project)."`
	Out             string        `short:"o" placeholder:"DIR" help:"Directory to write (default: capture-<project>-<time>); refused if it holds a capture already."`
	Interval        time.Duration `default:"250ms" help:"How often each member's status is polled (10ms or more)."`
	MetricsInterval time.Duration `name:"metrics-interval" default:"1s" help:"How often each member's /metrics is scraped into metrics.jsonl (0: never)."`
	For             time.Duration `name:"for" placeholder:"DURATION" help:"Stop after this long (default: at Ctrl-C)."`
	Endpoints       []string      `sep:"," env:"ETCDCTL_ENDPOINTS" placeholder:"URL" help:"Members' client URLs to poll (default: the containers' published 2379/tcp ports, as https with TLS flags)."`
	Config          string        `placeholder:"FILE" help:"config.default.ini whose endpoints are polled when no container publishes 2379/tcp (default: the one next to the compose file)."`
	Analyze         bool          `help:"At the end, write report.html and report.md into the directory (default: off)."`
	kubeFlags
	tlsFlags
}

// kubeFlags choose etcd pods to capture through the Kubernetes API instead
// of a compose project.
type kubeFlags struct {
	Kubeconfig  string `type:"path" placeholder:"FILE" group:"Kubernetes" help:"Capture etcd pods through this kubeconfig's API server instead of a compose project (their status through --endpoints, else through a port-forward to each pod's 2379)."`
	KubeContext string `name:"context" placeholder:"NAME" group:"Kubernetes" help:"The kubeconfig's context to use (default: its current context)."`
	Namespace   string `short:"n" placeholder:"NS" group:"Kubernetes" help:"The etcd pods' namespace (default: kube-system)."`
	Selector    string `short:"l" placeholder:"LABELS" group:"Kubernetes" help:"Label selector of the etcd pods (default: component=etcd, kubeadm's static pods)."`
}

// kube reports whether the flags ask for a Kubernetes capture.
func (k kubeFlags) kube() bool { return k.Kubeconfig != "" }

// tlsFlags are etcdctl's TLS flags and variables, for every connection to
// the members: status polls, /debug/vars and /metrics.
type tlsFlags struct {
	CACert             string `name:"cacert" env:"ETCDCTL_CACERT" placeholder:"FILE" group:"TLS" help:"Verify the members' certificates with this CA bundle (default: the system's roots for https)."`
	Cert               string `name:"cert" env:"ETCDCTL_CERT" placeholder:"FILE" group:"TLS" help:"Client certificate, for members run with --client-cert-auth."`
	Key                string `name:"key" env:"ETCDCTL_KEY" placeholder:"FILE" group:"TLS" help:"The client certificate's key."`
	InsecureSkipVerify bool   `name:"insecure-skip-tls-verify" env:"ETCDCTL_INSECURE_SKIP_TLS_VERIFY" group:"TLS" help:"Accept any server certificate (the client certificate is still sent)."`
}

func (f tlsFlags) files() cluster.TLS {
	return cluster.TLS{CACert: f.CACert, Cert: f.Cert, Key: f.Key, InsecureSkipVerify: f.InsecureSkipVerify}
}

func (c *captureCmd) Help() string {
	return `Records a compose project's etcd cluster while it runs, until Ctrl-C or --for, into a directory
that 'etcdpm analyze DIR' reads whole:

  logs.txt       every container's lines, as 'docker compose logs --timestamps' prints them
  status.jsonl   each member's status (leader, term, indexes, errors) every --interval
  metrics.jsonl  each member's election metrics (leader gauges, heartbeat failures, fsync,
                 backend commit and peer round-trip histograms) every --metrics-interval
  events.jsonl   the project's Docker events: start, stop, kill, die, pause, network cuts
  meta.json      the services, containers and members, etcdpm's version, start and end

Containers that stop and start again, or appear later, are followed with no line lost or repeated.

With --kubeconfig, etcd pods are captured instead, through the API server: each pod's previous
container's log (when it restarted), then its current one followed, into logs.txt as
'kubectl logs --timestamps --prefix' prints them; the members' status through --endpoints, or
else through a port-forward to each pod's 2379 (the TLS flags apply; pods that appear later, or are
recreated, are forwarded at the next listing, every 2s); the containers' terminations and the pods'
Killing, Started and OOMKilling events as events.jsonl.

Examples:
  etcdpm capture                                 # the project of ./docker-compose.yml
  etcdpm capture -p etcd-demo --for 2m -o incident --analyze
  etcdpm capture -f stack/docker-compose.yml --interval 1s
  etcdpm capture -p etcd-demo --endpoints http://10.0.0.1:2379,http://10.0.0.2:2379
  etcdpm capture -p etcd-demo --cacert ca.pem --cert client.pem --key client-key.pem \
      --endpoints https://10.0.0.1:2379,https://10.0.0.2:2379,https://10.0.0.3:2379
  etcdpm capture --kubeconfig ~/.kube/config -n kube-system -l component=etcd \
      --cacert ca.crt --cert client.crt --key client.key \
      --endpoints https://10.0.0.1:2379,https://10.0.0.2:2379,https://10.0.0.3:2379
  etcdpm analyze incident/`
}

// minInterval is the shortest --interval: below it the polls only time out.
const minInterval = 10 * time.Millisecond

// Validate rejects flags that cannot work before Docker is asked anything:
// a usage error.
func (c *captureCmd) Validate() error {
	if c.Interval < minInterval {
		return fmt.Errorf("--interval must be at least %v, not %v", minInterval, c.Interval)
	}
	if c.MetricsInterval < 0 {
		return fmt.Errorf("--metrics-interval must be positive, or 0 to scrape nothing, not %v", c.MetricsInterval)
	}
	if c.For < 0 {
		return fmt.Errorf("--for must be positive, not %v (leave it out to stop at Ctrl-C)", c.For)
	}
	if c.File != "" && c.Project != "" {
		return errors.New("-f and --project both name the project: give one")
	}
	if err := c.validateKube(); err != nil {
		return err
	}
	eps := make([]string, 0, len(c.Endpoints))
	for _, ep := range c.Endpoints {
		u, err := config.EndpointURL(strings.TrimSpace(ep))
		if err != nil {
			return fmt.Errorf("--endpoints: %w", err)
		}
		eps = append(eps, u)
	}
	c.Endpoints = eps
	_, err := c.files().Config() // the files are read again in Run: here only checked
	return err
}

func (c *captureCmd) Run(e *env) error {
	if c.kube() {
		return c.runKube(e)
	}
	file := c.File
	if file == "" && c.Project == "" {
		file = "docker-compose.yml"
		if _, err := os.Stat(file); err != nil {
			return errors.New("capture: no docker-compose.yml here: name the project (--project) or its compose file (-f)")
		}
	}
	if c.File != "" {
		fi, err := os.Stat(c.File)
		switch {
		case err != nil:
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return fmt.Errorf("capture: -f %s: %w", c.File, err)
		case fi.IsDir():
			return fmt.Errorf("capture: -f %s is a directory: name the compose file in it", c.File)
		}
	}
	var cfgEndpoints []string
	if len(c.Endpoints) == 0 { // else config.default.ini is not used
		var err error
		if cfgEndpoints, err = c.configEndpoints(file); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
	}
	tc, metricsEvery, err := c.connections()
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	opts := capture.Options{
		Out: c.Out, Project: c.Project, ComposeFile: file,
		Endpoints: c.Endpoints, ConfigEndpoints: cfgEndpoints,
		Interval: c.Interval, Duration: c.For, MetricsInterval: metricsEvery, TLS: tc,
		Version: versionString(), Command: append([]string{"etcdpm"}, os.Args[1:]...),
	}
	if file != "" {
		if abs, err := filepath.Abs(file); err == nil {
			opts.ComposeFile = abs
		}
	}
	s, err := capture.New(e.ctx, opts)
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	fmt.Fprintf(e.stdout, "capture: project %s into %s/ (Ctrl-C to stop)\n", s.Project(), s.Dir())
	d := capture.NewDisplay(e.stdout, e.isTerminal, 5*time.Second, s.Snapshot)
	d.Start()
	sum, err := s.Run(e.ctx)
	d.Stop()
	if sum != nil && sum.LogLines == 0 && sum.StatusRecords == 0 && sum.Events == 0 {
		fmt.Fprintf(e.stderr, "etcdpm: capture: nothing recorded: no container of project %s was seen\n", s.Project())
	}
	return c.finish(e, sum, err, s.Dir(), s.Project())
}

// finish tells what a capture wrote, and writes its reports with --analyze.
func (c *captureCmd) finish(e *env, sum *capture.Summary, err error, dir, what string) error {
	if sum != nil {
		fmt.Fprintf(e.stdout, "capture: wrote %s/ in %v: %d log lines, %d status records, %d metrics records, %d events\n",
			sum.Dir, sum.End.Sub(sum.Start).Round(100*time.Millisecond), sum.LogLines, sum.StatusRecords, sum.MetricsRecords, sum.Events)
		for _, name := range []string{capdir.LogsFile, capdir.StatusFile, capdir.MetricsFile, capdir.EventsFile} {
			if n := sum.Lost[name]; n > 0 {
				fmt.Fprintf(e.stderr, "etcdpm: capture: %d lines not written to %s\n", n, filepath.Join(sum.Dir, name))
			}
		}
	}
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	if c.Analyze {
		if err := writeReports(dir, what); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
		fmt.Fprintf(e.stdout, "capture: wrote %s and %s\n", filepath.Join(dir, "report.html"), filepath.Join(dir, "report.md"))
	}
	return nil
}

// connections are the TLS configuration of every connection to the members,
// and how often their metrics are scraped (negative: never).
func (c *captureCmd) connections() (*tls.Config, time.Duration, error) {
	tc, err := c.files().Config()
	if err != nil {
		return nil, 0, err
	}
	metricsEvery := c.MetricsInterval
	if metricsEvery == 0 {
		metricsEvery = -1 // none
	}
	return tc, metricsEvery, nil
}

// configEndpoints reads the endpoints of --config, or of the
// config.default.ini next to the compose file when there is one.
func (c *captureCmd) configEndpoints(composeFile string) ([]string, error) {
	path := c.Config
	if path == "" {
		if composeFile == "" {
			return nil, nil
		}
		path = filepath.Join(filepath.Dir(composeFile), config.DefaultPath)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	return cfg.Endpoints, nil
}

// writeReports analyzes the capture in dir as `etcdpm analyze dir` does and
// writes report.html and report.md into it, each whole (a link found there
// is replaced, never written through).
func writeReports(dir, project string) error {
	logs := filepath.Join(dir, capdir.LogsFile)
	f, err := os.Open(logs)
	if err != nil {
		return err
	}
	defer f.Close()
	names := []string{logs}
	capt, err := capdir.Read(dir)
	var me *capdir.MalformedError
	if err != nil && !errors.As(err, &me) {
		return err
	}
	res, _, err := analyzeSources(context.Background(), names, []parser.Source{{R: f, Opts: parser.Options{Name: logs, TZ: time.UTC}}}, *capt)
	if err != nil {
		return err
	}
	opts := report.Options{Title: "etcdpm capture of " + project, Version: versionString(), Generated: time.Now()}
	for _, r := range []struct {
		name   string
		render func(*bytes.Buffer) error
	}{
		{"report.html", func(b *bytes.Buffer) error { return report.HTML(b, res, opts) }},
		{"report.md", func(b *bytes.Buffer) error { return report.Markdown(b, res, opts) }},
	} {
		var b bytes.Buffer
		if err := r.render(&b); err != nil {
			return err
		}
		if err := outfile.WriteFile(filepath.Join(dir, r.name), b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}
