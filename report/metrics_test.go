package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/etcdpm/etcdpm/analysis"
	"github.com/etcdpm/etcdpm/capdir"
	"github.com/etcdpm/etcdpm/parser"
)

// metricsCapture is a real capture with metrics: `etcdpm repro -s
// leader-pause --hold 20s` on the local backend (etcd 3.6.16), etcd1 frozen
// from 07:40:06 to 07:40:26, its logs, status polls and a scrape of each
// member's /metrics every second.
const metricsCapture = "../testdata/metrics/leader-pause"

// analyzeCapture analyzes a capture directory as `etcdpm analyze DIR` does.
func analyzeCapture(t testing.TB, dir string) *analysis.Result {
	t.Helper()
	c, err := capdir.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	srcs := make([]parser.Source, len(c.Logs))
	names := make([]string, len(c.Logs))
	for i, p := range c.Logs {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		names[i] = filepath.Base(p)
		srcs[i] = parser.Source{R: f, Opts: parser.Options{Name: names[i], Input: i, TZ: time.UTC}}
	}
	res, _, err := analysis.Analyze(context.Background(), srcs, c.Faults, c.Status,
		analysis.Options{Inputs: names, Start: c.Start, End: c.End, Metrics: c.Metrics})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// embeddedData is the chart data a page carries, as report.js reads it.
func embeddedData(t *testing.T, page []byte) chartData {
	t.Helper()
	const open = `<script type="application/json" id="etcdpm-data">`
	i := bytes.Index(page, []byte(open))
	if i < 0 {
		t.Fatal("no data block")
	}
	rest := page[i+len(open):]
	var d chartData
	if err := json.Unmarshal(rest[:bytes.Index(rest, []byte("</script>"))], &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestMetricsChartData(t *testing.T) {
	res := analyzeCapture(t, metricsCapture)
	if len(res.Metrics) != 3 {
		t.Fatalf("%d members' metrics, want 3", len(res.Metrics))
	}
	page := renderHTML(t, res, Options{Generated: generated})
	d := embeddedData(t, page)
	if len(d.Metrics) != 3 || d.HeartbeatMS != 100 {
		t.Fatalf("%d metrics series against %d ms, want 3 against 100", len(d.Metrics), d.HeartbeatMS)
	}
	for i, s := range d.Metrics {
		src := res.Metrics[i]
		if d.Members[s.M].Label != src.Name || len(s.T) != len(src.Points) || len(s.F) != len(s.T) || len(s.R) != len(s.T) || len(s.H) != len(s.T) {
			t.Errorf("series %d (%s): %d times for %d points of %s", i, d.Members[s.M].Label, len(s.T), len(src.Points), src.Name)
			continue
		}
		for j, p := range src.Points {
			if s.T[j] != p.End.UnixMilli()-d.Base || s.F[j] != msOf(p.WALFsyncP99) || s.R[j] != msOf(p.PeerRTTP99) || s.H[j] != p.HeartbeatFailures {
				t.Errorf("%s point %d: t %d f %g r %g h %g, want %v", src.Name, j, s.T[j], s.F[j], s.R[j], s.H[j], p)
			}
		}
	}
	if !bytes.Contains(page, []byte(`id="chart-metrics"`)) {
		t.Error("no metrics chart in the page")
	}

	// Without metrics, no chart and no data for one.
	res.Metrics = nil
	page = renderHTML(t, res, Options{Generated: generated})
	if bytes.Contains(page, []byte(`id="chart-metrics"`)) || len(embeddedData(t, page).Metrics) != 0 {
		t.Error("a metrics chart without metrics")
	}
}

// TestMetricsHostile: a member name from the capture reaches the page only
// as escaped JSON, and the Markdown escaped.
func TestMetricsHostile(t *testing.T) {
	res := analyzeCapture(t, metricsCapture)
	name := `</script><img src=x onerror=alert(1)>|**x**`
	res.Metrics[0].Name, res.Metrics[0].Member = name, 0
	page := renderHTML(t, res, Options{Generated: generated})
	if bytes.Contains(page, []byte("<img src=x")) || bytes.Contains(page, []byte("</script><img")) {
		t.Error("the name reached the page as HTML")
	}
	found := false
	for _, m := range embeddedData(t, page).Members {
		found = found || m.Label == cleanLabel(name)
	}
	if !found {
		t.Errorf("the name is not in the data as JSON read it back")
	}
	var md bytes.Buffer
	if err := Markdown(&md, res, Options{Generated: generated}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "<img") || strings.Contains(md.String(), "|**x**") {
		t.Errorf("unescaped name in the Markdown")
	}
}

func TestMetricsMarkdown(t *testing.T) {
	res := analyzeCapture(t, metricsCapture)
	var md bytes.Buffer
	if err := Markdown(&md, res, Options{Generated: generated}); err != nil {
		t.Fatal(err)
	}
	s := md.String()
	// etcd3 led after etcd1 froze; its metrics show 2 heartbeats it failed
	// to send on time (etcd_server_heartbeat_send_failures_total).
	for _, want := range []string{"### Metrics", "| Member | WAL fsync p99 |", "| etcd3 | 16 ms | 07:40:08.463 |", " | 2 | 0 |"} {
		if !strings.Contains(s, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if len(s) >= MarkdownLimit {
		t.Errorf("%d characters, over %d", len(s), MarkdownLimit)
	}
	res.Metrics = nil
	md.Reset()
	if err := Markdown(&md, res, Options{Generated: generated}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "### Metrics") {
		t.Error("a metrics table without metrics")
	}
}

// TestBrowserMetrics opens the report of a real capture with metrics: the
// metrics chart is drawn under the term chart, on the same time range, its
// x positions those of the term chart, and one zoom moves them all.
func TestBrowserMetrics(t *testing.T) {
	res := analyzeCapture(t, metricsCapture)
	p := openReport(t, renderHTML(t, res, Options{Title: "etcdpm repro leader-pause", Version: "v0.1.0", Generated: generated}), openOpts{width: 1400, height: 1500})
	type chartInfo struct {
		Top, Bottom, Min, Max, X float64
		Series                   []string
		Lines                    int
	}
	at := float64(res.Metrics[1].Points[3].End.UnixMilli())
	got := eval[map[string]chartInfo](t, p, `(() => {
		const out = {};
		for (const id of ['chart-term', 'chart-metrics']) {
			const el = document.getElementById(id);
			const c = el && echarts.getInstanceByDom(el);
			if (!c) { continue; }
			const r = el.getBoundingClientRect(), o = c.getOption(), ax = c.getModel().getComponent('xAxis', 0).axis.scale.getExtent();
			out[id] = {
				top: r.top, bottom: r.bottom, min: ax[0], max: ax[1],
				x: r.left + c.convertToPixel({xAxisIndex: 0}, `+strconv.FormatFloat(at, 'f', 0, 64)+`),
				series: o.series.map((s) => s.id + ':' + (s.data || []).length),
				lines: o.series.filter((s) => s.markLine && s.markLine.data && s.markLine.data.some((d) => d.yAxis === 100)).length,
			};
		}
		return out;
	})()`)
	term, metrics := got["chart-term"], got["chart-metrics"]
	if metrics.Series == nil {
		t.Fatalf("no metrics chart: %+v", got)
	}
	if metrics.Top < term.Bottom {
		t.Errorf("metrics chart at %g, above the term chart's bottom %g", metrics.Top, term.Bottom)
	}
	if metrics.Min != term.Min || metrics.Max != term.Max || math.Abs(metrics.X-term.X) > 1 {
		t.Errorf("metrics axis %v–%v (x %v), term axis %v–%v (x %v): not the same time range", metrics.Min, metrics.Max, metrics.X, term.Min, term.Max, term.X)
	}
	var want []string
	for _, m := range buildChartData(res, newMemberSet(res, cleanLabel)).Metrics {
		for _, k := range []string{"f", "c", "r", "h"} {
			want = append(want, fmt.Sprintf("metrics-%s-%d:%d", k, m.M, len(m.T)))
		}
	}
	want = append(want, "faults:0")
	if !slices.Equal(metrics.Series, want) {
		t.Errorf("metrics series\n got %v\nwant %v", metrics.Series, want)
	}
	if metrics.Lines != 2 {
		t.Errorf("%d heartbeat-interval lines, want 2 (disk, RTT)", metrics.Lines)
	}
	// The docs' picture: the charts, from the term chart's top.
	eval[bool](t, p, "(document.getElementById('chart-term').scrollIntoView(), window.scrollBy(0, -60), true)")
	p.screenshot(t, "report-metrics.png", true) // docs/report-metrics.png, with -update (scripts/screenshots.sh)

	zoom := eval[[]float64](t, p, `(() => {
		const get = (id) => echarts.getInstanceByDom(document.getElementById(id));
		get('chart-term').dispatchAction({type: 'dataZoom', start: 20, end: 60});
		const a = get('chart-metrics').getOption().dataZoom[0];
		get('chart-metrics').dispatchAction({type: 'dataZoom', start: 5, end: 15});
		const b = get('chart-term').getOption().dataZoom[0], c = get('chart-state').getOption().dataZoom[0];
		return [a.start, a.end, b.start, b.end, c.start, c.end];
	})()`)
	if !slices.Equal(zoom, []float64{20, 60, 5, 15, 5, 15}) {
		t.Errorf("zoom not synchronized: metrics %v–%v (want 20–60), term %v–%v and state %v–%v (want 5–15)", zoom[0], zoom[1], zoom[2], zoom[3], zoom[4], zoom[5])
	}
	p.checkClean(t)
}
