// Package stack runs the demo's docker-compose.yml as one compose project,
// with docker compose (v2) or docker-compose (v1), for tests and reproductions.
package stack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// ErrNoCompose is returned by Detect when neither `docker compose` nor
// `docker-compose` runs.
var ErrNoCompose = errors.New("neither `docker compose` (v2) nor `docker-compose` (v1) is installed")

// Compose is a compose command line.
type Compose struct {
	// Command is the program and its leading arguments: ["docker", "compose"]
	// or ["docker-compose"].
	Command []string
	// Version is what `version --short` printed, e.g. "2.29.7" or "1.29.2".
	Version string
}

// V1 reports whether this is docker-compose 1.x (the Python one).
func (c Compose) V1() bool { return strings.HasPrefix(strings.TrimPrefix(c.Version, "v"), "1.") }

func (c Compose) String() string {
	return strings.Join(c.Command, " ") + " " + c.Version
}

// Detect finds the compose command: $ETCDPM_COMPOSE when set (e.g.
// "docker-compose" or "/opt/bin/docker-compose-v2"), else `docker compose`
// when the plugin answers, else `docker-compose`.
func Detect(ctx context.Context) (Compose, error) {
	var candidates [][]string
	if s := strings.TrimSpace(os.Getenv("ETCDPM_COMPOSE")); s != "" {
		candidates = [][]string{strings.Fields(s)}
	} else {
		candidates = [][]string{{"docker", "compose"}, {"docker-compose"}}
	}
	var errs []error
	for _, cmd := range candidates {
		args := append(append([]string(nil), cmd[1:]...), "version", "--short")
		out, err := exec.CommandContext(ctx, cmd[0], args...).Output()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", strings.Join(cmd, " "), err))
			continue
		}
		return Compose{Command: cmd, Version: strings.TrimSpace(string(out))}, nil
	}
	return Compose{}, fmt.Errorf("%w (%w)", ErrNoCompose, errors.Join(errs...))
}

// Options describe a project.
type Options struct {
	// File is the compose file (default: docker-compose.yml in the current directory).
	// Relative paths in it (./config.default.ini) are relative to its directory.
	File string
	// Name is the project name (-p); default RandomName("etcdpm-test").
	Name string
	// Env sets the file's variables (ETCD_IMAGE, ETCD_PRE_VOTE, ETCD1_PORT, ...),
	// over the process's environment and any .env file.
	Env map[string]string
	// Compose is the command to run; default Detect's.
	Compose *Compose
	// Logf, when set, receives each command line run and, on failure, its output.
	Logf func(format string, args ...any)
}

// Project is one compose project: a name, a file and the variables it is run with.
type Project struct {
	Name    string
	File    string
	Compose Compose
	env     []string
	logf    func(format string, args ...any)
}

// New returns the project opts describe. Nothing is started.
func New(ctx context.Context, opts Options) (*Project, error) {
	p := &Project{Name: opts.Name, File: opts.File, logf: opts.Logf}
	if p.Name == "" {
		p.Name = RandomName("etcdpm-test")
	}
	if p.File == "" {
		p.File = "docker-compose.yml"
	}
	abs, err := filepath.Abs(p.File)
	if err != nil {
		return nil, fmt.Errorf("compose file: %w", err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("compose file: %w", err)
	}
	p.File = abs
	if opts.Compose != nil {
		p.Compose = *opts.Compose
	} else if p.Compose, err = Detect(ctx); err != nil {
		return nil, err
	}
	if p.logf == nil {
		p.logf = func(string, ...any) {}
	}
	// exec.Cmd keeps the last value of a duplicated variable: ours win.
	p.env = os.Environ()
	keys := make([]string, 0, len(opts.Env))
	for k := range opts.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p.env = append(p.env, k+"="+opts.Env[k])
	}
	return p, nil
}

