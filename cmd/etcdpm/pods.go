package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/parser"
)

// The files of a Kubernetes pod's logs: the names by which etcdpm tells
// which pod a log is of, and which of its containers' lives it holds.

// podOf returns the pod whose log the file at p (a slash path: on disk, or
// in a bundle) is, "" when nothing says: in an OpenShift must-gather, the
// POD of namespaces/NS/pods/POD/CONTAINER/CONTAINER/logs/*.log; for a file
// whose first line is `kubectl logs --timestamps`'s (an RFC 3339 time, a
// space, the record), its name without .gz, .log and .previous
// (etcd-master-0.previous.log), or its directory's for a file named after
// the container (etcd-master-0/etcd.log), or the POD of kubelet's
// NS_POD_UID/CONTAINER/N.log.
func podOf(p string, head []byte) string {
	dirs := strings.Split(path.Dir(p), "/")
	if n := len(dirs); n >= 7 && dirs[n-1] == "logs" && dirs[n-5] == "pods" && dirs[n-7] == "namespaces" {
		return dirs[n-4]
	}
	if !isTimestamped(head) {
		return ""
	}
	stem := logStem(path.Base(p))
	parent := path.Base(path.Dir(p))
	switch {
	case strings.Trim(stem, "0123456789") == "" && strings.Count(path.Base(path.Dir(path.Dir(p))), "_") >= 2:
		return strings.Split(path.Base(path.Dir(path.Dir(p))), "_")[1] // kubelet's /var/log/pods/NS_POD_UID/CONTAINER/0.log
	case (stem == "etcd" || stem == "current") && parent != "." && parent != "/":
		return parent
	}
	return stem
}

// splitLogName splits a log file's name into its stem and its extension,
// .gz included: "etcd-0.previous" and ".log.gz".
func splitLogName(name string) (stem, ext string) {
	n, gz := strings.CutSuffix(name, ".gz")
	ext = path.Ext(n)
	stem = strings.TrimSuffix(n, ext)
	if gz {
		ext += ".gz"
	}
	return stem, ext
}

// logStem is a log file's name without its extension and .previous, the
// same for a container's previous and current logs.
func logStem(name string) string {
	stem, _ := splitLogName(name)
	if stem == "previous" {
		return "current"
	}
	return strings.TrimSuffix(stem, ".previous")
}

// isPrevious reports whether a log file holds a container's previous life
// (kubectl logs --previous): previous.log, X.previous.log.
func isPrevious(name string) bool {
	stem, _ := splitLogName(name)
	return stem == "previous" || strings.HasSuffix(stem, ".previous")
}

// orderLogs orders a directory's entries, sorted by name, so that a
// container's previous log comes just before its current one:
// previous.log before current.log, X.previous.log before X.log (each also
// .gz). The rest keep their order.
func orderLogs[T any](entries []T, name func(T) string) {
	at := make(map[string]int, len(entries))
	for i, e := range entries {
		at[name(e)] = i
	}
	out := make([]T, 0, len(entries))
	for _, e := range entries {
		n := name(e)
		prev, ok := at[previousOf(n)]
		if isPrevious(n) {
			if _, current := at[currentOf(n)]; current {
				continue // put before its current log
			}
		} else if ok && isLogName(n) {
			out = append(out, entries[prev])
		}
		out = append(out, e)
	}
	copy(entries, out)
}

// previousOf is the name of the previous log of the current log name:
// previous.log for current.log, X.previous.log for X.log.
func previousOf(name string) string {
	stem, ext := splitLogName(name)
	if stem == "current" {
		return "previous" + ext
	}
	return stem + ".previous" + ext
}

// currentOf is the name of the current log of the previous log name.
func currentOf(name string) string {
	stem, ext := splitLogName(name)
	if stem == "previous" {
		return "current" + ext
	}
	return strings.TrimSuffix(stem, ".previous") + ext
}

