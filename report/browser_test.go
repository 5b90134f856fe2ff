package report

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/etcdpm/etcdpm/analysis"
)

// seriesInfo is a chart series as ECharts holds it after setOption.
type seriesInfo struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Points int    `json:"points"`
	Areas  int    `json:"areas"`
	Lines  int    `json:"lines"`
	Marks  int    `json:"marks"`
}

const readCharts = `(() => {
	const out = {};
	for (const id of ['chart-term', 'chart-state']) {
		const el = document.getElementById(id);
		const c = el && echarts.getInstanceByDom(el);
		if (!c) { continue; }
		const len = (m) => m && m.data ? m.data.length : 0;
		out[id] = c.getOption().series.map((s) => ({
			id: s.id, name: s.name, type: s.type, points: (s.data || []).length,
			areas: len(s.markArea), lines: len(s.markLine), marks: len(s.markPoint),
		}));
	}
	return out;
})()`

// wantCharts is what the charts of res must hold: computed from the data
// the report embeds, which TestChartData checks against the Result.
func wantCharts(res *analysis.Result) map[string][]seriesInfo {
	ms := newMemberSet(res, cleanLabel)
	d := buildChartData(res, ms)
	term := []seriesInfo{}
	for _, s := range d.Terms {
		n := termPointCount(d, s)
		marks := 0
		for _, l := range d.Leaders {
			if l.M == s.M {
				marks++
			}
		}
		term = append(term, seriesInfo{ID: fmt.Sprintf("term-%d", s.M), Name: d.Members[s.M].Label, Type: "line", Points: n, Marks: marks})
	}
	for _, s := range d.Status {
		name := d.Members[s.M].Label + " (status)"
		term = append(term, seriesInfo{ID: fmt.Sprintf("status-%d", s.M), Name: name, Type: "line", Points: len(s.T)})
		failed := 0
		for _, v := range s.V {
			if v < 0 {
				failed++
			}
		}
		failed = 0 // marked where a run of failures starts or its error changes
		for i, v := range s.V {
			if v < 0 && (i == 0 || s.V[i-1] >= 0 || s.E[i-1] != s.E[i]) {
				failed++
			}
		}
		if failed > 0 {
			term = append(term, seriesInfo{ID: fmt.Sprintf("statuserr-%d", s.M), Name: name, Type: "scatter", Points: failed})
		}
	}
	shading := func() []seriesInfo {
		var out []seriesInfo
		if len(d.Leaderless) > 0 {
			out = append(out, seriesInfo{ID: "leaderless", Name: "no leader", Type: "line", Areas: len(d.Leaderless)})
		}
		if len(d.Faults) > 0 {
			spans := 0
			for _, f := range d.Faults {
				if f.E > f.S {
					spans++
				}
			}
			out = append(out, seriesInfo{ID: "faults", Name: "faults", Type: "line", Areas: spans, Lines: len(d.Faults) - spans})
		}
		if len(d.Gaps) > 0 {
			out = append(out, seriesInfo{ID: "gaps", Name: "no log data", Type: "line", Areas: len(d.Gaps)})
		}
		return out
	}
	term = append(term, shading()...)
	state := []seriesInfo{}
	for st := analysis.StateFollower; st <= analysis.StateDown; st++ {
		n := 0
		for _, ln := range d.Lanes {
			for _, s := range ln.St {
				if s == int(st) {
					n++
				}
			}
		}
		state = append(state, seriesInfo{ID: fmt.Sprintf("state-%d", st), Name: st.String(), Type: "custom", Points: n})
	}
	state = append(state, seriesInfo{ID: "events", Name: "events", Type: "scatter", Points: len(d.Events)})
	state = append(state, shading()...)
	return map[string][]seriesInfo{"chart-term": term, "chart-state": state}
}

