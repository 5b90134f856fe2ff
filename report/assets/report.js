// etcdpm report charts. The data comes from a JSON block (JSON.parse, never
// eval); every string in it came from a log and is untrusted. It only reaches
// the page through textContent (tooltips) or the canvas (legend, axes); no
// innerHTML, no HTML string formatter.
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
  var LEADERLESS = 'rgba(220, 38, 38, 0.09)';
  var FAULT = 'rgba(124, 58, 237, 0.07)';
  var FAULT_LINE = 'rgba(124, 58, 237, 0.75)';

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
  function leaderlessArea() {
    return {
      silent: false, z: 0,
      itemStyle: { color: LEADERLESS },
      label: { show: false },
      emphasis: { disabled: true },
      data: data.leaderless.map(function (w) {
        return [{ xAxis: base + w.s }, { xAxis: base + w.e }];
      })
    };
  }
  function faultSpans() { return data.faults.filter(function (f) { return f.e > f.s; }); }
  function faultInstants() { return data.faults.filter(function (f) { return f.e <= f.s; }); }
  function faultArea(withLabels) {
    var few = data.faults.length <= 12;
    return {
      silent: false, z: 0,
      itemStyle: { color: FAULT, borderColor: 'rgba(124, 58, 237, 0.45)', borderWidth: 1, borderType: 'dashed' },
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
      out.push({ id: 'leaderless', name: 'no leader', type: 'line', data: [], z: 0, color: 'rgba(220, 38, 38, 0.35)', markArea: leaderlessArea() });
    }
    if (data.faults.length) {
      out.push({ id: 'faults', name: 'faults', type: 'line', data: [], z: 0, color: 'rgba(124, 58, 237, 0.45)', markArea: faultArea(withLabels), markLine: faultLines(withLabels) });
    }
    return out;
  }
  // legendData lists the series once each, shading with a box icon.
  function legendData(series) {
    var seen = {}, out = [];
    series.forEach(function (s) {
      if (seen[s.name]) { return; }
      seen[s.name] = true;
      var shade = s.id === 'leaderless' || s.id === 'faults';
      out.push(shade ? { name: s.name, icon: 'roundRect' } : { name: s.name });
    });
    return out;
  }

  function spanTip(params) {
    var idx = params.dataIndex;
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
  function termOption() {
    var opt = scaffold['chart-term'];
    var series = [];
    data.terms.forEach(function (s) {
      var m = member(s.m);
      var t = s.t || [], v = s.v || [], st = s.s || [];
      var pts = new Array(t.length);
      for (var i = 0; i < t.length; i++) { pts[i] = [base + t[i], v[i], st[i]]; }
      if (t.length && t[t.length - 1] < data.end) {
        // The last known term holds until the end of the logs.
        pts.push([base + data.end, v[v.length - 1], st[st.length - 1], 1]);
      }
      var marks = [];
      data.leaders.forEach(function (l, k) {
        if (l.m === s.m) { marks.push({ coord: [base + l.s, l.term], lead: k }); }
      });
      series.push({
        id: 'term-' + s.m, name: m.label, type: 'line', step: 'end', data: pts, color: m.color,
        showSymbol: pts.length <= 300, symbol: 'circle', symbolSize: 5,
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
          pts[i] = [base + t[i], v[i], i];
          last = v[i];
        } else {
          pts[i] = [base + t[i], null, i];
          errs.push([base + t[i], last === null ? 0 : last, i]);
        }
      }
      var name = m.label + ' (status)';
      series.push({
        id: 'status-' + s.m, name: name, type: 'line', step: 'end', data: pts, color: m.color,
        showSymbol: pts.length <= 200, symbol: 'emptyCircle', symbolSize: 5, connectNulls: false,
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

  function termTip(params) {
    var id = params.seriesId || '';
    if (params.componentType === 'markArea' || params.componentType === 'markLine') { return spanTip(params); }
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
  [term, state].forEach(function (c) {
    c.on('updateAxisPointer', function (e) {
      var info = (e.axesInfo || []).filter(function (a) { return a.axisDim === 'x'; })[0];
      if (info) { showReadout(info.value); }
    });
  });

  // Keep both time axes on the same window: both span [start, end], so the
  // zoom percentages carry over.
  var syncing = false;
  function follow(from, to) {
    from.on('datazoom', function () {
      if (syncing) { return; }
      var dz = from.getOption().dataZoom[0];
      syncing = true;
      to.dispatchAction({ type: 'dataZoom', start: dz.start, end: dz.end });
      syncing = false;
    });
    from.on('restore', function () {
      if (syncing) { return; }
      syncing = true;
      to.dispatchAction({ type: 'dataZoom', start: 0, end: 100 });
      syncing = false;
    });
  }
  follow(term, state);
  follow(state, term);
  window.addEventListener('resize', function () { term.resize(); state.resize(); });
  window.etcdpmReady = true;
})();
