// Command etcdpm turns etcd logs into a postmortem: election events, findings
// and a verdict. See `etcdpm --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"golang.org/x/term"

	etcdparser "github.com/etcdpm/etcdpm/parser"
	"github.com/etcdpm/etcdpm/report"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// Globals are the flags every command takes.
type Globals struct {
	Version kong.VersionFlag `help:"Print etcdpm's version and exit."`
}

// CLI is etcdpm's command line.
type CLI struct {
	Globals

	Analyze    analyzeCmd `cmd:"" help:"Read etcd logs and say what happened to the cluster's elections."`
	Capture    captureCmd `cmd:"" help:"Record a compose project's logs, etcd status and Docker events while a reproduction runs."`
	Repro      reproCmd   `cmd:"" help:"Reproduce an etcd failure on a fresh 3-member cluster, record it and analyze it."`
	Bundle     bundleCmd  `cmd:"" help:"Pack a capture directory and its report into one tar.gz for an issue, redacted if asked."`
	Member     memberCmd  `cmd:"" hidden:"" passthrough:""`
	VersionCmd versionCmd `cmd:"" name:"version" help:"Print etcdpm's version."`
}

// Help is shown below the usage of `etcdpm --help`.
func (CLI) Help() string {
	return `etcdpm reads the logs of an etcd cluster that lost quorum or flapped its leader and says what
happened, why, and what to do: who led at which term, the windows with no leader, findings
such as quorum loss, candidacy loops and disruptive rejoins, and the log lines that prove them.

Examples:
  etcdpm analyze logs.txt                       # docker compose logs, kubectl logs, journalctl, ...
  etcdpm analyze n1.log n2.log n3.log           # one file per member, merged by time
  docker compose logs --timestamps | etcdpm analyze -
  etcdpm analyze --format json logs.txt.gz      # the etcdpm.analysis/v1 document
  etcdpm analyze logs.txt -o report.html --md report.md
  etcdpm capture -p etcd-demo --for 2m -o incident --analyze
  etcdpm repro                                  # quorum loss on a fresh local cluster, no Docker
  etcdpm repro -s leader-kill --pre-vote=true
  etcdpm version                                # the module version and commit`
}

// env is what commands get from main: the streams and a context that ends on
// Ctrl-C or SIGTERM.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// isTerminal reports whether stdout is a terminal (colour, live status).
	isTerminal bool
	// termWidth is stdout's width in columns when it is a terminal, else 0.
	termWidth int
	// grace is how long the command may take to end after a signal, in
	// nanoseconds: run sets it once the command is known.
	grace atomic.Int64
}

// graces are the commands that tear down what they started once
// interrupted, and how long they may take (repro's cleanup gives up after 2
// minutes); any other command ends within defaultGrace of a signal.
var graces = map[string]time.Duration{
	"capture": 150 * time.Second,
	"repro":   150 * time.Second,
}

const defaultGrace = 2 * time.Second

func main() {
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, isTerminal: isTerminal(os.Stdout)}
	if e.isTerminal {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			e.termWidth = w
		}
	}
	e.grace.Store(int64(defaultGrace))
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go stopOnSignal(sigs, cancel, e, os.Exit)
	os.Exit(run(ctx, os.Args[1:], e))
}

// stopOnSignal makes one Ctrl-C or SIGTERM always stop etcdpm. The first
// cancels the command's context: it ends cleanly (repro and capture tear
// down and keep what they recorded). A second one kills etcdpm at once,
// without that cleanup (the signal's default action, restored); and a
// command still running after its grace, stuck where no context reaches (a
// FIFO's open), is ended by exit with 128 plus the signal's number.
func stopOnSignal(sigs chan os.Signal, cancel context.CancelFunc, e *env, exit func(int)) {
	sig := <-sigs
	cancel()
	signal.Stop(sigs)
	grace := time.Duration(e.grace.Load())
	time.Sleep(grace)
	fmt.Fprintf(e.stderr, "etcdpm: %v, and still running %v later; exiting\n", sig, grace)
	code := 1
	if n, ok := sig.(syscall.Signal); ok {
		code = 128 + int(n)
	}
	exit(code)
}

// run parses args, runs the command and returns the exit code: 0 on
// success, 1 when the command failed, 2 on a usage error.
func run(ctx context.Context, args []string, e *env) (code int) {
	e.ctx = ctx
	var cli CLI
	exited := false
	parser, err := kong.New(&cli,
		kong.Name("etcdpm"),
		kong.Description("An etcd postmortem tool: from election logs to evidence and a verdict."),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, WrapUpperBound: 100}),
		kong.Vars{
			"version":      "etcdpm " + versionString(),
			"formats":      strings.Join(report.Formats(), ","),
			"extensions":   strings.Join(report.Extensions(), ", "),
			"layouts":      strings.Join(etcdparser.Layouts, ","),
			"layouts_list": strings.Join(etcdparser.Layouts, ", "),
		},
		kong.Writers(e.stdout, e.stderr),
		kong.Exit(func(c int) { exited = true; code = c; panic(exitPanic{}) }),
		kong.Bind(e),
	)
	if err != nil {
		fmt.Fprintf(e.stderr, "etcdpm: %v\n", err)
		return 1
	}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(exitPanic); ok && exited {
				return
			}
			panic(r)
		}
	}()
	kctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintf(e.stderr, "etcdpm: %v\n", err)
		var pe *kong.ParseError
		if errors.As(err, &pe) || len(args) == 0 {
			help := "etcdpm --help"
			if pe != nil && pe.Context != nil {
				if n := pe.Context.Selected(); n != nil {
					help = "etcdpm " + n.Name + " --help"
				}
			}
			fmt.Fprintf(e.stderr, "Run '%s' for usage.\n", help)
		}
		return 2
	}
	if n := kctx.Selected(); n != nil && graces[n.Name] > 0 {
		e.grace.Store(int64(graces[n.Name]))
	}
	if err := kctx.Run(); err != nil {
		fmt.Fprintf(e.stderr, "etcdpm: %s\n", terminalLines(err.Error()))
		return 1
	}
	return 0
}

type exitPanic struct{}

// terminalLines is report.TerminalText line by line: an error or a warning
// may join several, and may quote log text.
func terminalLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = report.TerminalText(l)
	}
	return strings.Join(lines, "\n")
}

// versionString is etcdpm's version: the module's (or -ldflags') and the
// commit it was built from.
func versionString() string {
	bi, _ := debug.ReadBuildInfo()
	return describeVersion(version, bi)
}

// describeVersion says "v1.2.3 (commit 8a9f6ce0d1e2, modified)": the
// -ldflags version, else the module's, else "dev"; then the VCS revision
// and whether the tree had changes, from the build info when Go recorded
// them (go build in a checkout).
func describeVersion(ldflags string, bi *debug.BuildInfo) string {
	v := ldflags
	if v == "" && bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "dev"
	}
	if bi == nil {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		return v + " (commit " + rev + ", modified)"
	}
	return v + " (commit " + rev + ")"
}

type versionCmd struct{}

func (versionCmd) Run(e *env) error {
	_, err := fmt.Fprintf(e.stdout, "etcdpm %s\n", versionString())
	return err
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
