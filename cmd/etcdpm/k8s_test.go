package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/parser"
)

// The trees of these tests are made from a real etcd run
// (testdata/real/3.6.16-quorum-loss-prevote-off): each member's log, as
// kubectl logs --timestamps prints it (the line's own zap time in front),
// cut at the member's restart into the previous container's log and the
// current one's. No API server runs here.

// podLog is one pod's logs: its previous container's (none when it never
// restarted) and its current one's.
type podLog struct {
	pod, previous, current string
}

var (
	zapTS   = regexp.MustCompile(`"ts":"([^"]+)"`)
	podName = regexp.MustCompile(`etcd-n[123]`)
)

// podLogs reads the run's member logs as the logs of pods etcd-n1 ..
// etcd-n3, each cut where the lab started the member again (run.json).
func podLogs(t *testing.T) []podLog {
	t.Helper()
	var run struct {
		Steps []struct {
			Time           time.Time
			Action, Target string
		}
	}
	if b, err := os.ReadFile(filepath.Join(realRun, "run.json")); err != nil || json.Unmarshal(b, &run) != nil {
		t.Fatalf("run.json: %v", err)
	}
	var pods []podLog
	for _, m := range []string{"n1", "n2", "n3"} {
		data, err := os.ReadFile(filepath.Join(realRun, m+".log"))
		if err != nil {
			t.Fatal(err)
		}
		var starts []time.Time
		for _, s := range run.Steps {
			if s.Action == "start" && s.Target == m {
				starts = append(starts, s.Time)
			}
		}
		lives := make([]strings.Builder, len(starts))
		for _, line := range strings.SplitAfter(string(data), "\n") {
			if line == "" {
				continue
			}
			ts := zapTS.FindStringSubmatch(line)
			if ts == nil {
				t.Fatalf("%s: a line with no ts: %q", m, line)
			}
			at, err := time.Parse(time.RFC3339Nano, ts[1])
			if err != nil {
				t.Fatal(err)
			}
			life := 0
			for life+1 < len(starts) && !at.Before(starts[life+1]) {
				life++
			}
			lives[life].WriteString(at.UTC().Format(time.RFC3339Nano) + " " + line)
		}
		if len(lives) > 2 {
			t.Fatalf("%s started %d times: kubectl keeps one previous log", m, len(lives))
		}
		p := podLog{pod: "etcd-" + m, current: lives[len(lives)-1].String()}
		if len(lives) == 2 {
			p.previous = lives[0].String()
		}
		pods = append(pods, p)
	}
	if pods[0].previous == "" || pods[1].previous == "" || pods[2].previous != "" {
		t.Fatalf("the run's n1 and n2 restarted, n3 did not: previous logs %v %v %v", pods[0].previous != "", pods[1].previous != "", pods[2].previous != "")
	}
	return pods
}

// writeTree writes files (slash path -> content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, data := range files {
		p = filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// mustGather lays the pods' logs out as an OpenShift must-gather does, with
// the etcd pods' other containers (not read) and etcd_info, as files under
// the must-gather's image directory. It returns the files and the logs'
// paths in the order they are to be read.
func mustGather(t *testing.T, pods []podLog, info map[string]string) (files map[string]string, logs []string) {
	t.Helper()
	const top = "quay-io-openshift-release-dev-ocp-v4-0-art-dev-sha256-0123/"
	files = map[string]string{top + "timestamp": "2026-11-23 21:52:00.000000000 +0000 UTC\n"}
	for _, p := range pods {
		dir := top + "namespaces/openshift-etcd/pods/" + p.pod + "/"
		files[dir+p.pod+".yaml"] = "kind: Pod\n"
		files[dir+"etcdctl/etcdctl/logs/current.log"] = "2026-11-23T21:51:20.1Z not etcd, its etcdctl container\n"
		files[dir+"etcd-metrics/etcd-metrics/logs/current.log"] = p.current
		if p.previous != "" {
			files[dir+"etcd/etcd/logs/previous.log"] = p.previous
			logs = append(logs, dir+"etcd/etcd/logs/previous.log")
		}
		files[dir+"etcd/etcd/logs/current.log"] = p.current
		logs = append(logs, dir+"etcd/etcd/logs/current.log")
	}
	for name, data := range info {
		files[top+"etcd_info/"+name] = data
	}
	return files, logs
}

