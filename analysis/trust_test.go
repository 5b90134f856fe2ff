package analysis

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/parser"
)

// quorumLossRepro is a real `etcdpm repro` run (local backend, etcd 3.6.16):
// etcd2 stopped at 07:10:54.6, etcd1 (the leader) at 07:10:55.6, etcd3 alone
// until etcd1 is started again at 07:11:04.7.
const quorumLossRepro = "../bundle/testdata/repro-quorum-loss"

// analyzeCut analyzes the capture in dir as if it had ended at cut (zero:
// its real end): log lines, status points and faults after cut are left
// out, a fault still in place then ends at cut. edit, when given, changes
// the status before the analysis.
func analyzeCut(t *testing.T, dir string, cut time.Time, edit func([]StatusSeries)) *Result {
	t.Helper()
	c, err := capdir.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	end := c.End
	if !cut.IsZero() {
		end = cut
	}
	var srcs []parser.Source
	for i, p := range c.Logs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, parser.Source{R: bytes.NewReader(cutLines(b, cut)), Opts: parser.Options{Name: p, Input: i, TZ: time.UTC}})
	}
	var status []StatusSeries
	for _, s := range c.Status {
		var ps []StatusPoint
		for _, p := range s.Points {
			if cut.IsZero() || !p.Time.After(cut) {
				ps = append(ps, p)
			}
		}
		s.Points = ps
		status = append(status, s)
	}
	if edit != nil {
		edit(status)
	}
	var faults []Fault
	for _, f := range c.Faults {
		if !cut.IsZero() && f.Start.After(cut) {
			continue
		}
		if !cut.IsZero() && f.End.After(cut) {
			f.End = cut
		}
		faults = append(faults, f)
	}
	r, _, err := Analyze(context.Background(), srcs, faults, status, Options{Start: c.Start, End: end})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// cutLines keeps the zap JSON lines written at or before cut (all when cut
// is zero).
func cutLines(b []byte, cut time.Time) []byte {
	if cut.IsZero() {
		return b
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if _, rest, ok := strings.Cut(line, `"ts":"`); ok {
			ts, _, _ := strings.Cut(rest, `"`)
			if at, err := time.Parse(time.RFC3339Nano, ts); err == nil && at.After(cut) {
				break
			}
		}
		out.WriteString(line + "\n")
	}
	return out.Bytes()
}

// lastPoint is the last answered status point of the member named name.
func lastPoint(t *testing.T, ss []StatusSeries, name string) *StatusPoint {
	for i := range ss {
		if ss[i].Name != name {
			continue
		}
		for j := len(ss[i].Points) - 1; j >= 0; j-- {
			if ss[i].Points[j].OK {
				return &ss[i].Points[j]
			}
		}
	}
	t.Fatalf("no answered status of %s", name)
	return nil
}

