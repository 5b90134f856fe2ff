package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/config"
	"github.com/etcdpm/etcdpm/repro"
)

type reproCmd struct {
	Scenario   string        `short:"s" default:"quorum-loss" placeholder:"NAME" help:"What to break: one of the scenarios above (default: ${default})."`
	Backend    string        `short:"b" default:"local" enum:"local,compose" help:"local: members are child processes on 127.0.0.1, no Docker needed. compose: the demo's docker-compose.yml on the Docker engine."`
	PreVote    bool          `name:"pre-vote" help:"Raft pre-vote for every member (--pre-vote=true|false). Off is etcd 3.4's default and the demo's loop; on is etcd 3.5+'s (default: off)."`
	Hold       time.Duration `default:"20s" help:"How long the fault lasts before it is healed."`
	Out        string        `short:"o" placeholder:"DIR" help:"Directory to write (default: etcdpm-repro-<scenario>-<UTC time>); it must not exist, or be empty."`
	EtcdBinary string        `name:"etcd-binary" placeholder:"PATH" help:"local: run this etcd binary (e.g. .cache/etcd/v3.5.35/etcd; default: the embedded etcd)."`
	File       string        `short:"f" name:"compose-file" default:"docker-compose.yml" placeholder:"FILE" help:"compose: the stack's compose file (default: ${default})."`
	Image      string        `placeholder:"IMAGE" help:"compose: the etcd image (default: $ETCD_IMAGE, else the compose file's)."`
	Project    string        `short:"p" placeholder:"NAME" help:"compose: the project's name (default: a random etcdpm-repro-<hex>)."`
	// The TLS flags are for a compose file whose members serve https: the
	// local backend's members serve http.
	tlsFlags
}

func (c *reproCmd) Help() string {
	help := `Brings up a 3-member etcd cluster (etcd1, etcd2, etcd3), writes data under the root key
(/root, or config.default.ini's), starts recording (logs, each member's status, the faults),
injects the scenario's fault, holds it, heals it, checks that the data is intact, stops
recording, and writes report.html and report.md into the directory, which 'etcdpm analyze DIR'
also reads whole. Nothing it started is left running, even after Ctrl-C.

Scenarios:
`
	for _, s := range repro.Scenarios() {
		help += fmt.Sprintf("  %-19s %s\n", s.Name, s.Summary)
	}
	return help + `
The directory:
  members/       (local) each member's log as etcd wrote it
  logs.txt       (compose) the members' logs, as 'docker compose logs --timestamps' prints them
  status.jsonl   each member's status (leader, term, indexes, errors) every 250ms
  metrics.jsonl  each member's election metrics (/metrics) every second
  events.jsonl   the faults: stop, kill, pause, network cuts (Docker's events, with compose)
  meta.json      what was recorded, from when to when, and where the logs are
  actions.log    the steps, one line each; repro.json: the run and its verdict
  report.html, report.md

Examples:
  etcdpm repro                                   # quorum loss, embedded etcd, no Docker
  etcdpm repro --pre-vote=true --hold 30s        # the survivor pre-campaigns at a fixed term
  etcdpm repro -s follower-partition --hold 10s
  etcdpm repro -s leader-kill --etcd-binary .cache/etcd/v3.5.35/etcd
  ETCD_IMAGE=etcdpm/etcd:v3.6.16 etcdpm repro --backend compose -s leader-pause
  etcdpm repro --backend compose -f tls-compose.yml --cacert ca.pem --cert client.pem --key client-key.pem`
}

// Validate rejects flags that cannot work before anything is started or
// written: a usage error.
func (c *reproCmd) Validate() error {
	if _, ok := repro.LookupScenario(c.Scenario); !ok {
		return fmt.Errorf("unknown scenario %q: want one of %s", c.Scenario, strings.Join(repro.ScenarioNames(), ", "))
	}
	if c.Hold <= 0 {
		return fmt.Errorf("--hold must be positive, not %v", c.Hold)
	}
	switch c.Backend {
	case repro.Compose:
		if c.EtcdBinary != "" {
			return errors.New("--etcd-binary is for the local backend; the compose backend runs --image (or $ETCD_IMAGE)")
		}
	case repro.Local:
		for _, f := range []struct {
			set  bool
			flag string
		}{
			{c.Image != "", "--image"},
			{c.Project != "", "--project"},
			{c.File != defaultComposeFile, "--compose-file"},
		} {
			if f.set {
				return fmt.Errorf("%s is for the compose backend: add --backend compose", f.flag)
			}
		}
		if !c.files().IsZero() {
			return errors.New("--cacert, --cert, --key and --insecure-skip-tls-verify (or $ETCDCTL_CACERT, $ETCDCTL_CERT, $ETCDCTL_KEY, $ETCDCTL_INSECURE_SKIP_TLS_VERIFY) are for the compose backend, whose compose file may serve https: the local backend's members serve http")
		}
	}
	_, err := c.files().Config() // read again in Run: here only checked
	return err
}

