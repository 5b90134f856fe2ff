package capture

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// MetaSchema names the meta.json document.
const MetaSchema = "etcdpm.capture/v1"

// Meta is meta.json: what a capture recorded, from when to when.
type Meta struct {
	Schema string `json:"schema"`
	// Etcdpm is the version of etcdpm that captured; Command its command line.
	Etcdpm  string   `json:"etcdpm"`
	Command []string `json:"command,omitempty"`
	Project string   `json:"project"`
	// ComposeFile is the compose file named on the command line, if any.
	ComposeFile string `json:"compose_file,omitempty"`
	Docker      struct {
		Server string `json:"server"`
		API    string `json:"api"`
	} `json:"docker"`
	Interval string    `json:"interval"`
	Start    time.Time `json:"start"`
	// End is when the capture stopped; nil while it runs (or if it was killed).
	End *time.Time `json:"end"`
	// Services are the project's services, their containers and the etcd
	// member each container runs.
	Services []MetaService `json:"services"`
	// Members are the members polled, with what their status told.
	Members []MetaMember `json:"members"`
	Counts  MetaCounts   `json:"counts"`
	// Error is why the capture stopped early, if it did.
	Error string `json:"error,omitempty"`
}

// MetaService is one compose service.
type MetaService struct {
	Name       string          `json:"name"`
	Containers []MetaContainer `json:"containers"`
}

// MetaContainer is one container of a service.
type MetaContainer struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Number int    `json:"number,omitempty"`
	Image  string `json:"image,omitempty"`
	// Member is the capture's name of the etcd member it runs ("" for none);
	// MemberID its ID in hex once its status answered.
	Member   string `json:"member,omitempty"`
	MemberID string `json:"member_id,omitempty"`
}

// MetaMember is one polled member.
type MetaMember struct {
	// Name is the capture's name (the one status.jsonl and events.jsonl use).
	Name     string `json:"name"`
	ID       string `json:"id,omitempty"`
	EtcdName string `json:"etcd_name,omitempty"`
	Endpoint string `json:"endpoint"`
	// Version is the etcd version the member's status gave.
	Version   string `json:"version,omitempty"`
	Service   string `json:"service,omitempty"`
	Container string `json:"container,omitempty"`
}

// MetaCounts counts the lines written, and those lost.
type MetaCounts struct {
	LogLines      int64            `json:"log_lines"`
	StatusRecords int64            `json:"status_records"`
	Events        int64            `json:"events"`
	Lost          map[string]int64 `json:"lost,omitempty"`
}

// ReadMeta reads dir's meta.json.
func ReadMeta(dir string) (*Meta, error) {
	b, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		return nil, err
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, MetaFile), err)
	}
	return &m, nil
}

// meta describes the session as it stands.
func (s *Session) meta(final bool) *Meta {
	sum := s.summary()
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Meta{
		Schema: MetaSchema, Etcdpm: s.opts.Version, Command: s.opts.Command,
		Project: s.project, ComposeFile: s.opts.ComposeFile,
		Interval: s.opts.Interval.String(), Start: s.start.UTC(),
		Services: []MetaService{}, Members: []MetaMember{},
	}
	m.Docker.Server, m.Docker.API = s.docker.Server, s.docker.API
	if final {
		end := s.end.UTC()
		m.End = &end
	}
	if s.fatal != nil {
		m.Error = s.fatal.Error()
	}
	m.Counts = MetaCounts{LogLines: sum.LogLines, StatusRecords: sum.StatusRecords, Events: sum.Events}
	if len(sum.Lost) > 0 {
		m.Counts.Lost = sum.Lost
	}
	byContainer := make(map[string]*memberSlot)
	for _, ms := range s.members {
		if ms.containerID != "" {
			byContainer[ms.containerID] = ms
		}
		mm := MetaMember{
			Name: ms.name, ID: hexID(ms.id), EtcdName: ms.etcdName, Endpoint: ms.endpoint,
			Version: ms.version, Service: ms.service,
		}
		if f := s.followers[ms.containerID]; f != nil {
			mm.Container = f.info.Name
		}
		m.Members = append(m.Members, mm)
	}
	services := make(map[string]*MetaService)
	for _, f := range s.followers {
		c := f.info
		name := cmp.Or(c.Service, c.Name)
		svc := services[name]
		if svc == nil {
			svc = &MetaService{Name: name}
			services[name] = svc
		}
		mc := MetaContainer{ID: c.ID, Name: c.Name, Number: c.Number, Image: c.Image}
		if ms := byContainer[c.ID]; ms != nil {
			mc.Member, mc.MemberID = ms.name, hexID(ms.id)
		}
		svc.Containers = append(svc.Containers, mc)
	}
	for _, svc := range services {
		slices.SortFunc(svc.Containers, func(a, b MetaContainer) int {
			return cmp.Or(cmp.Compare(a.Number, b.Number), cmp.Compare(a.Name, b.Name))
		})
		m.Services = append(m.Services, *svc)
	}
	slices.SortFunc(m.Services, func(a, b MetaService) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(m.Members, func(a, b MetaMember) int { return cmp.Compare(a.Name, b.Name) })
	s.metaDirty = false
	return m
}

// writeMeta replaces meta.json whole (a temporary file renamed over it);
// final syncs it to the disk.
func (s *Session) writeMeta(final bool) error {
	b, err := json.MarshalIndent(s.meta(final), "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	path := filepath.Join(s.dir, MetaFile)
	tmp := filepath.Join(s.dir, "."+MetaFile+".tmp")
	err = writeFileSync(tmp, b, final)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		err = &WriteError{Path: path, Err: err}
		if !final {
			s.fail(err)
		}
		return err
	}
	return nil
}

func writeFileSync(path string, b []byte, sync bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
