package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/etcdpm/etcdpm/analysis"
)

// chromium finds the browser: $ETCDPM_CHROMIUM, else chromium on PATH
// (Debian's package). Without one the test skips, except under CI=true,
// where it fails: CI must run it.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ETCDPM_CHROMIUM"); p != "" {
		return p
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	const msg = "no chromium: install it (apt-get install chromium) or set ETCDPM_CHROMIUM"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browserPage is a report opened in headless Chromium with every network
// request failed, and what the page did.
type browserPage struct {
	ctx context.Context
	url string

	mu       sync.Mutex
	requests []string // every request the page made (the report itself aside)
	problems []string // console errors and warnings, exceptions, log entries
	dialogs  []string // alert, confirm, prompt
	loadTime time.Duration
}

type openOpts struct {
	width, height int64
	bypassCSP     bool // prove the escaping holds without the CSP
}

// openReport writes html to a file and opens it as file://, offline, and
// waits for report.js to finish.
func openReport(t *testing.T, html []byte, o openOpts) *browserPage {
	t.Helper()
	exe := chromium(t)
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, html, 0o644); err != nil {
		t.Fatal(err)
	}
	if o.width == 0 {
		o.width, o.height = 1280, 1000
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // tests run as root in containers
		chromedp.DisableGPU,
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(int(o.width), int(o.height)),
	)...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	p := &browserPage{ctx: ctx, url: "file://" + path}

	paused := make(chan *fetch.EventRequestPaused, 64)
	dialogs := make(chan struct{}, 8)
	err := chromedp.Listen(ctx, func(ev any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if ev.Request.URL != p.url {
				p.requests = append(p.requests, ev.Request.URL)
			}
		case *fetch.EventRequestPaused:
			select {
			case paused <- ev:
			default:
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				p.problems = append(p.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			p.problems = append(p.problems, fmt.Sprintf("exception at %d:%d: %s", d.LineNumber, d.ColumnNumber, msg))
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
				p.problems = append(p.problems, fmt.Sprintf("log %s/%s: %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
			}
		case *page.EventJavascriptDialogOpening:
			p.dialogs = append(p.dialogs, string(ev.Type)+": "+ev.Message)
			select {
			case dialogs <- struct{}{}:
			default:
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// Fail every request but the report itself; dismiss every dialog.
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-paused:
				if ev.Request.URL == p.url {
					chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
					continue
				}
				p.mu.Lock()
				p.requests = append(p.requests, ev.Request.URL)
				p.mu.Unlock()
				chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonInternetDisconnected})
			case <-dialogs:
				chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}
		}
	}()

	steps := []func() error{
		func() error { _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); return err },
		func() error {
			_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
			return err
		},
		func() error {
			_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
				MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
			})
			return err
		},
		func() error {
			_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}})
			return err
		},
		func() error { _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); return err },
		func() error {
			_, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: o.bypassCSP})
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("setting up the tab: %v", err)
		}
	}
	start := time.Now()
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(o.width, o.height),
		chromedp.Navigate(p.url),
	); err != nil {
		t.Fatalf("opening the report: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void]("window.etcdpmReady === true", chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		t.Fatalf("report.js did not finish: %v (problems: %q)", err, p.problems)
	}
	p.loadTime = time.Since(start)
	return p
}

// eval runs JavaScript in the page and decodes its result.
func eval[T any](t *testing.T, p *browserPage, js string) T {
	t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %.80q: %v", js, err)
	}
	return v
}

// checkClean fails the test if the page made a request, logged an error or
// a warning, threw, or opened a dialog.
func (p *browserPage) checkClean(t *testing.T) {
	t.Helper()
	// Give late events (a deferred request, an async error) a moment.
	time.Sleep(300 * time.Millisecond)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.requests) > 0 {
		t.Errorf("the page made %d requests, want none: %q", len(p.requests), p.requests)
	}
	if len(p.problems) > 0 {
		t.Errorf("console problems: %q", p.problems)
	}
	if len(p.dialogs) > 0 {
		t.Errorf("dialogs opened: %q", p.dialogs)
	}
}

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

