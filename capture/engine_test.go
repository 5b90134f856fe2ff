package capture_test

// Tests on the real Docker engine and the demo stack (docker-compose.yml
// with the local etcd image of scripts/build-image.sh). Under CI=true they
// fail when Docker is missing; elsewhere they skip.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/capture"
	"github.com/etcdpm/etcdpm/cluster"
	"github.com/etcdpm/etcdpm/parser"
	"github.com/etcdpm/etcdpm/stack"
	"github.com/etcdpm/etcdpm/stack/stacktest"
)

var services = []string{"etcd1", "etcd2", "etcd3"}

// demo is the demo stack under test, with the test's own etcd clients.
type demo struct {
	p         *stack.Project
	endpoints map[string]string // service -> client URL
	clients   map[string]*clientv3.Client
	ids       map[string]string // service -> container ID
}

// upDemo starts etcd1, etcd2 and etcd3 of docker-compose.yml as a project of
// its own, pre-vote off; teardown (down -v) always runs and checks that
// nothing is left.
func upDemo(t *testing.T) *demo {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the demo stack takes a minute or two")
	}
	compose := stacktest.Require(t)
	image := stacktest.Image(t)
	ctx := t.Context()
	ports := freePorts(t, 4)
	env := map[string]string{"ETCD_IMAGE": image, "ETCD_PRE_VOTE": "false", "E3W_PORT": strconv.Itoa(ports[3])}
	d := &demo{endpoints: map[string]string{}, clients: map[string]*clientv3.Client{}, ids: map[string]string{}}
	for i, svc := range services {
		env[fmt.Sprintf("ETCD%d_PORT", i+1)] = strconv.Itoa(ports[i])
		d.endpoints[svc] = fmt.Sprintf("http://127.0.0.1:%d", ports[i])
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{d.endpoints[svc]}, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cli.Close() })
		d.clients[svc] = cli
	}
	p, err := stack.New(ctx, stack.Options{
		File: filepath.Join("..", "docker-compose.yml"), Name: stack.RandomName("etcdpm-capture"),
		Env: env, Compose: &compose, Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	d.p = p
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := p.Down(ctx); err != nil {
			t.Errorf("teardown: %v", err)
		}
		left, err := p.Leftovers(ctx)
		switch {
		case err != nil:
			t.Errorf("teardown: listing what is left: %v", err)
		case !left.Empty():
			t.Errorf("teardown: project %s left %v", p.Name, left)
		}
	})
	if err := p.Up(ctx, services...); err != nil {
		t.Fatal(err)
	}
	for _, svc := range services {
		id, err := p.Container(ctx, svc)
		if err != nil || id == "" {
			t.Fatalf("container of %s: %q, %v", svc, id, err)
		}
		d.ids[svc] = id
	}
	return d
}

