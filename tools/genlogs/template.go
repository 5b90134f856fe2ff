package main

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// layout is the record layout of a template line.
type layout uint8

const (
	layOther    layout = iota // not a record (Go's deprecation warnings, continuation lines): copied as is
	layZap                    // zap JSON, "ts":"2006-01-02T15:04:05.000000Z"
	layCapnslog               // "2006-01-02 15:04:05.000000 W | pkg: msg"
	layStdlog                 // "raft2006/01/02 15:04:05 INFO: msg"
)

// op is what one segment of a template line renders.
type op uint8

const (
	opLit            op = iota // lit, as is
	opTS                       // the line's own time, in its layout
	opRelTS                    // another RFC 3339 time in the line: the line's time + val µs
	opID                       // member m's raft ID, hex
	opDec                      // member m's raft ID, decimal (etcd 3.4's voters=(...))
	opName                     // member m's name
	opPeerHost                 // member m's peer URL "host:port"
	opClientHost               // member m's client URL "host:port"
	opClusterID                // the cluster's ID
	opInitialCluster           // "name=http://host:2380,..." of every member
	opVotersHex                // every member's ID, hex, space-separated
	opVotersDec                // every member's ID, decimal
	opTerm                     // a current term (val), shifted with the generated cluster's terms
	opLogTerm                  // a log term (val): shifted, but not by a repeated campaign
	opIndex                    // a raft index (val), shifted with the generated log
	opTallyGranted             // votes granted so far to the printing candidate
	opTallyRejected            // votes rejected so far
)

// seg is one piece of a template line.
type seg struct {
	op  op
	m   int8 // real member (0..2) for member ops
	val int64
	lit string
}

// class flags say what a template line is, for episodes and clones.
type class uint16

const (
	clsRaft          class = 1 << iota // printed by raft itself
	clsCampaign                        // the printer's own candidacy or leadership: never cloned
	clsFanout                          // a raft message to or from one peer: cloned per bystander peer
	clsTransfer                        // leadership transfer: never cloned
	clsCampaignStart                   // became (pre-)candidate: the vote tally restarts
	clsGrant                           // received a vote
	clsReject                          // received a rejection
	clsNewElection                     // "is starting a new election": a campaign cycle starts
	clsLeader                          // "became leader at term"
)

// tline is one real log line made a template.
type tline struct {
	member int   // real member that printed it (0..2)
	t      int64 // its time, µs since the epoch (a line without one takes the time before it)
	lay    layout
	cls    class
	msg    string
	segs   []seg
	refs   uint8 // bit r: the line names real member r
}

// realRun is one real cluster run: three members' lines and their fault timeline.
type realRun struct {
	name    string
	lay     layout // zap or capnslog (with raft std-logger lines)
	lines   [3][]*tline
	ids     [3]uint64
	start   int64 // the fault window, µs; 0 when the run has none
	end     int64
	version string
}

// member naming in the real runs: n1, n2, n3.
var nameRE = regexp.MustCompile(`\bn([1-3])\b`)

var (
	tsZapRE     = regexp.MustCompile(`"ts":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)"`)
	tsCapnsRE   = regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) [CEWNIDT] \| `)
	tsStdlogRE  = regexp.MustCompile(`^raft(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) [A-Z]+: `)
	rfc3339RE   = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z`)
	initClRE    = regexp.MustCompile(`n[1-3]=http://127\.0\.0\.1:\d+(?:,n[1-3]=http://127\.0\.0\.1:\d+)+`)
	votersRE    = regexp.MustCompile(`voters=\(([0-9a-f ]+)\)`)
	hostRE      = regexp.MustCompile(`127\.0\.0\.1:(\d+)`)
	termRE      = regexp.MustCompile(`(?:\bterm: |\bterm |"term":)(\d+)`)
	logTermRE   = regexp.MustCompile(`(?:logterm: |lastterm: )(\d+)`)
	indexRE     = regexp.MustCompile(`(?:\bindex: |\bcommit: |\bapplied: |lastindex: |"index":|"commit-index":|"applied-index":|"local-member-applied-index":|"local-member-snapshot-index":|"snapshot-index":)(\d+)`)
	tallyRE     = regexp.MustCompile(`has received (\d+) Msg(?:Pre)?VoteResp votes and (\d+) vote rejections`)
	clusterIDRE = regexp.MustCompile(`(?:"cluster-id":"|"local-member-cluster-id":"| cluster )([0-9a-f]{10,16})\b`)
	hexWordRE   = regexp.MustCompile(`\b[0-9a-f]{10,16}\b|\b[0-9]{17,20}\b`)
	// The run's own paths: where the lab put data dirs and binaries.
	dataDirRE = regexp.MustCompile(`/tmp/etcdpm-(?:fixture|steady)-[0-9A-Za-z]+/`)
	binRE     = regexp.MustCompile(`(?:/[\w.-]+)*/?\.cache/etcd/v[\d.]+/etcd\b`)
	// Ports: which member owns which 127.0.0.1 port, from its own flags and from added members.
	clientPortRE = regexp.MustCompile(`(?:listen-client-urls|advertise-client-urls)(?:=|":\[?")http://127\.0\.0\.1:(\d+)|(?:advertise client URLs = http://|listening for client requests on |serving insecure client requests on )127\.0\.0\.1:(\d+)`)
	peerPortRE   = regexp.MustCompile(`(?:listen-peer-urls|initial-advertise-peer-urls)(?:=|":\[?")http://127\.0\.0\.1:(\d+)|(?:advertise peer URLs = http://|listening for peers on )127\.0\.0\.1:(\d+)`)
	addedPortRE  = regexp.MustCompile(`added member ([0-9a-f]+) \[http://127\.0\.0\.1:(\d+)\]|"added-peer-id":"([0-9a-f]+)","added-peer-peer-urls":\["http://127\.0\.0\.1:(\d+)"`)
	namedPortRE  = regexp.MustCompile(`\bn([1-3])=http://127\.0\.0\.1:(\d+)`)
)