// screenshot saves the viewport as a PNG in the test's artifact directory
// (go test -artifacts keeps it), and, for docs, in the repository's docs/
// with -update.
func (p *browserPage) screenshot(t *testing.T, name string, docs bool) []byte {
	t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot is not a PNG")
	}
	dir := t.ArtifactDir()
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", filepath.Join(dir, name), len(png))
	if *update && docs {
		if err := os.WriteFile(filepath.Join("..", "docs", name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return png
}

// pointAt moves the mouse over chart id at time abs (Unix ms) and the
// middle of its height, and returns the readout's text.
func (p *browserPage) pointAt(t *testing.T, id string, abs float64) string {
	t.Helper()
	xy := eval[[]float64](t, p, fmt.Sprintf(`(() => {
		const el = document.getElementById(%q);
		const c = echarts.getInstanceByDom(el);
		const r = el.getBoundingClientRect();
		return [r.left + c.convertToPixel({xAxisIndex: 0}, %f), r.top + r.height / 2];
	})()`, id, abs))
	if err := chromedp.Do(p.ctx, chromedp.MouseEvent("mouseMoved", xy[0], xy[1])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	return eval[string](t, p, "document.getElementById('readout').textContent")
}

func renderHTML(t testing.TB, res *analysis.Result, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := HTML(&buf, res, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
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
	p.screenshot(t, "report-demo.png", true)

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
	p.screenshot(t, "report-etcd36.png", true)
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

// TestBrowserStory checks what an on-call engineer sees first, on the
// report of a real etcd 3.6 quorum loss with its stops as faults: the first
// screen (1400x900) holds the verdict, the incident timeline and the
// swimlane; a member that is down draws no term point in its down window;
// a data point's tooltip wins over the window shaded under it.
func TestBrowserStory(t *testing.T) {
	logs := realRun(t, realPatterns...)
	res := analyze(t, logs...)
	res.Faults = runFaults(t, logs)
	p := openReport(t, renderHTML(t, res, testOpts), openOpts{width: 1400, height: 900})

	fold := eval[map[string]float64](t, p, `(() => {
		const b = (id) => document.getElementById(id).getBoundingClientRect().bottom;
		return {verdict: b('verdict'), story: b('story'), swimlane: b('chart-state'), steps: document.querySelectorAll('#story li').length};
	})()`)
	for _, id := range []string{"verdict", "story", "swimlane"} {
		if fold[id] == 0 || fold[id] > 900 {
			t.Errorf("%s ends at %v px, below the first screen (900 px)", id, fold[id])
		}
	}
	if fold["steps"] < 3 {
		t.Errorf("the incident timeline has %v steps, want the faults, the leader lost and back", fold["steps"])
	}
	story := eval[string](t, p, "document.getElementById('story').innerText")
	for _, want := range []string{"stop", "leader lost", "kept campaigning", "leader back"} {
		if !strings.Contains(story, want) {
			t.Errorf("the incident timeline lacks %q:\n%s", want, story)
		}
	}

	// No term point where a member was down: in its lane's down spans, or
	// in a fault that stopped it.
	bad := eval[[]string](t, p, `(() => {
		const d = JSON.parse(document.getElementById('etcdpm-data').textContent);
		const term = echarts.getInstanceByDom(document.getElementById('chart-term'));
		const out = [];
		const down = {};
		d.lanes.forEach((ln) => ln.st.forEach((st, i) => { if (st === 5) { (down[ln.m] = down[ln.m] || []).push([ln.s[i], ln.e[i]]); } }));
		d.stopped.forEach((w) => (down[w.m] = down[w.m] || []).push([w.s, w.e]));
		term.getOption().series.forEach((s) => {
			if (!/^term-/.test(s.id)) { return; }
			const m = +s.id.slice(5);
			(s.data || []).forEach((p) => {
				if (p[1] === null) { return; }
				const rel = p[0] - d.base;
				(down[m] || []).forEach((w) => { if (rel > w[0] && rel < w[1]) { out.push(s.name + ' term ' + p[1] + ' at +' + rel + 'ms, down ' + w[0] + '-' + w[1]); } });
			});
		});
		return out;
	})()`)
	for _, b := range bad {
		t.Errorf("a term point while down: %s", b)
	}
	downs := eval[int](t, p, `JSON.parse(document.getElementById('etcdpm-data').textContent).stopped.length`)
	if downs == 0 {
		t.Error("no stopped window from the run's faults")
	}

	// Hover a term point inside the leaderless window: its tooltip, not
	// the window's.
	xy := eval[[]float64](t, p, `(() => {
		const d = JSON.parse(document.getElementById('etcdpm-data').textContent);
		const el = document.getElementById('chart-term');
		el.scrollIntoView();
		const term = echarts.getInstanceByDom(el);
		const w = d.leaderless[0];
		let pt = null;
		term.getOption().series.forEach((s) => {
			if (pt || !/^term-/.test(s.id)) { return; }
			(s.data || []).forEach((p) => { if (!pt && p[1] !== null && p[0] - d.base > w.s + 200 && p[0] - d.base < w.e - 200) { pt = p; } });
		});
		const px = term.convertToPixel({xAxisIndex: 0, yAxisIndex: 0}, [pt[0], pt[1]]);
		const r = el.getBoundingClientRect();
		// Beside the point by 3 px, on the line where its marker is hidden.
		return [r.left + px[0] + 3, r.top + px[1]];
	})()`)
	if err := chromedp.Do(p.ctx, chromedp.MouseEvent("mouseMoved", xy[0], xy[1])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	tipText := eval[string](t, p, `Array.from(document.querySelectorAll('#chart-term .tip')).map((e) => e.textContent).join(' | ')`)
	if !strings.Contains(tipText, "term") || strings.HasPrefix(tipText, "No leader") || strings.HasPrefix(tipText, "Fault") {
		t.Errorf("hovering a term point inside the leaderless window shows %q, want the point's tooltip", tipText)
	}
	p.screenshot(t, "report-story.png", false)
	p.checkClean(t)
}

// TestBrowserColorsByName: a member's colour comes from its name, the same
// in two reports with different member sets.
func TestBrowserColorsByName(t *testing.T) {
	colours := func(res *analysis.Result) map[string]string {
		p := openReport(t, renderHTML(t, res, testOpts), openOpts{})
		defer p.checkClean(t)
		return eval[map[string]string](t, p, `(() => {
			const out = {};
			echarts.getInstanceByDom(document.getElementById('chart-term')).getOption().series.forEach((s) => {
				if (/^term-/.test(s.id)) { out[s.name] = s.color; }
			});
			return out;
		})()`)
	}
	a := colours(handDemoResult())
	other := handDemoResult()
	// Another cluster: etcd1 with two members of other names, listed first.
	other.Members = other.Members[:1]
	other.Series[1].Name, other.Series[2].Name = "zeta", "alpha"
	other.Series = []analysis.Series{other.Series[2], other.Series[1], other.Series[0]}
	b := colours(other)
	if a["etcd1"] == "" || a["etcd1"] != b["etcd1"] {
		t.Errorf("etcd1 is %q in one report and %q in the other", a["etcd1"], b["etcd1"])
	}
	seen := map[string]string{}
	for name, c := range a {
		if prev, ok := seen[c]; ok {
			t.Errorf("%s and %s share the colour %s", prev, name, c)
		}
		seen[c] = name
	}
	for name, c := range a {
		if c == "rgba(124, 58, 237, 0.6)" || strings.Contains(c, "124, 58, 237") {
			t.Errorf("%s has the faults' colour", name)
		}
	}
}