// isTimestamped reports whether head's first line starts with an RFC 3339
// time and a space, as `kubectl logs --timestamps` (and `docker logs -t`)
// print each line, with a record after it.
func isTimestamped(head []byte) bool {
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	i := bytes.IndexByte(line, ' ')
	if i < len("2006-01-02T15:04:05Z") || i+1 >= len(line) || line[0] < '0' || line[0] > '9' {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, string(line[:i]))
	return err == nil
}

// The files of a must-gather's etcd_info directory that etcdpm reads: the
// JSON of `etcdctl member list -w json`, `endpoint status -w json` and
// `endpoint health -w json`.
const (
	memberListFile     = "member_list.json"
	endpointStatusFile = "endpoint_status.json"
	endpointHealthFile = "endpoint_health.json"
)

// isEtcdInfo reports whether p (a slash path) is one of the etcd_info
// files etcdpm reads.
func isEtcdInfo(p string) bool {
	switch path.Base(p) {
	case memberListFile, endpointStatusFile, endpointHealthFile:
		return path.Base(path.Dir(p)) == "etcd_info"
	}
	return false
}

// etcdInfo is a must-gather's etcd_info: the members, and each one's status
// when it was gathered.
type etcdInfo struct {
	dir     string // its name, for messages
	members memberList
	status  endpointStatus
	health  endpointHealth
	// at is when it was gathered: the time of endpoint_status.json, else
	// the latest of the other files'.
	at       time.Time
	atStatus bool
}

// memberList is `etcdctl member list -w json` (etcd 3.4 to 3.6).
type memberList struct {
	Members []struct {
		ID         uint64   `json:"ID"`
		Name       string   `json:"name"`
		PeerURLs   []string `json:"peerURLs"`
		ClientURLs []string `json:"clientURLs"`
	} `json:"members"`
}

// endpointStatus is `etcdctl endpoint status -w json`: one status per
// endpoint that answered.
type endpointStatus []struct {
	Endpoint string `json:"Endpoint"`
	Status   struct {
		Header struct {
			MemberID uint64 `json:"member_id"`
			Revision int64  `json:"revision"`
		} `json:"header"`
		Version          string   `json:"version"`
		Leader           uint64   `json:"leader"`
		RaftIndex        uint64   `json:"raftIndex"`
		RaftTerm         uint64   `json:"raftTerm"`
		RaftAppliedIndex uint64   `json:"raftAppliedIndex"`
		Errors           []string `json:"errors"`
	} `json:"Status"`
}

// endpointHealth is `etcdctl endpoint health -w json`.
type endpointHealth []struct {
	Endpoint string `json:"endpoint"`
	Health   bool   `json:"health"`
	Error    string `json:"error"`
}

// maxEtcdInfoBytes bounds what one etcd_info file may hold.
const maxEtcdInfoBytes = 16 << 20

// add reads one etcd_info file, of time mod, into the info.
func (e *etcdInfo) add(name string, r io.Reader, mod time.Time) error {
	b, err := io.ReadAll(io.LimitReader(r, maxEtcdInfoBytes+1))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > maxEtcdInfoBytes {
		return fmt.Errorf("%s: more than %d MiB, not etcdctl's JSON", name, maxEtcdInfoBytes>>20)
	}
	var v any
	switch path.Base(name) {
	case memberListFile:
		v = &e.members
	case endpointStatusFile:
		v = &e.status
		e.at, e.atStatus = mod, true
	case endpointHealthFile:
		v = &e.health
	}
	if !e.atStatus && mod.After(e.at) {
		e.at = mod
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: not etcdctl's JSON: %w", name, err)
	}
	return nil
}

