package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/parser"
)

// The real captures: etcdpm capture of the demo's recipe on compose
// (logs.txt, containers named by compose) and etcdpm repro's quorum loss
// on the local backend (members/*.log, repro.json, actions.log).
var realCaptures = []struct {
	dir     string
	verdict string
	hosts   []string // host names the capture names, that --redact must remove
}{
	{"../capture/testdata/recipe-prevote-off", "quorum-loss", []string{"etcd1", "etcd2", "etcd3", "etcdpm-capture-9737912b_etcd1_1"}},
	{"testdata/repro-quorum-loss", "quorum-loss", nil},
}

var generated = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

// TestBundleRealCaptures bundles each real capture as is and redacted,
// unpacks the bundles and checks what they hold: the capture's files (as
// they were, or redacted), fresh reports, a directory that reads as a
// capture again and analyzes to the same verdict and findings as the
// original; redacted, no IP address and no host name of the capture left,
// and member IDs kept, as hex strings.
func TestBundleRealCaptures(t *testing.T) {
	for _, c := range realCaptures {
		orig, _, err := analyze(context.Background(), c.dir, filepath.Base(c.dir))
		if err != nil {
			t.Fatal(err)
		}
		if orig.Diagnosis.Verdict != c.verdict {
			t.Fatalf("%s: verdict %s, want %s", c.dir, orig.Diagnosis.Verdict, c.verdict)
		}
		files, err := Files(c.dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, redact := range []bool{false, true} {
			t.Run(filepath.Base(c.dir)+map[bool]string{false: "", true: "-redacted"}[redact], func(t *testing.T) {
				var buf bytes.Buffer
				res, err := Write(context.Background(), &buf, c.dir, Options{Redact: redact, Version: "test", Generated: generated})
				if err != nil {
					t.Fatal(err)
				}
				out := t.TempDir()
				entries := untar(t, &buf, out)
				if !slices.Equal(entries, prefixed(res.Name, res.Files)) {
					t.Errorf("entries %q, want %q under %s", entries, res.Files, res.Name)
				}
				if len(res.Files) != len(files)+2 {
					t.Errorf("files %q, want %q and the reports", res.Files, files)
				}
				got := filepath.Join(out, res.Name)
				if !capdir.IsDir(got) {
					t.Fatalf("the unpacked bundle %s is not a capture directory", got)
				}
				an, _, err := analyze(context.Background(), got, res.Name)
				if err != nil {
					t.Fatal(err)
				}
				if err := sameAnalysis(orig, an); err != nil {
					t.Errorf("the bundle does not analyze as the capture: %v", err)
				}
				md, err := os.ReadFile(filepath.Join(got, ReportMD))
				if err != nil || !strings.Contains(string(md), "Quorum loss") {
					t.Errorf("report.md: %v, want the verdict in it:\n%.300s", err, md)
				}
				if html, err := os.ReadFile(filepath.Join(got, ReportHTML)); err != nil || !bytes.HasPrefix(html, []byte("<!DOCTYPE html>")) {
					t.Errorf("report.html: %v, %.40q", err, html)
				}
				if !redact {
					for _, f := range files {
						if a, b := readFile(t, filepath.Join(c.dir, f)), readFile(t, filepath.Join(got, f)); a != b {
							t.Errorf("%s differs from the capture's", f)
						}
					}
					return
				}
				checkRedacted(t, c.dir, files, got, res.Files, c.hosts)
				checkAcrossFiles(t, got)
				if res.IPs == 0 {
					t.Errorf("no IP address redacted")
				}
			})
		}
	}
}

// checkRedacted checks the redacted files under dir against the
// capture's: no IP address left (only addresses for documentation, none of
// the capture's), no host name left, the member IDs all there, in the same
// places, and as hex strings in the JSON files.
func checkRedacted(t *testing.T, capture string, files []string, dir string, redacted []string, hosts []string) {
	t.Helper()
	orig := map[netip.Addr]bool{}
	for _, f := range files {
		for _, a := range addrs(readFile(t, filepath.Join(capture, f))) {
			orig[a] = true
		}
	}
	if len(orig) == 0 {
		t.Fatal("no IP address in the capture")
	}
	for i, f := range files {
		text := readFile(t, filepath.Join(dir, redacted[i]))
		for _, a := range addrs(text) {
			if orig[a] || !slices.ContainsFunc(docNets, func(p netip.Prefix) bool { return p.Contains(a) }) {
				t.Errorf("%s: IP address %s left", redacted[i], a)
			}
		}
		for _, h := range hosts {
			if regexp.MustCompile(`\b` + regexp.QuoteMeta(h) + `\b`).MatchString(text) {
				t.Errorf("%s: host name %s left", redacted[i], h)
			}
		}
		orig := readFile(t, filepath.Join(capture, f))
		if a, b := hexID.FindAllString(orig, -1), hexID.FindAllString(text, -1); !slices.Equal(a, b) {
			t.Errorf("%s: member IDs changed: %d of them, %d before", redacted[i], len(b), len(a))
		}
		docs := []string{text} // a .json file: one document
		switch {
		case strings.HasSuffix(f, ".jsonl"):
			docs = slices.Collect(strings.Lines(text))
		case !strings.HasSuffix(f, ".json"):
			docs = nil
		}
		ids := 0
		for _, doc := range docs {
			var v any
			if err := json.Unmarshal([]byte(doc), &v); err != nil {
				t.Fatalf("%s: %v", redacted[i], err)
			}
			ids += checkIDs(t, redacted[i], idPaths[path.Base(f)], "", v)
		}
		if ids == 0 && idPaths[path.Base(f)] != nil {
			t.Errorf("%s: no member ID found", redacted[i])
		}
	}
	for _, r := range []string{ReportMD, ReportHTML} {
		text := readFile(t, filepath.Join(dir, r))
		for _, h := range hosts {
			if regexp.MustCompile(`\b` + regexp.QuoteMeta(h) + `\b`).MatchString(text) {
				t.Errorf("%s: host name %s left", r, h)
			}
		}
		if strings.Contains(text, "127.0.0.1") {
			t.Errorf("%s: 127.0.0.1 left", r)
		}
	}
}

// checkAcrossFiles checks that the redacted meta.json and status.jsonl
// under dir name each member (by its ID) with the same name and endpoint,
// and its log the same way (meta.json's logs and the members' names).
func checkAcrossFiles(t *testing.T, dir string) {
	t.Helper()
	meta, err := capdir.ReadMeta(dir)
	if err != nil {
		t.Fatal(err)
	}
	type who struct{ name, endpoint string }
	byID := map[string]who{}
	for _, m := range meta.Members {
		byID[m.ID] = who{m.Name, m.Endpoint}
	}
	seen := 0
	for line := range strings.Lines(readFile(t, filepath.Join(dir, capdir.StatusFile))) {
		var r capdir.StatusRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if w, ok := byID[r.Member]; ok {
			seen++
			if w != (who{r.Name, r.Endpoint}) {
				t.Fatalf("status.jsonl names %s %s at %s, meta.json %s at %s", r.Member, r.Name, r.Endpoint, w.name, w.endpoint)
			}
		}
	}
	if seen == 0 {
		t.Error("no status record of a member meta.json names")
	}
	for _, l := range meta.Logs {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(l))); err != nil {
			t.Errorf("meta.json's log %s: %v", l, err)
		}
	}
}