// RandomName returns prefix-<8 hex digits>, a project name that does not
// collide with a user's stack or another test's.
func RandomName(prefix string) string {
	var b [4]byte
	rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// Up creates and starts services (all when none is named), detached. When
// it fails with an image of theirs missing here (its pull failed: no
// registry), the error is a *MissingImageError naming it and saying how to
// build it.
func (p *Project) Up(ctx context.Context, services ...string) error {
	_, err := p.run(ctx, append([]string{"up", "-d"}, services...)...)
	if err != nil {
		return p.explainUp(ctx, err, services)
	}
	return nil
}

// Stop stops services (all when none is named); their containers and data stay.
func (p *Project) Stop(ctx context.Context, services ...string) error {
	_, err := p.run(ctx, append([]string{"stop"}, services...)...)
	return err
}

// Start starts stopped services (all when none is named).
func (p *Project) Start(ctx context.Context, services ...string) error {
	_, err := p.run(ctx, append([]string{"start"}, services...)...)
	return err
}

// Logs returns the services' logs (all when none is named) without colours,
// with the compose prefix (`etcd3_1  | ` in v1, `etcd3-1  | ` in v2) and, if
// timestamps, each line's container timestamp: what
// `docker compose logs --timestamps > logs.txt` writes.
func (p *Project) Logs(ctx context.Context, timestamps bool, services ...string) ([]byte, error) {
	args := []string{"logs", "--no-color"}
	if timestamps {
		args = append(args, "--timestamps")
	}
	return p.run(ctx, append(args, services...)...)
}

// Exec runs a command in a service's running container, without a TTY, and
// returns its standard output and error, combined.
func (p *Project) Exec(ctx context.Context, service string, command ...string) ([]byte, error) {
	return p.run(ctx, append([]string{"exec", "-T", service}, command...)...)
}

// Down removes the project's containers, networks and volumes (down -v
// --remove-orphans). It is safe to call on a project never started.
func (p *Project) Down(ctx context.Context) error {
	_, err := p.run(ctx, "down", "-v", "--remove-orphans", "--timeout", "5")
	return err
}

// Container returns the ID of a service's container (running or stopped),
// or "" when there is none.
func (p *Project) Container(ctx context.Context, service string) (string, error) {
	out, err := docker(ctx, "ps", "-a", "-q", "--no-trunc",
		"--filter", "label=com.docker.compose.project="+p.Name,
		"--filter", "label=com.docker.compose.service="+service)
	if err != nil {
		return "", err
	}
	ids := strings.Fields(string(out))
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

// Health returns the Docker health status of a service's container:
// "starting", "healthy", "unhealthy", or the container's state ("exited")
// when it is not running.
func (p *Project) Health(ctx context.Context, service string) (string, error) {
	id, err := p.Container(ctx, service)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", fmt.Errorf("%s: no container", service)
	}
	out, err := docker(ctx, "inspect", "--format",
		"{{if and .State.Running .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}", id)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// Leftovers lists what Docker still holds of the project.
type Leftovers struct {
	Containers, Networks, Volumes []string
}

// Empty reports whether nothing is left.
func (l Leftovers) Empty() bool {
	return len(l.Containers)+len(l.Networks)+len(l.Volumes) == 0
}

func (l Leftovers) String() string {
	return fmt.Sprintf("containers %q, networks %q, volumes %q", l.Containers, l.Networks, l.Volumes)
}

// Leftovers returns the containers, networks and volumes labelled with the
// project's name (com.docker.compose.project), or named after it.
func (p *Project) Leftovers(ctx context.Context) (Leftovers, error) {
	var l Leftovers
	label := "label=com.docker.compose.project=" + p.Name
	// Compose names containers <project>_<service>_1 (v1) or <project>-<service>-1
	// (v2), networks and volumes <project>_<name>; the label catches the rest.
	for _, q := range []struct {
		dst    *[]string
		substr string
		args   []string
	}{
		{&l.Containers, p.Name, []string{"ps", "-a", "--format", "{{.Names}}"}},
		{&l.Networks, p.Name + "_", []string{"network", "ls", "--format", "{{.Name}}"}},
		{&l.Volumes, p.Name + "_", []string{"volume", "ls", "--format", "{{.Name}}"}},
	} {
		byLabel, err := dockerList(ctx, "", append(q.args, "--filter", label)...)
		if err != nil {
			return l, err
		}
		byName, err := dockerList(ctx, q.substr, q.args...)
		if err != nil {
			return l, err
		}
		*q.dst = union(byLabel, byName)
	}
	return l, nil
}

// dockerList runs docker with args and returns the output lines that
// contain substr (all when empty).
func dockerList(ctx context.Context, substr string, args ...string) ([]string, error) {
	out, err := docker(ctx, args...)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range strings.Fields(string(out)) {
		if strings.Contains(s, substr) {
			names = append(names, s)
		}
	}
	return names, nil
}

func union(a, b []string) []string {
	seen := make(map[string]bool)
	var u []string
	for _, s := range append(a, b...) {
		if !seen[s] {
			seen[s] = true
			u = append(u, s)
		}
	}
	sort.Strings(u)
	return u
}

// run runs the compose command with -p and -f and returns its standard
// output (for exec, output and error combined).
func (p *Project) run(ctx context.Context, args ...string) ([]byte, error) {
	full := append(append([]string(nil), p.Compose.Command[1:]...), "-p", p.Name, "-f", p.File)
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, p.Compose.Command[0], full...)
	cmd.Env = p.env
	cmd.Dir = filepath.Dir(p.File)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if args[0] == "exec" {
		cmd.Stderr = &stdout
	}
	line := strings.Join(append(p.Compose.Command[:1:1], full...), " ")
	p.logf("%s", line)
	err := cmd.Run()
	if err != nil {
		p.logf("%s: %v\n%s%s", line, err, stdout.Bytes(), stderr.Bytes())
		msg := strings.TrimSpace(stderr.String())
		if args[0] == "exec" {
			msg = strings.TrimSpace(stdout.String())
		}
		return stdout.Bytes(), fmt.Errorf("compose %s: %w: %s", args[0], err, lastLines(msg, 5))
	}
	return stdout.Bytes(), nil
}

// docker runs the docker CLI and returns its standard output.
func docker(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("docker %s: %w: %s", args[0], err, lastLines(strings.TrimSpace(stderr.String()), 5))
	}
	return out, nil
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
