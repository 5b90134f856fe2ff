package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/etcdpm/etcdpm/repro"
)

// TestCaptureUsageErrors: flags that cannot work are usage errors (exit 2), found before
// Docker is asked anything, and nothing is written.
func TestCaptureUsageErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	p := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(p, []byte("not PEM\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--interval", "0"}, "--interval must be at least 10ms, not 0s"},
		{[]string{"--interval", "1ns"}, "--interval must be at least 10ms"},
		{[]string{"--interval=-5ms"}, "--interval must be at least 10ms"},
		{[]string{"--for=-1s"}, "--for must be positive"},
		{[]string{"-f", "x.yml"}, "-f and --project both name the project"},
		{[]string{"--endpoints", "garbage"}, `--endpoints: "garbage" has no valid port`},
		{[]string{"--endpoints", "http://127.0.0.1:2379,,"}, "--endpoints: empty endpoint"},
		{[]string{"--endpoints", "ftp://10.0.0.1:2379"}, `scheme "ftp" is not http`},
		{[]string{"--endpoints", "http://127.0.0.1:99999"}, "has no valid port"},
		{[]string{"--endpoints", "http://[::1"}, "is not a URL"},
		{[]string{"--endpoints", "http://10.0.0.1:2379/v3"}, "scheme://host:port only"},
		{[]string{"--metrics-interval=-1s"}, "--metrics-interval must be positive, or 0"},
		{[]string{"--cacert", filepath.Join(dir, "missing.pem")}, "--cacert: open " + filepath.Join(dir, "missing.pem")},
		{[]string{"--cacert", p}, "--cacert " + p + ": no PEM certificate in it"},
		{[]string{"--cert", p}, "--cert and --key go together"},
		{[]string{"--cert", p, "--key", p}, "--cert " + p + " and --key " + p + ": tls: "},
	} {
		checkUsageError(t, out, append([]string{"capture", "-p", "etcdpm-no-such-project", "-o", out}, c.args...), c.want)
	}
}

// TestCaptureTLSEnv: etcdctl's variables stand for the flags.
func TestCaptureTLSEnv(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	t.Setenv("ETCDCTL_CACERT", filepath.Join(dir, "missing.pem"))
	checkUsageError(t, out, []string{"capture", "-p", "etcdpm-no-such-project", "-o", out}, "--cacert: open "+filepath.Join(dir, "missing.pem"))
	t.Setenv("ETCDCTL_CACERT", "")
	t.Setenv("ETCDCTL_CERT", filepath.Join(dir, "client.pem"))
	checkUsageError(t, out, []string{"capture", "-p", "etcdpm-no-such-project", "-o", out}, "--cert and --key go together")
	t.Setenv("ETCDCTL_CERT", "")
	t.Setenv("ETCDCTL_ENDPOINTS", "ftp://10.0.0.1:2379")
	checkUsageError(t, out, []string{"capture", "-p", "etcdpm-no-such-project", "-o", out}, `--endpoints: "ftp://10.0.0.1:2379": scheme "ftp"`)
}

// TestCaptureComposeFile: a -f that is missing or a directory fails (exit 1) naming it, before
// Docker is asked anything, and nothing is written.
func TestCaptureComposeFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	for _, c := range []struct{ file, want string }{
		{filepath.Join(dir, "missing.yml"), "missing.yml: no such file or directory"},
		{dir, "is a directory"},
	} {
		_, stderr, code := etcdpm(t, "", "capture", "-f", c.file, "-o", out)
		if code != 1 || !strings.HasPrefix(stderr, "etcdpm: capture: -f "+c.file) || !strings.Contains(stderr, c.want) {
			t.Errorf("-f %s: exit %d, stderr %q; want exit 1 and %q", c.file, code, stderr, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s was created (%v)", out, err)
	}
}

// TestReproUsageErrors: flags that cannot work are usage errors (exit 2), and nothing is
// started or written.
func TestReproUsageErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--hold", "0"}, "--hold must be positive, not 0s"},
		{[]string{"--hold=-1s"}, "--hold must be positive"},
		{[]string{"-s", "nope"}, `unknown scenario "nope": want one of quorum-loss, leader-loss,`},
		{[]string{"--image", "etcd:x"}, "--image is for the compose backend"},
		{[]string{"-p", "x"}, "--project is for the compose backend"},
		{[]string{"-f", "other.yml"}, "--compose-file is for the compose backend"},
		{[]string{"-b", "compose", "--etcd-binary", "/bin/true"}, "--etcd-binary is for the local backend"},
		{[]string{"--cacert", "ca.pem"}, "--cacert, --cert, --key and --insecure-skip-tls-verify (or $ETCDCTL_CACERT"},
		{[]string{"--insecure-skip-tls-verify"}, "are for the compose backend"},
		{[]string{"-b", "compose", "--cacert", "/nonexistent/ca.pem"}, "--cacert: open /nonexistent/ca.pem"},
	} {
		checkUsageError(t, out, append([]string{"repro", "-o", out}, c.args...), c.want)
	}
}