// kubectlDir lays the pods' logs out as kubectl logs [--previous]
// --timestamps > POD[.previous].log writes them, or, nested, as
// POD/etcd[.previous].log.
func kubectlDir(pods []podLog, nested bool) (files map[string]string, logs []string) {
	files = map[string]string{}
	for _, p := range pods {
		prev, cur := p.pod+".previous.log", p.pod+".log"
		if nested {
			prev, cur = p.pod+"/etcd.previous.log", p.pod+"/etcd.log"
		}
		if p.previous != "" {
			files[prev] = p.previous
			logs = append(logs, prev)
		}
		files[cur] = p.current
		logs = append(logs, cur)
	}
	return files, logs
}

// etcdInfoOf writes a must-gather's etcd_info in etcdctl's JSON shapes (as
// testdata/etcdctl-3.6.16 holds them, from a real etcdctl) with the run's
// members and, at the gather time, the terms and the leader the analysis
// found at the end of the logs.
func etcdInfoOf(t *testing.T, res *analysis.Result) map[string]string {
	t.Helper()
	var ids map[string]string
	b, err := os.ReadFile(filepath.Join(realRun, "ids.json"))
	if err != nil || json.Unmarshal(b, &ids) != nil {
		t.Fatalf("ids.json: %v", err)
	}
	leader := res.Leaders[len(res.Leaders)-1]
	var members, status []map[string]any
	for i, name := range []string{"n1", "n2", "n3"} {
		id, _ := parser.ParseID(ids[name])
		ep := "https://10.0.0." + string(rune('1'+i)) + ":2379"
		members = append(members, map[string]any{"ID": uint64(id), "name": name, "peerURLs": []string{"https://10.0.0." + string(rune('1'+i)) + ":2380"}, "clientURLs": []string{ep}})
		var term uint64
		for _, m := range res.Members {
			if m.ID == id {
				term = m.MaxTerm
			}
		}
		status = append(status, map[string]any{"Endpoint": ep, "Status": map[string]any{
			"header":  map[string]any{"cluster_id": uint64(11726722738389020898), "member_id": uint64(id), "revision": 11, "raft_term": term},
			"version": "3.6.16", "dbSize": 20480, "leader": uint64(leader.Member), "raftIndex": 40, "raftTerm": term, "raftAppliedIndex": 40, "dbSizeInUse": 16384,
		}})
	}
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b) + "\n"
	}
	return map[string]string{
		"member_list.json":     enc(map[string]any{"header": map[string]any{"cluster_id": uint64(11726722738389020898)}, "members": members}),
		"endpoint_status.json": enc(status),
		"endpoint_health.json": enc([]map[string]any{{"endpoint": "https://10.0.0.1:2379", "health": true, "took": "8.1ms"}}),
	}
}

