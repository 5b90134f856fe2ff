//go:build unix

package repro

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/cluster/local/localtest"
	"github.com/etcdpm/etcdpm/repro/member"
)

// memberEnv makes this test binary run an embedded etcd member instead of the tests: what
// etcdpm's hidden `member` command does.
const memberEnv = "ETCDPM_REPRO_TEST_MEMBER"

func TestMain(m *testing.M) {
	if os.Getenv(memberEnv) == "1" {
		member.Main(os.Args[1:])
	}
	code := m.Run()
	removeBinary()
	os.Exit(code)
}

// testMember runs a member as this test binary.
func testMember(t *testing.T) func([]string) *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return func(flags []string) *exec.Cmd {
		cmd := exec.Command(self, flags...)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "ETCD_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, memberEnv+"=1")
		return cmd
	}
}

// testWriter sends the run's step lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestLocalScenarios runs every scenario on the local backend (embedded etcd, no Docker) and
// checks what the analysis finds, that the data survived, and the capture directory.
func TestLocalScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: each scenario runs a real cluster for 10-20 s")
	}
	cases := []struct {
		scenario string
		preVote  bool
		hold     time.Duration
		verdict  string   // "" for any
		want     []string // findings that must be there
		not      []string // findings that must not
		fault    string   // a fault mark's label must start with it
	}{
		// The survivor must fail 3 campaigns in a row for a loop: 10 s leaves it time for 4 or more.
		{"quorum-loss", false, 10 * time.Second, "quorum-loss", []string{"candidacy-loop", "recovery"}, []string{"pre-vote-loop"}, "stopped etcd"},
		{"quorum-loss", true, 10 * time.Second, "quorum-loss", []string{"pre-vote-loop", "recovery"}, []string{"candidacy-loop"}, "stopped etcd"},
		{"leader-loss", false, 6 * time.Second, "", []string{"leadership-transfer"}, []string{"quorum-loss"}, "stopped etcd"},
		{"leader-kill", false, 6 * time.Second, "", []string{"leader-change"}, []string{"leadership-transfer", "quorum-loss"}, "killed etcd"},
		{"leader-pause", false, 6 * time.Second, "", []string{"leader-change"}, []string{"leadership-transfer", "quorum-loss"}, "paused etcd"},
		{"follower-partition", false, 6 * time.Second, "disruptive-rejoin", []string{"disruptive-rejoin"}, nil, "disconnected etcd"},
		{"follower-partition", true, 6 * time.Second, "", nil, []string{"disruptive-rejoin", "leader-change"}, "disconnected etcd"},
		{"leader-partition", true, 6 * time.Second, "check-quorum-step-down", []string{"check-quorum-step-down"}, nil, "disconnected etcd"},
	}
	for _, c := range cases {
		t.Run(c.scenario+"/pre-vote="+strconv.FormatBool(c.preVote), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			start := time.Now()
			o, err := Run(ctx, Options{
				Scenario: c.scenario, PreVote: c.preVote, Hold: c.hold,
				Out: filepath.Join(t.TempDir(), "out"), MemberCommand: testMember(t),
				Progress: testWriter{t}, Version: "test",
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s in %.1fs: verdict %s, findings %s", c.scenario, time.Since(start).Seconds(), o.Result.Diagnosis.Verdict, o.Kinds())
			if !o.Checked || o.Intact != o.Keys || o.Keys == 0 {
				t.Errorf("data: %d of %d keys intact (checked %v)", o.Intact, o.Keys, o.Checked)
			}
			kinds := o.Kinds()
			if c.verdict != "" && o.Result.Diagnosis.Verdict != c.verdict {
				t.Errorf("verdict %s, want %s (findings %s)", o.Result.Diagnosis.Verdict, c.verdict, kinds)
			}
			for _, k := range c.want {
				if !slices.Contains(kinds, k) {
					t.Errorf("no %s finding (findings %s)", k, kinds)
				}
			}
			for _, k := range c.not {
				if slices.Contains(kinds, k) {
					t.Errorf("a %s finding (findings %s)", k, kinds)
				}
			}
			if c.scenario == "leader-pause" {
				t.Logf("slow-leader: %v (etcd logs it when the thawed leader notices its late heartbeats)", slices.Contains(kinds, "slow-leader"))
			}
			checkDir(t, o, c.fault)
			checkGone(t, o.Dir)
		})
	}
}

