package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/parser"
)

// Hand-built Results. They stand in for the analyzer's output in unit tests
// and exercise what real logs rarely do (hostile text, huge inputs).

var generated = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

var testOpts = Options{Title: "demo logs", Version: "v0.0.0-test", Generated: generated}

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.000", s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustID(s string) parser.ID {
	id, ok := parser.ParseID(s)
	if !ok {
		panic("bad id " + s)
	}
	return id
}

// handDemoResult is shaped like the analysis of the etcd-demo compose logs:
// etcd2 and the leader etcd1 stop, etcd3 wins term 3, steps down, and
// campaigns alone until etcd1 returns at term 422.
func handDemoResult() *analysis.Result {
	e1, e2, e3 := mustID("ade526d28b1f92f7"), mustID("d282ac2ce600c1ce"), mustID("bd388e7810915853")
	const in = "etcd-demo-compose-logs.txt"
	t0 := at("2020-04-30 17:20:30.000")
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	res := &analysis.Result{
		Schema: analysis.Schema,
		Inputs: []analysis.Input{{Name: in, Layout: "compose-v1+capnslog", Lines: 82, Events: 61, Skipped: 4, Malformed: 0}},
		Members: []analysis.Member{
			{ID: e1, Name: "etcd1", MaxTerm: 422, Campaigns: 0, TimesLeader: 1},
			{ID: e2, Name: "etcd2", MaxTerm: 2, Campaigns: 0, TimesLeader: 0},
			{ID: e3, Name: "etcd3", MaxTerm: 422, Campaigns: 420, TimesLeader: 2},
		},
		Leaders: []analysis.Leadership{
			{Member: e1, Term: 2, Start: sec(0), End: sec(1)},
			{Member: e3, Term: 3, Start: sec(1), End: sec(3)},
			{Member: e3, Term: 422, Start: sec(626), End: sec(630)},
		},
		Leaderless: []analysis.Window{{Start: sec(3), End: sec(626), Seconds: 623}},
		Start:      t0,
		End:        sec(630),
	}
	var s1, s2, s3 []analysis.Point
	s1 = append(s1, analysis.Point{Time: sec(0), Term: 2, State: analysis.StateLeader},
		analysis.Point{Time: sec(1), Term: 2, State: analysis.StateDown},
		analysis.Point{Time: sec(625.9), Term: 3, State: analysis.StateFollower},
		analysis.Point{Time: sec(626), Term: 422, State: analysis.StateFollower})
	s2 = append(s2, analysis.Point{Time: sec(0), Term: 2, State: analysis.StateFollower},
		analysis.Point{Time: sec(0.5), Term: 2, State: analysis.StateDown})
	s3 = append(s3, analysis.Point{Time: sec(0), Term: 2, State: analysis.StateFollower},
		analysis.Point{Time: sec(1), Term: 3, State: analysis.StateCandidate},
		analysis.Point{Time: sec(1.01), Term: 3, State: analysis.StateLeader},
		analysis.Point{Time: sec(3), Term: 3, State: analysis.StateFollower})
	for term := uint64(4); term <= 9; term++ {
		s3 = append(s3, analysis.Point{Time: sec(4 + float64(term-4)*1.2), Term: term, State: analysis.StateCandidate})
	}
	s3 = append(s3, analysis.Point{Time: sec(625.5), Term: 421, State: analysis.StateCandidate},
		analysis.Point{Time: sec(626), Term: 422, State: analysis.StateCandidate},
		analysis.Point{Time: sec(626.01), Term: 422, State: analysis.StateLeader})
	res.Series = []analysis.Series{
		{Member: e1, Name: "etcd1", Points: s1},
		{Member: e2, Name: "etcd2", Points: s2},
		{Member: e3, Name: "etcd3", Points: s3},
	}
	line := func(n int64, member string, text string) analysis.Evidence {
		return analysis.Evidence{Input: in, Line: n, Text: member + "    | " + text}
	}
	res.Timeline = []analysis.TimelineEvent{
		{Time: sec(1), Member: e3, Kind: parser.TimeoutNowReceived, Term: 2, Input: in, Line: 2, Text: "etcd3    | raft2020/04/30 17:20:31 INFO: bd388e7810915853 [term 2] received MsgTimeoutNow from ade526d28b1f92f7 and starts an election to get leadership."},
		{Time: sec(1.01), Member: e3, Kind: parser.BecameLeader, Term: 3, Input: in, Line: 11, Text: "etcd3    | raft2020/04/30 17:20:31 INFO: bd388e7810915853 became leader at term 3"},
		{Time: sec(3), Member: e3, Kind: parser.CheckQuorumStepDown, Term: 3, Input: in, Line: 23, Text: "etcd3    | raft2020/04/30 17:20:33 WARN: bd388e7810915853 stepped down to follower since quorum is not active"},
		{Time: sec(626), Member: e1, Kind: parser.BecameFollower, Term: 422, Input: in, Line: 76, Text: "etcd1    | raft2020/04/30 17:30:56 INFO: ade526d28b1f92f7 became follower at term 422"},
		{Time: sec(626.01), Member: e3, Kind: parser.BecameLeader, Term: 422, Input: in, Line: 68, Text: "etcd3    | raft2020/04/30 17:30:56 INFO: bd388e7810915853 became leader at term 422"},
	}
	res.Findings = []analysis.Finding{
		{
			Kind: analysis.QuorumLoss, Severity: analysis.Critical, Members: []parser.ID{e3},
			Start: sec(3), End: sec(626), Count: 1, TermFrom: 3, TermTo: 422,
			Summary: "etcd3 was alone for 10m23s: 2 of 3 members down, no quorum",
			Evidence: []analysis.Evidence{
				line(23, "etcd3", "raft2020/04/30 17:20:33 WARN: bd388e7810915853 stepped down to follower since quorum is not active"),
				line(14, "etcd3", "2020-04-30 17:20:31.631858 I | rafthttp: peer d282ac2ce600c1ce became inactive (message send to peer failed)"),
			},
		},
		{
			Kind: analysis.CandidacyLoop, Severity: analysis.Warning, Members: []parser.ID{e3},
			Start: sec(4), End: sec(626), Count: 419, TermFrom: 3, TermTo: 422,
			Summary: "etcd3 campaigned 419 times without pre-vote, raising the term from 3 to 422",
			Evidence: []analysis.Evidence{
				line(27, "etcd3", "raft2020/04/30 17:20:34 INFO: bd388e7810915853 is starting a new election at term 3"),
				line(28, "etcd3", "raft2020/04/30 17:20:34 INFO: bd388e7810915853 became candidate at term 4"),
				line(63, "etcd3", "raft2020/04/30 17:30:56 INFO: bd388e7810915853 became candidate at term 422"),
			},
		},
		{
			Kind: analysis.LeadershipTransfer, Severity: analysis.Info, Members: []parser.ID{e1, e3},
			Start: sec(1), End: sec(1.01), Count: 1, TermFrom: 2, TermTo: 3,
			Summary: "etcd1 handed leadership to etcd3 (MsgTimeoutNow) while stopping",
			Evidence: []analysis.Evidence{
				line(2, "etcd3", "raft2020/04/30 17:20:31 INFO: bd388e7810915853 [term 2] received MsgTimeoutNow from ade526d28b1f92f7 and starts an election to get leadership."),
			},
		},
	}
	res.Diagnosis = analysis.Diagnosis{
		Verdict:  analysis.QuorumLoss,
		Headline: "Quorum lost for 10m23s: only etcd3 was up, and it campaigned alone from term 3 to 422",
		Explanation: "etcd2 stopped, then the leader etcd1 stopped and handed leadership to etcd3. " +
			"With 1 of 3 members up, etcd3 could not keep a quorum: it stepped down and started an election every " +
			"1–2 seconds, each at a higher term. The cluster had no leader until etcd1 came back and voted for it.",
		Remedies: []string{
			"Bring a majority of members back (here 2 of 3); the cluster elects a leader as soon as a quorum can vote.",
			"Enable --pre-vote (default from etcd 3.5) so an isolated member does not raise the term.",
		},
	}
	return res
}