// addrs returns the IP addresses in text, but 0.0.0.0 and ::.
func addrs(text string) []netip.Addr {
	var as []netip.Addr
	for _, m := range ipLike.FindAllString(text, -1) {
		if a, err := netip.ParseAddr(m); err == nil && !a.IsUnspecified() {
			as = append(as, a)
		}
	}
	return as
}

var docNets = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32")}

var (
	ipLike = regexp.MustCompile(`\b\d{1,3}(\.\d{1,3}){3}\b|[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:]*`)
	hexID  = regexp.MustCompile(`\b[0-9a-f]{16}\b`)
)

// idPaths are where the capture's JSON files hold member IDs: key paths
// from the document's top (an array adds nothing, * is any key).
var idPaths = map[string][]string{
	capdir.StatusFile: {"member", "leader"},
	capdir.MetaFile:   {"services.containers.member_id", "members.id"},
	"repro.json":      {"members.*", "steps.target_id"},
}

// checkIDs checks that every member ID in v (found at the key path at)
// is a hex string; it returns how many it saw.
func checkIDs(t *testing.T, file string, paths []string, at string, v any) int {
	t.Helper()
	n := 0
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := k
			if at != "" {
				p = at + "." + k
			}
			n += checkIDs(t, file, paths, p, x)
		}
	case []any:
		for _, x := range v {
			n += checkIDs(t, file, paths, at, x)
		}
	default:
		if !isIDPath(paths, at) {
			return 0
		}
		if s, ok := v.(string); !ok || s != "" && !regexp.MustCompile(`^[0-9a-f]{1,16}$`).MatchString(s) {
			t.Errorf("%s: %s is %#v, not a member ID as a hex string", file, at, v)
		}
		n++
	}
	return n
}

