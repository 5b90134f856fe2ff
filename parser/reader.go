package parser

import "time"

// Options configure a Reader.
type Options struct {
	// Name is the input's name, used in errors ("name:line: why").
	Name string
	// Source is the Event.Source of the lines whose envelope names no
	// stream: the pod of a pod's log file, say. Empty means none.
	Source string
	// Input is the input's index, copied into every Event.
	Input int
	// Layout forces an envelope layout (see Layouts); empty means detect it.
	Layout string
	// TZ is the zone of zone-less timestamps (capnslog, raft std-logger) when
	// no envelope gives the time; nil means UTC.
	TZ *time.Location
	// Year is the year of year-less stamps (journald short); 0 means find it
	// (see ReferenceTime).
	Year int
	// ReferenceTime is a time at or shortly after the input's last line (the
	// file's mtime, the end of a capture): when no dated stamp in the input
	// gives the year, a year-less stamp takes the latest year that does not
	// put it more than a day after it. Zero means none: the current year.
	ReferenceTime time.Time
	// ReferenceName says where ReferenceTime came from ("file mtime",
	// "capture meta"), for Stats.YearFrom.
	ReferenceName string
	// MaxErrors bounds the malformed lines kept for reporting (default 5).
	MaxErrors int
}

// Stats counts what a Reader read.
type Stats struct {
	Layout    string // detected or forced layout, e.g. "compose-v1+capnslog"
	Lines     int64
	Events    int64
	Skipped   int64 // noise: non-log lines, panics, elisions, protobuf warnings
	Malformed int64
	// Records counts the valid records that make no event (most lines of a
	// log), and the repeated shutdown lines dropped. With Glued and
	// Continued, every line is counted once:
	// Lines + Glued == Events + Skipped + Malformed + Records + Continued.
	Records int64
	// Glued counts the records found after another on one line (zap
	// records glued together): each is counted as a line of its own.
	Glued int64
	// Continued counts the partial lines (CRI "P") joined to the line after
	// them, whose record counts once.
	Continued int64
	Errors    []SyntaxError // the first few malformed lines
	// Backward and Forward count the events (of Read, in line order) whose
	// time is before, or after, that of the last timed event before them: a
	// newest-first input is mostly backward steps, a shuffled one both.
	Backward, Forward int64
	// YearFrom says where the year of year-less stamps came from: "option"
	// (Options.Year), Options.ReferenceName (or "reference time"), "stamp in
	// the input" or "current year"; empty when the input had none.
	YearFrom string
	// First and Last are the earliest and the latest time of the input's
	// lines, events or not (lines that are not events to the second); zero
	// when no line had a time.
	First, Last time.Time
	// Gaps are the stretches of GapMin or more between two consecutive line
	// times, in time order (at most MaxGaps; the lines' order does not matter).
	Gaps []Gap
}

// SyntaxError is a malformed line. It is reported, never fatal.
type SyntaxError struct {
	File string
	Line int64
	Msg  string
}

func (e *SyntaxError) Error() string {
	return e.File + ":" + itoa(e.Line) + ": " + e.Msg
}

// timeOrder counts an input's steps back and forth in time (Stats.Backward,
// Stats.Forward), from event to event in line order.
type timeOrder struct {
	last  int64 // the last timed event's time, in ns
	timed bool
}

func (o *timeOrder) step(t int64, st *Stats) {
	switch {
	case !o.timed:
		o.timed = true
	case t < o.last:
		st.Backward++
	case t > o.last:
		st.Forward++
	}
	o.last = t
}