// hostile strings: each would run script if it reached HTML or JS unescaped.
var hostile = []string{
	`</script><script>window.__pwned=1</script>`,
	`<img src=x onerror="window.__pwned=1;alert(1)">`,
	`__f__function(){window.__pwned=1}__f__`,
	`"quoted" 'single' \backslash\ \u003c \x3c`,
	"line\u2028sep\u2029para <!-- comment --> <![CDATA[ ]]>",
	"`code` | pipe | *em* _u_ [link](javascript:window.__pwned=1) @mention #1",
	"{{.Title}} ${window.__pwned=1} %%{init: {}}%%",
}

// hostileResult carries the hostile strings in every text field a log can
// reach: member names, evidence, timeline, summaries, faults, status errors,
// input names and errors.
func hostileResult() *analysis.Result {
	res := handDemoResult()
	all := strings.Join(hostile, " ")
	for i := range res.Members {
		res.Members[i].Name = hostile[i%len(hostile)]
	}
	for i := range res.Series {
		res.Series[i].Name = hostile[i%len(hostile)]
	}
	for i := range res.Findings {
		f := &res.Findings[i]
		f.Kind = hostile[(i+1)%len(hostile)]
		f.Summary = all
		for j := range f.Evidence {
			f.Evidence[j].Text = hostile[(i+j)%len(hostile)]
			f.Evidence[j].Input = hostile[1]
		}
	}
	for i := range res.Timeline {
		res.Timeline[i].Text = hostile[i%len(hostile)]
		res.Timeline[i].Input = hostile[(i+2)%len(hostile)]
	}
	res.Diagnosis.Verdict = hostile[2]
	res.Diagnosis.Headline = hostile[0]
	res.Diagnosis.Explanation = all
	res.Diagnosis.Remedies = hostile
	res.Inputs[0].Name = hostile[0]
	res.Inputs[0].Layout = hostile[1]
	res.Inputs[0].Errors = hostile
	res.Faults = []analysis.Fault{
		{Start: res.Start.Add(time.Second / 2), End: res.Start.Add(3 * time.Second), Label: hostile[1], Target: hostile[0]},
		{Start: res.Start.Add(600 * time.Second), Label: hostile[2], Target: hostile[3]},
	}
	res.Status = []analysis.StatusSeries{{
		Member: res.Members[2].ID, Name: hostile[1], Endpoint: hostile[0],
		Points: []analysis.StatusPoint{
			{Time: res.Start.Add(2 * time.Second), OK: true, Term: 3, Leader: res.Members[2].ID},
			{Time: res.Start.Add(5 * time.Second), OK: false, Error: hostile[0]},
			{Time: res.Start.Add(8 * time.Second), OK: true, Term: 6},
		},
	}}
	return res
}