type portOwner struct {
	m      int8
	client bool
}

// loadRun reads dir/n1.log..n3.log and dir/ids.json, and the fault window from run.json or
// actions.log when present.
func loadRun(dir string) (*realRun, error) {
	r := &realRun{name: dir}
	ids, err := readIDs(dir)
	if err != nil {
		return nil, err
	}
	r.ids = ids
	var raw [3][]string
	for i := range raw {
		b, err := os.ReadFile(fmt.Sprintf("%s/n%d.log", dir, i+1))
		if err != nil {
			return nil, err
		}
		raw[i] = strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	}
	ports := map[string]portOwner{}
	idIndex := map[string]int8{}
	for i, id := range ids {
		idIndex[strconv.FormatUint(id, 16)] = int8(i)
	}
	for i := range raw {
		for _, l := range raw[i] {
			for _, m := range clientPortRE.FindAllStringSubmatch(l, -1) {
				ports[m[1]+m[2]] = portOwner{m: int8(i), client: true}
			}
			for _, m := range peerPortRE.FindAllStringSubmatch(l, -1) {
				ports[m[1]+m[2]] = portOwner{m: int8(i)}
			}
		}
	}
	for i := range raw {
		for _, l := range raw[i] {
			for _, m := range addedPortRE.FindAllStringSubmatch(l, -1) {
				id, port := m[1]+m[3], m[2]+m[4]
				if j, ok := idIndex[id]; ok {
					if _, seen := ports[port]; !seen {
						ports[port] = portOwner{m: j}
					}
				}
			}
			for _, m := range namedPortRE.FindAllStringSubmatch(l, -1) {
				if _, seen := ports[m[2]]; !seen {
					ports[m[2]] = portOwner{m: int8(m[1][0] - '1')}
				}
			}
		}
	}
	clusters := map[string]bool{}
	for i := range raw {
		for _, l := range raw[i] {
			for _, m := range clusterIDRE.FindAllStringSubmatch(l, -1) {
				if _, member := idIndex[m[1]]; !member {
					clusters[m[1]] = true
				}
			}
		}
	}
	tk := &tokenizer{ids: ids, ports: ports, clusters: clusters}
	for i := range raw {
		var last int64
		for _, l := range raw[i] {
			tl := tk.line(l, i)
			if tl.t == 0 {
				tl.t = last
			}
			last = tl.t
			if tl.lay == layZap || tl.lay == layCapnslog {
				r.lay = tl.lay
			}
			r.lines[i] = append(r.lines[i], tl)
		}
		if m := regexp.MustCompile(`"etcd-version":"([\d.]+)"|etcd Version: ([\d.]+)`).FindStringSubmatch(strings.Join(raw[i], "\n")); m != nil {
			r.version = m[1] + m[2]
		}
	}
	r.start, r.end = faultWindow(dir)
	return r, nil
}

// readIDs reads ids.json: {"n1":"hex",...} or {"1":"hex",...}.
func readIDs(dir string) ([3]uint64, error) {
	var ids [3]uint64
	b, err := os.ReadFile(dir + "/ids.json")
	if err != nil {
		return ids, err
	}
	m := regexp.MustCompile(`"n?([1-3])"\s*:\s*"([0-9a-f]+)"`).FindAllStringSubmatch(string(b), -1)
	if len(m) != 3 {
		return ids, fmt.Errorf("%s/ids.json: want 3 members", dir)
	}
	for _, kv := range m {
		v, err := strconv.ParseUint(kv[2], 16, 64)
		if err != nil {
			return ids, fmt.Errorf("%s/ids.json: %w", dir, err)
		}
		ids[kv[1][0]-'1'] = v
	}
	return ids, nil
}