func isIDPath(paths []string, at string) bool {
	for _, p := range paths {
		if ok, _ := path.Match(p, at); ok {
			return true
		}
	}
	return false
}

// TestBundleRedactedNames: file names go through the redaction too, and
// meta.json's list of logs with them, so that the bundle is still a
// capture directory; the redacted title is the reports'.
func TestBundleRedactedNames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "node-a.example.com")
	copyDir(t, "testdata/repro-quorum-loss", dir)
	// The members named as hosts: their logs' names, meta.json and the
	// members' own lines say node-a.example.com, ...
	members := []string{"etcd1", "etcd2", "etcd3"}
	for _, f := range []string{capdir.MetaFile, capdir.StatusFile, "repro.json", capdir.ActionsFile, capdir.EventsFile, "members/etcd1.log", "members/etcd2.log", "members/etcd3.log"} {
		p := filepath.Join(dir, f)
		b := readFile(t, p)
		for i, m := range members {
			b = regexp.MustCompile(`\b`+m+`\b`).ReplaceAllString(b, string(rune('a'+i))+".db.example.com")
		}
		if err := os.WriteFile(p, []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range members {
		host := string(rune('a'+i)) + ".db.example.com"
		if err := os.Rename(filepath.Join(dir, "members", m+".log"), filepath.Join(dir, "members", host+".log")); err != nil {
			t.Fatal(err)
		}
	}
	if !capdir.IsDir(dir) {
		t.Fatal("the renamed capture is not a capture directory")
	}
	var buf bytes.Buffer
	res, err := Write(context.Background(), &buf, dir, Options{Redact: true, Title: "incident on a.db.example.com", Generated: generated})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	entries := untar(t, &buf, out)
	if res.Name != "host-1" {
		t.Errorf("the bundle's directory is %s, want host-1", res.Name)
	}
	for _, e := range entries {
		if strings.Contains(e, "example") {
			t.Errorf("entry %s keeps a host name", e)
		}
	}
	if !slices.Contains(entries, "host-1/members/host-2.log") {
		t.Errorf("entries %q, want host-1/members/host-2.log", entries)
	}
	if !capdir.IsDir(filepath.Join(out, res.Name)) {
		t.Fatal("the redacted bundle is not a capture directory")
	}
	md := readFile(t, filepath.Join(out, res.Name, ReportMD))
	if !strings.Contains(md, "incident on host-2") || strings.Contains(md, "example.com") {
		t.Errorf("report.md: want the redacted title and no host name:\n%.400s", md)
	}
}

// TestCheckDir: what is not a capture directory is refused with a reason.
func TestCheckDir(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "logs.txt")
	os.WriteFile(file, []byte("x\n"), 0o644)
	partial := filepath.Join(tmp, "partial")
	copyDir(t, "testdata/repro-quorum-loss", partial)
	os.Remove(filepath.Join(partial, "members", "etcd2.log"))
	for _, c := range []struct{ dir, want string }{
		{filepath.Join(tmp, "nope"), "no such file or directory"},
		{file, "is not a capture directory but a file"},
		{tmp, "it has no meta.json"},
		{partial, "its log " + filepath.Join(partial, "members", "etcd2.log") + " is missing"},
	} {
		err := CheckDir(c.dir)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckDir(%s) = %v, want %q", c.dir, err, c.want)
		}
		if _, err := Write(context.Background(), io.Discard, c.dir, Options{}); err == nil {
			t.Errorf("Write(%s) did not fail", c.dir)
		}
	}
	if err := CheckDir("testdata/repro-quorum-loss"); err != nil {
		t.Errorf("CheckDir(a capture) = %v", err)
	}
}

