package capture

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// DefaultAppearTimeout is how long a capture waits for its project's first
// container by default.
const DefaultAppearTimeout = 10 * time.Second

// awaitProject waits up to timeout for a container of project, and fails
// naming the project, its compose file and the projects that do run.
func awaitProject(ctx context.Context, eng engine, project, composeFile string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		cs, err := eng.Containers(ctx, project)
		if err != nil {
			return fmt.Errorf("docker: listing the containers of project %s: %w", project, err)
		}
		if len(cs) > 0 {
			return nil
		}
		if !time.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(min(250*time.Millisecond, time.Until(deadline))):
		}
	}
	msg := fmt.Sprintf("project %s has no container after %v", project, timeout)
	if composeFile != "" {
		msg = fmt.Sprintf("project %s of %s has no container after %v", project, composeFile, timeout)
	}
	var others []string
	if ps, err := eng.Projects(ctx); err == nil {
		for p := range ps {
			others = append(others, p)
		}
		slices.Sort(others)
	}
	hint := "start it first (docker compose up -d; v1: docker-compose up -d), or name a running project with -p"
	if len(others) > 0 {
		hint += " (running: " + strings.Join(others, ", ") + ")"
	}
	return fmt.Errorf("%s: %s; nothing was written", msg, hint)
}

// resolveProject returns the compose project to capture: project when given;
// else the project whose containers were made from composeFile; else the
// name compose would give it (COMPOSE_PROJECT_NAME, else the name of the
// file's directory), whose containers may come later.
func resolveProject(ctx context.Context, eng engine, project, composeFile string) (string, error) {
	if project != "" {
		return project, nil
	}
	if composeFile == "" {
		return "", errors.New("no project: name it (--project) or its compose file (-f)")
	}
	abs, err := filepath.Abs(composeFile)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("compose file: %w", err)
	}
	projects, err := eng.Projects(ctx)
	if err != nil {
		return "", fmt.Errorf("docker: listing compose projects: %w", err)
	}
	var match []string
	for p, files := range projects {
		for _, f := range files {
			if samePath(f, abs) {
				match = append(match, p)
				break
			}
		}
	}
	slices.Sort(match)
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		if p := os.Getenv("COMPOSE_PROJECT_NAME"); p != "" {
			return p, nil
		}
		if p := normalizeProject(filepath.Base(filepath.Dir(abs))); p != "" {
			return p, nil
		}
		return "", fmt.Errorf("no project runs %s: name it with --project", composeFile)
	default:
		return "", fmt.Errorf("%d projects run %s (%s): choose one with --project", len(match), composeFile, strings.Join(match, ", "))
	}
}

func samePath(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

// normalizeProject turns a directory name into a project name as compose
// does: lower case, only a-z, 0-9, "_" and "-", starting with a letter or
// a digit.
func normalizeProject(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			b.WriteRune(r)
		}
	}
	return strings.TrimLeft(b.String(), "_-")
}