// analyzeResult runs analyze --format json and decodes the result.
func analyzeResult(t *testing.T, args ...string) (*analysis.Result, string) {
	t.Helper()
	out, errOut, code := etcdpm(t, "", append([]string{"analyze", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	var res analysis.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	return &res, errOut
}

// sources returns the envelope source each input's events carry, by input.
func sources(t *testing.T, args ...string) map[string][]string {
	t.Helper()
	out, errOut, code := etcdpm(t, "", append([]string{"analyze", "--format", "events"}, args...)...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	got := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev struct{ Input, Source string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(got[ev.Input], ev.Source) {
			got[ev.Input] = append(got[ev.Input], ev.Source)
		}
	}
	return got
}

// sameAnalysis checks that got tells what want tells: the verdict, the
// kinds of findings, the members (IDs, names, terms, campaigns), the
// leaders (who, which term, from when). When a member's log is cut in two
// at its restart (previous.log, current.log), the analysis of
// 3.6.16-quorum-loss dates the start of the quorum loss (and the end of the
// leadership before it) at the leader's check-quorum step-down rather than
// at the second member's stop: exact says whether to compare those too.
func sameAnalysis(t *testing.T, what string, got, want *analysis.Result, exact bool) {
	t.Helper()
	kinds := func(r *analysis.Result) (k []string) {
		for _, f := range r.Findings {
			k = append(k, f.Kind)
		}
		slices.Sort(k)
		return k
	}
	leaders := func(r *analysis.Result) (l []string) {
		for _, x := range r.Leaders {
			s := x.Member.String() + "@" + strconv.FormatUint(x.Term, 10) + " from " + x.Start.Format(time.StampMicro)
			if exact {
				s += " to " + x.End.Format(time.StampMicro)
			}
			l = append(l, s)
		}
		return l
	}
	if got.Diagnosis.Verdict != want.Diagnosis.Verdict || exact && got.Diagnosis.Headline != want.Diagnosis.Headline {
		t.Errorf("%s: verdict %q (%s), want %q (%s)", what, got.Diagnosis.Verdict, got.Diagnosis.Headline, want.Diagnosis.Verdict, want.Diagnosis.Headline)
	}
	if !slices.Equal(kinds(got), kinds(want)) {
		t.Errorf("%s: findings %q, want %q", what, kinds(got), kinds(want))
	}
	if !slices.Equal(got.Members, want.Members) || !slices.Equal(leaders(got), leaders(want)) {
		t.Errorf("%s: members %+v leaders %q, want %+v %q", what, got.Members, leaders(got), want.Members, leaders(want))
	}
}

func inputNames(res *analysis.Result) (names []string) {
	for _, in := range res.Inputs {
		names = append(names, in.Name)
	}
	return names
}

// prefixed returns each of paths as prefix + path, in the OS's form under a
// directory, in the slash form in an archive, where a must-gather's logs
// are named from its namespaces/ on.
func prefixed(prefix string, paths []string, dir bool) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if dir {
			p = filepath.FromSlash(p)
		} else if j := strings.Index(p, "/namespaces/"); j >= 0 {
			p = p[j+1:]
		}
		out[i] = prefix + p
	}
	return out
}

// A must-gather tree, a directory of kubectl logs (flat or one directory a
// pod) and bundles of each (.tar.gz, .tgz, .zip) tell what the members'
// plain logs tell; each container's previous log is read before its current
// one, the lines carry their pod's name, and a must-gather's etcd_info is
// the members' status when it was gathered.
func TestAnalyzeKubernetesInputs(t *testing.T) {
	want, _ := analyzeResult(t, filepath.Join(realRun, "n1.log"), filepath.Join(realRun, "n2.log"), filepath.Join(realRun, "n3.log"))
	pods := podLogs(t)
	mgFiles, mgLogs := mustGather(t, pods, etcdInfoOf(t, want))
	flatFiles, flatLogs := kubectlDir(pods, false)
	nestedFiles, nestedLogs := kubectlDir(pods, true)
	whole := slices.Clone(pods) // pods that never restarted: one log each
	for i := range whole {
		whole[i].current, whole[i].previous = whole[i].previous+whole[i].current, ""
	}
	wholeFiles, wholeLogs := kubectlDir(whole, false)
	gathered := time.Date(2026, 11, 23, 21, 52, 0, 0, time.UTC)

	tmp := t.TempDir()
	cases := []struct {
		name  string
		files map[string]string
		logs  []string
		exact bool // each member's log whole: the same analysis to the microsecond
	}{
		{"must-gather", mgFiles, mgLogs, false},
		{"kubectl-logs", flatFiles, flatLogs, false},
		{"kubectl-logs-nested", nestedFiles, nestedLogs, false},
		{"kubectl-logs-whole", wholeFiles, wholeLogs, true},
	}
	for _, c := range cases {
		dir := filepath.Join(tmp, c.name)
		writeTree(t, dir, c.files)
		for p := range c.files {
			os.Chtimes(filepath.Join(dir, filepath.FromSlash(p)), gathered, gathered)
		}
		args := map[string]struct {
			arg   string
			names []string
		}{
			"dir":    {dir, prefixed(dir+string(filepath.Separator), c.logs, true)},
			"tar.gz": {writeTarGz(t, filepath.Join(tmp, c.name+".tar.gz"), c.files, gathered), prefixed(filepath.Join(tmp, c.name+".tar.gz")+":", c.logs, false)},
			"tgz":    {writeTarGz(t, filepath.Join(tmp, c.name+".tgz"), c.files, gathered), prefixed(filepath.Join(tmp, c.name+".tgz")+":", c.logs, false)},
			"zip":    {writeZip(t, filepath.Join(tmp, c.name+".zip"), c.files, gathered), prefixed(filepath.Join(tmp, c.name+".zip")+":", c.logs, false)},
			"tar":    {gunzipTo(t, filepath.Join(tmp, c.name+".tgz"), filepath.Join(tmp, c.name+".tar")), prefixed(filepath.Join(tmp, c.name+".tar")+":", c.logs, false)},
		}
		for form, a := range args {
			what := c.name + " " + form
			got, errOut := analyzeResult(t, a.arg)
			if errOut != "" {
				t.Errorf("%s: stderr %q", what, errOut)
			}
			sameAnalysis(t, what, got, want, c.exact)
			if names := inputNames(got); !slices.Equal(names, a.names) {
				t.Errorf("%s: inputs\n%q, want\n%q", what, names, a.names)
			}
			for input, srcs := range sources(t, a.arg) {
				if pod := podName.FindString(strings.TrimPrefix(input, tmp)); !slices.Equal(srcs, []string{pod}) {
					t.Errorf("%s: %s's lines carry the sources %q, want its pod's name %q", what, input, srcs, pod)
				}
			}
			if c.name != "must-gather" {
				if len(got.Status) != 0 {
					t.Errorf("%s: status %+v, want none", what, got.Status)
				}
				continue
			}
			if len(got.Status) != 3 {
				t.Fatalf("%s: status of %d members, want 3: %+v", what, len(got.Status), got.Status)
			}
			last := want.Leaders[len(want.Leaders)-1]
			for i, s := range got.Status {
				m := want.Members[slices.IndexFunc(want.Members, func(m analysis.Member) bool { return m.ID == s.Member })]
				p := s.Points
				if s.Name != m.Name || s.Endpoint != "https://10.0.0."+string(rune('1'+i))+":2379" || len(p) != 1 || !p[0].OK || p[0].Term != m.MaxTerm || p[0].Leader != last.Member || !p[0].Time.Equal(gathered) {
					t.Errorf("%s: status %+v, want %s at term %d, leader %s, at %s", what, s, m.Name, m.MaxTerm, last.Member, gathered)
				}
			}
		}
	}
}

// The status of a real etcdctl 3.6.16 (member list, endpoint status before
// the leader m3 was killed, endpoint health after) reads as one point per
// member: term and leader, and m3's error.
func TestEtcdInfoReal(t *testing.T) {
	info := &etcdInfo{dir: "etcd_info"}
	at := time.Date(2026, 12, 3, 7, 14, 10, 0, time.UTC)
	for _, f := range []string{memberListFile, endpointStatusFile, endpointHealthFile} {
		file, err := os.Open(filepath.Join("testdata", "etcdctl-3.6.16", f))
		if err != nil {
			t.Fatal(err)
		}
		err = info.add(f, file, at)
		file.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	got := info.series()
	leader, _ := parser.ParseID("f4634eb870980e69") // 17610005522018733673
	want := map[string]string{"m1": "667880157b8812c8", "m2": "898903983759ef", "m3": "f4634eb870980e69"}
	if len(got) != 3 {
		t.Fatalf("%d series, want 3: %+v", len(got), got)
	}
	for _, s := range got {
		if s.Member.String() != want[s.Name] || len(s.Points) != 1 || !s.Points[0].OK || s.Points[0].Term != 2 || s.Points[0].Leader != leader || !s.Points[0].Time.Equal(at) {
			t.Errorf("series %+v, want %s %s at term 2 led by %s", s, s.Name, want[s.Name], leader)
		}
		// What it holds, for which member to trust (analysis/trust.go).
		if p := s.Points[0]; p.RaftIndex != 9 || p.AppliedIndex != 9 || p.Revision != 2 {
			t.Errorf("%s holds raft index %d, applied %d, revision %d; want 9, 9, 2", s.Name, p.RaftIndex, p.AppliedIndex, p.Revision)
		}
	}
	// m3 dead: endpoint status answers for the other two only
	info.status = info.status[:2]
	for _, s := range info.series() {
		if s.Name == "m3" && (s.Points[0].OK || s.Points[0].Error != "context deadline exceeded" || s.Endpoint != "http://127.0.0.1:42482") {
			t.Errorf("m3 not answering: %+v", s)
		}
	}
}

// An entry named to leave the archive (../, /), a link entry and a device
// are skipped with a warning each and never read; the rest is analyzed.
func TestBundleHostileNames(t *testing.T) {
	pods := podLogs(t)
	files, _ := kubectlDir(pods, false)
	tmp := t.TempDir()
	p := filepath.Join(tmp, "hostile.tar.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	add := func(h *tar.Header, data string) {
		h.Size = int64(len(data))
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(data))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		add(&tar.Header{Name: name, Typeflag: tar.TypeReg}, files[name])
	}
	add(&tar.Header{Name: "../../escape.log", Typeflag: tar.TypeReg}, pods[0].current)
	add(&tar.Header{Name: "/etc/cron.d/abs.log", Typeflag: tar.TypeReg}, pods[0].current)
	add(&tar.Header{Name: `..\win.log`, Typeflag: tar.TypeReg}, pods[0].current)
	add(&tar.Header{Name: "passwd.log", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}, "")
	add(&tar.Header{Name: "hard.log", Typeflag: tar.TypeLink, Linkname: "etcd-n1.log"}, "")
	add(&tar.Header{Name: "tty.log", Typeflag: tar.TypeChar, Devmajor: 5}, "")
	add(&tar.Header{Name: "etcd-n3.log", Typeflag: tar.TypeReg}, "a second etcd-n3.log, not read\n")
	tw.Close()
	zw.Close()
	os.WriteFile(p, buf.Bytes(), 0o644)

	want, _ := analyzeResult(t, filepath.Join(realRun, "n1.log"), filepath.Join(realRun, "n2.log"), filepath.Join(realRun, "n3.log"))
	got, errOut := analyzeResult(t, p)
	sameAnalysis(t, "hostile.tar.gz", got, want, false)
	for _, w := range []string{
		p + ":../../escape.log: a name that leaves the archive, not read; skipped",
		p + ":/etc/cron.d/abs.log: a name that leaves the archive, not read; skipped",
		p + `:..\win.log: a name that leaves the archive, not read; skipped`,
		p + ":passwd.log: a link in the archive (to /etc/passwd), not followed; skipped",
		p + ":hard.log: a link in the archive (to etcd-n1.log), not followed; skipped",
		"7 files skipped in all (2 more than named above)",
	} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	if len(got.Inputs) != 5 {
		t.Errorf("inputs %q, want the 5 logs", inputNames(got))
	}

	// a zip: the same names, and a link entry
	zp := filepath.Join(tmp, "hostile.zip")
	var zbuf bytes.Buffer
	zz := zip.NewWriter(&zbuf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		w, _ := zz.Create(name)
		w.Write([]byte(files[name]))
	}
	for _, name := range []string{"../escape.log", "/abs.log"} {
		w, _ := zz.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		w.Write([]byte(pods[0].current))
	}
	h := &zip.FileHeader{Name: "shadow.log"}
	h.SetMode(fs.ModeSymlink | 0o777)
	w, _ := zz.CreateHeader(h)
	w.Write([]byte("/etc/shadow"))
	zz.Close()
	os.WriteFile(zp, zbuf.Bytes(), 0o644)
	got, errOut = analyzeResult(t, zp)
	sameAnalysis(t, "hostile.zip", got, want, false)
	for _, w := range []string{
		zp + ":../escape.log: a name that leaves the archive, not read; skipped",
		zp + ":/abs.log: a name that leaves the archive, not read; skipped",
		zp + ":shadow.log: a link in the archive (to /etc/shadow), not followed; skipped",
	} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
}

// A bomb is refused with a message that says so: too many entries, or
// entries that expand past the bound (a zip's declared sizes, a tar.gz's
// bytes as they come). Nothing is analyzed.
func TestBundleBombs(t *testing.T) {
	defer func(e int, b, r int64) { maxArchiveEntries, maxArchiveBytes, maxArchiveRead = e, b, r }(maxArchiveEntries, maxArchiveBytes, maxArchiveRead)
	maxArchiveEntries, maxArchiveBytes, maxArchiveRead = 1000, 16<<20, 32<<20
	tmp := t.TempDir()
	zeros := strings.Repeat("\x00", 40<<20) // 40 MiB, some 40 kB deflated: a ratio of 1000

	many := map[string]string{}
	for i := range 1001 {
		many[filepath.Join("d", strings.Repeat("x", i%7), time.Duration(i).String()+".log")] = "x\n"
	}
	huge := map[string]string{"etcd-n1.log": zeros}
	hugeOther := map[string]string{"core.bin": zeros} // not a log: a tar's reader goes past it, and counts it
	for _, c := range []struct {
		path string
		want string
	}{
		{writeZip(t, filepath.Join(tmp, "many.zip"), many, time.Time{}), "many.zip: 1001 entries, more than 1000: too big to read safely (a zip bomb?)"},
		{writeTarGz(t, filepath.Join(tmp, "many.tar.gz"), many, time.Time{}), "many.tar.gz: more than 1000 entries: too big to read safely (a zip bomb?)"},
		{writeZip(t, filepath.Join(tmp, "huge.zip"), huge, time.Time{}), "huge.zip: etcd-n1.log: 40.0 MiB once decompressed, more than the 16.0 MiB of logs a bundle may hold: too big to read safely (a zip bomb?); extract its etcd logs and analyze them"},
		{writeTarGz(t, filepath.Join(tmp, "huge.tar.gz"), huge, time.Time{}), "huge.tar.gz: etcd-n1.log: its logs are more than 16.0 MiB once decompressed: too big to read safely"},
		{writeTarGz(t, filepath.Join(tmp, "other.tar.gz"), hugeOther, time.Time{}), "other.tar.gz: more than 32.0 MiB decompressed: too big to read safely"},
	} {
		if fi, _ := os.Stat(c.path); fi.Size() > 1<<20 {
			t.Errorf("%s: %d bytes, not a bomb", c.path, fi.Size())
		}
		out, errOut, code := etcdpm(t, "", "analyze", c.path)
		if code != 1 || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, stdout %d bytes, stderr %q; want exit 1 and %q", c.path, code, len(out), errOut, c.want)
		}
	}
}

// writeTarGz writes files into a gzipped tar at p, in name order, each of
// time mod; it returns p.
func writeTarGz(t *testing.T, p string, files map[string]string, mod time.Time) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		h := &tar.Header{Name: "./" + name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[name])), ModTime: mod}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(files[name]))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeZip writes files into a zip at p, deflated, each of time mod; it
// returns p.
func writeZip(t *testing.T, p string, files map[string]string, mod time.Time) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mod})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[name]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A capture directory in an archive is its logs.txt, as on disk, with a
// warning that its status and faults are not read from an archive.
func TestArchiveCapture(t *testing.T) {
	tmp := t.TempDir()
	files := map[string]string{}
	for _, f := range []string{"meta.json", "logs.txt", "status.jsonl", "events.jsonl"} {
		b, err := os.ReadFile(filepath.Join(capt, f))
		if err != nil {
			t.Fatal(err)
		}
		files["incident/"+f] = string(b)
	}
	files["incident/members/etcd1.log"] = podLogs(t)[0].current // not one of meta.json's logs
	copyFile(t, filepath.Join(capt, "logs.txt"), filepath.Join(tmp, "plain", "logs.txt"))
	want, _ := analyzeResult(t, filepath.Join(tmp, "plain"))
	for _, p := range []string{writeTarGz(t, filepath.Join(tmp, "incident.tar.gz"), files, time.Time{}), writeZip(t, filepath.Join(tmp, "incident.zip"), files, time.Time{})} {
		got, errOut := analyzeResult(t, p)
		sameAnalysis(t, p, got, want, true)
		if names := inputNames(got); !slices.Equal(names, []string{p + ":incident/logs.txt"}) {
			t.Errorf("%s: inputs %q, want its logs.txt", p, names)
		}
		if w := "etcdpm: warning: " + p + ":incident is a capture directory: its logs are read, not its status, faults and metrics; extract it and analyze the directory for those\n"; errOut != w {
			t.Errorf("%s: stderr %q, want %q", p, errOut, w)
		}
	}
}

