package capture

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
)

type eventKey struct {
	nano        int64
	typ, action string
	container   string
}

// watchEvents records the project's events until ctx ends, and follows the
// containers that start. A broken stream is opened again from the last
// event's time.
func (s *Session) watchEvents(ctx context.Context) {
	for {
		s.mu.Lock()
		since := s.lastEvent
		s.mu.Unlock()
		evs, errs := s.eng.Events(ctx, since, time.Time{})
	read:
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-evs:
				if !ok {
					break read
				}
				s.event(ctx, ev)
			case err := <-errs:
				if ctx.Err() != nil {
					return
				}
				s.noteError("docker events: %v", err)
				break read
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// catchUpEvents records the events between the last one and now.
func (s *Session) catchUpEvents(ctx context.Context) {
	s.mu.Lock()
	since := s.lastEvent
	s.mu.Unlock()
	evs, errs := s.eng.Events(ctx, since, time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-evs:
			if !ok {
				return
			}
			s.event(nil, ev)
		case err := <-errs:
			if err != nil {
				s.noteError("docker events: %v", err)
			}
			return
		}
	}
}

// event records ev if it is the project's and not seen before; a start
// (re)starts the container's follower when ctx is not nil.
func (s *Session) event(ctx context.Context, ev dockerEvent) {
	if ev.Container == "" {
		return
	}
	key := eventKey{ev.Time.UnixNano(), ev.Type, ev.Action, ev.Container}
	s.mu.Lock()
	if s.seenEvents[key] {
		s.mu.Unlock()
		return
	}
	f := s.followers[ev.Container]
	foreign := s.foreign[ev.Container]
	s.mu.Unlock()
	if foreign {
		return
	}

	var c containerInfo
	switch {
	case f != nil:
		c = f.info
	case ev.Type == "container":
		if ev.Attributes[labelProject] != s.project {
			return
		}
		c = containerInfo{
			ID: ev.Container, Name: ev.Attributes["name"], Project: s.project,
			Service: ev.Attributes[labelService], Image: ev.Attributes["image"],
		}
		c.Number, _ = strconv.Atoi(ev.Attributes[labelNumber])
	default: // a network event of a container not followed (yet)
		if ctx == nil {
			return
		}
		info, err := s.eng.Inspect(ctx, ev.Container)
		if err != nil || info.Project != s.project {
			if err == nil || isNotFound(err) {
				s.mu.Lock()
				s.foreign[ev.Container] = true
				s.mu.Unlock()
			}
			return
		}
		c = info
	}

	rec := capdir.EventRecord{
		Time: ev.Time.UTC(), Type: ev.Type, Action: ev.Action,
		Name: c.member(), Service: c.Service, Container: c.Name, ID: c.ID,
	}
	for _, k := range []string{"exitCode", "signal", "image"} {
		if v, ok := ev.Attributes[k]; ok && ev.Type == "container" {
			if rec.Attributes == nil {
				rec.Attributes = make(map[string]string)
			}
			rec.Attributes[k] = v
		}
	}
	if ev.Type == "network" {
		rec.Attributes = map[string]string{"network": ev.Attributes["name"]}
	}
	line, _ := json.Marshal(&rec)

	s.mu.Lock()
	if s.seenEvents[key] { // recorded by a concurrent reader meanwhile
		s.mu.Unlock()
		return
	}
	if ev.Time.After(s.lastEvent) {
		s.lastEvent = ev.Time
		clear(s.seenEvents)
	}
	s.seenEvents[key] = true
	s.nEvents++
	s.mu.Unlock()
	if err := s.events.Add(line); err != nil {
		s.fail(err)
	}

	if ctx != nil && ev.Type == "container" && ev.Action == "start" {
		info, err := s.eng.Inspect(ctx, ev.Container)
		if err == nil {
			s.follow(ctx, info)
		}
	}
}

// Note records an event that no Docker event tells: a fault the caller
// injected itself, as repro's throttle and unthrottle of a member (Docker's
// own "update" event does not say which of the two it was). name is the
// member, as capdir.EventRecord.Name.
func (s *Session) Note(action, name string, attrs map[string]string) {
	rec := capdir.EventRecord{Time: time.Now().UTC(), Type: "container", Action: action, Name: name, Service: name, Attributes: attrs}
	line, _ := json.Marshal(&rec)
	s.mu.Lock()
	s.nEvents++
	s.mu.Unlock()
	if err := s.events.Add(line); err != nil {
		s.fail(err)
	}
}
