package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	echarts "github.com/etcdpm/etcdpm/third_party/echarts-5.6.0"
)

func TestEChartsVendored(t *testing.T) {
	sum := sha256.Sum256([]byte(echarts.MinJS))
	const want = "bf4a223524e40b77c304bec67e1222cf551f14880cf42c69dc046558e11c07b1" // SOURCE.md
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("echarts.min.js sha256 %s, want %s: the vendored file must stay unmodified", got, want)
	}
	if !strings.Contains(echarts.License, "Apache License") || !strings.Contains(echarts.Notice, "Apache ECharts") {
		t.Error("LICENSE or NOTICE missing")
	}
}

// scriptBlocks returns the contents of the page's <script> elements.
func scriptBlocks(page []byte) [][]byte {
	var out [][]byte
	for {
		i := bytes.Index(page, []byte("<script"))
		if i < 0 {
			return out
		}
		page = page[i:]
		j := bytes.IndexByte(page, '>')
		k := bytes.Index(page, []byte("</script>"))
		out = append(out, page[j+1:k])
		page = page[k+len("</script>"):]
	}
}

func TestHTMLHostileIsEscaped(t *testing.T) {
	page := renderHTML(t, hostileResult(), Options{Title: hostile[0], Version: hostile[1], Generated: generated})

	// Exactly the four scripts we write: scaffold, data, ECharts, report.js.
	if n := bytes.Count(page, []byte("<script")); n != 4 {
		t.Errorf("%d <script tags, want 4", n)
	}
	blocks := scriptBlocks(page)
	if len(blocks) != 4 {
		t.Fatalf("%d script blocks, want 4", len(blocks))
	}
	if string(blocks[2]) != echarts.MinJS || string(blocks[3]) != htmlAssets().js {
		t.Error("the inline scripts are not exactly echarts.min.js and report.js")
	}
	// The JSON blocks: valid JSON, nothing that ends a script, opens a
	// comment or breaks a JavaScript string.
	for _, b := range blocks[:2] {
		for _, bad := range []string{"<", ">", "\u2028", "\u2029"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("JSON block holds %q unescaped", bad)
			}
		}
		if !json.Valid(b) {
			t.Error("JSON block is not valid JSON")
		}
	}
	// go-echarts' half is static: no log text, no function strings.
	if bytes.Contains(blocks[0], []byte("__f__")) || bytes.Contains(blocks[0], []byte("pwned")) {
		t.Error("the chart scaffold holds log-derived text")
	}
	// Outside the scripts, every hostile string is escaped.
	html := page
	for _, b := range blocks {
		html = bytes.Replace(html, b, nil, 1)
	}
	for _, h := range hostile {
		if strings.ContainsAny(h, `<>&"'`) && bytes.Contains(html, []byte(h)) {
			t.Errorf("HTML holds %q unescaped", h)
		}
	}
	for _, bad := range []string{"<img", "<!--", "<![cdata["} {
		if bytes.Contains(bytes.ToLower(html), []byte(bad)) {
			t.Errorf("HTML holds %q", bad)
		}
	}
}

func TestHTMLNoNetwork(t *testing.T) {
	page := renderHTML(t, handDemoResult(), testOpts)
	html := page
	for _, b := range scriptBlocks(page) {
		html = bytes.Replace(html, b, nil, 1)
	}
	// No src, href or url() that could load anything; the CSP forbids it too.
	for _, re := range []string{`(?i)\ssrc\s*=`, `(?i)<link\b`, `(?i)url\(`, `(?i)@import`, `(?i)\shref\s*=\s*"[^#]`, `(?i)<(img|iframe|object|embed|video|audio|source|form)\b`} {
		if loc := regexp.MustCompile(re).FindIndex(html); loc != nil {
			t.Errorf("page has %s: %q", re, html[max(loc[0]-40, 0):min(loc[1]+40, len(html))])
		}
	}
	if !bytes.Contains(page, []byte(`content="default-src &#39;none&#39;`)) {
		t.Error("no Content-Security-Policy")
	}
}

func TestHTMLDeterministic(t *testing.T) {
	a := renderHTML(t, handDemoResult(), testOpts)
	b := renderHTML(t, handDemoResult(), testOpts)
	if !bytes.Equal(a, b) {
		t.Error("two renders of one Result differ")
	}
}

func TestChartData(t *testing.T) {
	res := handDemoResult()
	ms := newMemberSet(res, cleanLabel)
	d := buildChartData(res, ms)
	if len(d.Members) != 3 || d.Members[2].Label != "etcd3" || d.Members[2].ID != "bd388e7810915853" {
		t.Errorf("members: %+v", d.Members)
	}
	if d.Base != res.Start.UnixMilli() || d.End != res.End.Sub(res.Start).Milliseconds() {
		t.Errorf("base %d end %d", d.Base, d.End)
	}
	for i, s := range res.Series {
		ts := d.Terms[i]
		if len(ts.T) != len(s.Points) {
			t.Errorf("%s: %d points, want %d", s.Name, len(ts.T), len(s.Points))
			continue
		}
		for j, p := range s.Points {
			if ts.T[j] != p.Time.Sub(res.Start).Milliseconds() || ts.V[j] != p.Term || ts.S[j] != int(p.State) {
				t.Errorf("%s point %d: (%d, %d, %d), want %v", s.Name, j, ts.T[j], ts.V[j], ts.S[j], p)
			}
		}
	}
	// etcd2: follower half a second, then down to the end.
	ln := d.Lanes[1]
	if len(ln.S) != 2 || ln.St[0] != int(analysis.StateFollower) || ln.St[1] != int(analysis.StateDown) || ln.E[1] != d.End {
		t.Errorf("etcd2 lane: %+v", ln)
	}
	if len(d.Leaders) != 3 || d.Leaders[2].Term != 422 || d.Leaders[2].M != 2 {
		t.Errorf("leaders: %+v", d.Leaders)
	}
	if len(d.Leaderless) != 1 || d.Leaderless[0].S != 3000 || d.Leaderless[0].E != 626000 {
		t.Errorf("leaderless: %+v", d.Leaderless)
	}
	if len(d.Events) != len(res.Timeline) || d.Events[0].Src != "etcd-demo-compose-logs.txt:2" {
		t.Errorf("events: %+v", d.Events)
	}
}