// checkUsageError runs etcdpm with args: it must exit 2 with an error that starts with the
// command's name and says want, print nothing on stdout, and leave out uncreated.
func checkUsageError(t *testing.T, out string, args []string, want string) {
	t.Helper()
	stdout, stderr, code := etcdpm(t, "", args...)
	if code != 2 || !strings.HasPrefix(stderr, "etcdpm: "+args[0]+": ") || !strings.Contains(stderr, want) || stdout != "" {
		t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit 2 and %q", args[1:], code, stderr, stdout, want)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%v: %s was created (%v)", args[1:], out, err)
	}
}

// TestReproEtcdBinary: an --etcd-binary that cannot run fails before anything is started or
// written, naming it.
func TestReproEtcdBinary(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("not etcd\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	for _, c := range []struct{ bin, want string }{
		{filepath.Join(dir, "missing"), "missing: no such file or directory"},
		{"etcdpm-no-such-etcd", "etcdpm-no-such-etcd: no such file, nor in $PATH"},
		{dir, "is a directory"},
		{plain, "is not executable"},
	} {
		_, stderr, code := etcdpm(t, "", "repro", "--hold", "1s", "-o", out, "--etcd-binary", c.bin)
		if code != 1 || !strings.HasPrefix(stderr, "etcdpm: repro: --etcd-binary "+c.bin) || !strings.Contains(stderr, c.want) {
			t.Errorf("--etcd-binary %s: exit %d, stderr %q; want exit 1 and %q", c.bin, code, stderr, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s was created (%v)", out, err)
	}
}

// TestReproStartFails: a run whose members cannot start keeps their logs, which say why, in its
// directory, and the error names them there.
func TestReproStartFails(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a shell script as etcd")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "etcd-that-exits")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho cannot start: bad flags >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	_, stderr, code := etcdpm(t, "", "repro", "--hold", "1s", "-o", out, "--etcd-binary", bin)
	if code != 1 || !strings.Contains(stderr, " exited; see "+filepath.Join(out, "members")) {
		t.Fatalf("exit %d, stderr %q; want exit 1 and the member's log under %s/members", code, stderr, out)
	}
	log, err := os.ReadFile(filepath.Join(out, "members", "etcd1.log"))
	if err != nil || !strings.Contains(string(log), "cannot start: bad flags") {
		t.Errorf("etcd1.log: %q, %v; want what the member said", log, err)
	}
}

// TestRemoveUnrecorded: a run that failed before recording anything (compose could not start, a
// Ctrl-C during start-up) leaves no output behind, and never removes anything else.
func TestRemoveUnrecorded(t *testing.T) {
	mk := func(files ...string) string {
		d := t.TempDir()
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(d, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	created := mk(repro.ActionsFile, repro.RunFile)
	removeUnrecorded(created, true)
	if _, err := os.Stat(created); !os.IsNotExist(err) {
		t.Errorf("a directory the run created: %v, want it gone", err)
	}
	given := mk(repro.ActionsFile, repro.RunFile)
	removeUnrecorded(given, false)
	if es, err := os.ReadDir(given); err != nil || len(es) != 0 {
		t.Errorf("a directory given empty: %v %v, want it there and empty", es, err)
	}
	other := mk(repro.ActionsFile, repro.RunFile, "notes.txt")
	removeUnrecorded(other, true)
	if es, err := os.ReadDir(other); err != nil || len(es) != 3 {
		t.Errorf("a directory with another file: %v %v, want it untouched", es, err)
	}
}
