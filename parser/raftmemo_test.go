package parser

import (
	"reflect"
	"strings"
	"testing"
)

// checkMemo parses msg with m and with parseRaft and fails on any difference.
func checkMemo(t *testing.T, m *raftMemo, msg string) {
	t.Helper()
	var got, want Event
	gk, gs, gb := m.parseRaft([]byte(msg), &got)
	wk, ws, wb := parseRaft([]byte(msg), &want)
	if gk != wk || gs != ws || gb != wb || !reflect.DeepEqual(got, want) {
		t.Errorf("%q: memo %v %x %q %+v; parseRaft %v %x %q %+v", msg, gk, gs, gb, got, wk, ws, wb, want)
	}
}

// The memo gives what parseRaft gives, for the raft wordings at any term (none, zero, the
// longest, one that overflows) and for texts that only look like them.
func TestRaftMemo(t *testing.T) {
	m := new(raftMemo)
	terms := []string{"5", "0", "7", "123456789", "9999999999999999999", "18446744073709551615",
		"18446744073709551616", "99999999999999999999", "", "5x", "5 ", "0005"}
	var msgs []string
	for _, c := range raftCatalogue() {
		msgs = append(msgs, sprintf(c.format, c.args...))
	}
	msgs = append(msgs, "bd388e7810915853 became candidate at term 7 at term 8",
		"bd388e7810915853 became candidate at term at term 8", "0 became candidate at term 3",
		"bd388e7810915853 received MsgVoteResp from 0 at term 3")
	for _, msg := range msgs {
		text := msg
		if i := strings.LastIndex(msg, atTerm); i >= 0 {
			text = msg[:i+len(atTerm)]
		}
		for range 2 {
			for _, term := range terms {
				checkMemo(t, m, text+term)
			}
			checkMemo(t, m, msg)
		}
	}
	stored := 0
	for _, e := range m.slots {
		if e.n > 0 {
			stored++
		}
	}
	if stored < 20 {
		t.Errorf("%d texts remembered, want the wordings' (20 or more)", stored)
	}
}

// Event has the fields raftFields and onlyRaftFields name, and Term: a new field must be
// added to one of them.
func TestRaftMemoFields(t *testing.T) {
	if n, want := reflect.TypeOf(Event{}).NumField(), reflect.TypeOf(raftFields{}).NumField()+1+14; n != want {
		t.Fatalf("Event has %d fields, raftmemo.go knows %d", n, want)
	}
}