// A log's pod, from its path and its first line.
func TestPodOf(t *testing.T) {
	kubectl := []byte("2026-11-23T21:51:20.049024Z {\"level\":\"warn\",\"ts\":\"2026-11-23T21:51:20.049024Z\"}\n")
	cri := []byte("2026-11-23T21:51:20.049024123Z stderr F {\"level\":\"warn\"}\n")
	bare := []byte("{\"level\":\"warn\",\"ts\":\"2026-11-23T21:51:20.049024Z\"}\n")
	for _, c := range []struct {
		path string
		head []byte
		want string
	}{
		{"mg/namespaces/openshift-etcd/pods/etcd-master-0/etcd/etcd/logs/current.log", bare, "etcd-master-0"},
		{"namespaces/openshift-etcd/pods/etcd-master-0/etcd/etcd/logs/previous.log", nil, "etcd-master-0"},
		{"logs/etcd-master-0.log", kubectl, "etcd-master-0"},
		{"logs/etcd-master-0.previous.log.gz", kubectl, "etcd-master-0"},
		{"logs/etcd-master-0/etcd.log", kubectl, "etcd-master-0"},
		{"logs/etcd-master-0/etcd.previous.log", kubectl, "etcd-master-0"},
		{"etcd.log", kubectl, "etcd"},
		{"/var/log/pods/kube-system_etcd-node1_0b9c6f1e-52ad-4b1b-9d4e-1f0c2a3b4c5d/etcd/0.log", cri, "etcd-node1"},
		{"logs/n1.log", bare, ""},                            // a member's own log: its lines name it
		{"logs/etcd1.txt", nil, ""},                          // empty
		{"logs/x.log", []byte("2026-11-23T21:51:20Z\n"), ""}, // a time, no record
	} {
		if got := podOf(c.path, c.head); got != c.want {
			t.Errorf("podOf(%q, %.30q) = %q, want %q", c.path, c.head, got, c.want)
		}
	}
}

