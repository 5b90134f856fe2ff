package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/etcdpm/etcdpm/bundle"
	"github.com/etcdpm/etcdpm/internal/outfile"
)

type bundleCmd struct {
	Dir    string `arg:"" name:"dir" help:"Capture directory, as etcdpm capture or etcdpm repro wrote it."`
	Output string `short:"o" placeholder:"FILE" help:"The bundle to write (default: <dir>.tar.gz, beside the directory), whole or not at all; a symbolic link there is replaced, never written through."`
	Redact bool   `help:"Replace IP addresses and host names in every file, consistently (10.0.0.1 is 192.0.2.1 everywhere, node-a.example.com host-1), before the reports are made; member IDs are kept (default: off)."`
	Title  string `placeholder:"TITLE" help:"Title of the reports (default: the directory's name)."`
}

func (c *bundleCmd) Help() string {
	return `Packs a capture directory into one tar.gz to attach to an issue: its logs (logs.txt, or
members/*.log), status.jsonl, events.jsonl, metrics.jsonl, meta.json, actions.log and
repro.json, as they are there, with report.html and report.md made fresh from them. The
bundle unpacks into a directory that 'etcdpm analyze DIR' reads whole.

With --redact, every IP address (v4 and v6, in URLs and host:port too, the port kept; not
0.0.0.0 and ::, which name no host) and every host name the capture names (its endpoints, peer
URLs, services and containers, journald hosts) or that looks like a domain name
(node-a.example.com) is replaced in every file, file names included: the same value always by
the same placeholder, so that who talked to whom still reads. Addresses become addresses kept
for documentation (10.0.0.1 -> 192.0.2.1, fe80::1 -> 2001:db8::1), which still read as
addresses; host names become host-1, host-2, ... No placeholder is text the capture already
holds. The mapping is kept in memory only, never written. Member IDs are not touched. The
reports are made from the redacted files, which must analyze to the same verdict and findings
as the original ones, or no bundle is written.

Examples:
  etcdpm bundle incident/                              # writes incident.tar.gz
  etcdpm bundle --redact incident/ -o incident-redacted.tar.gz
  tar -xzf incident-redacted.tar.gz && etcdpm analyze incident/`
}

func (c *bundleCmd) Run(e *env) error {
	if err := bundle.CheckDir(c.Dir); err != nil {
		return err
	}
	out := c.Output
	if out == "" {
		out = defaultBundlePath(c.Dir)
	}
	files, err := bundle.Files(c.Dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		if samePath(out, filepath.Join(c.Dir, filepath.FromSlash(f))) {
			return fmt.Errorf("-o %s would overwrite the capture's %s", out, f)
		}
	}
	w, err := outfile.Create(out)
	if err != nil {
		return err
	}
	defer w.Abort()
	res, err := bundle.Write(e.ctx, w, c.Dir, bundle.Options{Redact: c.Redact, Title: c.Title, Version: versionString()})
	if err != nil {
		return err
	}
	if err := w.Commit(); err != nil {
		return err
	}
	for _, msg := range res.Warnings {
		warn(e.stderr, msg)
	}
	fmt.Fprintf(e.stdout, "wrote %s: %s/ with %s\n", out, res.Name, strings.Join(res.Files, ", "))
	if c.Redact {
		fmt.Fprintf(e.stdout, "redacted: %s and %s, replaced consistently; the mapping was not kept\n",
			count(res.IPs, "IP address", "IP addresses"), count(res.Hosts, "host name", "host names"))
	}
	fmt.Fprintf(e.stdout, "verdict: %s\n", res.Analysis.Diagnosis.Verdict)
	return nil
}

// defaultBundlePath is <dir>.tar.gz, beside the directory.
func defaultBundlePath(dir string) string {
	clean := filepath.Clean(dir)
	if base := filepath.Base(clean); base == "." || base == ".." || base == string(filepath.Separator) {
		if abs, err := filepath.Abs(dir); err == nil {
			clean = abs
		}
	}
	return clean + ".tar.gz"
}

// count says "1 host name" or "2 host names".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
