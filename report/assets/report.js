// etcdpm report charts. The data comes from a JSON block (JSON.parse, never
// eval); every string in it came from a log and is untrusted. It only reaches
// the page through textContent (tooltips) or the canvas (legend, axes); no
// innerHTML, no HTML string formatter.
// It is one file (over 450 lines) because the page allows exactly one
// script of its own, by its hash in the Content-Security-Policy.
(function () {
  'use strict';

  function byId(id) { return document.getElementById(id); }
  var data = JSON.parse(byId('etcdpm-data').textContent);
  var scaffold = JSON.parse(byId('etcdpm-charts').textContent);
  var termEl = byId('chart-term');
  var stateEl = byId('chart-state');
  if (!termEl || !stateEl || typeof echarts === 'undefined') {
    window.etcdpmReady = true;
    return;
  }

  var base = data.base;
  var members = data.members;
  var FAULT_LINE = 'rgba(124, 58, 237, 0.75)';
  var DOWN = 5; // analysis.StateDown

  // hatch returns a fill pattern: a light tint crossed by stripes at an
  // angle of its own, so that overlapping windows stay apart.
  function hatch(tint, stripe, dir) {
    var c = document.createElement('canvas');
    c.width = c.height = 10;
    var g = c.getContext('2d');
    g.fillStyle = tint;
    g.fillRect(0, 0, 10, 10);
    g.strokeStyle = stripe;
    g.lineWidth = 1.5;
    g.beginPath();
    if (dir > 0) { g.moveTo(0, 10); g.lineTo(10, 0); g.moveTo(-5, 5); g.lineTo(5, -5); g.moveTo(5, 15); g.lineTo(15, 5); }
    else if (dir < 0) { g.moveTo(0, 0); g.lineTo(10, 10); g.moveTo(-5, 5); g.lineTo(5, 15); g.moveTo(5, -5); g.lineTo(15, 5); }
    else { g.moveTo(0, 5); g.lineTo(10, 5); }
    g.stroke();
    return { image: c, repeat: 'repeat' };
  }
  var SHADES = {
    leaderless: { fill: hatch('rgba(220, 38, 38, 0.07)', 'rgba(220, 38, 38, 0.30)', 1), legend: 'rgba(220, 38, 38, 0.55)' },
    faults: { fill: hatch('rgba(124, 58, 237, 0.06)', 'rgba(124, 58, 237, 0.28)', -1), legend: 'rgba(124, 58, 237, 0.6)' },
    gaps: { fill: hatch('rgba(107, 114, 128, 0.10)', 'rgba(107, 114, 128, 0.35)', 0), legend: 'rgba(107, 114, 128, 0.6)' }
  };

  // --- formatting -------------------------------------------------------
  function pad(n, w) {
    n = String(n);
    while (n.length < (w || 2)) { n = '0' + n; }
    return n;
  }
  function fmtTime(abs) {
    var d = new Date(abs);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + '.' +
      pad(d.getUTCMilliseconds(), 3);
  }
  function fmtDur(ms) {
    if (ms < 1000) { return Math.round(ms) + 'ms'; }
    if (ms < 60000) { return (ms / 1000).toFixed(1) + 's'; }
    var s = Math.round(ms / 1000);
    if (s < 3600) { return Math.floor(s / 60) + 'm' + pad(s % 60) + 's'; }
    var m = Math.round(s / 60);
    return Math.floor(m / 60) + 'h' + pad(m % 60) + 'm';
  }
  function member(i) { return members[i] || { label: 'unknown', color: '#888', id: '' }; }
  function stateName(s) { return data.states[s] || 'unknown'; }

  // tip builds a tooltip as DOM nodes; every string goes in as text.
  function tip(title, color, rows, line) {
    var box = document.createElement('div');
    box.className = 'tip';
    var head = document.createElement('div');
    head.className = 'tip-title';
    if (color) {
      var dot = document.createElement('span');
      dot.className = 'tip-dot';
      dot.style.backgroundColor = color;
      head.appendChild(dot);
    }
    head.appendChild(document.createTextNode(String(title)));
    box.appendChild(head);
    rows.forEach(function (r) {
      if (r[1] === undefined || r[1] === null || r[1] === '') { return; }
      var row = document.createElement('div');
      row.className = 'tip-row';
      var k = document.createElement('span');
      k.className = 'tip-k';
      k.textContent = r[0];
      var v = document.createElement('span');
      v.textContent = String(r[1]);
      row.appendChild(k);
      row.appendChild(v);
      box.appendChild(row);
    });
    if (line) {
      var pre = document.createElement('div');
      pre.className = 'tip-line';
      pre.textContent = String(line);
      box.appendChild(pre);
    }
    return box;
  }

  // --- shading shared by both charts ---------------------------------------
  // windowArea shades windows (leaderless, gaps) with the hatch of kind.
  function windowArea(kind, windows) {
    return {
      silent: false, z: 0,
      itemStyle: { color: SHADES[kind].fill },
      label: { show: false },
      emphasis: { disabled: true },
      data: windows.map(function (w) { return [{ xAxis: base + w.s }, { xAxis: base + w.e }]; })
    };
  }
  function faultSpans() { return data.faults.filter(function (f) { return f.e > f.s; }); }
  function faultInstants() { return data.faults.filter(function (f) { return f.e <= f.s; }); }
  function faultArea(withLabels) {
    var few = data.faults.length <= 12;
    return {
      silent: false, z: 0,
      itemStyle: { color: SHADES.faults.fill, borderColor: 'rgba(124, 58, 237, 0.45)', borderWidth: 1, borderType: 'dashed' },
      label: { show: withLabels && few, position: 'insideTopLeft', color: '#5b21b6', fontSize: 11 },
      emphasis: { disabled: true },
      data: faultSpans().map(function (f, k) {
        // Stagger the labels so that faults starting close together stay readable.
        return [{ xAxis: base + f.s, name: f.label, label: { offset: [0, 13 * (k % 3)] } }, { xAxis: base + f.e }];
      })
    };
  }
  function faultLines(withLabels) {
    var few = data.faults.length <= 12;
    return {
      silent: false,
      symbol: ['none', 'none'],
      lineStyle: { color: FAULT_LINE, type: 'solid', width: 1.5 },
      label: { show: withLabels && few, position: 'insideEndTop', color: '#5b21b6', fontSize: 11, formatter: '{b}' },
      emphasis: { disabled: true },
      data: faultInstants().map(function (f) { return { xAxis: base + f.s, name: f.label }; })
    };
  }
  function shadingSeries(withLabels) {
    var out = [];
    if (data.leaderless.length) {
      out.push({ id: 'leaderless', name: 'no leader', type: 'line', data: [], z: 0, color: SHADES.leaderless.legend, markArea: windowArea('leaderless', data.leaderless) });
    }
    if (data.faults.length) {
      out.push({ id: 'faults', name: 'faults', type: 'line', data: [], z: 0, color: SHADES.faults.legend, markArea: faultArea(withLabels), markLine: faultLines(withLabels) });
    }
    if (data.gaps.length) {
      out.push({ id: 'gaps', name: 'no log data', type: 'line', data: [], z: 0, color: SHADES.gaps.legend, markArea: windowArea('gaps', data.gaps) });
    }
    return out;
  }
  // legendData lists the series once each, shading with a box icon.
  function legendData(series) {
    var seen = {}, out = [];
    series.forEach(function (s) {
      if (seen[s.name]) { return; }
      seen[s.name] = true;
      var shade = SHADES[s.id];
      out.push(shade ? { name: s.name, icon: 'roundRect', itemStyle: { color: shade.fill, borderColor: shade.legend, borderWidth: 1 } } : { name: s.name });
    });
    return out;
  }

  function spanTip(params) {
    var idx = params.dataIndex;
    if (params.seriesId === 'gaps') {
      var g = data.gaps[idx];
      if (!g) { return ''; }
      return tip('No log data', SHADES.gaps.legend, [
        ['from', fmtTime(base + g.s)], ['to', fmtTime(base + g.e)], ['lasted', fmtDur(g.e - g.s)]
      ], 'No member logged a line in this window: the charts cannot say what happened here.');
    }
    if (params.seriesId === 'leaderless') {
      var w = data.leaderless[idx];
      if (!w) { return ''; }
      return tip('No leader', 'rgba(220, 38, 38, 0.6)', [
        ['from', fmtTime(base + w.s)], ['to', fmtTime(base + w.e)], ['lasted', fmtDur(w.e - w.s)]
      ]);
    }
    var list = params.componentType === 'markLine' ? faultInstants() : faultSpans();
    var f = list[idx];
    if (!f) { return ''; }
    return tip('Fault: ' + f.label, FAULT_LINE, [
      ['target', f.target], ['from', fmtTime(base + f.s)],
      ['to', f.e > f.s ? fmtTime(base + f.e) : ''], ['lasted', f.e > f.s ? fmtDur(f.e - f.s) : '']
    ]);
  }

  // --- term chart -------------------------------------------------------
  // termPoints is a member's term line: [time, term, state, held, index].
  // Where the member is down (its lane says so, or a fault stopped it)
  // the line breaks: a point with no term, never its last term held on.
  function termPoints(s) {
    var t = s.t || [], v = s.v || [], st = s.s || [];
    var stops = data.stopped.filter(function (w) { return w.m === s.m; });
    var pts = [], k = 0;
    function breakAt(rel) { pts.push([base + rel, null, DOWN, 0, -1]); }
    for (var i = 0; i < t.length; i++) {
      while (k < stops.length && stops[k].s <= t[i]) { breakAt(stops[k].s); k++; }
      pts.push(st[i] === DOWN ? [base + t[i], null, DOWN, 0, i] : [base + t[i], v[i], st[i], 0, i]);
    }
    for (; k < stops.length; k++) { breakAt(stops[k].s); }
    pts.sort(function (a, b) { return a[0] - b[0]; });
    var last = pts[pts.length - 1];
    var stoppedAtEnd = stops.some(function (w) { return w.e >= data.end; });
    if (last && last[1] !== null && !stoppedAtEnd && last[0] < base + data.end) {
      // The last known term holds until the end of the logs.
      pts.push([base + data.end, last[1], last[2], 1, -1]);
    }
    return pts;
  }
  // termSymbol draws a marker where the term or the state changes, none on
  // the point that carries the line to the end or breaks it.
  function termSymbol(value) { return value[3] || value[1] === null ? 0 : 5; }
  // statusSymbol marks the polls where something changed (term, leader,
  // success): not every 250 ms.
  function statusSymbol(pts) {
    var mark = {};
    for (var i = 0; i < pts.length; i++) {
      var a = pts[i - 1], b = pts[i];
      if (!a || a[1] !== b[1] || a[3] !== b[3]) { mark[b[0]] = true; }
    }
    return function (value) { return mark[value[0]] ? 5 : 0; };
  }
  function termOption() {
    var opt = scaffold['chart-term'];
    var series = [];
    data.terms.forEach(function (s) {
      var m = member(s.m);
      var t = s.t || [], v = s.v || [], st = s.s || [];
      var pts = termPoints(s);
      var marks = [];
      data.leaders.forEach(function (l, k) {
        if (l.m === s.m) { marks.push({ coord: [base + l.s, l.term], lead: k }); }
      });
      termSeriesData['term-' + s.m] = pts;
      series.push({
        id: 'term-' + s.m, name: m.label, type: 'line', step: 'end', data: pts, color: m.color,
        showSymbol: pts.length <= 300, symbol: 'circle', symbolSize: termSymbol, connectNulls: false,
        lineStyle: { width: 2 }, emphasis: { focus: 'series' }, z: 3,
        markPoint: {
          symbol: 'diamond', symbolSize: data.leaders.length > 60 ? 7 : 12, label: { show: false },
          itemStyle: { color: m.color, borderColor: '#fff', borderWidth: 1.5 },
          data: marks
        }
      });
    });
    data.status.forEach(function (s) {
      var m = member(s.m);
      var t = s.t || [], v = s.v || [];
      var pts = new Array(t.length), errs = [], last = null;
      for (var i = 0; i < t.length; i++) {
        if (v[i] >= 0) {
          pts[i] = [base + t[i], v[i], i, s.l[i]];
          last = v[i];
        } else {
          pts[i] = [base + t[i], null, i, -2];
          // A failed poll is marked where the failures start or change, not
          // every 250 ms.
          if (i === 0 || v[i - 1] >= 0 || s.e[i - 1] !== s.e[i]) {
            errs.push([base + t[i], last === null ? 0 : last, i]);
          }
        }
      }
      var name = m.label + ' (status)';
      termSeriesData['status-' + s.m] = pts;
      series.push({
        id: 'status-' + s.m, name: name, type: 'line', step: 'end', data: pts, color: m.color,
        showSymbol: true, symbol: 'emptyCircle', symbolSize: statusSymbol(pts), connectNulls: false,
        lineStyle: { width: 1.5, type: 'dashed' }, z: 2
      });
      if (errs.length) {
        series.push({
          id: 'statuserr-' + s.m, name: name, type: 'scatter', data: errs, color: m.color,
          symbol: 'triangle', symbolSize: 6, z: 4,
          itemStyle: { color: '#fff', borderColor: m.color, borderWidth: 1.2 }
        });
      }
    });
    series = series.concat(shadingSeries(true));
    opt.series = series;
    opt.legend.data = legendData(series);
    opt.useUTC = true;
    opt.xAxis[0].min = base + data.start;
    opt.xAxis[0].max = base + data.end;
    opt.dataZoom[1].show = false;
    opt.yAxis[0].nameLocation = 'middle';
    opt.yAxis[0].nameGap = 44;
    opt.tooltip.formatter = termTip;
    opt.tooltip.extraCssText = 'max-width:540px;';
    return opt;
  }

  // A data point's tooltip wins over the window shaded under it: over a
  // shaded window, the point nearest the pointer (within 8 px) answers.
  var termSeriesData = {}, termPointer = null, termChart = null;
  function pointUnder() {
    if (!termPointer || !termChart) { return null; }
    var x = termPointer[0], y = termPointer[1];
    var at = termChart.convertFromPixel({ xAxisIndex: 0 }, x);
    var best = null, bestD = 8;
    Object.keys(termSeriesData).forEach(function (id) {
      var pts = termSeriesData[id];
      var lo = 0, hi = pts.length - 1;
      while (lo < hi) {
        var mid = (lo + hi) >> 1;
        if (pts[mid][0] < at) { lo = mid + 1; } else { hi = mid; }
      }
      [lo - 1, lo].forEach(function (i) {
        var p = pts[i];
        if (!p || p[1] === null) { return; }
        var px = termChart.convertToPixel({ xAxisIndex: 0, yAxisIndex: 0 }, [p[0], p[1]]);
        var dd = Math.sqrt((px[0] - x) * (px[0] - x) + (px[1] - y) * (px[1] - y));
        if (dd < bestD) { bestD = dd; best = { seriesId: id, data: p, dataIndex: i, componentType: 'series' }; }
      });
    });
    return best;
  }

  function termTip(params) {
    var id = params.seriesId || '';
    if (params.componentType === 'markArea' || params.componentType === 'markLine') {
      var under = pointUnder();
      return under ? termTip(under) : spanTip(params);
    }
    if (params.componentType === 'markPoint') {
      var l = data.leaders[params.data && params.data.lead];
      if (!l) { return ''; }
      var lm = member(l.m);
      return tip(lm.label + ' became leader', lm.color, [
        ['term', l.term], ['from', fmtTime(base + l.s)], ['to', fmtTime(base + l.e)], ['led for', fmtDur(l.e - l.s)]
      ]);
    }
    var d = params.data || [];
    if (id.indexOf('term-') === 0) {
      var m = member(+id.slice(5));
      return tip(m.label, m.color, [
        ['time', fmtTime(d[0])], ['term', d[1]], ['state', stateName(d[2])],
        ['id', m.id], ['', d[3] ? 'last known term, held to the end of the logs' : '']
      ]);
    }
    if (id.indexOf('status-') === 0 || id.indexOf('statuserr-') === 0) {
      var mi = +id.slice(id.indexOf('-') + 1);
      var sm = member(mi);
      var ss = null;
      data.status.forEach(function (x) { if (x.m === mi) { ss = x; } });
      var i = d[2];
      if (!ss || i === undefined) { return ''; }
      var ok = ss.v[i] >= 0;
      var leader = ss.l[i] >= 0 ? member(ss.l[i]).label : '';
      return tip(sm.label + ' (status poll)', sm.color, [
        ['time', fmtTime(base + ss.t[i])], ['term', ok ? ss.v[i] : ''], ['leader', ok ? leader : ''],
        ['error', !ok ? (ss.errs[ss.e[i]] || 'poll failed') : '']
      ]);
    }
    return '';
  }

  // --- state swimlane ------------------------------------------------------
  var LANE_STATES = [1, 2, 3, 4, 5]; // follower, pre-candidate, candidate, leader, down

  function renderLane(params, api) {
    var laneIdx = api.value(0);
    var a = api.coord([api.value(1), laneIdx]);
    var b = api.coord([api.value(2), laneIdx]);
    var h = api.size([0, 1])[1] * 0.46;
    var cs = params.coordSys;
    var rect = echarts.graphic.clipRectByRect(
      { x: a[0], y: a[1] - h / 2 + h * 0.12, width: Math.max(b[0] - a[0], 1), height: h },
      { x: cs.x, y: cs.y, width: cs.width, height: cs.height });
    return rect && { type: 'rect', transition: [], shape: rect, style: api.style() };
  }

  function stateOption(laneHeight) {
    var opt = scaffold['chart-state'];
    var series = [];
    LANE_STATES.forEach(function (st) {
      var rows = [];
      data.lanes.forEach(function (ln) {
        var s = ln.s || [];
        for (var i = 0; i < s.length; i++) {
          if (ln.st[i] === st) { rows.push([ln.m, base + s[i], base + ln.e[i], ln.term[i], st]); }
        }
      });
      series.push({
        id: 'state-' + st, name: stateName(st), type: 'custom', renderItem: renderLane,
        itemStyle: { color: data.stateColors[st] }, legendIcon: 'roundRect', encode: { x: [1, 2], y: 0 }, data: rows
      });
    });
    series.push({
      id: 'events', name: 'events', type: 'scatter', color: '#334155', z: 5,
      symbol: 'circle', symbolSize: 6, symbolOffset: [0, -laneHeight * 0.36],
      itemStyle: { opacity: 0.85, borderColor: '#fff', borderWidth: 0.5 },
      data: data.events.map(function (e, k) { return [base + e.t, e.m, k]; })
    });
    series = series.concat(shadingSeries(false));
    opt.series = series;
    opt.legend.data = legendData(series);
    opt.useUTC = true;
    opt.yAxis[0].data = members.map(function (m) { return m.label; });
    opt.dataZoom[1].showDataShadow = false;
    opt.dataZoom[1].height = 18;
    opt.dataZoom[1].bottom = 8;
    opt.yAxis[0].axisLabel = { width: 116, overflow: 'truncate' };
    opt.xAxis[0].min = base + data.start;
    opt.xAxis[0].max = base + data.end;
    opt.tooltip.formatter = stateTip;
    opt.tooltip.extraCssText = 'max-width:540px;';
    return opt;
  }

  function stateTip(params) {
    var id = params.seriesId || '';
    if (params.componentType === 'markArea' || params.componentType === 'markLine') { return spanTip(params); }
    var d = params.data || [];
    if (id === 'events') {
      var e = data.events[d[2]];
      if (!e) { return ''; }
      var em = member(e.m);
      return tip(e.k + ' · ' + em.label, em.color, [
        ['time', fmtTime(base + e.t)], ['term', e.term || ''], ['source', e.src]
      ], e.text);
    }
    if (id.indexOf('state-') === 0) {
      var m = member(d[0]);
      return tip(m.label + ': ' + stateName(d[4]), data.stateColors[d[4]], [
        ['from', fmtTime(d[1])], ['to', fmtTime(d[2])], ['lasted', fmtDur(d[2] - d[1])], ['term', d[3]]
      ]);
    }
    return '';
  }

  // --- readout: every member's term and state at the hovered time ----------
  // The tooltips answer for one point; the readout answers for one time,
  // wherever the pointer is, even where the lines are too dense for symbols.
  function lastAtOrBefore(ts, rel) {
    var lo = 0, hi = ts.length - 1, at = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (ts[mid] <= rel) { at = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return at;
  }
  var termOf = {}, laneOf = {};
  data.terms.forEach(function (s) { termOf[s.m] = s; });
  data.lanes.forEach(function (ln) { laneOf[ln.m] = ln; });
  var readout = byId('readout');
  function showReadout(abs) {
    if (!readout) { return; }
    var rel = abs - base;
    readout.textContent = '';
    var head = document.createElement('span');
    head.className = 'ro-time';
    head.textContent = fmtTime(abs) + ' UTC';
    readout.appendChild(head);
    members.forEach(function (m, i) {
      var s = termOf[i], ln = laneOf[i];
      var k = s ? lastAtOrBefore(s.t || [], rel) : -1;
      var state = '';
      if (ln) {
        var j = lastAtOrBefore(ln.s || [], rel);
        if (j >= 0 && rel < ln.e[j]) { state = stateName(ln.st[j]); }
      }
      if (k < 0 && !state) { return; }
      var item = document.createElement('span');
      item.className = 'ro-item';
      var dot = document.createElement('span');
      dot.className = 'tip-dot';
      dot.style.backgroundColor = m.color;
      item.appendChild(dot);
      var name = document.createElement('b');
      name.textContent = m.label;
      item.appendChild(name);
      item.appendChild(document.createTextNode(
        (k >= 0 ? ' term ' + s.v[k] : '') + (state ? ', ' + state : '')));
      readout.appendChild(item);
    });
  }
  // Time axis labels in UTC (useUTC), one template a level of detail.
  var TIME_LABELS = {
    year: '{yyyy}', month: '{MMM} {yyyy}', day: '{MMM} {d}', hour: '{HH}:{mm}',
    minute: '{HH}:{mm}', second: '{HH}:{mm}:{ss}', millisecond: '{HH}:{mm}:{ss}.{SSS}'
  };

  function axisPointer() {
    return {
      show: true, type: 'line', snap: false, triggerTooltip: false,
      label: { show: true, formatter: function (p) { return fmtTime(p.value).slice(11); } }
    };
  }

  // --- the metrics chart: under the term chart, on its time axis ----------
  // A member's series share its name (one legend entry a member) and its
  // colour; each point carries [time, value, index, serie].
  var METRICS = [
    { key: 'f', axis: 0, type: 'line', dash: 'solid', title: 'WAL fsync p99' },
    { key: 'c', axis: 0, type: 'line', dash: 'dotted', title: 'backend commit p99' },
    { key: 'r', axis: 1, type: 'line', dash: 'solid', title: 'peer RTT p99' },
    { key: 'h', axis: 2, type: 'bar', dash: 'solid', title: 'heartbeat send failures' }
  ];
  function metricsOption() {
    var opt = scaffold['chart-metrics'];
    var series = [];
    var limit = {
      silent: true, symbol: 'none',
      label: { show: true, position: 'insideEndTop', formatter: 'heartbeat interval ' + data.heartbeatMs + ' ms', color: '#b91c1c' },
      lineStyle: { color: '#dc2626', type: 'dashed', width: 1.2 },
      data: [{ yAxis: data.heartbeatMs }]
    };
    data.metrics.forEach(function (s, k) {
      var m = member(s.m);
      METRICS.forEach(function (x) {
        var v = s[x.key] || [];
        var pts = s.t.map(function (t, i) { return [base + t, v[i] > 0 ? v[i] : null, i, k]; });
        var ser = {
          id: 'metrics-' + x.key + '-' + s.m, name: m.label, type: x.type, data: pts, color: m.color,
          xAxisIndex: x.axis, yAxisIndex: x.axis, metric: x.key
        };
        if (x.type === 'line') {
          // An interval without a sync or a probe has no p99: the line
          // joins the intervals that had one, each marked.
          ser.showSymbol = pts.length <= 300;
          ser.symbolSize = 4;
          ser.connectNulls = true;
          ser.lineStyle = { width: x.dash === 'solid' ? 2 : 1.5, type: x.dash };
          if (k === 0 && x.key !== 'c') { ser.markLine = limit; }
        } else {
          ser.barWidth = 4;
        }
        series.push(ser);
      });
    });
    series = series.concat(shadingSeries(false));
    opt.series = series;
    opt.legend.data = legendData(series);
    opt.useUTC = true;
    opt.axisPointer = { link: [{ xAxisIndex: 'all' }] };
    // The heartbeat interval's line stays in view above the data.
    [0, 1].forEach(function (i) {
      opt.yAxis[i].max = function (v) { return Math.pow(10, Math.ceil(Math.log10(Math.max(v.max, data.heartbeatMs * 1.5)))); };
    });
    opt.xAxis.forEach(function (ax) {
      ax.min = base + data.start;
      ax.max = base + data.end;
      ax.axisPointer = axisPointer();
    });
    opt.xAxis[2].axisLabel.formatter = TIME_LABELS;
    opt.tooltip.formatter = metricsTip;
    return opt;
  }
  function metricsTip(params) {
    var v = params.value || [], s = data.metrics[v[3]];
    if (!s) { return ''; }
    var i = v[2], m = member(s.m);
    function ms(x) { return x > 0 ? x + ' ms' : '–'; }
    return tip(m.label, m.color, [
      ['at', fmtTime(base + s.t[i])],
      ['WAL fsync p99', ms(s.f[i])],
      ['backend commit p99', ms(s.c[i])],
      ['peer RTT p99', ms(s.r[i])],
      ['heartbeat send failures', String(s.h[i])],
      ['leader', s.l[i] ? 'yes' : 'no'],
      ['restarted', s.x[i] ? 'yes' : '']
    ]);
  }

  // --- wiring -------------------------------------------------------------
  var lanes = Math.max(members.length, 1);
  var laneHeight = 34;
  stateEl.style.height = (40 + 64 + lanes * laneHeight) + 'px';
  var term = echarts.init(termEl, null, { renderer: 'canvas' });
  var state = echarts.init(stateEl, null, { renderer: 'canvas' });
  var termOpt = termOption(), stateOpt = stateOption(laneHeight);
  [termOpt, stateOpt].forEach(function (o) {
    o.xAxis[0].axisPointer = axisPointer();
    o.xAxis[0].axisLabel.formatter = TIME_LABELS;
  });
  term.setOption(termOpt);
  state.setOption(stateOpt);
  termChart = term;
  var termIndex = {};
  termOpt.series.forEach(function (s, i) { termIndex[s.id] = i; });
  term.getZr().on('mousemove', function (e) {
    termPointer = [e.offsetX, e.offsetY];
    // Near a point, its tooltip, whatever is under the pointer (a shaded
    // window, the line between markers).
    var u = pointUnder();
    if (u) {
      term.dispatchAction({ type: 'showTip', seriesIndex: termIndex[u.seriesId], dataIndex: u.dataIndex });
    }
  });
  term.getZr().on('globalout', function () { termPointer = null; });
  [term, state].forEach(function (c) {
    c.on('updateAxisPointer', function (e) {
      var info = (e.axesInfo || []).filter(function (a) { return a.axisDim === 'x'; })[0];
      if (info) { showReadout(info.value); }
    });
  });

  // Keep every time axis on the same window: all span [start, end], so the
  // zoom percentages carry over.
  var charts = [term, state];
  var metricsEl = byId('chart-metrics');
  if (metricsEl && data.metrics && data.metrics.length) {
    var metrics = echarts.init(metricsEl, null, { renderer: 'canvas' });
    metrics.setOption(metricsOption());
    charts.push(metrics);
    metrics.on('updateAxisPointer', function (e) {
      var info = (e.axesInfo || []).filter(function (a) { return a.axisDim === 'x'; })[0];
      if (info) { showReadout(info.value); }
    });
  }
  var syncing = false;
  function follow(from) {
    function to(start, end) {
      if (syncing) { return; }
      syncing = true;
      charts.forEach(function (c) {
        if (c !== from) { c.dispatchAction({ type: 'dataZoom', start: start, end: end }); }
      });
      syncing = false;
    }
    from.on('datazoom', function () {
      var dz = from.getOption().dataZoom[0];
      to(dz.start, dz.end);
    });
    from.on('restore', function () { to(0, 100); });
  }
  charts.forEach(follow);

  // Open on the incident, the quiet minutes around it folded away; the
  // buttons show everything or go back.
  function zoomTo(s, e) { state.dispatchAction({ type: 'dataZoom', startValue: base + s, endValue: base + e }); }
  if (data.focus) {
    zoomTo(data.focus[0], data.focus[1]);
    var all = byId('zoom-all'), inc = byId('zoom-incident');
    if (all) { all.addEventListener('click', function () { zoomTo(data.start, data.end); }); }
    if (inc) { inc.addEventListener('click', function () { zoomTo(data.focus[0], data.focus[1]); }); }
  }
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  window.etcdpmReady = true;
})();
