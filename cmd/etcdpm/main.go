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
	"syscall"

	"github.com/alecthomas/kong"
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
  etcdpm analyze --format json logs.txt.gz      # the etcdpm.analysis/v1 document`
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
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C ends the command cleanly (repro and capture tear down
	// and keep what they recorded); a second one kills etcdpm at once.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, isTerminal: isTerminal(os.Stdout)})
	stop()
	os.Exit(code)
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
		kong.Vars{"version": "etcdpm " + versionString()},
		kong.Writers(e.stdout, e.stderr),
		kong.Exit(func(c int) { exited = true; code = c; panic(exitPanic{}) }),
		kong.Bind(e),
		kong.BindTo(ctx, (*context.Context)(nil)),
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
	if err := kctx.Run(); err != nil {
		fmt.Fprintf(e.stderr, "etcdpm: %v\n", err)
		return 1
	}
	return 0
}

type exitPanic struct{}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
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