// termPointCount is the number of points report.js draws in the term line
// s: its change points, a break where each fault stopped the member, and
// one more that carries the last term to the end of the logs unless the
// member is down or stopped there.
func termPointCount(d *chartData, s termSeries) int {
	n := len(s.T)
	lastBreak, stoppedAtEnd := int64(-1), false
	for _, w := range d.Stopped {
		if w.M == s.M {
			n++
			lastBreak = max(lastBreak, w.S)
			stoppedAtEnd = stoppedAtEnd || w.E >= d.End
		}
	}
	if len(s.T) == 0 {
		return n
	}
	last := len(s.T) - 1
	if lastBreak <= s.T[last] && s.S[last] != int(analysis.StateDown) && !stoppedAtEnd && s.T[last] < d.End {
		n++
	}
	return n
}

func checkCharts(t *testing.T, p *browserPage, want map[string][]seriesInfo) {
	t.Helper()
	got := eval[map[string][]seriesInfo](t, p, readCharts)
	for _, id := range []string{"chart-term", "chart-state"} {
		g, w := got[id], want[id]
		if g == nil {
			t.Errorf("%s: no ECharts instance", id)
			continue
		}
		if len(g) != len(w) {
			t.Errorf("%s: %d series, want %d:\n got %+v\nwant %+v", id, len(g), len(w), g, w)
			continue
		}
		for i := range w {
			if g[i] != w[i] {
				t.Errorf("%s series %d:\n got %+v\nwant %+v", id, i, g[i], w[i])
			}
		}
	}
}

func TestBrowserDemo(t *testing.T) {
	res := analyze(t, demoLogs...)
	html := renderHTML(t, res, Options{Title: "etcd-demo-compose-logs.txt", Version: "v0.1.0", Generated: generated})
	p := openReport(t, html, openOpts{width: 1280, height: 1500})
	t.Logf("demo report: %d bytes, opened in Chromium in %v", len(html), p.loadTime)
	checkCharts(t, p, wantCharts(res))
	// Each term line holds its member's change points, and one more that
	// carries the last term to the end of the logs.
	got := eval[map[string][]seriesInfo](t, p, readCharts)
	for i, s := range res.Series {
		want := len(changePoints(s.Points))
		if n := len(s.Points); n > 0 && s.Points[n-1].State != analysis.StateDown && s.Points[n-1].Time.Before(res.End.Truncate(time.Millisecond)) {
			want++
		}
		if n := got["chart-term"][i].Points; n != want {
			t.Errorf("term series of %s: %d points, want %d", s.Name, n, want)
		}
	}
	text := eval[string](t, p, "document.body.innerText")
	for _, want := range []string{res.Diagnosis.Headline, res.Diagnosis.Verdict, "etcd-demo-compose-logs.txt:"} {
		if !strings.Contains(text, want) {
			t.Errorf("page text lacks %q", want)
		}
	}
	// The remedies are folded to their first sentence, the rest one click away.
	first, _ := firstSentence(res.Diagnosis.Remedies[0])
	if !strings.Contains(text, first) {
		t.Errorf("page text lacks the first sentence of the first remedy %q", first)
	}
	if why := eval[string](t, p, "document.getElementById('why').textContent"); !strings.Contains(strings.Join(strings.Fields(why), " "), res.Diagnosis.Remedies[0]) {
		t.Errorf("the remedies lack %q", res.Diagnosis.Remedies[0])
	}
	// The readout gives every member's term and state at the pointer.
	w := res.Leaderless[len(res.Leaderless)-1]
	mid := w.Start.Add(w.End.Sub(w.Start) / 2)
	ro := p.pointAt(t, "chart-term", float64(mid.UnixMilli()))
	for _, want := range []string{mid.UTC().Format("15:04:05"), "etcd3 term", "candidate"} {
		if !strings.Contains(ro, want) {
			t.Errorf("readout %q lacks %q", ro, want)
		}
	}
	p.screenshot(t, "report-demo.png", false)

	// Zooming one chart zooms the other: their time axes stay aligned.
	zoom := eval[[]float64](t, p, `(() => {
		const get = (id) => echarts.getInstanceByDom(document.getElementById(id));
		get('chart-term').dispatchAction({type: 'dataZoom', start: 20, end: 60});
		const a = get('chart-state').getOption().dataZoom[0];
		get('chart-state').dispatchAction({type: 'dataZoom', start: 5, end: 15});
		const b = get('chart-term').getOption().dataZoom[0];
		return [a.start, a.end, b.start, b.end];
	})()`)
	if zoom[0] != 20 || zoom[1] != 60 || zoom[2] != 5 || zoom[3] != 15 {
		t.Errorf("zoom not synchronized: state chart at %v–%v (want 20–60), term chart at %v–%v (want 5–15)", zoom[0], zoom[1], zoom[2], zoom[3])
	}
	p.checkClean(t)
}