// defaultComposeFile is --compose-file's default.
const defaultComposeFile = "docker-compose.yml"

// etcdBinary checks --etcd-binary: a path to an executable file, or a name
// found in $PATH when no file has that name here.
func etcdBinary(path string) (string, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) && !strings.ContainsRune(path, filepath.Separator) {
		found, lerr := exec.LookPath(path)
		if lerr != nil {
			return "", fmt.Errorf("--etcd-binary %s: no such file, nor in $PATH", path)
		}
		return found, nil
	}
	switch {
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("--etcd-binary %s: %w", path, err)
	case fi.IsDir():
		return "", fmt.Errorf("--etcd-binary %s is a directory: name the etcd executable in it", path)
	case fi.Mode()&0o111 == 0:
		return "", fmt.Errorf("--etcd-binary %s is not executable (chmod +x it)", path)
	}
	if !strings.ContainsRune(path, filepath.Separator) {
		path = "." + string(filepath.Separator) + path // a file here, not one in $PATH
	}
	return path, nil
}

func (c *reproCmd) Run(e *env) error {
	if c.EtcdBinary != "" {
		bin, err := etcdBinary(c.EtcdBinary)
		if err != nil {
			return fmt.Errorf("repro: %w", err)
		}
		c.EtcdBinary = bin
	}
	newDir := c.Out == "" // else it may exist, empty: it is kept
	if !newDir {
		_, err := os.Stat(c.Out)
		newDir = errors.Is(err, fs.ErrNotExist)
	}
	root, err := rootKey()
	if err != nil {
		return fmt.Errorf("repro: %w", err)
	}
	tc, err := c.files().Config()
	if err != nil {
		return fmt.Errorf("repro: %w", err)
	}
	opts := repro.Options{
		TLS:      tc,
		Scenario: c.Scenario, Backend: c.Backend, PreVote: c.PreVote, Hold: c.Hold, Out: c.Out,
		RootKey: root, EtcdBinary: c.EtcdBinary,
		ComposeFile: c.File, Image: c.Image, Project: c.Project,
		Progress: e.stdout, Terminal: e.isTerminal,
		Version: versionString(), Command: append([]string{"etcdpm"}, os.Args[1:]...),
	}
	if c.Backend == repro.Local && c.EtcdBinary == "" {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("repro: finding etcdpm's executable to run the members: %w", err)
		}
		opts.MemberCommand = func(flags []string) *exec.Cmd {
			return exec.Command(self, append([]string{"member"}, flags...)...)
		}
	}
	out, err := repro.Run(e.ctx, opts)
	if err != nil {
		if out != nil && out.Capture == nil {
			removeUnrecorded(out.Dir, newDir)
		}
		return fmt.Errorf("repro: %w", err)
	}
	return nil
}

// removeUnrecorded removes what a run that failed before it recorded
// anything wrote into dir, when that is only the steps and the run's
// description: the error says all of it, and the same --out can be used
// again. The directory goes too when the run created it.
func removeUnrecorded(dir string, created bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, en := range entries {
		if en.Name() != repro.ActionsFile && en.Name() != repro.RunFile {
			return
		}
	}
	for _, en := range entries {
		os.Remove(filepath.Join(dir, en.Name()))
	}
	if created {
		os.Remove(dir)
	}
}

// rootKey is config.default.ini's root key when the file is here, else the demo's /root.
func rootKey() (string, error) {
	cfg, err := config.Load(config.DefaultPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "/root", nil
	case err != nil:
		return "", err
	case cfg.RootKey == "":
		return "/root", nil
	}
	return cfg.RootKey, nil
}
