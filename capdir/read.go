package capdir

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/parser"
)

// MalformedError lists the lines of status.jsonl, metrics.jsonl and events.jsonl that Read
// could not read. Read returns it with everything else read.
type MalformedError struct {
	Count int
	// First holds the first few as "file:line: why".
	First []string
}

func (e *MalformedError) Error() string {
	msg := fmt.Sprintf("%d malformed capture %s", e.Count, plural(int64(e.Count), "line"))
	if len(e.First) > 0 {
		msg += ": " + strings.Join(e.First, "; ")
	}
	return msg
}

// Read reads a capture directory: its log files (Capture.Logs), its status.jsonl (one series per member,
// points in time order), its metrics.jsonl (one series per member, with the intervals derived
// from consecutive scrapes) and its events.jsonl as faults: a stop, kill or die
// until the container's next start, a pause until its unpause, a throttle
// until its unthrottle, a disconnect until its connect; a fault with no end
// ends with the capture. A last line
// cut short (a capture killed with SIGKILL) is ignored; other unreadable
// lines make a *MalformedError, returned with the rest read.
func Read(dir string) (*Capture, error) {
	meta, err := ReadMeta(dir)
	if err != nil {
		return nil, fmt.Errorf("capture %s: %w", dir, err)
	}
	var bad MalformedError
	var last time.Time // the latest time a file holds
	note := func(t time.Time) {
		if t.After(last) {
			last = t
		}
	}

	var records []StatusRecord
	err = readJSONL(filepath.Join(dir, StatusFile), &bad, func(r *StatusRecord) error {
		if r.Time.IsZero() {
			return errors.New("no time")
		}
		records = append(records, *r)
		note(r.Time)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var scrapes []MetricsRecord
	err = readJSONL(filepath.Join(dir, MetricsFile), &bad, func(r *MetricsRecord) error {
		if r.Time.IsZero() {
			return errors.New("no time")
		}
		scrapes = append(scrapes, *r)
		note(r.Time)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var events []EventRecord
	err = readJSONL(filepath.Join(dir, EventsFile), &bad, func(e *EventRecord) error {
		if e.Time.IsZero() || e.Action == "" {
			return errors.New("no time or no action")
		}
		events = append(events, *e)
		note(e.Time)
		return nil
	})
	if err != nil {
		return nil, err
	}

	start := meta.Start
	end := last
	if meta.End != nil {
		end = *meta.End
	}
	if end.Before(start) {
		end = start
	}
	c := &Capture{Dir: dir, Logs: logPaths(dir, meta), Status: statusSeries(records), Faults: faults(events, end), Start: start, End: end}
	if len(scrapes) > 0 {
		c.Metrics = metricsSeries(scrapes, c.Status)
	}
	if bad.Count > 0 {
		return c, &bad
	}
	return c, nil
}

// readJSONL decodes each line of path into a fresh T and hands it to add.
// A missing file is empty; a last line without its newline that does not
// decode is a torn write and skipped.
func readJSONL[T any](path string, bad *MalformedError, add func(*T) error) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	name := filepath.Base(path)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && err == io.EOF {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		torn := err == io.EOF // no newline: the last line, maybe cut short
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		v := new(T)
		derr := json.Unmarshal(line, v)
		if derr == nil {
			derr = add(v)
		}
		if derr != nil && !torn {
			bad.Count++
			if len(bad.First) < 5 {
				bad.First = append(bad.First, fmt.Sprintf("%s:%d: %v", name, n, derr))
			}
		}
		if torn {
			return nil
		}
	}
}

// statusSeries groups records by member (see byMember).
func statusSeries(records []StatusRecord) []StatusSeries {
	group, ids := byMember(len(records), func(i int) (string, string, string) {
		return records[i].Member, records[i].Name, records[i].Endpoint
	})
	series := make([]StatusSeries, len(ids))
	for i, r := range records {
		s := &series[group[i]]
		s.Member = ids[group[i]]
		s.Name, s.Endpoint = cmp.Or(r.Name, s.Name), cmp.Or(r.Endpoint, s.Endpoint)
		p := StatusPoint{
			Time: r.Time, OK: r.OK, Term: r.CurrentTerm(), Error: r.Error,
			RaftTerm: r.RaftTerm, RaftIndex: r.RaftIndex, AppliedIndex: r.AppliedIndex, Revision: r.Revision, DBSize: r.DBSize,
		}
		if r.OK {
			p.Leader, _ = parser.ParseID(r.Leader)
		} else {
			p.Term = 0
		}
		s.Points = append(s.Points, p)
	}
	for i := range series {
		slices.SortStableFunc(series[i].Points, func(a, b StatusPoint) int { return a.Time.Compare(b.Time) })
	}
	slices.SortStableFunc(series, func(a, b StatusSeries) int { return cmp.Compare(a.Name, b.Name) })
	return series
}

// byMember groups n records (at(i) gives the i-th's member ID, name and endpoint) by member: its
// ID when any record of it tells it (so the records of the polls that failed before the ID was
// known join it, by name or endpoint), else its name, else its endpoint. It returns each record's
// group, in order of first appearance, and each group's member ID (0 when none is known).
func byMember(n int, at func(i int) (member, name, endpoint string)) (group []int, ids []parser.ID) {
	idOfName := map[string]string{}
	idOfEndpoint := map[string]string{}
	for i := range n {
		if member, name, endpoint := at(i); member != "" {
			idOfName[name] = member
			idOfEndpoint[endpoint] = member
		}
	}
	index := map[string]int{}
	group = make([]int, n)
	for i := range n {
		member, name, endpoint := at(i)
		id := cmp.Or(member, idOfName[name], idOfEndpoint[endpoint])
		key := id
		if key == "" {
			key = "name:" + cmp.Or(name, endpoint)
		}
		g, ok := index[key]
		if !ok {
			g = len(ids)
			index[key] = g
			pid, _ := parser.ParseID(id)
			ids = append(ids, pid)
		}
		group[i] = g
	}
	return group, ids
}

// faults pairs each container's events into intervals: down (stop, kill, die)
// until start, paused until unpause, throttled until unthrottled, disconnected
// (per network) until connect; a container that stops leaves its networks, which is no fault of
// its own. Those still open at end end there.
func faults(events []EventRecord, end time.Time) []Fault {
	slices.SortStableFunc(events, func(a, b EventRecord) int { return a.Time.Compare(b.Time) })
	type open struct {
		start time.Time
		verb  string
		where string // " from <network>"
	}
	down := map[string]*open{}
	paused := map[string]*open{}
	throttled := map[string]*open{}
	cut := map[[2]string]*open{}
	var fs []Fault
	target := func(e EventRecord) string { return cmp.Or(e.Name, e.Service, e.Container, e.ID) }
	closeAt := func(o *open, who string, t time.Time) {
		fs = append(fs, Fault{Start: o.start, End: t, Label: o.verb + " " + who + o.where, Target: who})
	}
	for _, e := range events {
		who := target(e)
		key := cmp.Or(e.ID, who)
		switch e.Action {
		case "stop", "kill", "die", "oom":
			verb := map[string]string{"stop": "stopped", "kill": "killed", "die": "died", "oom": "killed (out of memory)"}[e.Action]
			if o := down[key]; o != nil {
				// A stop's kill and die belong to it; the stop names it best.
				if e.Action == "stop" || strings.HasPrefix(o.verb, "died") {
					o.verb = verb
				}
				continue
			}
			if e.Action == "die" && e.Attributes["exitCode"] != "" && e.Attributes["exitCode"] != "0" {
				verb = "died (exit " + e.Attributes["exitCode"] + ")"
			}
			down[key] = &open{start: e.Time, verb: verb}
		case "start":
			if o := down[key]; o != nil {
				closeAt(o, who, e.Time)
				delete(down, key)
			}
			if o := paused[key]; o != nil { // a paused container that was killed
				closeAt(o, who, e.Time)
				delete(paused, key)
			}
		case "pause":
			if paused[key] == nil {
				paused[key] = &open{start: e.Time, verb: "paused"}
			}
		case "unpause":
			if o := paused[key]; o != nil {
				closeAt(o, who, e.Time)
				delete(paused, key)
			}
		case "throttle": // its CPU or disk writes limited, by repro (see EventRecord)
			if throttled[key] == nil {
				o := &open{start: e.Time, verb: "throttled"}
				if l := e.Attributes["limits"]; l != "" {
					o.where = " (" + l + ")"
				}
				throttled[key] = o
			}
		case "unthrottle":
			if o := throttled[key]; o != nil {
				closeAt(o, who, e.Time)
				delete(throttled, key)
			}
		case "disconnect":
			k := [2]string{key, e.Attributes["network"]}
			if down[key] != nil {
				continue // a stopped container leaves its networks: part of the stop
			}
			if cut[k] == nil {
				o := &open{start: e.Time, verb: "disconnected"}
				if n := e.Attributes["network"]; n != "" {
					o.where = " from " + n
				}
				cut[k] = o
			}
		case "connect":
			k := [2]string{key, e.Attributes["network"]}
			if o := cut[k]; o != nil {
				closeAt(o, who, e.Time)
				delete(cut, k)
			}
		}
	}
	// Still open at the end of the capture.
	type left struct {
		o   *open
		who string
	}
	var rest []left
	whoOf := map[string]string{}
	for _, e := range events {
		whoOf[cmp.Or(e.ID, target(e))] = target(e)
	}
	for k, o := range down {
		rest = append(rest, left{o, whoOf[k]})
	}
	for k, o := range paused {
		rest = append(rest, left{o, whoOf[k]})
	}
	for k, o := range throttled {
		rest = append(rest, left{o, whoOf[k]})
	}
	for k, o := range cut {
		rest = append(rest, left{o, whoOf[k[0]]})
	}
	for _, l := range rest {
		e := end
		if e.Before(l.o.start) {
			e = l.o.start
		}
		closeAt(l.o, l.who, e)
	}
	slices.SortStableFunc(fs, func(a, b Fault) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Target, b.Target), cmp.Compare(a.Label, b.Label))
	})
	return fs
}
