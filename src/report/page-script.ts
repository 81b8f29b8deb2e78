// The report page's own script, inlined into the HTML (no network, no library): it draws the
// timeline and the histograms on canvases from the JSON the page carries. Plain ES2017 so any
// browser of the last years runs it; `document.body.dataset.rendered` tells a test it is done.
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var COLORS = ['#2e9e5b', '#d1363a', '#f0a030', '#8b5cf6', '#3b82f6', '#9aa0a6'];
  var NAMES = ['succeeded', 'failed', 'failed, retried', 'interrupted', 'running', 'lost'];
  var dpr = window.devicePixelRatio || 1;

  function fmtMs(ms) {
    if (ms < 1000) return Math.round(ms) + ' ms';
    var s = ms / 1000;
    if (s < 60) return (s < 10 ? s.toFixed(1) : Math.round(s)) + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm' + Math.round(s % 60) + 's';
    return Math.floor(m / 60) + 'h' + (m % 60) + 'm';
  }

  function setup(canvas, cssHeight) {
    var w = canvas.parentNode.clientWidth;
    canvas.style.width = w + 'px';
    canvas.style.height = cssHeight + 'px';
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(cssHeight * dpr);
    var ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = '11px system-ui, sans-serif';
    return { ctx: ctx, w: w, h: cssHeight };
  }

  function niceStep(span, target) {
    var raw = span / target;
    var p = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
    var f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
  }

  function drawTimeline() {
    var tl = data.timeline;
    var canvas = document.getElementById('timeline');
    if (!canvas || tl.lanes.length === 0) return;
    var laneH = Math.max(3, Math.min(18, Math.floor(600 / tl.lanes.length)));
    var labelW = 160;
    var top = 4, axis = 22;
    var c = setup(canvas, top + tl.lanes.length * laneH + axis);
    var ctx = c.ctx, plotW = c.w - labelW - 8;
    var x = function (t) { return labelW + (t / tl.span) * plotW; };
    ctx.fillStyle = '#f6f7f9';
    ctx.fillRect(labelW, top, plotW, tl.lanes.length * laneH);
    ctx.fillStyle = '#333';
    ctx.textBaseline = 'middle';
    var every = Math.ceil(12 / laneH);
    for (var l = 0; l < tl.lanes.length; l += every)
      ctx.fillText(tl.lanes[l], 4, top + l * laneH + laneH / 2, labelW - 8);
    var b = tl.bars;
    for (var k = 0; k < b.length; k += 4) {
      var y = top + b[k] * laneH;
      // Whole pixels: a short attempt is still one crisp pixel in its own colour, never a blur.
      var x0 = Math.floor(x(b[k + 1]));
      var w = Math.max(1, Math.round(x(b[k + 1] + b[k + 2])) - x0);
      ctx.fillStyle = COLORS[b[k + 3]];
      ctx.fillRect(x0, y + (laneH > 5 ? 1 : 0), w, laneH > 5 ? laneH - 2 : laneH);
    }
    var step = niceStep(tl.span, 8);
    ctx.fillStyle = '#555';
    ctx.textBaseline = 'top';
    var axisY = top + tl.lanes.length * laneH;
    for (var t = 0; t <= tl.span; t += step) {
      ctx.fillRect(x(t), axisY, 1, 4);
      ctx.fillText('+' + fmtMs(t), x(t) + 2, axisY + 6);
    }
    // Hover: the attempts under the pointer.
    var byLane = {};
    for (var q = 0; q < b.length; q += 4) (byLane[b[q]] = byLane[b[q]] || []).push(q);
    var tip = document.getElementById('timeline-tip');
    canvas.addEventListener('mousemove', function (ev) {
      var r = canvas.getBoundingClientRect();
      var lane = Math.floor((ev.clientY - r.top - top) / laneH);
      var t = ((ev.clientX - r.left - labelW) / plotW) * tl.span;
      var hit = null, list = byLane[lane] || [], slack = (2 / plotW) * tl.span;
      for (var i = 0; i < list.length; i++) {
        var j = list[i];
        if (t >= b[j + 1] - slack && t <= b[j + 1] + b[j + 2] + slack) hit = j;
      }
      tip.textContent = hit === null ? '' : tl.lanes[lane] + ': ' + NAMES[b[hit + 3]] + ', started +' +
        fmtMs(b[hit + 1]) + ', ran ' + fmtMs(b[hit + 2]);
    });
  }

  function drawHistogram(canvas, h) {
    var c = setup(canvas, 150);
    var ctx = c.ctx, left = 40, bottom = 20, plotW = c.w - left - 8, plotH = c.h - bottom - 8;
    var max = Math.max.apply(null, h.counts.concat([1]));
    var bw = plotW / h.counts.length;
    ctx.fillStyle = '#555';
    ctx.textBaseline = 'middle';
    ctx.fillText(String(max), 2, 10);
    ctx.fillText('0', 2, 8 + plotH);
    for (var k = 0; k < h.counts.length; k++) {
      if (!h.counts[k]) continue;
      var bh = Math.max(1, (h.counts[k] / max) * plotH);
      ctx.fillStyle = h.threshold !== null && h.edges[k + 1] > h.threshold ? '#d1363a' : '#4a7bd0';
      ctx.fillRect(left + k * bw + 0.5, 8 + plotH - bh, Math.max(1, bw - 1), bh);
    }
    ctx.fillStyle = '#555';
    ctx.textBaseline = 'top';
    for (var e = 0; e <= h.counts.length; e += 8)
      ctx.fillText(fmtMs(h.edges[e]), left + e * bw - 8, 8 + plotH + 4);
    if (h.threshold !== null && h.threshold <= h.max) {
      var pos = 0;
      for (var s = 0; s < h.counts.length; s++) if (h.edges[s + 1] <= h.threshold) pos = s + 1;
      ctx.fillStyle = '#d1363a';
      ctx.fillRect(left + pos * bw, 8, 1, plotH);
    }
  }

  function render() {
    drawTimeline();
    var hs = document.querySelectorAll('canvas.histogram');
    for (var k = 0; k < hs.length; k++) drawHistogram(hs[k], data.stages[Number(hs[k].dataset.stage)].histogram);
  }
  render();
  var pending = null;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(render, 100);
  });
  document.body.dataset.rendered = '1';
})();
`;
