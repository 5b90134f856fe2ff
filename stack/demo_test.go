package stack_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/etcdpm/etcdpm/cluster"
	"github.com/etcdpm/etcdpm/stack"
	"github.com/etcdpm/etcdpm/stack/stacktest"
)

// holdLoop is how long the survivor is left alone without quorum.
const holdLoop = 9 * time.Second

var members = []string{"etcd1", "etcd2", "etcd3"}

// TestDemoRecipe runs the demo's recipe on the real stack (docker-compose.yml
// on the Docker engine): up, write a key, stop the leader and a follower,
// watch the survivor loop without a leader, start one back, start the third,
// and give `compose logs --timestamps` to the analysis. Once with pre-vote off
// (terms rise: a candidacy loop) and once with it on (a pre-vote loop at a
// fixed term).
func TestDemoRecipe(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the demo stack takes about a minute per pre-vote setting")
	}
	compose := stacktest.Require(t)
	image := stacktest.Image(t)
	t.Logf("compose: %s; image: %s", compose, image)

	for _, preVote := range []bool{false, true} {
		t.Run(fmt.Sprintf("pre-vote=%t", preVote), func(t *testing.T) {
			runRecipe(t, compose, image, preVote)
		})
	}
}

// member is one etcd service of the stack, reached from the host.
type member struct {
	service  string
	endpoint string
	client   *clientv3.Client
}

func (m *member) status(ctx context.Context) (*clientv3.StatusResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return m.client.Status(ctx, m.endpoint)
}

// get is a linearizable read through this member alone.
func (m *member) get(ctx context.Context, key string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	resp, err := m.client.Get(ctx, key)
	if err != nil {
		return "", err
	}
	if len(resp.Kvs) == 0 {
		return "", fmt.Errorf("%s: no key %s", m.service, key)
	}
	return string(resp.Kvs[0].Value), nil
}