func TestTrustQuorumStillLost(t *testing.T) {
	cut := time.Date(2026, 12, 3, 7, 11, 2, 0, time.UTC) // etcd3 alone for 6 s, etcd1 and etcd2 still stopped
	r := analyzeCut(t, quorumLossRepro, cut, nil)
	if r.Diagnosis.Verdict != QuorumLoss {
		t.Fatalf("verdict %s, want quorum-loss\n%s", r.Diagnosis.Verdict, dump(r))
	}
	rec := r.Recovery
	if rec == nil {
		t.Fatalf("no recovery plan for a quorum still lost at the end\n%s", dump(r))
	}
	// etcd3 kept answering the polls (its raft index is the highest, as the
	// others stopped); it still answers, so its snapshot is saved live.
	steps := strings.Join(rec.Steps, "\n")
	for _, want := range []string{"etcdctl --endpoints=http://127.0.0.1:", "snapshot save snapshot.db",
		"etcdutl snapshot restore snapshot.db --name etcd3 --initial-cluster etcd3=", "--initial-advertise-peer-urls",
		"--force-new-cluster", "--initial-cluster-state=existing"} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps lack %q:\n%s", want, steps)
		}
	}
	if rec.Name != "etcd3" || rec.Member != idIn("(b3e5320e8f48123b)") || strings.Contains(steps, "--skip-hash-check") {
		t.Errorf("recovery %+v, want etcd3 saved live", rec)
	}
	rems := strings.Join(r.Diagnosis.Remedies, "\n")
	for _, want := range []string{"Bring back at least 1 of", "rebuild the cluster from etcd3", "Recover from"} {
		if !strings.Contains(rems, want) {
			t.Errorf("remedies lack %q:\n%s", want, rems)
		}
	}

	// Edited status (not what the run recorded): etcd2's last answer holds a
	// later index than etcd3's. etcd2 is stopped, so its data directory is copied.
	r = analyzeCut(t, quorumLossRepro, cut, func(ss []StatusSeries) {
		lastPoint(t, ss, "etcd2").RaftIndex = lastPoint(t, ss, "etcd3").RaftIndex + 5
	})
	if rec := r.Recovery; rec == nil || rec.Name != "etcd2" || len(rec.Tied) != 0 ||
		!strings.Contains(strings.Join(rec.Steps, "\n"), "member/snap/db") ||
		!strings.Contains(strings.Join(rec.Steps, "\n"), "--skip-hash-check --name etcd2") {
		t.Errorf("recovery %+v, want etcd2 from its data directory", rec)
	}

	// Edited: etcd1 and etcd3 equally recent: both named.
	r = analyzeCut(t, quorumLossRepro, cut, func(ss []StatusSeries) {
		p, q := lastPoint(t, ss, "etcd1"), lastPoint(t, ss, "etcd3")
		p.RaftIndex, p.AppliedIndex, p.Revision = q.RaftIndex, q.AppliedIndex, q.Revision
	})
	if rec := r.Recovery; rec == nil || rec.Name == "" || len(rec.Tied) != 1 || !strings.Contains(rec.Why, "as recent") {
		t.Errorf("recovery %+v, want a tie of etcd1 and etcd3", rec)
	}

	// No status: what to run to find out.
	r = analyzeCut(t, quorumLossRepro, cut, func(ss []StatusSeries) {
		for i := range ss {
			ss[i].Points = nil
		}
	})
	if rec := r.Recovery; rec == nil || rec.Name != "" || !strings.Contains(rec.Why, "etcdctl endpoint status --cluster -w json") {
		t.Errorf("recovery %+v, want what to run", rec)
	}
}

func TestTrustRecovered(t *testing.T) {
	r := analyzeCut(t, quorumLossRepro, time.Time{}, nil)
	if r.Diagnosis.Verdict != QuorumLoss {
		t.Fatalf("verdict %s, want quorum-loss", r.Diagnosis.Verdict)
	}
	if r.Recovery != nil {
		t.Errorf("recovery %+v for a cluster that recovered by itself", r.Recovery)
	}
	rems := strings.Join(r.Diagnosis.Remedies, "\n")
	if strings.Contains(rems, "Bring back") || strings.Contains(rems, "--force-new-cluster") ||
		!strings.Contains(rems, "does not happen again") {
		t.Errorf("remedies of a recovered cluster:\n%s", rems)
	}

	// Edited (the run's members agree): two members applied up to the same
	// index with different revisions: their data diverged.
	r = analyzeCut(t, quorumLossRepro, time.Time{}, func(ss []StatusSeries) {
		p, q := lastPoint(t, ss, "etcd1"), lastPoint(t, ss, "etcd3")
		p.AppliedIndex, p.Revision, q.Revision = q.AppliedIndex, 11, 12
	})
	if rec := r.Recovery; rec == nil || !strings.Contains(rec.Why, "diverged") {
		t.Errorf("recovery %+v, want one for diverged data", rec)
	}
}