// TestBundleCanceled: a canceled context stops the bundle.
func TestBundleCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Write(ctx, io.Discard, "testdata/repro-quorum-loss", Options{Redact: true}); err == nil {
		t.Error("Write with a canceled context did not fail")
	}
}

func prefixed(dir string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = dir + "/" + n
	}
	return out
}

// untar unpacks the bundle in r into dir (Extract), checking the time of
// its entries, and returns its files' names.
func untar(t *testing.T, r io.Reader, dir string) []string {
	t.Helper()
	var b bytes.Buffer
	names, err := Extract(io.TeeReader(r, &b), dir)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	for tr := tar.NewReader(gz); ; {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if !h.ModTime.Equal(generated) {
			t.Errorf("%s: time %v, want the reports' %v", h.Name, h.ModTime, generated)
		}
	}
	return names
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSameAnalysis: what redaction must not change is told apart from
// what it may (names, texts).
func TestSameAnalysis(t *testing.T) {
	orig, _, err := analyze(context.Background(), "testdata/repro-quorum-loss", "x")
	if err != nil {
		t.Fatal(err)
	}
	again, _, _ := analyze(context.Background(), "testdata/repro-quorum-loss", "y")
	again.Members[0].Name = "host-1"
	again.Findings[0].Summary = "host-1 did it"
	if err := sameAnalysis(orig, again); err != nil {
		t.Errorf("names and texts: %v", err)
	}
	for _, c := range []struct {
		what   string
		change func(r *analysis.Result)
	}{
		{"verdict", func(r *analysis.Result) { r.Diagnosis.Verdict = "leader-change" }},
		{"finding", func(r *analysis.Result) { r.Findings[1].Kind = "split-vote" }},
		{"findings", func(r *analysis.Result) { r.Findings = r.Findings[1:] }},
		{"evidence line", func(r *analysis.Result) { r.Findings[0].Evidence[0].Line++ }},
		{"member", func(r *analysis.Result) { r.Members[1].MaxTerm++ }},
		{"leaders", func(r *analysis.Result) { r.Leaders[0].Term++ }},
	} {
		b, _, _ := analyze(context.Background(), "testdata/repro-quorum-loss", "x")
		c.change(b)
		if err := sameAnalysis(orig, b); err == nil {
			t.Errorf("a changed %s is not told", c.what)
		}
	}
}

// TestExtractRefuses: entries outside the directory, links and files that
// exist already are refused.
func TestExtractRefuses(t *testing.T) {
	tarball := func(hdrs ...*tar.Header) *bytes.Buffer {
		var b bytes.Buffer
		gz := gzip.NewWriter(&b)
		tw := tar.NewWriter(gz)
		for _, h := range hdrs {
			if err := tw.WriteHeader(h); err != nil {
				t.Fatal(err)
			}
			tw.Write(make([]byte, h.Size))
		}
		tw.Close()
		gz.Close()
		return &b
	}
	dir := t.TempDir()
	for _, c := range []struct {
		hdr  *tar.Header
		want string
	}{
		{&tar.Header{Name: "../evil", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644}, "outside its directory"},
		{&tar.Header{Name: "/etc/evil", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644}, "outside its directory"},
		{&tar.Header{Name: "x/link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}, "neither a file nor a directory"},
	} {
		if _, err := Extract(tarball(c.hdr), dir); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.hdr.Name, err, c.want)
		}
	}
	f := &tar.Header{Name: "x/a", Typeflag: tar.TypeReg, Size: 2, Mode: 0o644}
	if names, err := Extract(tarball(f), dir); err != nil || !slices.Equal(names, []string{"x/a"}) {
		t.Fatalf("Extract: %q, %v", names, err)
	}
	if _, err := Extract(tarball(f), dir); err == nil {
		t.Error("a file that exists already was overwritten")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "evil")); err == nil {
		t.Error("../evil was written")
	}
}