func TestDownsample(t *testing.T) {
	res := stormResult(1, 100_000, 0)
	ps := res.Series[0].Points
	kept, dropped := downsample(changePoints(ps), res.Start, res.End, 4000)
	if len(kept) > 4000 || len(kept)+dropped != len(ps) {
		t.Fatalf("kept %d dropped %d of %d", len(kept), dropped, len(ps))
	}
	if kept[0] != ps[0] || kept[len(kept)-1] != ps[len(ps)-1] {
		t.Error("first or last point lost")
	}
	var top uint64
	leaders := 0
	for i, p := range kept {
		if i > 0 && p.Time.Before(kept[i-1].Time) {
			t.Fatal("points out of order")
		}
		top = max(top, p.Term)
		if p.State == analysis.StateLeader {
			leaders++
		}
	}
	if top != ps[len(ps)-1].Term {
		t.Errorf("highest term %d lost", ps[len(ps)-1].Term)
	}
	if leaders < 900 {
		t.Errorf("only %d leader points kept of about a bucket each", leaders)
	}
	// Small series pass through.
	small := ps[:10]
	if got, n := downsample(small, res.Start, res.End, 4000); len(got) != 10 || n != 0 {
		t.Error("a small series was downsampled")
	}
}

func TestHTMLStormBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("big synthetic input")
	}
	res := stormResult(5, 200_000, 200_000)
	start := time.Now()
	page := renderHTML(t, res, testOpts)
	t.Logf("5 members × 200,000 change points, 200,000 timeline events, 500 findings × 100 evidence lines: %d bytes (ECharts %d) in %v",
		len(page), len(echarts.MinJS), time.Since(start))
	if len(page) > 6<<20 {
		t.Errorf("storm report is %d bytes, want it bounded under 6 MiB", len(page))
	}
	for _, want := range []string{"more findings omitted", "more evidence lines omitted", "Not drawn, to keep the page fast", "more events omitted"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("page does not say %q", want)
		}
	}
	// Every text long and hostile: the size stays bounded.
	hs := hostileStorm()
	start = time.Now()
	page = renderHTML(t, hs, testOpts)
	t.Logf("hostile storm (40 members, every text %d characters, mostly characters to escape): %d bytes in %v", len(hs.Findings[0].Summary), len(page), time.Since(start))
	if len(page) > 8<<20 {
		t.Errorf("hostile storm report is %d bytes, want it bounded under 8 MiB", len(page))
	}
}

func BenchmarkHTMLStorm(b *testing.B) {
	res := stormResult(5, 200_000, 200_000)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		var buf bytes.Buffer
		if err := HTML(&buf, res, testOpts); err != nil {
			b.Fatal(err)
		}
		n = buf.Len()
	}
	b.ReportMetric(float64(n), "bytes/report")
}

func BenchmarkMarkdownStorm(b *testing.B) {
	res := stormResult(5, 200_000, 200_000)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		var buf bytes.Buffer
		if err := Markdown(&buf, res, testOpts); err != nil {
			b.Fatal(err)
		}
		n = buf.Len()
	}
	b.ReportMetric(float64(n), "bytes/report")
}

func TestHTMLEmpty(t *testing.T) {
	res := &analysis.Result{Schema: analysis.Schema, Diagnosis: analysis.Diagnosis{Verdict: analysis.Healthy, Headline: "No election trouble found"}}
	page := renderHTML(t, res, Options{})
	if bytes.Contains(page, []byte(echarts.MinJS[:2000])) {
		t.Error("a page with no chart carries ECharts")
	}
	for _, want := range []string{"No election trouble found", "Nothing found.", "sev-healthy"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 982665: "982,665", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestLaneSpans(t *testing.T) {
	res := stormResult(1, 100_000, 0)
	ps := res.Series[0].Points
	spans := laneSpans(ps, res.Start, res.End, 4000)
	if len(spans) > 2000 {
		t.Errorf("%d spans, want at most 2000 buckets", len(spans))
	}
	for i, s := range spans {
		if !s.End.After(s.Start) || i > 0 && s.Start.Before(spans[i-1].End) {
			t.Fatalf("span %d out of order: %+v", i, s)
		}
		// The states cycle follower, pre-candidate, candidate, follower,
		// leader, down: a follower a third of the time, so it dominates.
		if s.State != analysis.StateFollower {
			t.Errorf("span %d is %v, want follower (the dominant state)", i, s.State)
			break
		}
	}
	if spans[0].Start != res.Start || spans[len(spans)-1].End != res.End {
		t.Error("spans do not cover the run")
	}
	// A few points pass through as exact spans.
	few := laneSpans(ps[:6], res.Start, ps[6].Time, 4000)
	if len(few) != 6 || few[4].State != analysis.StateLeader || few[5].End != ps[6].Time {
		t.Errorf("small lane: %+v", few)
	}
}