func runRecipe(t *testing.T, compose stack.Compose, image string, preVote bool) {
	ctx := t.Context()
	start := time.Now()
	ports := freePorts(t, 4)
	env := map[string]string{
		"ETCD_IMAGE":    image,
		"ETCD_PRE_VOTE": strconv.FormatBool(preVote),
		"E3W_PORT":      strconv.Itoa(ports[3]),
	}
	ms := make(map[string]*member)
	for i, svc := range members {
		env[fmt.Sprintf("ETCD%d_PORT", i+1)] = strconv.Itoa(ports[i])
		ep := fmt.Sprintf("http://127.0.0.1:%d", ports[i])
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{ep}, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cli.Close() })
		ms[svc] = &member{service: svc, endpoint: ep, client: cli}
	}
	p, err := stack.New(ctx, stack.Options{
		File:    filepath.Join("..", "docker-compose.yml"),
		Name:    stack.RandomName("etcdpm-test"),
		Env:     env,
		Compose: &compose,
		Logf:    t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Teardown always runs, and checks that nothing is left.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if t.Failed() {
			if logs, err := p.Logs(ctx, true); err == nil {
				saveLogs(t, logs)
			}
		}
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
		t.Logf("%s: %v from up to down", p.Name, time.Since(start).Round(100*time.Millisecond))
	})

	// Up: three members, one leader they agree on, healthy for Docker too.
	if err := p.Up(ctx, members...); err != nil {
		t.Fatal(err)
	}
	leaderID := waitLeader(t, ms, members, 90*time.Second)
	waitHealthy(t, p, ms, members, 60*time.Second)
	t.Logf("up and healthy after %v", time.Since(start).Round(100*time.Millisecond))

	if _, err := ms["etcd3"].client.Put(ctx, "/root/foo", "Hello World"); err != nil {
		t.Fatalf("put /root/foo: %v", err)
	}
	for _, svc := range members {
		if v, err := ms[svc].get(ctx, "/root/foo"); err != nil || v != "Hello World" {
			t.Fatalf("get /root/foo through %s = %q, %v; want Hello World", svc, v, err)
		}
	}

	// Find the leader as the demo does, from inside a member.
	out, err := p.Exec(ctx, "etcd1", "etcdctl", "endpoint", "status", "--cluster", "-w", "table")
	if err != nil || !bytes.Contains(out, []byte("IS LEADER")) {
		t.Fatalf("etcdctl endpoint status --cluster -w table: %v\n%s", err, out)
	}
	if image == stacktest.LocalImage {
		// The local image has a shell, for the demo's `exec etcd3 sh -c '...'`.
		out, err := p.Exec(ctx, "etcd3", "sh", "-c", "etcdctl get /root/foo --print-value-only")
		if err != nil || strings.TrimSpace(string(out)) != "Hello World" {
			t.Fatalf("sh -c 'etcdctl get /root/foo': %v\n%s", err, out)
		}
	}
	var leader, follower, survivor string
	for _, svc := range members {
		st, err := ms[svc].status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case st.Header.MemberId == leaderID:
			leader = svc
		case follower == "":
			follower = svc
		default:
			survivor = svc
		}
	}
	if leader == "" || survivor == "" {
		t.Fatalf("leader %x is none of the members", leaderID)
	}
	t.Logf("leader %s (%x); stopping it and follower %s; %s survives", leader, leaderID, follower, survivor)

	// Stop the leader and a follower: the survivor has no leader.
	if err := p.Stop(ctx, leader, follower); err != nil {
		t.Fatal(err)
	}
	surv := ms[survivor]
	var st *clientv3.StatusResponse
	waitFor(t, 20*time.Second, survivor+" reports no leader", func() (bool, string) {
		st, err = surv.status(ctx)
		if err != nil {
			return false, err.Error()
		}
		return st.Leader == 0, fmt.Sprintf("leader %x at term %d", st.Leader, st.RaftTerm)
	})
	if !slices.Contains(st.Errors, "etcdserver: no leader") {
		t.Errorf("status of %s: errors %q, want etcdserver: no leader", survivor, st.Errors)
	}
	out, _ = p.Exec(ctx, survivor, "etcdctl", "endpoint", "status")
	if !bytes.Contains(out, []byte("etcdserver: no leader")) {
		t.Errorf("etcdctl endpoint status in %s does not say no leader:\n%s", survivor, out)
	}
	if v, err := surv.get(ctx, "/root/foo"); err == nil {
		t.Errorf("linearizable get through %s without quorum = %q, want an error", survivor, v)
	}

	// The loop, from the survivor's log lines during the hold: terms rise
	// without pre-vote, stay with it. (Status's RaftTerm is the term of the
	// last applied entry, as `etcdctl endpoint status` shows: it stays put in
	// both cases, as in the demo's README.)
	before, err := p.Logs(ctx, false, survivor)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	case <-time.After(holdLoop):
	}
	if st, err = surv.status(ctx); err != nil {
		t.Fatal(err)
	}
	if st.Leader != 0 {
		t.Fatalf("%s found leader %x alone", survivor, st.Leader)
	}
	after, err := p.Logs(ctx, false, survivor)
	if err != nil {
		t.Fatal(err)
	}
	hold := bytes.Join(bytes.Split(after, []byte("\n"))[bytes.Count(before, []byte("\n")):], []byte("\n"))
	candidate := termsOf(hold, "became candidate at term ")
	preCandidate := termsOf(hold, "became pre-candidate at term ")
	t.Logf("%s without quorum for %v: became candidate at terms %v, pre-candidate at terms %v", survivor, holdLoop, candidate, preCandidate)
	if preVote {
		if len(preCandidate) < 3 || slices.Min(preCandidate) != slices.Max(preCandidate) || len(candidate) > 0 {
			t.Errorf("pre-vote on: %s became pre-candidate at terms %v and candidate at terms %v; want 3 or more pre-candidacies at one term, no candidacy",
				survivor, preCandidate, candidate)
		}
	} else {
		if len(candidate) < 3 || !rising(candidate) || len(preCandidate) > 0 {
			t.Errorf("pre-vote off: %s became candidate at terms %v and pre-candidate at terms %v; want 3 or more candidacies at rising terms, no pre-candidacy",
				survivor, candidate, preCandidate)
		}
	}

	// Start the old leader back: a leader within a few election timeouts
	// (1 s each by default), and the key is still there.
	restarted := time.Now()
	if err := p.Start(ctx, leader); err != nil {
		t.Fatal(err)
	}
	started := time.Since(restarted)
	waitLeader(t, ms, []string{leader, survivor}, 30*time.Second)
	elected := time.Since(restarted)
	t.Logf("leader elected %v after `start %s` (which took %v)", elected.Round(10*time.Millisecond), leader, started.Round(10*time.Millisecond))
	if elected-started > 5*time.Second {
		t.Errorf("leader elected %v after `start %s` returned, want within a few election timeouts (1 s each)", elected-started, leader)
	}
	if v, err := surv.get(ctx, "/root/foo"); err != nil || v != "Hello World" {
		t.Errorf("after recovery, get /root/foo through %s = %q, %v; want Hello World", survivor, v, err)
	}

	// Start the third: three healthy members.
	if err := p.Start(ctx, follower); err != nil {
		t.Fatal(err)
	}
	waitLeader(t, ms, members, 30*time.Second)
	waitHealthy(t, p, ms, members, 60*time.Second)

	// The logs as `docker compose logs --timestamps > logs.txt` writes them,
	// analyzed as `etcdpm analyze logs.txt` does.
	logs, err := p.Logs(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	path := saveLogs(t, logs)
	want := []string{"candidacy-loop", "recovery"}
	if preVote {
		want = []string{"pre-vote-loop", "recovery"}
	}
	checkAnalysis(t, path, logs, "quorum-loss", want)
}