// TestRedactKeepsAnalysis redacts every real log the project has (the lab's
// etcd 3.4 to 3.7 runs, the compose logs of both compose versions, the
// demo's) and checks that the redacted logs analyze as the original ones.
func TestRedactKeepsAnalysis(t *testing.T) {
	var runs [][]string // the log files of one run each
	dirs, _ := filepath.Glob("../testdata/real/*")
	shared, _ := filepath.Glob("../testdata/shared/etcd-3.4.45/*")
	for _, d := range append(dirs, shared...) {
		logs, _ := filepath.Glob(filepath.Join(d, "*.log"))
		logs = slices.DeleteFunc(logs, func(l string) bool { return filepath.Base(l) == capdir.ActionsFile })
		if len(logs) > 0 {
			runs = append(runs, logs)
		}
	}
	singles, _ := filepath.Glob("../testdata/compose/*.txt.gz")
	for _, f := range append(singles, "../testdata/shared/seed/etcd-demo-compose-logs.txt") {
		runs = append(runs, []string{f})
	}
	if len(runs) < 40 {
		t.Fatalf("only %d real runs found", len(runs))
	}
	for _, logs := range runs {
		t.Run(filepath.Base(filepath.Dir(logs[0]))+"/"+filepath.Base(logs[0]), func(t *testing.T) {
			texts := make([][]byte, len(logs))
			r := NewRedactor()
			for i, l := range logs {
				texts[i] = readLog(t, l)
				r.Learn(texts[i])
			}
			redacted := make([][]byte, len(logs))
			for i, text := range texts {
				for line := range bytes.Lines(text) {
					redacted[i] = r.Append(redacted[i], line)
				}
			}
			a, b := analyzeTexts(t, texts), analyzeTexts(t, redacted)
			if len(a.Members) == 0 || len(a.Findings) == 0 {
				t.Fatalf("%d members and %d findings in the original logs", len(a.Members), len(a.Findings))
			}
			if err := sameAnalysis(a, b); err != nil {
				t.Errorf("redacted: %v", err)
			}
			if bytes.Equal(bytes.Join(texts, nil), bytes.Join(redacted, nil)) && bytes.Contains(bytes.Join(texts, nil), []byte("127.0.0.1")) {
				t.Error("nothing was redacted")
			}
		})
	}
}

func readLog(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func analyzeTexts(t *testing.T, texts [][]byte) *analysis.Result {
	t.Helper()
	srcs := make([]parser.Source, len(texts))
	for i, text := range texts {
		srcs[i] = parser.Source{R: bytes.NewReader(text), Opts: parser.Options{Name: "in", Input: i, TZ: time.UTC}}
	}
	res, _, err := analysis.Analyze(context.Background(), srcs, nil, nil, analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}
