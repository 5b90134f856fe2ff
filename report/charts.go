package report

import (
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// The chart options are built in two halves. go-echarts builds the static
// scaffolding here (axes, zoom, tooltip, legend, toolbox) from constants only:
// these functions take no argument, so no log-derived string can reach
// go-echarts, its unescaped script output or its "__f__" function strings.
// report.js then adds the series from the JSON data block (encoding/json,
// HTML-escaped), and its tooltips build DOM nodes with textContent.

// gridLeft and gridRight are shared by both charts so their time axes line up.
const (
	gridLeft  = "128"
	gridRight = "36"
)

// chartScaffold returns the static ECharts options of the report's charts,
// keyed by the id of the element each chart goes in.
func chartScaffold() map[string]map[string]any {
	return map[string]map[string]any{
		"chart-term":    termScaffold(),
		"chart-state":   stateScaffold(),
		"chart-metrics": metricsScaffold(),
	}
}

func commonOpts() []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{
			Show:      opts.Bool(true),
			Trigger:   "item",
			Enterable: opts.Bool(false),
		}),
		charts.WithDataZoomOpts(
			opts.DataZoom{Type: "inside", FilterMode: "none", XAxisIndex: 0},
			opts.DataZoom{Type: "slider", FilterMode: "none", XAxisIndex: 0},
		),
		charts.WithXAxisOpts(opts.XAxis{
			Type:      "time",
			SplitLine: &opts.SplitLine{Show: opts.Bool(true)},
			AxisLabel: &opts.AxisLabel{HideOverlap: opts.Bool(true)},
		}),
	}
}

// termScaffold is the term-over-time chart: one step line a member (solid
// from the logs, dashed from status polls), leaders marked, leaderless
// windows and faults shaded.
func termScaffold() map[string]any {
	c := charts.NewLine()
	c.SetGlobalOptions(commonOpts()...)
	c.SetGlobalOptions(
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Type: "scroll", Top: "4", Left: gridLeft, Width: "72%"}),
		charts.WithGridOpts(opts.Grid{Left: gridLeft, Right: gridRight, Top: "44", Bottom: "28"}),
		charts.WithYAxisOpts(opts.YAxis{
			Type:        "value",
			Name:        "term",
			Scale:       opts.Bool(true),
			MinInterval: 1,
			SplitLine:   &opts.SplitLine{Show: opts.Bool(true)},
		}),
		charts.WithToolboxOpts(opts.Toolbox{
			Show:  opts.Bool(true),
			Right: "8",
			Top:   "0",
			Feature: &opts.ToolBoxFeature{
				DataZoom: &opts.ToolBoxFeatureDataZoom{
					Show:       opts.Bool(true),
					YAxisIndex: false,
					Title:      map[string]string{"zoom": "Zoom to a selection", "back": "Undo zoom"},
				},
				Restore:     &opts.ToolBoxFeatureRestore{Show: opts.Bool(true), Title: "Reset zoom"},
				SaveAsImage: &opts.ToolBoxFeatureSaveAsImage{Show: opts.Bool(true), Title: "Save as PNG", Name: "etcdpm-terms"},
			},
		}),
	)
	c.Validate()
	return c.JSON()
}

// stateScaffold is the swimlane: a lane a member (the y axis categories),
// one custom series a state, notable events as markers, shading as above.
func stateScaffold() map[string]any {
	c := charts.NewCustom()
	c.SetGlobalOptions(commonOpts()...)
	c.SetGlobalOptions(
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Type: "scroll", Top: "4", Left: gridLeft, Width: "80%"}),
		charts.WithGridOpts(opts.Grid{Left: gridLeft, Right: gridRight, Top: "40", Bottom: "64"}),
		charts.WithYAxisOpts(opts.YAxis{
			Type:      "category",
			Inverse:   opts.Bool(true),
			SplitLine: &opts.SplitLine{Show: opts.Bool(false)},
		}),
	)
	c.Validate()
	return c.JSON()
}
