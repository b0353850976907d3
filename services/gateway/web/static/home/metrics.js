/* Beyond likes: reach, views, saves and shares. A prediction's card lists each one the model
   has (with its 80% range and the label that moves it most) and says why not for the others;
   the "Rank several images by" choice beside the upload, its metrics offered where the model
   has them. */
import { $, el, fmt, on, state, times } from "./page.js";

export const METRICS = ["reach", "views", "saves", "shares"];
const NAMES = { likes: "likes", reach: "reach", views: "views", saves: "saves", shares: "shares" };
/* Why a metric is not predicted, in a few words (the API's `why` gives the posts by reason). */
const WHY = {
  not_granted: "your account did not grant Likely its insights (reconnect Instagram and allow them)",
  not_enough_posts: "too few of your posts have it yet (10 needed)",
  too_old: "your posts predate your professional account, or the 2 years Instagram keeps",
  not_settled: "your posts are too new: Instagram's counts settle after 48 hours",
  no_data: "Instagram had no data for it",
  not_available: "Instagram has none for the formats you post",
  unreadable: "Instagram could not be read: train again",
  not_read: "not read yet: train again",
};

/* The label or hashtag that moves a metric most, or null. */
function strongest(m) {
  const effects = [...(m.labels || []), ...(m.hashtags || [])].filter((e) => e.matched && e.factor !== null && e.factor !== undefined);
  if (!effects.length) return null;
  return effects.reduce((a, b) => (Math.abs(Math.log(b.factor)) > Math.abs(Math.log(a.factor)) ? b : a));
}

function row(name, m) {
  if (!m || !m.available) {
    return el("tr", { class: "metric-missing", "data-metric": name },
      el("th", { scope: "row" }, NAMES[name]),
      el("td", { colspan: "2", class: "muted small metric-why", title: (m && m.why) || "", "data-testid": `metric-why-${name}` },
        `Not predicted: ${WHY[m && m.reason] || (m && m.why) || "not in this model"}.`));
  }
  const top = strongest(m);
  return el("tr", { "data-metric": name },
    el("th", { scope: "row" }, NAMES[name]),
    el("td", {}, el("span", { class: "value", "data-testid": `metric-${name}` }, fmt(m.value)),
      Array.isArray(m.range) ? el("span", { class: "range" }, `${fmt(m.range[0])}–${fmt(m.range[1])}`) : null),
    el("td", { class: "muted small" }, `from ${fmt(m.posts)} posts` + (top ? ` · ${top.name} ${times(top.factor)}` : "")));
}

let tables = 0;

/* The card's "Beyond likes" table; null for a prediction made before Likely read insights. */
export function metricsPart(p) {
  if (!p.metrics) return null;
  const all = METRICS.map((n) => p.metrics[n] || {});
  if (all.every((m) => !m.available && m.reason === all[0].reason)) {  // one reason for all four: said once
    return el("div", { class: "metrics", "data-testid": "metrics" },
      el("h4", {}, "Beyond likes: reach, views, saves, shares"),
      el("p", { class: "muted small", title: all.map((m) => m.why || "").join("\n"), "data-testid": "metrics-why" },
        `Not predicted: ${WHY[all[0].reason] || all[0].why || "not in this model"}.`));
  }
  const id = `metrics-${++tables}`;
  return el("div", { class: "metrics", "data-testid": "metrics" },
    el("h4", { id }, "Beyond likes: reach, views, saves, shares"),
    el("div", { class: "table-scroll" }, el("table", { class: "formats-table", "aria-labelledby": id },
      el("thead", {}, el("tr", {}, ...["Metric", "Predicted (80% range)", "Learnt from"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, METRICS.map((name) => row(name, p.metrics[name]))))));
}

/* What several images are ranked by: likes, or a metric the model has. */
export function rankBy() {
  const s = $("rank-by");
  return s && s.value ? s.value : "likes";
}

export function rankName(by) { return NAMES[by] || by; }

/* The prediction's figure for `by`, or null when it has none. */
export function scoreOf(p, by) {
  if (by === "likes") return p.likes ?? null;
  const m = (p.metrics || {})[by];
  return m && m.available ? m.value : null;
}

function renderRankBy() {
  const box = $("post-intent");
  if (!box) return;
  let field = $("rank-by-field");
  if (!field) {
    field = el("div", { class: "caption-field", id: "rank-by-field" },
      el("label", { for: "rank-by" }, "Rank several images by"),
      el("select", { id: "rank-by", "aria-describedby": "rank-by-hint" }),
      el("p", { class: "hint", id: "rank-by-hint" }));
    box.append(field);
  }
  const select = $("rank-by");
  const was = select.value || "likes";
  const metrics = (state.model && state.model.metrics) || {};
  const options = ["likes", ...METRICS].map((name) => {
    const m = metrics[name];
    const ok = name === "likes" || (m && m.available);
    return el("option", { value: name, disabled: ok ? null : "disabled", title: ok ? "" : ((m && m.why) || "not in this model") },
      NAMES[name] + (ok ? "" : " (not predicted)"));
  });
  select.replaceChildren(...options);
  const still = options.find((o) => o.value === was && !o.disabled);
  select.value = still ? was : "likes";
  const missing = METRICS.filter((name) => !(metrics[name] && metrics[name].available));
  $("rank-by-hint").textContent = missing.length
    ? `Your model does not predict ${missing.join(", ")} yet: ` + (state.model && state.model.metrics
      ? "they need 10 posts with settled insights (see Your model)."
      : "it was built before Likely read insights; train again.")
    : "Reach, views, saves and shares are learnt from your posts' insights.";
}

on("model", renderRankBy);
