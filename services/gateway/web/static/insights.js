/* The insights page: GET /api/v1/insights in the person's time zone, drawn as a weekday × hour
   heatmap and a lift chart, each with a table beside it (the text equivalent) and keyboard
   access (arrow keys move through the heatmap; every bar of the lift chart takes the focus and
   says what it shows). Where the evidence is not there the page says so, in words. */
"use strict";

(() => {
  /* global Likely */
  const { api, el } = Likely;
  const $ = (id) => document.getElementById(id);
  const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
  const SHORT = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const FORMATS = { VIDEO: "Video", CAROUSEL_ALBUM: "Carousel", REELS: "Reel" };
  const x = (f) => "×" + Number(f).toFixed(2);
  const range = (e) => `${x(e.factor_low)} to ${x(e.factor_high)}`;
  const hh = (h) => String(h).padStart(2, "0") + ":00";
  const slotName = (c) => `${DAYS[c.weekday]} ${hh(c.hour)}–${hh((c.hour + 1) % 24)}`;

  function zone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { return "UTC"; }
  }

  function cellWords(c) {
    if (!c.posts) return `${slotName(c)}: you never posted then; estimate ${x(c.factor)}, not judged.`;
    const ev = c.evidence ? (c.effect > 0 ? "clearly better" : "clearly worse") : "not enough evidence";
    return `${slotName(c)}: ${x(c.factor)} likes against your typical post (90% interval ${range(c)}), `
      + `${c.posts} post${c.posts === 1 ? "" : "s"}, ${ev}.`;
  }

  function tone(c, maxAbs) {
    const k = Math.min(1, Math.abs(c.effect) / (maxAbs || 1));
    if (!c.posts) return "";
    if (!c.evidence) return `rgba(93, 88, 104, ${0.06 + 0.22 * k})`;
    return c.effect > 0 ? `rgba(27, 122, 67, ${0.35 + 0.6 * k})` : `rgba(179, 38, 30, ${0.35 + 0.6 * k})`;
  }

  /* The heatmap: a grid of 7 × 24 cells, one of them in the tab order at a time (arrow keys,
     Home, End move it); the focused cell is read out below the grid. */
  function heatmap(cells) {
    const maxAbs = Math.max(...cells.map((c) => Math.abs(c.effect)), 1e-9);
    const readout = el("p", { class: "heat-readout", id: "heat-readout", "aria-live": "polite" },
      "Move through the heatmap with the arrow keys.");
    const grid = el("div", { class: "heatmap", role: "grid", "aria-label": "Likes by weekday and hour",
                             "aria-describedby": "heat-readout" });
    grid.append(el("div", { role: "row", class: "heat-row heat-head" },
      el("span", { role: "columnheader", class: "heat-corner" }, ""),
      ...Array.from({ length: 24 }, (_, h) => el("span", { role: "columnheader", class: "heat-hour" },
        h % 3 === 0 ? String(h) : ""))));
    const buttons = [];
    for (let d = 0; d < 7; d++) {
      const row = el("div", { role: "row", class: "heat-row" }, el("span", { role: "rowheader", class: "heat-day" }, SHORT[d]));
      for (let h = 0; h < 24; h++) {
        const c = cells[d * 24 + h];
        const mark = c.evidence ? (c.effect > 0 ? "+" : "−") : "";
        const cell = el("span", { role: "gridcell", class: "heat-cell" + (c.posts ? "" : " never") + (c.evidence ? " evidence" : ""),
                                  tabindex: d === 0 && h === 0 ? "0" : "-1", "aria-label": cellWords(c),
                                  "data-weekday": d, "data-hour": h, title: cellWords(c) }, mark);
        cell.style.background = tone(c, maxAbs);
        cell.addEventListener("focus", () => { readout.textContent = cellWords(c); });
        buttons.push(cell);
        row.append(cell);
      }
      grid.append(row);
    }
    grid.addEventListener("keydown", (ev) => {
      const i = buttons.indexOf(document.activeElement);
      if (i < 0) return;
      let j = i;
      if (ev.key === "ArrowRight") j = Math.min(i + 1, buttons.length - 1);
      else if (ev.key === "ArrowLeft") j = Math.max(i - 1, 0);
      else if (ev.key === "ArrowDown") j = Math.min(i + 24, buttons.length - 1);
      else if (ev.key === "ArrowUp") j = Math.max(i - 24, 0);
      else if (ev.key === "Home") j = i - (i % 24);
      else if (ev.key === "End") j = i - (i % 24) + 23;
      else return;
      ev.preventDefault();
      buttons[i].tabIndex = -1;
      buttons[j].tabIndex = 0;
      buttons[j].focus();
    });
    const legend = el("p", { class: "heat-legend small muted" },
      el("span", { class: "swatch better" }, "+"), " clearly better  ",
      el("span", { class: "swatch worse" }, "−"), " clearly worse  ",
      el("span", { class: "swatch unsure" }, ""), " not enough evidence (darker: larger estimate)  ",
      el("span", { class: "swatch never" }, ""), " never posted");
    return el("div", { class: "heat-wrap" }, grid, readout, legend);
  }

  function heatTable(cells) {
    const head = el("tr", {}, el("th", { scope: "col" }, "Day"),
      ...Array.from({ length: 24 }, (_, h) => el("th", { scope: "col" }, hh(h))));
    const rows = DAYS.map((name, d) => el("tr", {}, el("th", { scope: "row" }, name),
      ...Array.from({ length: 24 }, (_, h) => {
        const c = cells[d * 24 + h];
        return el("td", { class: c.evidence ? "evidence" : "" },
          c.posts ? `${x(c.factor)}${c.evidence ? "" : "?"} (${c.posts})` : "–");
      })));
    return el("div", { class: "table-scroll" }, el("table", { class: "insights-table" },
      el("caption", {}, "Likes against your typical post by weekday and hour (posts in brackets; ? not enough evidence; – never posted)"),
      el("thead", {}, head), el("tbody", {}, ...rows)));
  }

  function itemName(e) { return e.kind === "format" ? (FORMATS[e.name] || e.name) : e.name; }

  function itemWords(e) {
    const what = e.evidence ? (e.effect > 0 ? "lifts" : "lowers") + " likes" : "not enough evidence";
    return `${itemName(e)} (${e.kind}): ${x(e.factor)} (90% interval ${range(e)}), on ${e.posts} posts, ${what}.`;
  }

  /* The lift chart: one row per label, hashtag or format, its point and 90% interval on a
     log scale centred on ×1 (no effect); every row takes the focus and says itself. */
  function liftChart(items) {
    if (!items.length) return el("p", { class: "muted" }, "No label, hashtag or format was seen on enough posts to judge.");
    const span = Math.max(...items.map((e) => Math.max(Math.abs(e.low), Math.abs(e.high))), 0.1);
    const pos = (v) => `${50 + 50 * Math.max(-1, Math.min(1, v / span))}%`;
    const list = el("ul", { class: "lift-chart", "aria-label": "Effects on likes, each with its 90% interval" });
    for (const e of items.slice(0, 20)) {
      const cls = e.evidence ? (e.effect > 0 ? "up" : "down") : "unsure";
      const bar = el("span", { class: "lift-track" },
        el("span", { class: "lift-zero" }),
        el("span", { class: `lift-range ${cls}` }),
        el("span", { class: `lift-point ${cls}` }));
      bar.children[1].style.left = pos(e.low);
      bar.children[1].style.width = `calc(${pos(e.high)} - ${pos(e.low)})`;
      bar.children[2].style.left = pos(e.effect);
      list.append(el("li", { class: "lift-row", tabindex: "0", "aria-label": itemWords(e), title: itemWords(e) },
        el("span", { class: "lift-name" }, itemName(e)),
        bar,
        el("span", { class: "lift-value" }, x(e.factor) + (e.evidence ? "" : " ?"))));
    }
    const axis = el("p", { class: "lift-axis small muted" }, el("span", {}, x(Math.exp(-span))), el("span", {}, "×1.00 (no effect)"),
      el("span", {}, x(Math.exp(span))));
    return el("div", {}, list, axis);
  }

  function liftTable(items) {
    const rows = items.map((e) => el("tr", {}, el("th", { scope: "row" }, itemName(e)), el("td", {}, e.kind),
      el("td", {}, x(e.factor)), el("td", {}, range(e)), el("td", {}, String(e.posts)),
      el("td", {}, e.evidence ? "yes" : "not enough evidence")));
    return el("div", { class: "table-scroll" }, el("table", { class: "insights-table" },
      el("caption", {}, "Labels, hashtags and formats, ranked by evidence"),
      el("thead", {}, el("tr", {}, ...["Name", "Kind", "Likes", "90% interval", "Posts", "Evidence"].map((t) => el("th", { scope: "col" }, t)))),
      el("tbody", {}, ...rows)));
  }

  function online(of) {
    $("online-message").textContent = of.message;
    if (!of.hours || !of.hours.length) { $("online-table").replaceChildren(); return; }
    const max = Math.max(...of.hours.map((e) => e.followers), 1);
    const rows = of.hours.map((e) => {
      const bar = el("span", { class: "online-bar" });
      bar.style.width = `${(100 * e.followers / max).toFixed(1)}%`;  // CSSOM: the CSP allows no style attribute
      return el("tr", { class: e.hour === of.peak_hour ? "peak" : "" },
        el("th", { scope: "row" }, hh(e.hour)), el("td", {}, Likely.fmt(e.followers)), el("td", { "aria-hidden": "true" }, bar));
    });
    $("online-table").replaceChildren(el("div", { class: "table-scroll" }, el("table", { class: "insights-table online" },
      el("caption", {}, `Followers online by hour, mean of the last ${of.days} days (busiest: ${hh(of.peak_hour)})`),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Hour"), el("th", { scope: "col" }, "Followers"), el("th", { scope: "col" }, ""))),
      el("tbody", {}, ...rows))));
  }

  function draw(a) {
    const t = a.timing;
    $("timing-verdict").textContent = t.message;
    $("timing-verdict").className = "verdict " + t.verdict.replace(/_/g, "-");
    $("best-slots").replaceChildren(...t.best.map((b) => el("li", {},
      el("strong", {}, b.slot), ` ${x(b.factor)} (90% interval ${range(b)}), ${b.posts} posts — `,
      b.evidence ? "evidence" : "not enough evidence")));
    $("heatmap-wrap").replaceChildren(heatmap(t.cells));
    $("heatmap-table").replaceChildren(heatTable(t.cells));
    $("works-verdict").textContent = a.effects.message;
    $("works-verdict").className = "verdict " + a.effects.verdict.replace(/_/g, "-");
    $("lift-chart").replaceChildren(liftChart(a.effects.items));
    $("lift-table").replaceChildren(liftTable(a.effects.items));
    online(a.online_followers);
  }

  async function load(tz) {
    const box = $("insights");
    box.setAttribute("aria-busy", "true");
    $("tz-error").textContent = "";
    $("tz").removeAttribute("aria-invalid");
    $("page-error").hidden = true;
    try {
      draw(await api("GET", "/api/v1/insights?tz=" + encodeURIComponent(tz)));
    } catch (err) {
      if (err.code === "invalid_time_zone") {
        $("tz-error").textContent = err.message;
        $("tz").setAttribute("aria-invalid", "true");
      } else {
        const msg = err.code === "model_not_trained" ? "Train a model on your posts first (on the home page): insights come from it."
          : err.code === "insights_not_computed" ? "Your model was built before insights existed: rebuild it on the home page."
            : err.message;
        $("page-error").textContent = msg;
        $("page-error").hidden = false;
        $("timing-verdict").textContent = "";
      }
    } finally {
      box.setAttribute("aria-busy", "false");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const tz = new URLSearchParams(location.search).get("tz") || zone();
    $("tz").value = tz;
    $("tz-form").addEventListener("submit", (ev) => { ev.preventDefault(); load($("tz").value.trim()); });
    load(tz);
  });
})();
