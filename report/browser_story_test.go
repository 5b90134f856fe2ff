package report

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/etcdpm/etcdpm/analysis"
)

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

// TestBrowserFocus: the charts open zoomed to the incident, the quiet time
// around it folded away, and "Show all" shows everything; a gap in the logs
// is drawn as such.
func TestBrowserFocus(t *testing.T) {
	res := handDemoResult()
	// An hour of quiet logs before and after the incident.
	res.Start, res.End = res.Start.Add(-time.Hour), res.End.Add(time.Hour)
	// And a gap in the logs: grey, "no log data", in both charts.
	gap := res.Start.Add(time.Hour + 300*time.Second)
	res.Gaps = []analysis.Window{{Start: gap, End: gap.Add(time.Minute), Seconds: 60}}
	p := openReport(t, renderHTML(t, res, testOpts), openOpts{width: 1400, height: 900})
	checkCharts(t, p, wantCharts(res))
	legend := eval[[]string](t, p, `echarts.getInstanceByDom(document.getElementById('chart-term')).getOption().legend[0].data.map((d) => d.name || d)`)
	if !strings.Contains(strings.Join(legend, ","), "no log data") {
		t.Errorf("term chart legend %q lacks the gaps' entry", legend)
	}
	zoom := func() []float64 {
		return eval[[]float64](t, p, `(() => {
			const z = (id) => echarts.getInstanceByDom(document.getElementById(id)).getOption().dataZoom[0];
			return [z('chart-state').start, z('chart-state').end, z('chart-term').start, z('chart-term').end];
		})()`)
	}
	z := zoom()
	if z[0] < 40 || z[1] > 60 || z[0] != z[2] || z[1] != z[3] {
		t.Errorf("opened at %v%%, want both charts on the incident (the middle of three hours)", z)
	}
	eval[bool](t, p, "document.getElementById('zoom-all').click(), true")
	if z := zoom(); z[0] != 0 || z[1] != 100 || z[2] != 0 || z[3] != 100 {
		t.Errorf("after Show all: %v%%, want 0-100", z)
	}
	eval[bool](t, p, "document.getElementById('zoom-incident').click(), true")
	if z2 := zoom(); z2[0] != z[0] || z2[1] != z[1] {
		t.Errorf("after Zoom to the incident: %v%%, want %v", z2, z)
	}
	p.checkClean(t)
}
