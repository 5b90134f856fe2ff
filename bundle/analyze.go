package bundle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/parser"
)

// analyze analyzes the capture directory dir as `etcdpm analyze dir` does,
// its inputs named as in the bundle (name/logs.txt).
func analyze(ctx context.Context, dir, name string) (*analysis.Result, []string, error) {
	c, err := capdir.Read(dir)
	var warns []string
	if me := (*capdir.MalformedError)(nil); errors.As(err, &me) {
		warns = append(warns, me.Error())
	} else if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(c.Logs))
	srcs := make([]parser.Source, len(c.Logs))
	for i, l := range c.Logs {
		f, err := os.Open(l)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		rel, _ := filepath.Rel(dir, l)
		names[i] = path.Join(name, filepath.ToSlash(rel))
		srcs[i] = parser.Source{R: f, Opts: parser.Options{Name: names[i], Input: i, TZ: time.UTC}}
	}
	res, _, err := analysis.Analyze(ctx, srcs, c.Faults, c.Status, analysis.Options{Inputs: names, Start: c.Start, End: c.End, Metrics: c.Metrics})
	if err != nil {
		return nil, nil, fmt.Errorf("analyzing %s: %w", dir, err)
	}
	return res, warns, nil
}

// sameAnalysis says how b's analysis differs from a's in what redaction
// must not change: the verdict, the findings (kind, severity, members,
// span, count, terms, evidence lines), the members and the leaders. Names
// and texts may differ (they are redacted).
func sameAnalysis(a, b *analysis.Result) error {
	if a.Diagnosis.Verdict != b.Diagnosis.Verdict {
		return fmt.Errorf("verdict %s, not %s", b.Diagnosis.Verdict, a.Diagnosis.Verdict)
	}
	if len(a.Findings) != len(b.Findings) {
		return fmt.Errorf("%d findings, not %d", len(b.Findings), len(a.Findings))
	}
	for i, f := range a.Findings {
		g := b.Findings[i]
		if f.Kind != g.Kind || f.Severity != g.Severity || fmt.Sprint(f.Members) != fmt.Sprint(g.Members) ||
			!f.Start.Equal(g.Start) || !f.End.Equal(g.End) || f.Count != g.Count ||
			f.TermFrom != g.TermFrom || f.TermTo != g.TermTo || len(f.Evidence) != len(g.Evidence) {
			return fmt.Errorf("finding %d is %s %v, not %s %v", i+1, g.Kind, g.Members, f.Kind, f.Members)
		}
		for j, e := range f.Evidence {
			if e.Line != g.Evidence[j].Line {
				return fmt.Errorf("finding %d (%s) quotes line %d, not %d", i+1, f.Kind, g.Evidence[j].Line, e.Line)
			}
		}
	}
	if len(a.Members) != len(b.Members) || len(a.Leaders) != len(b.Leaders) || len(a.Leaderless) != len(b.Leaderless) {
		return fmt.Errorf("%d members, %d leaderships, %d leaderless windows, not %d, %d, %d",
			len(b.Members), len(b.Leaders), len(b.Leaderless), len(a.Members), len(a.Leaders), len(a.Leaderless))
	}
	for i, m := range a.Members {
		n := b.Members[i]
		if m.ID != n.ID || m.MaxTerm != n.MaxTerm || m.Campaigns != n.Campaigns || m.TimesLeader != n.TimesLeader {
			return fmt.Errorf("member %v differs", m.ID)
		}
	}
	for i, l := range a.Leaders {
		if l != b.Leaders[i] {
			return fmt.Errorf("leadership %d differs", i+1)
		}
	}
	return nil
}
