/* The model card's accuracy chart, drawn as inline SVG (no library, nothing from a CDN).
   It draws what GET /api/v1/model returns under "chart" (`shared.model.chart`): the account's
   posts (likes, log scale), the model's level through time, and for the newest posts held out
   in the backtest, predicted against actual with the 80% range. Every series has its own shape
   (dots, a line, open diamonds, bars with caps), so colour is never the only difference; the
   summary in words sits beside it and a table of the held-out posts below it. */
"use strict";

const LikelyChart = (() => {
  const { time, linear, log, logTicks, timeTicks, prepare, DAY, FLOOR, AXIS_LABEL } = LikelyChartScale;  // chart_scale.js
  const NS = "http://www.w3.org/2000/svg";
  const MIN_WIDTH = 260;
  let uid = 0;

  // ------------------------------------------------------------------ drawing
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) node.setAttribute(k, v);
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  const r1 = (v) => Math.round(v * 10) / 10;
  const diamond = (x, y, r) => `M${r1(x)} ${r1(y - r)}L${r1(x + r)} ${r1(y)}L${r1(x)} ${r1(y + r)}L${r1(x - r)} ${r1(y)}Z`;

  /* Marks of the legend, the same shapes as in the chart. */
  const MARKS = {
    post: () => svg("circle", { class: "c-post", cx: 8, cy: 8, r: 3.5 }),
    held: () => svg("circle", { class: "c-held", cx: 8, cy: 8, r: 4 }),
    level: () => svg("line", { class: "c-level", x1: 1, y1: 8, x2: 15, y2: 8 }),
    predicted: () => svg("path", { class: "c-predicted", d: diamond(8, 8, 5) }),
    range: () => svg("g", { class: "c-range" }, svg("line", { x1: 8, y1: 1, x2: 8, y2: 15 }),
      svg("line", { x1: 5, y1: 1, x2: 11, y2: 1 }), svg("line", { x1: 5, y1: 15, x2: 11, y2: 15 })),
    band: () => svg("rect", { class: "c-band-key", x: 1, y: 1, width: 14, height: 14 }),
  };

  function mark(name) {
    return svg("svg", { class: "chart-key", width: 16, height: 16, viewBox: "0 0 16 16", "aria-hidden": "true", focusable: "false" }, MARKS[name]());
  }

  /* An empty chart at this size with its log axis of likes over [lo, hi]: the <svg> (role img,
     named by label), the margins and the y position of a number of likes. */
  function frame(w, h, label, lo, hi, cls) {
    const m = { top: 26, right: 12, bottom: 30, left: 46 };
    const pad = Math.max(0.08, 0.06 * (log(hi) - log(lo)));
    const y = linear(log(lo) - pad, log(hi) + pad, h - m.bottom, m.top);
    const Y = (v) => r1(y(log(v)));
    const id = `chart-title-${++uid}`;
    const root = svg("svg", { class: `chart-svg ${cls}`, width: w, height: h, viewBox: `0 0 ${w} ${h}`,
      role: "img", "aria-label": label, "aria-labelledby": id }, svg("title", { id }, label));
    const yt = logTicks(10 ** (log(lo) - pad), 10 ** (log(hi) + pad), Math.max(3, Math.floor((h - m.top - m.bottom) / 34)));
    const nf = new Intl.NumberFormat(undefined, { notation: hi >= 100000 ? "compact" : "standard", maximumFractionDigits: 1 });
    root.append(svg("g", { class: "c-axis c-y" }, yt.map((v) => svg("g", {},
      svg("line", { class: "c-grid", x1: m.left, x2: w - m.right, y1: Y(v), y2: Y(v) }),
      svg("text", { x: m.left - 6, y: Y(v) + 4, "text-anchor": "end" }, nf.format(v))))),
    svg("text", { class: "c-axis-label", x: 2, y: 12 }, AXIS_LABEL));
    return { root, m, Y };
  }

  /* The x axis: a base line and labelled ticks [{x, label}]; a label that would run past
     either edge is anchored to its end or start instead. */
  function xAxis(w, h, m, ticks) {
    return svg("g", { class: "c-axis c-x" },
      svg("line", { class: "c-baseline", x1: m.left, x2: w - m.right, y1: h - m.bottom, y2: h - m.bottom }),
      ticks.map((tk) => {
        const half = tk.label.length * 3.3;
        const anchor = tk.x + half > w - 1 ? "end" : tk.x - half < 1 ? "start" : "middle";
        const tx = anchor === "end" ? w - 1 : anchor === "start" ? 1 : tk.x;
        return svg("g", {}, svg("line", { x1: tk.x, x2: tk.x, y1: h - m.bottom, y2: h - m.bottom + 4 }),
          svg("text", { x: tx, y: h - m.bottom + 17, "text-anchor": anchor }, tk.label));
      }));
  }

  const DATE = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", dateStyle: "medium" });

  /* Each held-out post at x(p, i): its 80% range (a bar with caps), the prediction (an open
     diamond), the actual likes (a dot), and its numbers on hover. */
  function heldMarks(held, x, Y, unit = "likes") {
    const cap = 3;
    return [
      svg("g", { class: "c-range" }, held.map((p, i) => {
        if (p.low === null || p.high === null) return null;
        const xx = x(p, i), lo = Y(p.low), hi = Y(p.high);
        return svg("g", {}, svg("line", { x1: xx, x2: xx, y1: lo, y2: hi }),
          svg("line", { x1: xx - cap, x2: xx + cap, y1: lo, y2: lo }), svg("line", { x1: xx - cap, x2: xx + cap, y1: hi, y2: hi }));
      })),
      svg("g", { class: "c-held-out" }, held.map((p, i) => svg("g", {},
        svg("title", {}, `${DATE.format(p.t)}: ${p.actual} ${unit}, predicted ${Math.round(p.predicted)}` +
          (p.low !== null && p.high !== null ? ` (80% range ${Math.round(p.low)}–${Math.round(p.high)})` : "")),
        svg("path", { class: "c-predicted", d: diamond(x(p, i), Y(p.predicted), 4.5) }),
        svg("circle", { class: "c-held", cx: x(p, i), cy: Y(p.actual), r: 3.4 })))),
    ];
  }

  const heightFor = (w, lo, hi) => Math.round(Math.min(hi, Math.max(lo, w * 0.55)));

  /* The SVG of a prepared chart at this width (CSS pixels): every post through time. */
  function draw(d, width, label) {
    const w = Math.max(MIN_WIDTH, Math.round(width)), h = heightFor(w, 230, 340);
    const { root, m, Y } = frame(w, h, label, d.y0, d.y1, "chart-main");
    const x = linear(d.t0 === d.t1 ? d.t0 - DAY : d.t0, d.t0 === d.t1 ? d.t1 + DAY : d.t1, m.left, w - m.right);
    const X = (t) => r1(x(t));
    // held-out band: from halfway between the last trained post and the first held-out one
    if (d.held.length) {
      const first = d.held[0].t;
      const before = d.posts.filter((p) => p.t < first).map((p) => p.t);
      const cut = before.length ? (Math.max(...before) + first) / 2 : first;
      const bx = Math.max(m.left, X(cut));
      root.prepend(svg("rect", { class: "c-band", x: bx, y: m.top, width: Math.max(2, w - m.right - bx), height: h - m.top - m.bottom }));
      root.append(svg("line", { class: "c-cut", x1: bx, y1: m.top, x2: bx, y2: h - m.bottom }),
        svg("text", { class: "c-band-label", x: w - m.right - 4, y: m.top + 12, "text-anchor": "end" }, "held out"));
    }
    root.append(xAxis(w, h, m, timeTicks(d.t0, d.t1, Math.floor((w - m.left - m.right) / 72)).map((tk) => ({ x: X(tk.t), label: tk.label }))));
    const [ranges, marks] = heldMarks(d.held, (p) => X(p.t), Y, d.unit);
    root.append(ranges);
    if (d.level.length) {
      root.append(svg("polyline", { class: "c-level", points: d.level.map((p) => `${X(p.t)},${Y(p.likes)}`).join(" ") }));
    }
    const heldAt = new Set(d.held.map((p) => p.t));
    root.append(svg("g", { class: "c-posts" }, d.posts.filter((p) => !heldAt.has(p.t)).map((p) =>
      svg("circle", { class: "c-post", cx: X(p.t), cy: Y(p.likes), r: 2.6 }, svg("title", {}, `${DATE.format(p.t)}: ${p.likes} ${d.unit || "likes"}`)))));
    root.append(marks);
    return root;
  }

  /* The held-out posts alone, one beside the next in time order (evenly spaced, so that
     each prediction stays readable on a phone), on their own log axis. */
  function drawHeld(d, width, label) {
    const w = Math.max(MIN_WIDTH, Math.round(width)), h = heightFor(w * 0.8, 190, 280);
    const values = d.held.flatMap((p) => [p.actual, p.predicted, p.low, p.high]).filter((v) => v !== null && Number.isFinite(v));
    const { root, m, Y } = frame(w, h, label, Math.max(FLOOR, Math.min(...values)), Math.max(FLOOR, Math.max(...values)), "chart-held");
    const slot = (w - m.left - m.right) / d.held.length;
    const X = (i) => r1(m.left + (i + 0.5) * slot);
    const span = d.held[d.held.length - 1].t - d.held[0].t;
    const f = new Intl.DateTimeFormat(undefined, span > 300 * DAY ? { timeZone: "UTC", month: "short", year: "numeric" }
      : { timeZone: "UTC", day: "numeric", month: "short" });
    const every = Math.max(1, Math.ceil(d.held.length / Math.max(1, Math.floor((w - m.left - m.right) / 64))));
    root.append(xAxis(w, h, m, d.held.map((p, i) => ({ x: X(i), label: f.format(p.t) })).filter((tk, i) => i % every === 0)));
    root.append(...heldMarks(d.held, (p, i) => X(i), Y, d.unit));
    return root;
  }

  function legend(d) {
    const items = [["post", d.held.length ? `A post's ${d.unit || "likes"} (trained on)` : `A post's ${d.unit || "likes"}`]];
    if (d.level.length) items.push(["level", "The model's level through time"]);
    if (d.held.length) {
      items.push(["band", "Newest posts, held out"], ["held", `A held-out post's actual ${d.unit || "likes"}`], ["predicted", "What the model predicted for it"]);
      if (d.ranged) items.push(["range", "Its 80% range"]);
    }
    const { el } = Likely;
    return el("ul", { class: "chart-legend", "aria-label": "Legend" }, items.map(([k, text]) => el("li", {}, mark(k), " ", text)));
  }

  function table(d) {
    if (!d.held.length) return null;
    const { el, fmt } = Likely;
    const f = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", dateStyle: "medium" });
    const inside = (p) => (p.low === null || p.high === null ? "–" : (p.low <= p.actual && p.actual <= p.high ? "yes" : "no"));
    return el("details", { class: "chart-table" },
      el("summary", {}, `The ${d.held.length} held-out posts as a table`),
      el("table", { class: "top-labels", id: "chart-holdout" },
        el("caption", {}, `Held-out posts: actual and predicted ${d.unit || "likes"}`),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Posted"), el("th", { scope: "col", class: "num" }, "Actual"),
          el("th", { scope: "col", class: "num" }, "Predicted"), el("th", { scope: "col", class: "num" }, "80% range"),
          el("th", { scope: "col" }, "Inside"))),
        el("tbody", {}, d.held.map((p) => el("tr", {},
          el("th", { scope: "row" }, f.format(p.t)), el("td", { class: "num" }, fmt(p.actual)), el("td", { class: "num" }, fmt(p.predicted)),
          el("td", { class: "num" }, p.low === null || p.high === null ? "–" : `${fmt(p.low)}–${fmt(p.high)}`),
          el("td", {}, inside(p)))))));
  }

  /* The chart's section for the model card: title, SVG (redrawn to its width), legend, the
     summary in words beside it, the held-out posts as a table. null draws nothing. `unit`: what
     the counts are (likes; reach, views, saves or shares for a metric's chart). */
  function render(chart, unit = "likes") {
    const { el } = Likely;
    const d = { ...prepare(chart || {}), unit };
    const summary = el("p", { class: "chart-summary", id: "chart-summary" }, chart && chart.summary ? chart.summary : "");
    const section = el("section", { class: "chart", id: "model-chart", "aria-labelledby": "chart-heading", "data-unit": unit },
      el("h3", { id: "chart-heading" }, `Your ${unit} through time, and the model against them`));
    if (!d.posts.length) {
      section.append(el("p", { class: "muted" }, "No posts to draw."), summary);
      return section;
    }
    const label = `Chart of the ${unit} of your ${d.posts.length} post${d.posts.length === 1 ? "" : "s"} through time, on a log scale` +
      (d.level.length ? ", with the model's level" : "") +
      (d.held.length ? `, and for the newest ${d.held.length} posts, held out, the predicted ${unit} against the actual ones` +
        (d.ranged ? " with their 80% ranges" : "") : "") + ". The summary beside it says the same in words.";
    const plot = el("div", { class: "chart-plot" });
    const zoom = d.held.length ? el("div", { class: "chart-plot chart-zoom" }) : null;
    const zoomLabel = `Chart of the newest ${d.held.length} posts, held out, one beside the next: each one's actual ${unit}` +
      ` and what the model predicted${d.ranged ? ", with its 80% range" : ""}, on a log scale.`;
    let drawn = 0, observer = null;
    const redraw = () => {
      if (drawn && !plot.isConnected) { if (observer) observer.disconnect(); return; }  // the card was redrawn
      const width = Math.floor(plot.clientWidth);
      if (!width || Math.abs(width - drawn) < 2) return;
      drawn = width;
      const node = draw(d, width, label);
      node.setAttribute("aria-describedby", "chart-summary");
      plot.replaceChildren(node);
      if (zoom) {
        const held = drawHeld(d, width, zoomLabel);
        held.setAttribute("aria-describedby", "chart-summary");
        zoom.replaceChildren(held);
      }
    };
    if (typeof ResizeObserver === "function") (observer = new ResizeObserver(redraw)).observe(plot);
    else requestAnimationFrame(redraw);
    const main = el("div", { class: "chart-main-col" }, plot,
      zoom ? el("h4", { class: "chart-zoom-title" }, `The newest ${d.held.length} posts, held out, one by one`) : null, zoom);
    section.append(el("div", { class: "chart-cols" }, main, el("div", { class: "chart-side" }, legend(d), summary)), table(d));
    return section;
  }

  return { render, draw, drawHeld, prepare, logTicks, timeTicks, AXIS_LABEL };
})();