// stormResult synthesizes a long election storm: members members, each with
// points change points (term up every few, states cycling), events timeline
// events, findings with long evidence. It is what a million-event input
// could give an analyzer that did not bound its output.
func stormResult(members, points, events int) *analysis.Result {
	t0 := at("2024-03-01 00:00:00.000")
	step := 50 * time.Millisecond
	end := t0.Add(time.Duration(points) * step)
	res := &analysis.Result{Schema: analysis.Schema, Start: t0, End: end}
	states := []analysis.State{analysis.StateFollower, analysis.StatePreCandidate, analysis.StateCandidate, analysis.StateFollower, analysis.StateLeader, analysis.StateDown}
	for m := range members {
		id := parser.ID(0x1000 + m)
		name := fmt.Sprintf("etcd-%d", m+1)
		res.Members = append(res.Members, analysis.Member{ID: id, Name: name, MaxTerm: uint64(points / 3), Campaigns: points / 3, TimesLeader: points / 50})
		s := analysis.Series{Member: id, Name: name, Points: make([]analysis.Point, points)}
		for i := range points {
			s.Points[i] = analysis.Point{Time: t0.Add(time.Duration(i)*step + time.Duration(m)*time.Millisecond), Term: uint64(i/3 + 1), State: states[(i+m)%len(states)]}
		}
		res.Series = append(res.Series, s)
		st := analysis.StatusSeries{Member: id, Name: name}
		for i := 0; i < points; i += 10 {
			st.Points = append(st.Points, analysis.StatusPoint{Time: t0.Add(time.Duration(i) * step), OK: i%70 != 0, Term: uint64(i/3 + 1), Leader: parser.ID(0x1000 + (i/50)%members), Error: "context deadline exceeded"})
		}
		res.Status = append(res.Status, st)
	}
	for i := 0; i < points/50; i++ {
		s := t0.Add(time.Duration(i*50) * step)
		res.Leaders = append(res.Leaders, analysis.Leadership{Member: parser.ID(0x1000 + i%members), Term: uint64(i*50/3 + 1), Start: s, End: s.Add(30 * step)})
		res.Leaderless = append(res.Leaderless, analysis.Window{Start: s.Add(30 * step), End: s.Add(50 * step), Seconds: (20 * step).Seconds()})
	}
	for i := range 40 {
		s := t0.Add(time.Duration(i) * end.Sub(t0) / 40)
		res.Faults = append(res.Faults, analysis.Fault{Start: s, End: s.Add(time.Minute), Label: fmt.Sprintf("pause etcd-%d", i%members+1), Target: fmt.Sprintf("etcd-%d", i%members+1)})
	}
	// A zap JSON line as etcd 3.5+ prints it, about 250 characters.
	longLine := `{"level":"info","ts":"2024-03-01T00:00:00.000000Z","logger":"raft","caller":"etcdserver/zap_raft.go:77","msg":"1000 is starting a new election at term 7"}` +
		` {"level":"info","ts":"2024-03-01T00:00:00.000100Z","logger":"raft","msg":"1000 became candidate at term 8"}`
	for i := range events {
		res.Timeline = append(res.Timeline, analysis.TimelineEvent{
			Time: t0.Add(time.Duration(i) * end.Sub(t0) / time.Duration(events)), Member: parser.ID(0x1000 + i%members),
			Kind: parser.BecameCandidate, Term: uint64(i), Input: "storm.log", Line: int64(i + 1), Text: longLine,
		})
	}
	for i := range 500 {
		f := analysis.Finding{
			Kind: analysis.CandidacyLoop, Severity: []analysis.Severity{analysis.Critical, analysis.Warning, analysis.Info}[i%3],
			Start: t0, End: end, Count: points, TermFrom: 1, TermTo: uint64(points / 3),
			Summary: strings.Repeat("members campaigned without end ", 20),
		}
		for m := range members {
			f.Members = append(f.Members, parser.ID(0x1000+m))
		}
		for j := range 100 {
			f.Evidence = append(f.Evidence, analysis.Evidence{Input: "storm.log", Line: int64(j), Text: longLine})
		}
		res.Findings = append(res.Findings, f)
	}
	for i := range 300 {
		res.Inputs = append(res.Inputs, analysis.Input{Name: fmt.Sprintf("storm-%d.log", i), Layout: "zap-json", Lines: int64(points * 10), Events: int64(points), Errors: []string{longLine, longLine, longLine, longLine, longLine, longLine}})
	}
	res.Diagnosis = analysis.Diagnosis{
		Verdict:     analysis.CandidacyLoop,
		Headline:    fmt.Sprintf("Election storm: %d members campaigned for %s and raised the term to %d", members, end.Sub(t0).Round(time.Minute), points/3),
		Explanation: "Members kept timing out and campaigning without pre-vote; each campaign raised the term and deposed the leader of the moment.",
		Remedies:    []string{"Enable --pre-vote.", "Check the network between members.", "Check disk latency (fdatasync)."},
	}
	return res
}