// waitLeader waits until the services all report the same leader, and
// returns its member ID.
func waitLeader(t *testing.T, ms map[string]*member, services []string, timeout time.Duration) uint64 {
	t.Helper()
	var leader uint64
	waitFor(t, timeout, fmt.Sprintf("%s to agree on a leader", strings.Join(services, ", ")), func() (bool, string) {
		var states []string
		leader = 0
		agree := true
		for _, svc := range services {
			st, err := ms[svc].status(t.Context())
			if err != nil {
				states = append(states, fmt.Sprintf("%s: %v", svc, err))
				agree = false
				continue
			}
			states = append(states, fmt.Sprintf("%s: leader %x term %d", svc, st.Leader, st.RaftTerm))
			if st.Leader == 0 || leader != 0 && st.Leader != leader {
				agree = false
			}
			leader = st.Leader
		}
		return agree, strings.Join(states, "; ")
	})
	return leader
}

// waitHealthy waits until Docker's healthcheck (etcdctl endpoint health in
// the container) and a linearizable read through each member both succeed.
func waitHealthy(t *testing.T, p *stack.Project, ms map[string]*member, services []string, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, "healthy "+strings.Join(services, ", "), func() (bool, string) {
		var states []string
		ok := true
		for _, svc := range services {
			h, err := p.Health(t.Context(), svc)
			if err != nil {
				h = err.Error()
			}
			if _, err := ms[svc].client.Get(t.Context(), "health", clientv3.WithCountOnly()); err != nil {
				h += ", get: " + err.Error()
				ok = false
			}
			ok = ok && h == "healthy"
			states = append(states, svc+": "+h)
		}
		return ok, strings.Join(states, "; ")
	})
}

// waitFor polls cond until it holds or timeout passes; cond returns whether
// it holds and the state to report if it never does.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) || t.Context().Err() != nil {
			t.Fatalf("waited %v for %s; last: %s", timeout, what, state)
		}
		time.Sleep(250 * time.Millisecond)
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

// termsOf returns the term after each occurrence of marker in logs (zap JSON
// or capnslog alike: "... became candidate at term 7").
func termsOf(logs []byte, marker string) []uint64 {
	var terms []uint64
	for _, line := range bytes.Split(logs, []byte("\n")) {
		_, rest, ok := bytes.Cut(line, []byte(marker))
		if !ok {
			continue
		}
		end := 0
		for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
		if term, err := strconv.ParseUint(string(rest[:end]), 10, 64); err == nil {
			terms = append(terms, term)
		}
	}
	return terms
}

// rising reports whether each term is higher than the one before.
func rising(terms []uint64) bool {
	for i := 1; i < len(terms); i++ {
		if terms[i] <= terms[i-1] {
			return false
		}
	}
	return true
}

// saveLogs writes logs.txt in the test's artifact directory (kept with
// go test -artifacts) and returns its path.
func saveLogs(t *testing.T, logs []byte) string {
	t.Helper()
	path := filepath.Join(t.ArtifactDir(), "logs.txt")
	if err := os.WriteFile(path, logs, 0o644); err != nil {
		t.Errorf("saving logs: %v", err)
	}
	t.Logf("compose logs --timestamps: %s (%d bytes)", path, len(logs))
	return path
}
