package report

import (
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
)

// Real lines: the demo's compose logs (raft std-logger, capnslog), etcd
// 3.6.16's zap JSON and zap console (testdata/real).
func TestRecordMessage(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"etcd3    | raft2020/04/30 17:20:31 INFO: bd388e7810915853 became leader at term 3", "bd388e7810915853 became leader at term 3"},
		{"etcd3    | 2020-04-30 17:20:31.622130 W | rafthttp: lost the TCP streaming connection with peer d282ac2ce600c1ce (stream Message reader)", "rafthttp: lost the TCP streaming connection with peer d282ac2ce600c1ce (stream Message reader)"},
		{`{"level":"warn","ts":"2026-11-23T21:51:23.698736Z","logger":"raft","caller":"v3@v3.6.0/raft.go:1275","msg":"1ca9251c4419fc27 stepped down to follower since quorum is not active"}`, "1ca9251c4419fc27 stepped down to follower since quorum is not active"},
		{`{"level":"warn","ts":"2026-11-23T21:51:23.698736Z","caller":"rafthttp/probing_status.go:68","msg":"prober detected unhealthy status","round-tripper-name":"ROUND_TRIPPER_RAFT_MESSAGE","remote-peer-id":"6a884951047728d4","rtt":"0s","error":"dial tcp 127.0.0.1:2380: connect: connection refused"}`,
			"prober detected unhealthy status  round-tripper-name=ROUND_TRIPPER_RAFT_MESSAGE remote-peer-id=6a884951047728d4 rtt=0s error=dial tcp 127.0.0.1:2380: connect: connection refused"},
		{"2026-11-23T21:56:12.980664Z\tinfo\traft\tv3@v3.6.0/raft.go:970\teb8fb9894480437c became leader at term 3", "eb8fb9894480437c became leader at term 3"},
		{"not a log line", ""},
	} {
		if got := recordMessage(tc.line); got != tc.want {
			t.Errorf("recordMessage(%.60q)\n got %q\nwant %q", tc.line, got, tc.want)
		}
	}
}

// The time and the member come from the parser, as the analysis read them.
func TestEvidenceLine(t *testing.T) {
	res := handDemoResult()
	ms := newMemberSet(res, cleanLabel)
	ep := newEvidenceParser(ms)
	e := analysis.Evidence{Input: "logs.txt", Line: 7, Text: "etcd3    | raft2020/04/30 17:20:31 INFO: bd388e7810915853 became leader at term 3"}
	ep.add(e)
	l := ep.line(e, 600)
	if want := time.Date(2020, 4, 30, 17, 20, 31, 0, time.UTC); !l.Time.Equal(want) {
		t.Errorf("time %v, want %v", l.Time, want)
	}
	if l.Member != "etcd3" || l.Message != "bd388e7810915853 became leader at term 3" || l.Raw != e.Text || l.Src != "logs.txt:7" {
		t.Errorf("got %+v", l)
	}
}
