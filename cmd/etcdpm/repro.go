package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"time"

	"github.com/etcdpm/etcdpm/config"
	"github.com/etcdpm/etcdpm/repro"
)

type reproCmd struct {
	Scenario   string        `short:"s" default:"quorum-loss" placeholder:"NAME" help:"What to break: one of the scenarios below (default: quorum-loss)."`
	Backend    string        `short:"b" default:"local" enum:"local,compose" help:"local: members are child processes on 127.0.0.1, no Docker needed. compose: the demo's docker-compose.yml on the Docker engine."`
	PreVote    bool          `name:"pre-vote" help:"Raft pre-vote for every member (--pre-vote=true|false). Off is etcd 3.4's default and the demo's loop; on is etcd 3.5+'s."`
	Hold       time.Duration `default:"20s" help:"How long the fault lasts before it is healed."`
	Out        string        `short:"o" placeholder:"DIR" help:"Directory to write (default: etcdpm-repro-<scenario>-<UTC time>); it must not exist, or be empty."`
	EtcdBinary string        `name:"etcd-binary" placeholder:"PATH" help:"local: run this etcd binary (e.g. .cache/etcd/v3.5.35/etcd) instead of the embedded etcd."`
	File       string        `short:"f" name:"compose-file" default:"docker-compose.yml" placeholder:"FILE" help:"compose: the stack's compose file."`
	Image      string        `placeholder:"IMAGE" help:"compose: the etcd image (default: $ETCD_IMAGE, else the compose file's)."`
	Project    string        `short:"p" placeholder:"NAME" help:"compose: the project's name (default: a random etcdpm-repro-<hex>)."`
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
  logs.txt       the members' logs, as 'docker compose logs --timestamps' prints them
  status.jsonl   each member's status (leader, term, indexes, errors) every 250ms
  events.jsonl   the faults: stop, kill, pause, network cuts (Docker's events, with compose)
  meta.json      what was recorded, from when to when
  actions.log    the steps, one line each; repro.json: the run and its verdict
  members/       (local) each member's log as etcd wrote it
  report.html, report.md

Examples:
  etcdpm repro                                   # quorum loss, embedded etcd, no Docker
  etcdpm repro --pre-vote=true --hold 30s        # the survivor pre-campaigns at a fixed term
  etcdpm repro -s follower-partition --hold 10s
  etcdpm repro -s leader-kill --etcd-binary .cache/etcd/v3.5.35/etcd
  ETCD_IMAGE=etcdpm/etcd:v3.6.16 etcdpm repro --backend compose -s leader-pause`
}

func (c *reproCmd) Run(e *env) error {
	if _, ok := repro.LookupScenario(c.Scenario); !ok {
		return fmt.Errorf("repro: unknown scenario %q (want one of %v)", c.Scenario, repro.ScenarioNames())
	}
	root, err := rootKey()
	if err != nil {
		return fmt.Errorf("repro: %w", err)
	}
	opts := repro.Options{
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
	if _, err := repro.Run(e.ctx, opts); err != nil {
		return fmt.Errorf("repro: %w", err)
	}
	return nil
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