// checkDir checks the capture directory: what `etcdpm analyze DIR` and capdir.Read read.
func checkDir(t *testing.T, o *Outcome, fault string) {
	t.Helper()
	if !capdir.IsDir(o.Dir) {
		t.Errorf("%s is not a capture directory", o.Dir)
	}
	meta, err := capdir.ReadMeta(o.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Schema != capdir.MetaSchema || meta.End == nil || len(meta.Members) != 3 || meta.Counts.StatusRecords == 0 || meta.Counts.LogLines == 0 ||
		meta.Counts.MetricsRecords == 0 || meta.MetricsInterval == "" {
		t.Errorf("meta.json: %+v", meta)
	}
	for _, name := range []string{ActionsFile, RunFile, HTMLFile, MarkdownFile, capdir.StatusFile, capdir.MetricsFile, capdir.EventsFile} {
		if fi, err := os.Stat(filepath.Join(o.Dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(o.Result.Status) != 3 {
		t.Errorf("status series for %d members, want 3", len(o.Result.Status))
	}
	if capt, err := capdir.Read(o.Dir); err != nil || len(capt.Metrics) != 3 {
		t.Errorf("capdir.Read: metrics of %d members (want 3), %v", len(capt.Metrics), err)
	} else {
		for _, ms := range capt.Metrics {
			if ms.Member == 0 || len(ms.Intervals) == 0 {
				t.Errorf("metrics of %s: member %v, %d intervals", ms.Name, ms.Member, len(ms.Intervals))
			}
		}
	}
	var labels []string
	found := false
	for _, f := range o.Result.Faults {
		labels = append(labels, f.Label)
		found = found || strings.HasPrefix(f.Label, fault)
	}
	if !found {
		t.Errorf("fault marks %q, want one starting with %q", labels, fault)
	}
	logs, err := capdir.LogFiles(o.Dir) // logs.txt (compose), or each member's log (local)
	if err != nil || len(o.Result.Inputs) != len(logs) {
		t.Errorf("inputs: %+v, want the logs %q (%v)", o.Result.Inputs, logs, err)
	}
	for _, in := range o.Result.Inputs {
		if in.Malformed != 0 || in.Events == 0 {
			t.Errorf("input %+v: want events and no malformed line", in)
		}
	}
	if names := memberNamesOf(o); !slices.Equal(names, memberNames) {
		t.Errorf("members %q, want %q", names, memberNames)
	}
}

func memberNamesOf(o *Outcome) []string {
	var names []string
	for _, m := range o.Result.Members {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return names
}

var (
	dataDirFlag = regexp.MustCompile(`--data-dir=([^"]+)/etcd1\.etcd`)
	stepLine    = regexp.MustCompile(`^\[ *[0-9]+\.[0-9]s\] \S`)
)

// checkGone checks that no member of the run in dir still runs and that its data dirs are gone:
// the members' own logs name their data dir.
func checkGone(t *testing.T, dir string) {
	t.Helper()
	log, err := os.ReadFile(filepath.Join(dir, MembersDir, "etcd1.log"))
	if err != nil {
		t.Fatal(err)
	}
	m := dataDirFlag.FindSubmatch(log)
	if m == nil {
		t.Fatalf("no --data-dir in %s/%s/etcd1.log", dir, MembersDir)
	}
	data := string(m[1])
	if pids := processesWith(t, data); len(pids) > 0 {
		t.Errorf("processes %v still run members of %s", pids, data)
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the members' data %s is still there (%v)", data, err)
	}
}

// processesWith lists the processes whose command line contains s.
func processesWith(t *testing.T, s string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) {
			if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && bytes.Contains(stat, []byte(") Z ")) {
				continue // a zombie: it has exited
			}
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestLocalCancelled ends a run during its hold, as Ctrl-C does: it returns, and leaves no member
// nor data behind, and what it recorded.
func TestLocalCancelled(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := filepath.Join(t.TempDir(), "out")
	var steps bytes.Buffer
	w := &cancelOn{w: &steps, s: "holding", cancel: cancel}
	o, err := Run(ctx, Options{Scenario: "leader-pause", Hold: time.Minute, Out: out, MemberCommand: testMember(t), Progress: w})
	t.Logf("steps:\n%s", steps.String())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if o == nil || o.Capture == nil {
		t.Fatalf("outcome %+v: want the capture's summary", o)
	}
	checkGone(t, out)
	if !capdir.IsDir(out) {
		t.Errorf("%s is not a capture directory", out)
	}
}

// cancelOn cancels once a line with s is written.
type cancelOn struct {
	w      *bytes.Buffer
	s      string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(c.s)) {
		time.AfterFunc(time.Second, c.cancel)
	}
	return c.w.Write(p)
}

// TestLocalStartFails: members that cannot start fail the run, and leave nothing running.
func TestLocalStartFails(t *testing.T) {
	dir := t.TempDir()
	// A path of its own, so that no other process on the machine running /bin/false matches.
	etcd := filepath.Join(dir, "etcd-that-exits")
	if err := os.Symlink("/bin/false", etcd); err != nil {
		t.Fatal(err)
	}
	_, err := Run(t.Context(), Options{Out: filepath.Join(dir, "out"), EtcdBinary: etcd, Hold: time.Second})
	if err == nil || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("err %v, want the members' exit", err)
	}
	if pids := processesWith(t, etcd); len(pids) > 0 {
		t.Errorf("processes %v left", pids)
	}
	// The log the error names, which says why the member did not start, is kept in the run's
	// directory: the members' own directory is removed.
	m := regexp.MustCompile(`see (\S+\.log)`).FindStringSubmatch(err.Error())
	if m == nil || !strings.HasPrefix(m[1], filepath.Join(dir, "out", MembersDir)) {
		t.Fatalf("err %v names no log under out/%s", err, MembersDir)
	}
	if _, serr := os.Stat(m[1]); serr != nil {
		t.Errorf("the log the error names: %v", serr)
	}
}

func TestOptions(t *testing.T) {
	for _, c := range []struct {
		opts Options
		err  string
	}{
		{Options{Scenario: "no-such"}, "unknown scenario"},
		{Options{Backend: "k8s"}, "unknown backend"},
		{Options{}, "no way to run a member"},
		{Options{Backend: Compose, EtcdBinary: "etcd"}, "--etcd-binary"},
		{Options{Hold: -time.Second, EtcdBinary: "etcd"}, "hold"},
	} {
		if _, err := c.opts.setDefaults(time.Now()); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%+v: %v, want %q", c.opts, err, c.err)
		}
	}
	o := Options{Scenario: "leader-freeze", EtcdBinary: "etcd"}
	sc, err := o.setDefaults(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil || sc.Name != "leader-pause" || o.Out != "etcdpm-repro-leader-pause-20260102T030405Z" || o.Hold != DefaultHold || o.RootKey != "/root" || o.Backend != Local {
		t.Errorf("defaults: %v %+v %v", sc.Name, o, err)
	}
}

func TestScenarioNames(t *testing.T) {
	want := []string{"quorum-loss", "leader-loss", "leader-kill", "leader-pause", "follower-partition", "leader-partition", "slow-disk", "overloaded-leader"}
	if got := ScenarioNames(); !slices.Equal(got, want) {
		t.Errorf("ScenarioNames() = %q, want %q", got, want)
	}
	for lab, name := range map[string]string{"leader-stop": "leader-loss", "leader-freeze": "leader-pause", "quorum-loss": "quorum-loss"} {
		if s, ok := LookupScenario(lab); !ok || s.Name != name {
			t.Errorf("LookupScenario(%q) = %q, %v; want %s", lab, s.Name, ok, name)
		}
	}
}

func TestCreateDir(t *testing.T) {
	dir := t.TempDir()
	if err := createDir(filepath.Join(dir, "new")); err != nil {
		t.Error(err)
	}
	if err := createDir(dir); err == nil { // holds "new" now
		t.Error("createDir accepted a directory that is not empty")
	}
}

// TestLocalEtcdBinary runs the members from an etcd binary instead of the embedded etcd:
// $ETCDPM_ETCD_BINARY, else the etcd 3.6 that scripts/build-etcd.sh builds.
func TestLocalEtcdBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	bin := localtest.EtcdBinary(t, "..")
	o, err := Run(t.Context(), Options{
		Scenario: "leader-loss", Hold: 3 * time.Second, EtcdBinary: bin,
		Out: filepath.Join(t.TempDir(), "out"), Progress: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.Etcd != "etcd "+bin || !slices.Contains(o.Kinds(), "leadership-transfer") || o.Intact != o.Keys {
		t.Errorf("etcd %q, findings %q, %d of %d keys intact", o.Etcd, o.Kinds(), o.Intact, o.Keys)
	}
	log, err := os.ReadFile(filepath.Join(o.Dir, MembersDir, "etcd1.log"))
	if err != nil || !bytes.Contains(log, []byte(`"msg":"Running: ","args":["`+bin)) {
		t.Errorf("etcd1.log does not show %s running (%v)", bin, err)
	}
	checkGone(t, o.Dir)
}