// faultWindow returns the run's incident: from its first fault to the last "healthy" (run.json)
// or the last "S<n>" result line plus a second (etcd 3.4's actions.log).
func faultWindow(dir string) (start, end int64) {
	b, err := os.ReadFile(dir + "/actions.log")
	if err != nil {
		return 0, 0
	}
	faultRE := regexp.MustCompile(`^(\S+) ACTION (?:stop|kill|pause|isolate|move-leader|PARTITION isolate)\b`)
	lab35 := regexp.MustCompile(`^(\S+) ACTION healthy `)
	lab34 := regexp.MustCompile(`^(\S+) ACTION S\d `)
	for _, l := range strings.Split(string(b), "\n") {
		if m := faultRE.FindStringSubmatch(l); m != nil && start == 0 {
			start = parseMicros(m[1]) - 20_000
		}
		if start == 0 {
			continue
		}
		if m := lab35.FindStringSubmatch(l); m != nil {
			end = parseMicros(m[1])
		} else if m := lab34.FindStringSubmatch(l); m != nil {
			end = parseMicros(m[1]) + 1_000_000
		}
	}
	if end <= start {
		return 0, 0
	}
	return start, end
}

func parseMicros(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0
	}
	return t.UnixMicro()
}

type tokenizer struct {
	ids      [3]uint64
	ports    map[string]portOwner
	clusters map[string]bool
}

type match struct {
	start, end int
	s          seg
}

// line makes a template of one real line printed by member m.
func (tk *tokenizer) line(l string, m int) *tline {
	l = dataDirRE.ReplaceAllString(l, "/var/lib/etcd/")
	l = binRE.ReplaceAllString(l, "/usr/local/bin/etcd")
	tl := &tline{member: m}
	var ms []match
	add := func(start, end int, s seg) { ms = append(ms, match{start, end, s}) }
	switch {
	case strings.HasPrefix(l, "{"):
		if sm := tsZapRE.FindStringSubmatchIndex(l); sm != nil {
			tl.lay = layZap
			tl.t = parseMicros(l[sm[2]:sm[3]])
			add(sm[2], sm[3], seg{op: opTS})
		}
	case tsCapnsRE.MatchString(l):
		sm := tsCapnsRE.FindStringSubmatchIndex(l)
		tl.lay = layCapnslog
		t, _ := time.Parse("2006-01-02 15:04:05.000000", l[sm[2]:sm[3]])
		tl.t = t.UnixMicro()
		add(sm[2], sm[3], seg{op: opTS})
	case tsStdlogRE.MatchString(l):
		sm := tsStdlogRE.FindStringSubmatchIndex(l)
		tl.lay = layStdlog
		t, _ := time.Parse("2006/01/02 15:04:05", l[sm[2]:sm[3]])
		tl.t = t.UnixMicro()
		add(sm[2], sm[3], seg{op: opTS})
	}
	tl.msg = messageOf(l, tl.lay)
	tl.cls = classify(l, tl)
	if tl.lay == layOther {
		tl.segs = []seg{{op: opLit, lit: l}}
		return tl
	}
	for _, sm := range rfc3339RE.FindAllStringIndex(l, -1) {
		if tl.lay == layZap && len(ms) > 0 && sm[0] == ms[0].start {
			continue // the line's own ts
		}
		add(sm[0], sm[1], seg{op: opRelTS, val: parseMicros(l[sm[0]:sm[1]]) - tl.t})
	}
	for _, sm := range initClRE.FindAllStringIndex(l, -1) {
		add(sm[0], sm[1], seg{op: opInitialCluster})
	}
	for _, sm := range votersRE.FindAllStringSubmatchIndex(l, -1) {
		list := strings.Fields(l[sm[2]:sm[3]])
		if len(list) != 3 {
			continue // a partial configuration: its IDs are mapped one by one
		}
		dec := len(list[0]) > 16 || !strings.ContainsAny(strings.Join(list, ""), "abcdef")
		if dec {
			add(sm[2], sm[3], seg{op: opVotersDec})
		} else {
			add(sm[2], sm[3], seg{op: opVotersHex})
		}
		tl.refs = 7
	}
	for _, sm := range hexWordRE.FindAllStringIndex(l, -1) {
		w := l[sm[0]:sm[1]]
		for i, id := range tk.ids {
			switch w {
			case strconv.FormatUint(id, 16):
				add(sm[0], sm[1], seg{op: opID, m: int8(i)})
				tl.refs |= 1 << i
			case strconv.FormatUint(id, 10):
				add(sm[0], sm[1], seg{op: opDec, m: int8(i)})
				tl.refs |= 1 << i
			}
		}
		if tk.clusters[w] {
			add(sm[0], sm[1], seg{op: opClusterID})
		}
	}
	for _, sm := range nameRE.FindAllStringSubmatchIndex(l, -1) {
		i := int8(l[sm[2]] - '1')
		add(sm[0], sm[1], seg{op: opName, m: i})
		tl.refs |= 1 << i
	}
	for _, sm := range hostRE.FindAllStringSubmatchIndex(l, -1) {
		if o, ok := tk.ports[l[sm[2]:sm[3]]]; ok {
			s := seg{op: opPeerHost, m: o.m}
			if o.client {
				s.op = opClientHost
			}
			add(sm[0], sm[1], s)
			tl.refs |= 1 << o.m
		}
	}
	for _, re := range []struct {
		re *regexp.Regexp
		op op
	}{{termRE, opTerm}, {logTermRE, opLogTerm}, {indexRE, opIndex}} {
		for _, sm := range re.re.FindAllStringSubmatchIndex(l, -1) {
			v, _ := strconv.ParseInt(l[sm[2]:sm[3]], 10, 64)
			add(sm[2], sm[3], seg{op: re.op, val: v})
		}
	}
	if sm := tallyRE.FindStringSubmatchIndex(l); sm != nil {
		add(sm[2], sm[3], seg{op: opTallyGranted})
		add(sm[4], sm[5], seg{op: opTallyRejected})
	}
	// Earliest first; of overlapping matches the first (then the longest) wins.
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].start != ms[j].start {
			return ms[i].start < ms[j].start
		}
		return ms[i].end > ms[j].end
	})
	pos := 0
	for _, x := range ms {
		if x.start < pos {
			continue
		}
		if x.start > pos {
			tl.segs = append(tl.segs, seg{op: opLit, lit: l[pos:x.start]})
		}
		tl.segs = append(tl.segs, x.s)
		pos = x.end
	}
	if pos < len(l) {
		tl.segs = append(tl.segs, seg{op: opLit, lit: l[pos:]})
	}
	return tl
}