// Each container's previous log comes just before its current one; the
// rest keep their name order.
func TestOrderLogs(t *testing.T) {
	names := []string{"a-b.log", "a.log", "a.previous.log", "current.log", "etcd", "previous.log", "x.log.gz", "x.previous.log.gz", "y.previous.log"}
	orderLogs(names, func(s string) string { return s })
	want := []string{"a-b.log", "a.previous.log", "a.log", "previous.log", "current.log", "etcd", "x.previous.log.gz", "x.log.gz", "y.previous.log"}
	if !slices.Equal(names, want) {
		t.Errorf("orderLogs: %q, want %q", names, want)
	}
}

// A tar.gz cut short (a download that stopped) gives the entries before the
// cut, with a warning; one that holds no whole entry is an error.
func TestArchiveTruncated(t *testing.T) {
	tmp := t.TempDir()
	files, _ := kubectlDir(podLogs(t), false)
	p := writeTarGz(t, filepath.Join(tmp, "cut.tar.gz"), files, time.Time{})
	whole, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, whole[:len(whole)*3/4], 0o644)
	out, errOut, code := etcdpm(t, "", "analyze", "--format", "json", p)
	var res analysis.Result
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.Inputs) == 0 || len(res.Inputs) >= 5 {
		t.Fatalf("exit %d, %d inputs, stderr %q; want some of the 5 logs", code, len(res.Inputs), errOut)
	}
	if !strings.HasPrefix(errOut, "etcdpm: warning: "+p+": ") || !strings.Contains(errOut, ": gzip: unexpected end of file (truncated?) at its entry ") || !strings.Contains(errOut, "; the analysis covers the ") {
		t.Errorf("stderr %q lacks the warning of the cut", errOut)
	}
	os.WriteFile(p, whole[:len(whole)/20], 0o644)
	if _, errOut, code := etcdpm(t, "", "analyze", p); code != 1 || !strings.Contains(errOut, p+": ") {
		t.Errorf("cut in its first entry: exit %d, stderr %q, want exit 1", code, errOut)
	}
}