// series turns the info into one status point per member at the gather
// time: the term and the leader of each member whose endpoint answered,
// and the error of each endpoint that did not. Members are named as
// member list names them.
func (e *etcdInfo) series() []capdir.StatusSeries {
	var out []capdir.StatusSeries
	index := map[string]int{} // by endpoint, and by member ID in hex
	nameOf := map[uint64]string{}
	for _, m := range e.members.Members {
		nameOf[m.ID] = m.Name
		i := len(out)
		out = append(out, capdir.StatusSeries{Member: parser.ID(m.ID), Name: m.Name})
		index[parser.ID(m.ID).String()] = i
		for _, u := range m.ClientURLs {
			index[u] = i
			index[hostPort(u)] = i
		}
	}
	find := func(endpoint string, id uint64) int {
		keys := []string{endpoint, hostPort(endpoint)}
		if id != 0 {
			keys = append([]string{parser.ID(id).String()}, keys...)
		}
		for _, k := range keys {
			if i, ok := index[k]; ok {
				return i
			}
		}
		out = append(out, capdir.StatusSeries{Member: parser.ID(id), Name: nameOf[id]})
		index[endpoint] = len(out) - 1
		return len(out) - 1
	}
	answered := map[int]bool{}
	for _, st := range e.status {
		i := find(st.Endpoint, st.Status.Header.MemberID)
		s := &out[i]
		if s.Endpoint == "" {
			s.Endpoint = st.Endpoint
		}
		p := capdir.StatusPoint{Time: e.at, OK: len(st.Status.Errors) == 0, Term: st.Status.RaftTerm, Leader: parser.ID(st.Status.Leader),
			RaftIndex: st.Status.RaftIndex, AppliedIndex: st.Status.RaftAppliedIndex, Revision: st.Status.Header.Revision}
		if !p.OK {
			p.Error = strings.Join(st.Status.Errors, "; ")
		}
		s.Points = append(s.Points, p)
		answered[i] = true
	}
	for _, h := range e.health {
		if h.Health || h.Error == "" {
			continue
		}
		i := find(h.Endpoint, 0)
		if out[i].Endpoint == "" {
			out[i].Endpoint = h.Endpoint
		}
		if !answered[i] {
			out[i].Points = append(out[i].Points, capdir.StatusPoint{Time: e.at, Error: h.Error})
		}
	}
	return slices.DeleteFunc(out, func(s capdir.StatusSeries) bool { return len(s.Points) == 0 })
}

// hostPort is the host:port of an endpoint URL (https://10.0.0.3:2379).
func hostPort(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	return strings.TrimSuffix(u, "/")
}

// readEtcdInfo reads the etcd_info file f into the info of its directory,
// added to infos when new. A file that cannot be read is skipped with a
// warning.
func readEtcdInfo(infos []*etcdInfo, f found, skip *skipped) []*etcdInfo {
	dir := path.Dir(filepath.ToSlash(f.path))
	var info *etcdInfo
	for _, i := range infos {
		if i.dir == dir {
			info = i
		}
	}
	if info == nil {
		info = &etcdInfo{dir: dir}
		infos = append(infos, info)
	}
	var err error
	if f.entry != nil {
		err = info.add(f.path, bytes.NewReader(f.entry.data), f.entry.mod)
	} else {
		err = readFileInto(info, f.path)
	}
	if err != nil {
		skip.add(err)
	}
	return infos
}

func readFileInto(info *etcdInfo, p string) error {
	file, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return pathError(err)
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return pathError(err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: %s, not a regular file", p, fileKind(fi.Mode()))
	}
	return info.add(p, file, fi.ModTime())
}

// inputsCapture reads what the inputs give beside their logs: the status
// and faults of capture directories (readCaptures), and the status of
// must-gathers when they were gathered (etcd_info).
func inputsCapture(stderr io.Writer, ins []input) (capdir.Capture, error) {
	c, err := readCaptures(stderr, captureDirs(ins))
	if err != nil {
		return c, err
	}
	for _, in := range ins {
		if in.info != nil {
			c.Status = append(c.Status, in.info.series()...)
		}
	}
	return c, nil
}

// titleName is how a report's title names an input: its file name, after
// its pod's when only its directories tell the pod (a must-gather's
// etcd-master-0/current.log, kubectl's etcd-master-0/etcd.log).
func titleName(name string) string {
	p := filepath.ToSlash(name)
	base := path.Base(p)
	if pod := podOf(p, nil); pod != "" {
		return pod + "/" + base
	}
	if parent := path.Base(path.Dir(p)); logStem(base) == "etcd" && parent != "." && parent != "/" {
		return parent + "/" + base
	}
	return filepath.Base(name)
}