// TestBrowserEmpty opens the report of a Result with nothing in it.
func TestBrowserEmpty(t *testing.T) {
	res := &analysis.Result{Schema: analysis.Schema, Diagnosis: analysis.Diagnosis{Verdict: analysis.Healthy, Headline: "No election trouble found"}}
	p := openReport(t, renderHTML(t, res, Options{}), openOpts{})
	if n := eval[int](t, p, "document.querySelectorAll('.chart').length"); n != 0 {
		t.Errorf("%d chart elements, want none", n)
	}
	p.checkClean(t)
}

// TestBrowserReal opens the report of a real etcd 3.6 run.
func TestBrowserReal(t *testing.T) {
	logs := realRun(t, realPatterns...)
	res := analyze(t, logs...)
	res.Faults = runFaults(t, logs)
	html := renderHTML(t, res, Options{Title: "etcd 3.6.16: " + filepath.Base(filepath.Dir(logs[0])), Version: "v0.1.0", Generated: generated})
	p := openReport(t, html, openOpts{width: 1280, height: 1500})
	t.Logf("etcd 3.6 report: %d bytes, opened in Chromium in %v", len(html), p.loadTime)
	checkCharts(t, p, wantCharts(res))
	if len(res.Series) < 3 {
		t.Errorf("%d members with a term line, want 3", len(res.Series))
	}
	if len(res.Faults) == 0 {
		t.Error("no fault read from run.json")
	}
	p.screenshot(t, "report-etcd36.png", false)
	p.checkClean(t)
}