// A report's title names a must-gather's logs by pod.
func TestTitleNames(t *testing.T) {
	c := &analyzeCmd{}
	got := c.reportOptions([]string{
		"mg.tar.gz:quay/namespaces/openshift-etcd/pods/etcd-n1/etcd/etcd/logs/previous.log",
		filepath.Join("mg", "namespaces", "openshift-etcd", "pods", "etcd-n2", "etcd", "etcd", "logs", "current.log"),
		filepath.Join("logs", "etcd-n3", "etcd.log"),
	}).Title
	if want := "etcd-n1/previous.log, etcd-n2/current.log, etcd-n3/etcd.log"; got != want {
		t.Errorf("title %q, want %q", got, want)
	}
	if got := titleName(filepath.Join("logs", "n1.log")); got != "n1.log" {
		t.Errorf("titleName: %q, want n1.log", got)
	}
}

// Two must-gathers in one archive keep their logs' whole paths: named
// from namespaces/ on, two would have the same name.
func TestArchiveTwoMustGathers(t *testing.T) {
	pods := podLogs(t)
	const log = "namespaces/openshift-etcd/pods/etcd-n3/etcd/etcd/logs/current.log"
	files := map[string]string{"mg/image-a/" + log: pods[2].current, "mg/image-b/" + log: pods[2].current, "mg/image-b/namespaces/openshift-etcd/pods/etcd-n1/etcd/etcd/logs/current.log": pods[0].current}
	p := writeZip(t, filepath.Join(t.TempDir(), "two.zip"), files, time.Time{})
	got, _ := analyzeResult(t, p)
	want := []string{p + ":mg/image-a/" + log, p + ":namespaces/openshift-etcd/pods/etcd-n1/etcd/etcd/logs/current.log", p + ":mg/image-b/" + log}
	if names := inputNames(got); !slices.Equal(names, want) {
		t.Errorf("inputs %q, want %q", names, want)
	}
}

// gunzipTo writes the gzipped file from, decompressed, at to; it returns to.
func gunzipTo(t *testing.T, from, to string) string {
	t.Helper()
	f, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return to
}