// hostileStorm is a storm whose every text is long and hostile: the bounds
// must hold on the size of the text too, not only on the count of items.
func hostileStorm() *analysis.Result {
	res := stormResult(40, 2000, 2000)
	long := strings.Repeat(strings.Join(hostile, "<>&@|`"), 200)
	for i := range res.Members {
		res.Members[i].Name = long
	}
	for i := range res.Series {
		res.Series[i].Name = long
	}
	for i := range res.Findings {
		res.Findings[i].Summary = long
		res.Findings[i].Kind = long
		for j := range res.Findings[i].Evidence {
			res.Findings[i].Evidence[j].Text = long
			res.Findings[i].Evidence[j].Input = long
		}
	}
	for i := range res.Timeline {
		res.Timeline[i].Text, res.Timeline[i].Input = long, long
	}
	for i := range res.Inputs {
		res.Inputs[i].Name, res.Inputs[i].Layout = long, long
		res.Inputs[i].Errors = []string{long, long}
	}
	for i := range res.Faults {
		res.Faults[i].Label, res.Faults[i].Target = long, long
	}
	for i := range res.Status {
		for j := range res.Status[i].Points {
			res.Status[i].Points[j].Error = long + strings.Repeat("x", j%200)
		}
	}
	res.Diagnosis.Headline, res.Diagnosis.Explanation = long, long+"\n\n"+long
	res.Diagnosis.Remedies = []string{long, long, long, long, long, long, long, long, long, long}
	return res
}
