package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/parser"
)

// Evidence lines are shown as "time  member  message", with the fields of
// the record that matter, and the raw line beside them. The time and the
// member come from the parser (each input's shown lines read again by one
// parser.Reader, so the envelope and the record are understood the way the
// analysis understood them); the message from the record itself.

// evidenceLine is an evidence line taken apart. Every string is
// printable on one line and unescaped: each renderer escapes it.
type evidenceLine struct {
	Time    time.Time
	Member  string
	Message string
	Raw     string
	Src     string
}

type evidenceKey struct {
	input string
	line  int64
}

// evidenceParser parses the evidence lines a report shows: add each, then
// line for each.
type evidenceParser struct {
	ms     *memberSet
	byIn   map[string][]analysis.Evidence
	parsed map[evidenceKey]parser.Event
	done   bool
}

func newEvidenceParser(ms *memberSet) *evidenceParser {
	return &evidenceParser{ms: ms, byIn: map[string][]analysis.Evidence{}, parsed: map[evidenceKey]parser.Event{}}
}

func (p *evidenceParser) add(e analysis.Evidence) {
	p.byIn[e.Input] = append(p.byIn[e.Input], e)
}

// parse reads each input's lines with one Reader, in the order added.
func (p *evidenceParser) parse() {
	p.done = true
	for in, evs := range p.byIn {
		var buf bytes.Buffer
		for _, e := range evs {
			buf.WriteString(strings.NewReplacer("\r", " ", "\n", " ").Replace(e.Text))
			buf.WriteByte('\n')
		}
		r := parser.NewReader(&buf, parser.Options{Name: in, MaxErrors: 1})
		for r.Scan() {
			ev := r.Event()
			if i := int(ev.Line) - 1; i >= 0 && i < len(evs) {
				k := evidenceKey{in, evs[i].Line}
				if _, ok := p.parsed[k]; !ok {
					p.parsed[k] = ev.Clone()
				}
			}
		}
	}
}

// line takes e apart, the raw text cut to n characters.
func (p *evidenceParser) line(e analysis.Evidence, n int) evidenceLine {
	if !p.done {
		p.parse()
	}
	// The message is cut to 300 characters: 8 KiB of the line are enough
	// to find it, and bound the cost of a huge line.
	text := e.Text
	if len(text) > 8<<10 {
		text = strings.ToValidUTF8(text[:8<<10], "")
	}
	l := evidenceLine{Raw: clip(e.Text, n), Src: source(e.Input, e.Line), Message: clip(recordMessage(text), 300)}
	if ev, ok := p.parsed[evidenceKey{e.Input, e.Line}]; ok {
		l.Time = ev.Time
		switch {
		case ev.Member != 0:
			l.Member = p.ms.label(ev.Member)
		case ev.Name != "":
			l.Member = clip(ev.Name, 64)
		case ev.Source != "":
			l.Member = clip(ev.Source, 64)
		}
	}
	if e.Member != 0 { // who wrote it, as the analysis decided
		l.Member = p.ms.label(e.Member)
	}
	if l.Message == "" {
		l.Message = l.Raw
	}
	return l
}

var (
	// raft std-logger: "raft2020/04/30 17:20:31 INFO: msg".
	stdLoggerRecord = regexp.MustCompile(`raft\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)? [A-Z]+: (.*)$`)
	// capnslog: "2020-04-30 17:20:31.622130 W | rafthttp: msg".
	capnslogRecord = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ [A-Z] \| (.*)$`)
	// zap console: "2024-...Z	warn	etcdserver/server.go:123	msg	{fields}".
	zapConsoleRecord = regexp.MustCompile(`(?i)\d{4}-\d\d-\d\dT\S+\s+(?:debug|info|warn|error|dpanic|panic|fatal)\s+(?:\S+\s+)?\S+\.go:\d+\s+(.*)$`)
	// an envelope's "name  | " prefix.
	envelopePrefix = regexp.MustCompile(`^\S+\s+\|\s?(.*)$`)
)

// recordMessage returns the message of a log line and the fields that
// matter, as "msg  key=value key=value": the envelope, the timestamp, the
// level and the caller left out. Empty when the line is not understood.
func recordMessage(text string) string {
	if i := strings.Index(text, `{"`); i >= 0 {
		if msg, ok := zapJSONMessage(text[i:]); ok {
			return msg
		}
	}
	for _, re := range []*regexp.Regexp{stdLoggerRecord, capnslogRecord, zapConsoleRecord} {
		if m := re.FindStringSubmatch(text); m != nil {
			msg := m[1]
			if i := strings.Index(msg, `{"`); i > 0 {
				if fields, ok := zapFields(msg[i:]); ok {
					msg = strings.TrimSpace(msg[:i]) + fields
				}
			}
			return strings.TrimSpace(msg)
		}
	}
	if m := envelopePrefix.FindStringSubmatch(text); m != nil {
		return strings.TrimSpace(m[1])
	}
	return ""
}

// zapSkip are the zap fields a reader does not need beside the time and
// the member.
var zapSkip = map[string]bool{
	"level": true, "ts": true, "time": true, "caller": true, "logger": true, "msg": true,
	"local-member-id": true, "raft-id": true, "stacktrace": true,
}

// zapJSONMessage renders a zap JSON record as its msg then its fields.
func zapJSONMessage(s string) (string, bool) {
	var obj map[string]json.RawMessage
	if err := json.NewDecoder(strings.NewReader(s)).Decode(&obj); err != nil {
		return "", false
	}
	var msg string
	if json.Unmarshal(obj["msg"], &msg) != nil || msg == "" {
		return "", false
	}
	fields, _ := zapFields(s)
	return msg + fields, true
}

// zapFields renders the fields of a JSON object in their order, those in
// zapSkip left out, each value cut to 60 characters and at most 6 of them:
// "  key=value key=value".
func zapFields(s string) (string, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", false
	}
	var b strings.Builder
	n := 0
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return b.String(), n > 0
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return b.String(), n > 0
		}
		if zapSkip[key] || n == 6 {
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		var val string
		switch x := v.(type) {
		case string:
			val = x
		case float64:
			val = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			val = strconv.FormatBool(x)
		case nil:
			continue
		default:
			val = string(raw)
		}
		if n == 0 {
			b.WriteString("  ")
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(key + "=" + truncate(val, 60))
		n++
	}
	return b.String(), true
}