// messageOf returns a record's message (zap's msg, capnslog's text after "pkg: ").
func messageOf(l string, lay layout) string {
	switch lay {
	case layZap:
		i := strings.Index(l, `"msg":"`)
		if i < 0 {
			return ""
		}
		m := l[i+7:]
		if j := strings.IndexByte(m, '"'); j >= 0 {
			return m[:j]
		}
	case layCapnslog:
		m := l[strings.Index(l, " | ")+3:]
		if i := strings.Index(m, ": "); i > 0 && !strings.Contains(m[:i], " ") {
			return m[i+2:]
		}
		return m
	case layStdlog:
		return l[strings.Index(l, ": ")+2:]
	}
	return ""
}

func classify(l string, tl *tline) class {
	var c class
	msg := tl.msg
	if tl.lay == layStdlog || strings.Contains(l, `"logger":"raft"`) || strings.Contains(l, `"caller":"raft/`) {
		c |= clsRaft
	}
	has := func(s string) bool { return strings.Contains(msg, s) }
	switch {
	case has(" is starting a new election at term"):
		c |= clsCampaign | clsNewElection
	case has(" became candidate at term"), has(" became pre-candidate at term"):
		c |= clsCampaign | clsCampaignStart
	case has(" became leader at term"):
		c |= clsCampaign | clsLeader
	case has(" has received ") && has(" vote rejections"):
		c |= clsCampaign
	case has("] sent MsgVote request to "), has("] sent MsgPreVote request to "):
		c |= clsCampaign | clsFanout
	case has(" received MsgVoteResp rejection from "), has(" received MsgPreVoteResp rejection from "):
		c |= clsCampaign | clsFanout | clsReject
	case has(" received MsgVoteResp from "), has(" received MsgPreVoteResp from "):
		c |= clsCampaign | clsFanout | clsGrant
	case has("MsgTimeoutNow"), has("starts to transfer leadership"), has("aborts leadership transfer"),
		strings.HasPrefix(msg, "leadership transfer "), has(" leadership transfer from "):
		c |= clsCampaign | clsTransfer
	case has(" stepped down to follower"), has("received a MsgAppResp message"), has("MsgHeartbeatResp"):
		c |= clsCampaign // what only a leader does or receives
	case has(" elected leader "):
		// the leader's own "raft.node: X elected leader X" is part of its campaign
		f := strings.Fields(strings.TrimPrefix(msg, "raft.node: "))
		if len(f) >= 4 && f[0] == f[3] {
			c |= clsCampaign
		}
	}
	return c
}
