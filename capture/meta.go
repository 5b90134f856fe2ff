package capture

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/etcdpm/etcdpm/capdir"
)

// meta describes the session as it stands.
func (s *Session) meta(final bool) *capdir.Meta {
	sum := s.summary()
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &capdir.Meta{
		Schema: capdir.MetaSchema, Etcdpm: s.opts.Version, Command: s.opts.Command,
		Project: s.project, ComposeFile: s.opts.ComposeFile,
		Interval: s.opts.Interval.String(), Start: s.start.UTC(),
		Services: []capdir.MetaService{}, Members: []capdir.MetaMember{},
	}
	m.Docker.Server, m.Docker.API = s.docker.Server, s.docker.API
	if final {
		end := s.end.UTC()
		m.End = &end
	}
	if s.fatal != nil {
		m.Error = s.fatal.Error()
	}
	if s.metrics != nil {
		m.MetricsInterval = s.opts.MetricsInterval.String()
	}
	m.Counts = capdir.MetaCounts{LogLines: sum.LogLines, StatusRecords: sum.StatusRecords, MetricsRecords: sum.MetricsRecords, Events: sum.Events}
	if len(sum.Lost) > 0 {
		m.Counts.Lost = sum.Lost
	}
	byContainer := make(map[string]*memberSlot)
	for _, ms := range s.members {
		if ms.containerID != "" {
			byContainer[ms.containerID] = ms
		}
		mm := capdir.MetaMember{
			Name: ms.name, ID: hexID(ms.id), EtcdName: ms.etcdName, Endpoint: ms.endpoint,
			Version: ms.version, Service: ms.service,
		}
		if f := s.followers[ms.containerID]; f != nil {
			mm.Container = f.info.Name
		}
		m.Members = append(m.Members, mm)
	}
	services := make(map[string]*capdir.MetaService)
	for _, f := range s.followers {
		c := f.info
		name := cmp.Or(c.Service, c.Name)
		svc := services[name]
		if svc == nil {
			svc = &capdir.MetaService{Name: name}
			services[name] = svc
		}
		mc := capdir.MetaContainer{ID: c.ID, Name: c.Name, Number: c.Number, Image: c.Image}
		if ms := byContainer[c.ID]; ms != nil {
			mc.Member, mc.MemberID = ms.name, hexID(ms.id)
		}
		svc.Containers = append(svc.Containers, mc)
	}
	for _, svc := range services {
		slices.SortFunc(svc.Containers, func(a, b capdir.MetaContainer) int {
			return cmp.Or(cmp.Compare(a.Number, b.Number), cmp.Compare(a.Name, b.Name))
		})
		m.Services = append(m.Services, *svc)
	}
	slices.SortFunc(m.Services, func(a, b capdir.MetaService) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(m.Members, func(a, b capdir.MetaMember) int { return cmp.Compare(a.Name, b.Name) })
	s.metaDirty = false
	return m
}

// writeMeta replaces meta.json whole; final syncs it to the disk.
func (s *Session) writeMeta(final bool) error {
	err := capdir.WriteMeta(s.dir, s.meta(final), final)
	if err != nil && !final {
		s.fail(err)
	}
	return err
}

// makeDir creates dir, and refuses it when it holds a capture already.
func makeDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	for _, name := range []string{capdir.LogsFile, capdir.StatusFile, capdir.MetricsFile, capdir.EventsFile, capdir.MetaFile} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return fmt.Errorf("%s already holds a capture (%s): choose another directory", dir, name)
		}
	}
	return nil
}
