/* Immersion dashboard: DOM helpers, number formats and chart drawing (uPlot + SVG).
 *
 * Everything here builds DOM with createElement/textContent: the learner's strings (titles,
 * paths) are never parsed as HTML. Each chart container gets data-points (how many x values
 * it drew) so tests and people can tell an empty chart from a broken one.
 */
(function () {
  "use strict";

  const SVG_NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2",
    "#eeca3b", "#9d755d"];
  const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const plots = new Map(); // container id -> uPlot instance

  /* ---------------------------------------------------------------- DOM and formats */

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined) continue;
      if (name === "class") node.className = value;
      else node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child)); // strings become text nodes
    }
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const pad2 = (n) => String(n).padStart(2, "0");

  function fmtMin(minutes) {
    if (minutes === null || minutes === undefined) return "–";
    const total = Math.round(minutes);
    if (total < 60) return total + " min";
    return Math.floor(total / 60) + " h " + pad2(total % 60) + " min";
  }

  const fmtMs = (ms) => fmtMin(ms / 60000);
  const fmtInt = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"));
  const fmtNum = (x, digits) => (x === null || x === undefined ? "–" : x.toFixed(digits));

  function fmtTime(ms) {
    if (ms === null || ms === undefined) return "–";
    const d = new Date(ms);
    return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate()) + " " +
      pad2(d.getHours()) + ":" + pad2(d.getMinutes());
  }

  /** "2026-03-08" or "2026-03" -> local midnight of that day (or the month's first day). */
  function parseDay(key) {
    const [y, m, d] = key.split("-").map(Number);
    return new Date(y, m - 1, d || 1);
  }

  const daySeconds = (key) => parseDay(key).getTime() / 1000;

  function table(columns, rows, emptyText) {
    if (!rows.length) return h("p", { class: "empty" }, emptyText);
    const head = h("tr", null, ...columns.map((c) => h("th", { class: c.num ? "num" : null }, c.label)));
    const body = rows.map((row) => h("tr", null, ...columns.map((c) =>
      h("td", { class: c.num ? "num" : null }, c.cell(row)))));
    return h("table", null, h("thead", null, head), h("tbody", null, ...body));
  }

  /* ---------------------------------------------------------------- uPlot charts */

  function size(container) {
    return { width: Math.max(260, container.clientWidth - 4), height: 220 };
  }

  function empty(container, message) {
    destroy(container);
    container.replaceChildren(h("p", { class: "empty" }, message));
    container.dataset.points = "0";
  }

  function destroy(container) {
    const old = plots.get(container.id);
    if (old) old.destroy();
    plots.delete(container.id);
  }

  function draw(container, options, data) {
    destroy(container);
    container.replaceChildren();
    const plot = new uPlot(Object.assign(size(container), options), data, container);
    plots.set(container.id, plot);
    container.dataset.points = String(data[0].length);
    return plot;
  }

  window.addEventListener("resize", () => {
    for (const [id, plot] of plots) {
      const container = document.getElementById(id);
      if (container) plot.setSize(size(container));
    }
  });

  const bars = () => uPlot.paths.bars({ size: [0.7, 48], gap: 1 });

  /** x padding of half a bucket, so the first and last bars are drawn whole. */
  function paddedRange(half) {
    return (u, min, max) => [min - half, max + half];
  }

  /** Minutes are plotted as hours once the tallest bar reaches two hours (round ticks). */
  function minuteUnit(values) {
    const top = Math.max(0, ...values.filter((v) => v !== null));
    return top >= 120 ? { per: 60, suffix: " h" } : { per: 1, suffix: " min" };
  }

  /** A y axis from zero, in minutes or hours. */
  function minuteAxis(unit) {
    return { values: (u, ticks) => ticks.map((t) => t + unit.suffix), size: 64 };
  }

  const fromZero = { range: (u, min, max) => [0, max > 0 ? max * 1.08 : 1] };

  /** Bars of minutes over day or month buckets; ``series``: [{label, values, color, value}]
   *  where ``value`` formats the legend (default: the plotted minutes). */
  function timeBars(container, keys, series) {
    const month = keys.length && keys[0].length === 7;
    const half = month ? 15 * 86400 : 43200;
    const unit = minuteUnit(series.flatMap((s) => s.values));
    return draw(container, {
      scales: { x: { time: true, range: paddedRange(half) }, y: fromZero },
      axes: [{}, minuteAxis(unit)],
      series: [{ label: month ? "Month" : "Day",
        value: (u, t) => (t === null ? "–" : keyOf(t, month)) },
        ...series.map((s, i) => ({
          label: s.label, fill: s.color || PALETTE[i], stroke: s.color || PALETTE[i],
          paths: bars(), points: { show: false },
          value: s.value || ((u, v) => (v === null ? "–" : fmtMin(v * unit.per))),
        }))],
    }, [keys.map(daySeconds),
      ...series.map((s) => s.values.map((v) => (v ? v / unit.per : null)))]);
  }

  function keyOf(seconds, month) {
    const d = new Date(seconds * 1000);
    const key = d.getFullYear() + "-" + pad2(d.getMonth() + 1);
    return month ? key : key + "-" + pad2(d.getDate());
  }

  /** Bars of one value per bucket, or an empty state when every value is zero. */
  function barChart(container, keys, label, values, emptyText) {
    if (!values.some((v) => v)) return empty(container, emptyText);
    return timeBars(container, keys, [{ label, values }]);
  }

  /** Minutes per day stacked by video: each series is drawn as the sum of itself and the
   *  series after it, first (tallest) first, so every band shows one video. */
  function stackedBars(container, keys, shows, emptyText) {
    if (!shows.some((s) => s.active_min.some((v) => v))) return empty(container, emptyText);
    // A video's band is empty (null) on days it was not watched, so it draws no outline.
    const stacks = shows.map((s, i) => keys.map((k, day) => (s.active_min[day] ?
      shows.slice(i).reduce((sum, other) => sum + other.active_min[day], 0) : null)));
    return timeBars(container, keys, shows.map((s, i) => ({
      label: s.title, values: stacks[i], color: PALETTE[i % PALETTE.length],
      value: (u, v, si, idx) => (idx === null || idx === undefined ? "–" :
        fmtMin(s.active_min[idx])),
    })));
  }

  /** Lines over time buckets; ``series``: [{label, values, scale, digits}]. */
  function lineChart(container, keys, series, emptyText) {
    if (!series.some((s) => s.values.some((v) => v !== null && v !== 0))) {
      return empty(container, emptyText);
    }
    const month = keys.length && keys[0].length === 7;
    const scales = [...new Set(series.map((s) => s.scale || "y"))];
    return draw(container, {
      scales: { x: { time: true } },
      axes: [{}, ...scales.slice(0, 2).map((scale, i) => Object.assign({
        scale, side: i === 0 ? 3 : 1, size: 60, grid: { show: i === 0 },
      }, scales.length > 1 ? { stroke: PALETTE[i] } : {}))],
      series: [{ label: month ? "Month" : "Day",
        value: (u, t) => (t === null ? "–" : keyOf(t, month)) },
        ...series.map((s, i) => ({
          label: s.label, scale: s.scale || "y", stroke: PALETTE[i], width: 2,
          spanGaps: false, points: { show: true, size: 5 },
          value: (u, v) => fmtNum(v, s.digits === undefined ? 2 : s.digits),
        }))],
    }, [keys.map(daySeconds), ...series.map((s) => s.values)]);
  }

  /** Bars over fixed categories (weekdays, hours). */
  function categoryBars(container, labels, values, emptyText) {
    if (!values.some((v) => v)) return empty(container, emptyText);
    const unit = minuteUnit(values);
    return draw(container, {
      scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: fromZero },
      axes: [{ values: (u, ticks) => ticks.map((t) => labels[t] ?? ""), space: 28,
        incrs: [1, 2, 3, 6] }, minuteAxis(unit)],
      series: [{ label: "When", value: (u, t) => labels[t] ?? "–" },
        { label: "active", fill: PALETTE[0], stroke: PALETTE[0], paths: bars(),
          points: { show: false }, value: (u, v) => (v === null ? "–" : fmtMin(v * unit.per)) }],
    }, [labels.map((l, i) => i), values.map((v) => (v ? v / unit.per : null))]);
  }

  /** Points in lanes over real time (session events); ``lanes``: [{label, times}] in ms. */
  function laneChart(container, lanes, range, emptyText) {
    if (!lanes.some((l) => l.times.length)) return empty(container, emptyText);
    const times = [...new Set(lanes.flatMap((l) => l.times))].sort((a, b) => a - b);
    const index = new Map(times.map((t, i) => [t, i]));
    const data = [times.map((t) => t / 1000), ...lanes.map((lane, n) => {
      const ys = times.map(() => null);
      for (const t of lane.times) ys[index.get(t)] = lanes.length - n; // first lane on top
      return ys;
    })];
    return draw(container, {
      height: 60 + 26 * lanes.length,
      cursor: { sync: { key: "session" } },
      scales: { x: { time: true, range: () => range.map((ms) => ms / 1000) },
        y: { range: [0.5, lanes.length + 0.5] } },
      axes: [{}, { values: (u, ticks) => ticks.map((t) => (lanes[lanes.length - t] || {}).label || ""),
        incrs: [1], space: 12, size: 70 }],
      series: [{}, ...lanes.map((lane, i) => ({
        label: lane.label, stroke: PALETTE[i], fill: PALETTE[i], paths: () => null,
        points: { show: true, size: 9, fill: PALETTE[i] },
        value: (u, v) => (v === null ? "" : lane.label),
      }))],
    }, data);
  }

  /** Counters over real time (a session's telemetry samples); ``range``: [from, to] in ms. */
  function timelineChart(container, times, range, series, emptyText) {
    if (!times.length) return empty(container, emptyText);
    return draw(container, {
      cursor: { sync: { key: "session" } },
      scales: { x: { time: true, range: () => range.map((ms) => ms / 1000) } },
      axes: [{}, { scale: "min", size: 60, stroke: PALETTE[0] },
        { scale: "n", side: 1, size: 60, grid: { show: false }, stroke: PALETTE[1] }],
      series: [{}, ...series.map((s, i) => ({
        label: s.label, scale: s.scale, stroke: PALETTE[i], width: 2,
        value: (u, v) => (v === null ? "–" : s.format(v)),
      }))],
    }, [times.map((ms) => ms / 1000), ...series.map((s) => s.values)]);
  }

  /* ---------------------------------------------------------------- calendar heat map */

  function level(minutes) {
    if (!minutes) return 0;
    if (minutes < 15) return 1;
    if (minutes < 30) return 2;
    return minutes < 60 ? 3 : 4;
  }

  /** GitHub-style heat map: one column per week (Monday on top), one cell per day, sized to
   *  fill the container's width. */
  function calendar(container, days) {
    destroy(container);
    const left = 30, top = 16;
    const offset = (parseDay(days[0].day).getDay() + 6) % 7; // Monday = 0
    const weeks = Math.ceil((days.length + offset) / 7);
    const step = Math.max(10, Math.min(22, Math.floor((container.clientWidth - left) / weeks)));
    const cell = step - 2;
    const root = svg("svg", { width: left + weeks * step, height: top + 7 * step + 4,
      role: "img", "aria-label": "active minutes per day" });
    [["Mon", 0], ["Wed", 2], ["Fri", 4]].forEach(([label, row]) =>
      root.append(svg("text", { x: 0, y: top + row * step + cell - 2, class: "cal-label" }, label)));
    let active = 0;
    let labelledColumn = -3;
    days.forEach((entry, i) => {
      const column = Math.floor((i + offset) / 7), row = (i + offset) % 7;
      const date = parseDay(entry.day);
      // A month's name over the week of its first day (not over a partial first week).
      if (date.getDate() <= 7 && row === 0 && column - labelledColumn >= 3) {
        labelledColumn = column;
        root.append(svg("text", { x: left + column * step, y: 10, class: "cal-label" },
          date.toLocaleString("en-US", { month: "short" })));
      }
      const rect = svg("rect", { x: left + column * step, y: top + row * step, width: cell,
        height: cell, rx: 2, class: "cal l" + level(entry.active_min), "data-day": entry.day,
        "data-min": entry.active_min });
      rect.append(svg("title", {}, entry.day + ": " + fmtMin(entry.active_min)));
      root.append(rect);
      if (entry.active_min > 0) active += 1;
    });
    const legend = h("p", { class: "cal-legend" }, active + " active days · less ",
      ...[0, 1, 2, 3, 4].map((l) => h("span", { class: "swatch l" + l, title: ["none",
        "under 15 min", "15-30 min", "30-60 min", "an hour or more"][l] })), " more");
    container.replaceChildren(h("div", { class: "cal-scroll" }, root), legend);
    container.dataset.points = String(days.length);
    container.dataset.active = String(active);
  }

  window.ImmersionCharts = {
    h, fmtMin, fmtMs, fmtInt, fmtNum, fmtTime, table, empty, WEEKDAYS,
    barChart, stackedBars, lineChart, categoryBars, laneChart, timelineChart, calendar,
  };
})();
