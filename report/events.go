package report

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// An EventWriter writes the parser's events as JSON lines (the events
// format), one object a line, without reflection. Give w a buffer: each
// event is one Write.
type EventWriter struct {
	w      io.Writer
	inputs []string
	buf    []byte
	err    error
}

// NewEventWriter returns an EventWriter to w; inputs names the parser's
// inputs by Event.Input.
func NewEventWriter(w io.Writer, inputs []string) *EventWriter {
	return &EventWriter{w: w, inputs: inputs}
}

// Err returns the first error writing to w; after one, events are dropped.
func (enc *EventWriter) Err() error { return enc.err }

// Write writes one event, the parser.Read callback.
func (enc *EventWriter) Write(e *parser.Event) {
	if enc.err != nil {
		return
	}
	b := enc.buf[:0]
	b = append(b, `{"time":`...)
	if e.Time.IsZero() {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = e.Time.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	b = appendStr(b, "kind", e.Kind.String())
	b = appendStr(b, "member", e.Member.String())
	if e.Name != "" {
		b = appendStr(b, "name", e.Name)
	}
	if e.Source != "" {
		b = appendStr(b, "source", e.Source)
	}
	b = appendUint(b, "term", e.Term)
	if e.Peer != 0 {
		b = appendStr(b, "peer", e.Peer.String())
	}
	if e.PeerName != "" {
		b = appendStr(b, "peer_name", e.PeerName)
	}
	if e.Peer2 != 0 {
		b = appendStr(b, "peer2", e.Peer2.String())
	}
	if e.PeerTerm != 0 {
		b = appendUint(b, "peer_term", e.PeerTerm)
	}
	if e.Msg != parser.MsgNone {
		b = appendStr(b, "msg", e.Msg.String())
	}
	if e.LogTerm != 0 || e.Index != 0 {
		b = appendUint(b, "log_term", e.LogTerm)
		b = appendUint(b, "index", e.Index)
	}
	if e.Kind == parser.VoteTally {
		b = appendUint(b, "granted", uint64(e.Granted))
		b = appendUint(b, "rejected", uint64(e.Rejected))
	}
	if e.Duration != 0 {
		b = appendStr(b, "duration", e.Duration.String())
	}
	if e.Failed {
		b = append(b, `,"failed":true`...)
	}
	if e.PreVote != 0 {
		b = append(b, `,"pre_vote":`...)
		b = strconv.AppendBool(b, e.PreVote > 0)
	}
	if e.Version != "" {
		b = appendStr(b, "version", e.Version)
	}
	b = appendStr(b, "level", e.Level.String())
	b = appendStr(b, "input", enc.inputs[e.Input])
	b = appendUint(b, "line", uint64(e.Line))
	b = append(b, `,"text":`...)
	b = appendJSONString(b, e.Text)
	b = append(b, "}\n"...)
	enc.buf = b
	_, enc.err = enc.w.Write(b)
}

func appendStr(b []byte, key, val string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendJSONString(b, []byte(val))
}

func appendUint(b []byte, key string, v uint64) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendUint(b, v, 10)
}

// appendJSONString quotes s as a JSON string, escaping HTML-significant
// characters as encoding/json does (log text is untrusted).
func appendJSONString(b []byte, s []byte) []byte {
	if bytes.IndexFunc(s, func(r rune) bool {
		return r < 0x20 || r == '"' || r == '\\' || r == '<' || r == '>' || r == '&' || r == 0x2028 || r == 0x2029 || r == 0xfffd
	}) < 0 {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, _ := json.Marshal(string(s))
	return append(b, q...)
}