func TestBrowserHostile(t *testing.T) {
	for _, bypass := range []bool{false, true} {
		t.Run(fmt.Sprintf("bypassCSP=%v", bypass), func(t *testing.T) {
			res := hostileResult()
			p := openReport(t, renderHTML(t, res, Options{Title: hostile[0], Version: hostile[1], Generated: generated}), openOpts{bypassCSP: bypass})
			checkCharts(t, p, wantCharts(res))

			// Show every kind of tooltip: a state span, an event, a term
			// point, a status poll that failed, and hover the fault area.
			shown := eval[[]string](t, p, `(() => {
				const out = [];
				const grab = (el) => { const tips = el.querySelectorAll('.tip'); out.push(tips.length ? tips[tips.length - 1].textContent : ''); };
				const term = echarts.getInstanceByDom(document.getElementById('chart-term'));
				const state = echarts.getInstanceByDom(document.getElementById('chart-state'));
				const idx = (c, id) => c.getOption().series.findIndex((s) => s.id === id);
				state.dispatchAction({type: 'showTip', seriesIndex: idx(state, 'events'), dataIndex: 0}); grab(state.getDom());
				state.dispatchAction({type: 'showTip', seriesIndex: idx(state, 'state-4'), dataIndex: 0}); grab(state.getDom());
				term.dispatchAction({type: 'showTip', seriesIndex: idx(term, 'term-2'), dataIndex: 1}); grab(term.getDom());
				term.dispatchAction({type: 'showTip', seriesIndex: idx(term, 'statuserr-2'), dataIndex: 0}); grab(term.getDom());
				return out;
			})()`)
			for i, s := range shown {
				if s == "" {
					t.Errorf("tooltip %d did not show", i)
				}
			}
			if !strings.Contains(shown[0], hostile[0]) {
				t.Errorf("event tooltip does not show the hostile line as text: %q", shown[0])
			}
			if !strings.Contains(shown[3], hostile[0]) {
				t.Errorf("status tooltip does not show the hostile error as text: %q", shown[3])
			}
			// Hover the first fault (an area from 0.5 s to 3 s).
			xy := eval[[]float64](t, p, `(() => {
				const term = echarts.getInstanceByDom(document.getElementById('chart-term'));
				const d = JSON.parse(document.getElementById('etcdpm-data').textContent);
				const f = d.faults.find((f) => f.e > f.s);
				const r = document.getElementById('chart-term').getBoundingClientRect();
				const px = term.convertToPixel({xAxisIndex: 0}, d.base + (f.s + f.e) / 2);
				return [r.left + px, r.top + r.height / 2];
			})()`)
			if err := chromedp.Do(p.ctx, chromedp.MouseEvent("mouseMoved", xy[0], xy[1])); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond)
			faultTip := eval[string](t, p, `Array.from(document.querySelectorAll('#chart-term .tip')).map((e) => e.textContent).join(' | ')`)
			if !strings.Contains(faultTip, hostile[1]) {
				t.Errorf("fault tooltip does not show the hostile label as text: %q", faultTip)
			}

			ro := p.pointAt(t, "chart-state", float64(res.Start.Add(2*time.Second).UnixMilli()))
			if !strings.Contains(ro, hostile[0]) {
				t.Errorf("readout does not show the hostile member name as text: %q", ro)
			}

			pwned := eval[string](t, p, "String(typeof window.__pwned)")
			if pwned != "undefined" {
				t.Errorf("window.__pwned is %s: hostile text ran", pwned)
			}
			counts := eval[map[string]int](t, p, `({
				scripts: document.scripts.length,
				imgs: document.images.length,
				onerror: document.querySelectorAll('[onerror]').length,
				links: document.querySelectorAll('a[href^="javascript"]').length,
			})`)
			if counts["scripts"] != 4 || counts["imgs"] != 0 || counts["onerror"] != 0 || counts["links"] != 0 {
				t.Errorf("hostile text made elements: %v", counts)
			}
			text := eval[string](t, p, "document.body.innerText")
			for _, h := range hostile[:4] {
				if !strings.Contains(text, h) {
					t.Errorf("page does not display %q as text", h)
				}
			}
			p.screenshot(t, "report-hostile.png", false)
			p.checkClean(t)
		})
	}
}

func TestBrowserStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("big synthetic report")
	}
	res := stormResult(5, 200_000, 200_000)
	start := time.Now()
	html := renderHTML(t, res, testOpts)
	render := time.Since(start)
	p := openReport(t, html, openOpts{width: 1280, height: 1000})
	t.Logf("storm report: %d bytes, rendered in %v, opened in Chromium in %v", len(html), render, p.loadTime)
	checkCharts(t, p, wantCharts(res))
	eval[bool](t, p, "document.getElementById('charts').scrollIntoView(), true")
	p.screenshot(t, "report-storm.png", false)
	p.checkClean(t)
}

// TestBrowserHarnessCatchesInjection makes sure the checks above can fail:
// a page with a script injected past the renderer must be caught.
func TestBrowserHarnessCatchesInjection(t *testing.T) {
	html := renderHTML(t, handDemoResult(), testOpts)
	html = bytes.Replace(html, []byte("<main>"), []byte(`<main><img src=x onerror="window.__pwned=1;alert(1)">`), 1)
	p := openReport(t, html, openOpts{bypassCSP: true})
	time.Sleep(300 * time.Millisecond)
	if pwned := eval[string](t, p, "String(typeof window.__pwned)"); pwned != "number" {
		t.Errorf("injected handler did not run (window.__pwned is %s): the harness would miss an injection", pwned)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.dialogs) == 0 {
		t.Error("the harness saw no dialog from alert(1)")
	}
	if len(p.requests) == 0 {
		t.Error("the harness saw no request for the injected <img src=x>")
	}
}