// leader waits until the services agree on a leader and returns its service.
func (d *demo) leader(t *testing.T, svcs []string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var leader uint64
		agree := true
		var state []string
		byID := map[uint64]string{}
		for _, svc := range svcs {
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			st, err := d.clients[svc].Status(ctx, d.endpoints[svc])
			cancel()
			if err != nil {
				agree = false
				state = append(state, svc+": "+err.Error())
				continue
			}
			byID[st.Header.MemberId] = svc
			state = append(state, fmt.Sprintf("%s: leader %x term %d", svc, st.Leader, st.RaftTerm))
			if st.Leader == 0 || leader != 0 && st.Leader != leader {
				agree = false
			}
			leader = st.Leader
		}
		if agree && byID[leader] != "" {
			return byID[leader]
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %v to agree on a leader: %s", timeout, svcs, strings.Join(state, "; "))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// docker runs the docker CLI: stop and start as the demo's recipe does,
// without compose's start-up time, so that the test knows when they ran.
func docker(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports, err := cluster.FreePorts(n)
	if err != nil {
		t.Fatal(err)
	}
	return ports
}

// TestCaptureDemoRecipe captures the demo's recipe in-process: stop the
// leader and a follower, hold, start them again. logs.txt must hold exactly
// what `docker logs --timestamps` holds per container, status.jsonl the
// survivor's rising terms, the stopped members' errors and the new leader,
// and the faults must sit at the times the test stopped and started them.
func TestCaptureDemoRecipe(t *testing.T) {
	d := upDemo(t)
	ctx := t.Context()
	leader := d.leader(t, services, 90*time.Second)

	out := filepath.Join(t.TempDir(), "capture")
	s, err := capture.New(ctx, capture.Options{Out: out, Project: d.p.Name, Version: "test", Command: []string{"etcdpm", "capture"}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopCapture := context.WithCancel(ctx)
	defer stopCapture()
	type result struct {
		sum *capture.Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		sum, err := s.Run(runCtx)
		done <- result{sum, err}
	}()
	waitFor(t, 20*time.Second, "the capture to poll every member", func() bool {
		sn := s.Snapshot()
		n := 0
		for _, m := range sn.Members {
			if m.OK {
				n++
			}
		}
		return n == 3 && sn.Leader != ""
	})
	time.Sleep(2 * time.Second)

	var follower, survivor string
	for _, svc := range services {
		switch {
		case svc == leader:
		case follower == "":
			follower = svc
		default:
			survivor = svc
		}
	}
	t.Logf("leader %s; stopping it and %s; %s survives", leader, follower, survivor)
	stopped := time.Now()
	docker(t, "stop", d.ids[leader], d.ids[follower])
	stopDone := time.Now()
	time.Sleep(8 * time.Second)
	// One at a time, each time noted: `docker start a b` starts them in turn.
	startedAt := map[string]time.Time{}
	for _, svc := range []string{leader, follower} {
		startedAt[svc] = time.Now()
		docker(t, "start", d.ids[svc])
	}
	started := startedAt[leader]
	newLeader := d.leader(t, services, 30*time.Second)
	recovered := time.Now()
	t.Logf("stopped at %s (took %v), started at %s, leader %s at %s",
		stopped.Format("15:04:05.000"), stopDone.Sub(stopped).Round(time.Millisecond), started.Format("15:04:05.000"), newLeader, recovered.Format("15:04:05.000"))
	time.Sleep(3 * time.Second) // the capture polls the new leader

	// Stop every member, so that no line comes after the capture ends, then
	// end the capture.
	allStopped := time.Now()
	docker(t, append([]string{"stop"}, d.ids[services[0]], d.ids[services[1]], d.ids[services[2]])...)
	time.Sleep(2 * time.Second)
	stopCapture()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the capture did not stop within 30s")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Logf("capture: %d log lines, %d status records, %d events in %v", r.sum.LogLines, r.sum.StatusRecords, r.sum.Events, r.sum.End.Sub(r.sum.Start).Round(time.Millisecond))
	saveArtifacts(t, out)

	// logs.txt: exactly docker logs' lines, per container.
	got := map[string][]string{}
	for _, l := range fileLines(t, filepath.Join(out, capdir.LogsFile)) {
		name, rest, ok := strings.Cut(l, " | ")
		if !ok {
			t.Fatalf("logs.txt: no compose prefix: %q", l)
		}
		got[strings.TrimSpace(name)] = append(got[strings.TrimSpace(name)], rest)
	}
	for _, svc := range services {
		out, err := exec.CommandContext(ctx, "docker", "logs", "--timestamps", d.ids[svc]).CombinedOutput()
		if err != nil {
			t.Fatalf("docker logs %s: %v", svc, err)
		}
		want := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		have := got[svc+"-1"]
		missing, twice := multisetDiff(want, have)
		if len(missing) > 0 || len(twice) > 0 || len(have) != len(want) {
			t.Errorf("%s: logs.txt has %d lines, docker logs %d; %d missing (first %q), %d extra (first %q)",
				svc, len(have), len(want), len(missing), first(missing), len(twice), first(twice))
		} else {
			t.Logf("%s: %d lines, the same as docker logs --timestamps", svc, len(have))
		}
	}

	// status.jsonl: the survivor's terms rise while alone, the stopped members
	// fail, and all see the new leader after recovery.
	records := map[string][]capdir.StatusRecord{}
	for i, l := range fileLines(t, filepath.Join(out, capdir.StatusFile)) {
		var rec capdir.StatusRecord
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("status.jsonl:%d: %v", i+1, err)
		}
		records[rec.Name] = append(records[rec.Name], rec)
	}
	// The survivor may be handed the leadership by the stopping leader and
	// keep it until check-quorum steps it down (a few election timeouts, more
	// on a loaded machine): it is alone from the first poll without a leader
	// after the last poll that still showed one.
	var alone time.Time
	for _, rec := range records[survivor] {
		if !rec.OK || !rec.Time.After(stopped) || !rec.Time.Before(started) {
			continue
		}
		switch {
		case rec.Leader != "":
			alone = time.Time{}
		case alone.IsZero():
			alone = rec.Time
		}
	}
	if alone.IsZero() || alone.After(stopDone.Add(10*time.Second)) {
		t.Errorf("%s lost its leader at %v, want within 10s of %v", survivor, alone, stopDone)
	}
	var terms []uint64
	states := map[string]int{}
	for _, rec := range records[survivor] {
		if rec.OK && !rec.Time.Before(alone) && rec.Time.Before(started) {
			terms = append(terms, rec.Term)
			states[rec.State]++
		}
	}
	if len(terms) < 10 || terms[len(terms)-1] < terms[0]+2 || !slices.IsSorted(terms) {
		t.Errorf("%s's terms while alone: %v; want rising, by 2 or more (pre-vote off)", survivor, compact(terms))
	} else {
		t.Logf("%s's term while alone: %v (states %v)", survivor, compact(terms), states)
	}
	if states["candidate"] == 0 {
		t.Errorf("%s's raft states while alone: %v, want candidate", survivor, states)
	}
	for _, svc := range []string{leader, follower} {
		fails := 0
		for _, rec := range records[svc] {
			if rec.Time.After(stopDone.Add(time.Second)) && rec.Time.Before(started) {
				if rec.OK {
					t.Errorf("%s answered at %s while stopped", svc, rec.Time)
				} else if rec.Error != "" {
					fails++
				}
			}
		}
		if fails < 20 {
			t.Errorf("%s: %d error records while stopped, want one per poll", svc, fails)
		}
	}
	leaderID := ""
	for _, svc := range services {
		var last capdir.StatusRecord
		for _, rec := range records[svc] {
			// Before the final stop: members that stop hand leadership over on their way out.
			if rec.OK && rec.Time.After(recovered) && rec.Time.Before(allStopped) {
				last = rec
			}
		}
		if last.Leader == "" || leaderID != "" && last.Leader != leaderID {
			t.Errorf("%s after recovery: leader %q (others %q)", svc, last.Leader, leaderID)
		}
		leaderID = last.Leader
	}

	// The faults sit at the stop and the start.
	res := analyzeCapture(t, out)
	for _, svc := range []string{leader, follower} {
		var f *analysis.Fault
		for i := range res.Faults {
			if res.Faults[i].Target == svc {
				f = &res.Faults[i]
				break
			}
		}
		if f == nil {
			t.Errorf("no fault for %s: %+v", svc, res.Faults)
			continue
		}
		if d := f.Start.Sub(stopped); d < -time.Second || d > time.Second {
			t.Errorf("%s's fault starts at %s, %v after the test stopped it", svc, f.Start.Format("15:04:05.000"), d)
		}
		if d := f.End.Sub(startedAt[svc]); d < -time.Second || d > time.Second {
			t.Errorf("%s's fault ends at %s, %v after the test started it", svc, f.End.Format("15:04:05.000"), d)
		}
		if f.Label != "stopped "+svc {
			t.Errorf("fault label %q, want %q", f.Label, "stopped "+svc)
		}
		t.Logf("fault %q %s-%s (stopped %s, started %s)", f.Label, f.Start.Format("15:04:05.000"), f.End.Format("15:04:05.000"), stopped.Format("15:04:05.000"), startedAt[svc].Format("15:04:05.000"))
	}
	kinds := []string{}
	for _, f := range res.Findings {
		kinds = append(kinds, f.Kind)
	}
	t.Logf("analysis: verdict %s; findings %v", res.Diagnosis.Verdict, kinds)
	if !slices.Contains(kinds, analysis.CandidacyLoop) {
		t.Errorf("no candidacy-loop finding in the capture's logs: %v", kinds)
	}
}

// analyzeCapture analyzes dir's logs.txt as `etcdpm analyze` does, attaches
// the capture, and fails on malformed lines.
func analyzeCapture(t *testing.T, dir string) *analysis.Result {
	t.Helper()
	path := filepath.Join(dir, capdir.LogsFile)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	capt, err := capdir.Read(dir)
	if err != nil {
		t.Errorf("Read: %v", err)
	}
	src := parser.Source{R: f, Opts: parser.Options{Name: path, Layout: "auto", TZ: time.UTC, MaxErrors: 5}}
	res, stats, err := analysis.Analyze(context.Background(), []parser.Source{src}, capt.Faults, capt.Status, analysis.Options{Start: capt.Start, End: capt.End})
	if err != nil {
		t.Fatal(err)
	}
	st := stats[0]
	t.Logf("logs.txt: layout %s, %d lines, %d events, %d skipped, %d malformed", st.Layout, st.Lines, st.Events, st.Skipped, st.Malformed)
	if st.Malformed > 0 {
		t.Errorf("logs.txt: %d malformed lines: %v", st.Malformed, st.Errors)
	}
	return res
}

// fileLines returns a file's lines, failing if the file ends inside one.
func fileLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	if b[len(b)-1] != '\n' {
		t.Errorf("%s ends inside a line", path)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// multisetDiff returns the lines of want missing from have, and the lines
// of have not in want (or more often than in want).
func multisetDiff(want, have []string) (missing, extra []string) {
	n := map[string]int{}
	for _, l := range want {
		n[l]++
	}
	for _, l := range have {
		if n[l] == 0 {
			extra = append(extra, l)
			continue
		}
		n[l]--
	}
	for _, l := range want {
		if n[l] > 0 {
			missing = append(missing, l)
			n[l]--
		}
	}
	return missing, extra
}

func first(ls []string) string {
	if len(ls) == 0 {
		return ""
	}
	return ls[0]
}

// compact keeps the changes of a sequence.
func compact(ts []uint64) []uint64 { return slices.Compact(slices.Clone(ts)) }

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) || t.Context().Err() != nil {
			t.Fatalf("waited %v for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// saveArtifacts copies the capture into the test's artifact directory
// (kept with go test -artifacts).
func saveArtifacts(t *testing.T, dir string) {
	t.Helper()
	dst := filepath.Join(t.ArtifactDir(), "capture")
	if err := os.CopyFS(dst, os.DirFS(dir)); err != nil {
		t.Logf("saving the capture: %v", err)
	}
}

// jsonlLines checks that every line of a .jsonl file parses into T.
func jsonlLines[T any](t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		var v T
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Errorf("%s:%d: %v: %s", path, n, err, sc.Bytes())
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		t.Fatal(err)
	}
	return n
}
