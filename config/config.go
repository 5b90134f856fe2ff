// Package config reads config.default.ini, the demo stack's configuration that
// the e3w GUI and etcdpm share, for etcdpm's defaults: endpoints and root key.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"gopkg.in/ini.v1"
)

// DefaultPath is the file etcdpm reads when no flag names one: the stack's
// config.default.ini in the current directory.
const DefaultPath = "config.default.ini"

// Config is what etcdpm takes from the file.
//
// The file is e3w's (sections [app] and [etcd]) with an optional [etcdpm]
// section for etcdpm itself:
//
//	[etcd]
//	root_key = /root
//	addr = etcd1:2379,etcd2:2379,etcd3:2379   ; as e3w reaches the members, in the stack's network
//
//	[etcdpm]
//	endpoints = http://127.0.0.1:12379,http://127.0.0.1:22379,http://127.0.0.1:32379   ; from the host
//	root_key = /root                                                                   ; optional
type Config struct {
	// Path is the file the configuration was read from.
	Path string
	// Endpoints are the members' client URLs as etcdpm should dial them:
	// [etcdpm] endpoints, else [etcd] addr; entries without a scheme get http://.
	// Never empty.
	Endpoints []string
	// EndpointsLine is the line of the key Endpoints came from (for messages).
	EndpointsLine int
	// RootKey is the prefix the demo's keys live under: [etcdpm] root_key, else
	// [etcd] root_key. It may be empty (the whole keyspace) and never ends with "/".
	RootKey string
}

// Error is a problem in a configuration file, printed as "file:line: msg"
// (or "file: msg" when no line applies).
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Load reads and checks the configuration file at path. Problems in the file
// are *Error values; a missing file is an error wrapping fs.ErrNotExist.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a configuration from data; name is the file name used in errors.
func Parse(name string, data []byte) (*Config, error) {
	f, err := ini.LoadSources(ini.LoadOptions{}, data)
	if err != nil {
		return nil, syntaxError(name, data, err)
	}
	lines := indexKeys(data)
	errorAt := func(section, key, format string, args ...any) *Error {
		return &Error{File: name, Line: lines[section+"\x00"+key], Msg: fmt.Sprintf(format, args...)}
	}

	c := &Config{Path: name}

	// Endpoints: etcdpm's own, else e3w's.
	section, key := "etcdpm", "endpoints"
	if !f.Section(section).HasKey(key) {
		section, key = "etcd", "addr"
	}
	has := f.Section(section).HasKey(key)
	raw := f.Section(section).Key(key).String()
	if strings.TrimSpace(raw) == "" {
		if has {
			return nil, errorAt(section, key, "[%s] %s is empty", section, key)
		}
		return nil, &Error{File: name, Msg: "no endpoints: set [etcdpm] endpoints (from the host) or [etcd] addr"}
	}
	for i, ep := range strings.Split(raw, ",") {
		u, err := EndpointURL(strings.TrimSpace(ep))
		if err != nil {
			return nil, errorAt(section, key, "[%s] %s, entry %d: %v", section, key, i+1, err)
		}
		c.Endpoints = append(c.Endpoints, u)
	}
	c.EndpointsLine = lines[section+"\x00"+key]

	// Root key: etcdpm's own, else e3w's.
	section = "etcdpm"
	if !f.Section(section).HasKey("root_key") {
		section = "etcd"
	}
	c.RootKey = strings.TrimSpace(f.Section(section).Key("root_key").String())
	if strings.HasSuffix(c.RootKey, "/") {
		return nil, errorAt(section, "root_key", "[%s] root_key %q must not end with \"/\" (e3w refuses it too)", section, c.RootKey)
	}
	return c, nil
}

// EndpointURL checks one endpoint (of the config file or of a flag) and
// gives it a scheme: "etcd1:2379" becomes "http://etcd1:2379".
func EndpointURL(ep string) (string, error) {
	if ep == "" {
		return "", errors.New("empty endpoint (a stray comma?)")
	}
	raw := ep
	if !strings.Contains(ep, "://") {
		ep = "http://" + ep
	}
	u, err := url.Parse(ep)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL", raw)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Hostname() == "" {
			return "", fmt.Errorf("%q has no host", raw)
		}
		if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
			return "", fmt.Errorf("%q has no valid port (etcd's client port is usually 2379)", raw)
		}
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
			return "", fmt.Errorf("%q: an endpoint is scheme://host:port only", raw)
		}
		return u.Scheme + "://" + u.Host, nil
	case "unix", "unixs":
		return ep, nil
	default:
		return "", fmt.Errorf("%q: scheme %q is not http, https, unix or unixs", raw, u.Scheme)
	}
}

// indexKeys maps "section\x00key" to the 1-based line of the key's last
// occurrence (the one ini.v1 keeps), for error messages.
func indexKeys(data []byte) map[string]int {
	m := make(map[string]int)
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	section := ini.DefaultSection
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		switch {
		case len(line) == 0, line[0] == '#', line[0] == ';':
		case line[0] == '[':
			if i := bytes.LastIndexByte(line, ']'); i > 0 {
				section = strings.TrimSpace(string(line[1:i]))
			}
		default:
			if i := bytes.IndexAny(line, "=:"); i > 0 {
				m[section+"\x00"+string(bytes.TrimSpace(line[:i]))] = n + 1
			}
		}
	}
	return m
}

// syntaxError turns an ini.v1 parse error into an *Error with the line of
// the text it quotes, when it quotes one.
func syntaxError(name string, data []byte, err error) error {
	var text, msg string
	var dnf ini.ErrDelimiterNotFound
	var ekn ini.ErrEmptyKeyName
	switch s := err.Error(); {
	case errors.As(err, &dnf):
		text = dnf.Line
		msg = fmt.Sprintf("want key = value, got %q", strings.TrimSpace(text))
	case errors.As(err, &ekn):
		text = ekn.Line
		msg = fmt.Sprintf("no key name before the \"=\" in %q", strings.TrimSpace(text))
	case strings.HasPrefix(s, "unclosed section: "):
		text = strings.TrimPrefix(s, "unclosed section: ")
		msg = fmt.Sprintf("unclosed section %q", strings.TrimSpace(text))
	default:
		return &Error{File: name, Msg: s}
	}
	return &Error{File: name, Line: lineOf(data, text), Msg: msg}
}

// lineOf returns the 1-based line whose trimmed text is text's, or 0.
func lineOf(data []byte, text string) int {
	want := []byte(strings.TrimSpace(text))
	for n, line := range bytes.Split(data, []byte("\n")) {
		if bytes.Equal(bytes.TrimSpace(line), want) {
			return n + 1
		}
	}
	return 0
}
