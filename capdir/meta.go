package capdir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
	Interval string `json:"interval"`
	// MetricsInterval is how often /metrics was scraped into metrics.jsonl;
	// "" when it was not.
	MetricsInterval string    `json:"metrics_interval,omitempty"`
	Start           time.Time `json:"start"`
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
	// Logs are the capture's log files, relative to the directory, when they
	// are not LogsFile: e.g. members/etcd1.log, one per member, each as the
	// member wrote it.
	Logs []string `json:"logs,omitempty"`
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
	LogLines       int64            `json:"log_lines"`
	StatusRecords  int64            `json:"status_records"`
	MetricsRecords int64            `json:"metrics_records,omitempty"`
	Events         int64            `json:"events"`
	Lost           map[string]int64 `json:"lost,omitempty"`
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

// WriteMeta replaces dir's meta.json whole (a temporary file renamed over
// it); sync syncs it to the disk. Its error is a *WriteError.
func WriteMeta(dir string, m *Meta, sync bool) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	path := filepath.Join(dir, MetaFile)
	tmp := filepath.Join(dir, "."+MetaFile+".tmp")
	err = writeFileSync(tmp, b, sync)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return &WriteError{Path: path, Err: err}
	}
	return nil
}
