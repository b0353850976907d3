/* The model panel: what the model was trained on, what it predicts with, its top labels,
   its accuracy on the account's own history and the chart of it (chart.js), for likes and for
   each of reach, views, saves and shares the model has (why not for the others). */
import { $, api, changed, el, fmt, report, state, when } from "./page.js";
import { METRICS } from "./metrics.js";

export const KIND_NAMES = {
  label_mean: "label averages (the original Likely model)",
  user_mean: "your average",
  recent_median: "your recent median",
  trend: "label effects over your account's trend",
  ridge: "your recent level plus what each label adds",
};

export async function loadModel() {
  try {
    state.model = await api("GET", "/api/v1/model");
  } catch (err) {
    if (err.status === 404) state.model = null; else if (err.status !== 401) { report(err); return; } else return;
  }
  renderModel();
  changed("model");
}

function renderModel() {
  const body = $("model-body");
  const m = state.model;
  if (!m) {
    body.replaceChildren(el("p", { class: "muted", id: "model-none" },
      "No model yet. Connect Instagram and train one: it learns from your own posts."));
    return;
  }
  const summary = el("dl", { class: "facts", id: "model-facts" },
    el("div", {}, el("dt", {}, "Trained on"), el("dd", { id: "model-posts" }, `${fmt(m.posts)} posts` + (m.likes_hidden ? ` (${fmt(m.likes_hidden)} left out: likes hidden)` : ""))),
    el("div", {}, el("dt", {}, "Trained"), el("dd", { id: "model-when" }, when(m.trained_at))),
    el("div", {}, el("dt", {}, "Labels known"), el("dd", {}, fmt(m.labels))),
    el("div", {}, el("dt", {}, "Predicting with"), el("dd", { title: m.selection || "" }, KIND_NAMES[m.kind] || m.kind)),
  );
  const top = (m.top_labels || []).slice(0, 10);
  const table = top.length ? el("table", { class: "top-labels", id: "top-labels" },
    el("caption", {}, "Top labels by likes"),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Label"), el("th", { scope: "col", class: "num" }, "Avg. likes"),
      el("th", { scope: "col", class: "num" }, "Avg. comments"), el("th", { scope: "col", class: "num" }, "Posts"))),
    el("tbody", {}, top.map((t) => el("tr", {},
      el("th", { scope: "row" }, t.label || t.name), el("td", { class: "num" }, fmt(t.likes)),
      el("td", { class: "num" }, fmt(t.comments)), el("td", { class: "num" }, fmt(t.count)))))) : null;
  body.replaceChildren(el("div", { class: "model-cols" }, el("div", {}, summary, accuracy(m), metricsAccuracy(m)), table),
    accuracyChart(m));
}

/* The chart of likes through time and of the held-out predictions (chart.js); models built
   before the chart existed have none. */
function accuracyChart(m) {
  if (!m.chart) {
    return el("p", { class: "muted", id: "model-chart-none" },
      "This model was built before Likely drew its accuracy: retrain to see how accurate your model is.");
  }
  const metrics = m.metrics || {};
  const charted = METRICS.filter((n) => metrics[n] && metrics[n].available && metrics[n].chart);
  const slot = el("div", { id: "model-chart-slot" }, LikelyChart.render(m.chart));  // chart.js, a classic script: a global binding
  if (!charted.length) return slot;
  const select = el("select", { id: "chart-metric" }, ["likes", ...charted].map((n) => el("option", { value: n }, n)));
  select.addEventListener("change", () => slot.replaceChildren(select.value === "likes"
    ? LikelyChart.render(m.chart) : LikelyChart.render(metrics[select.value].chart, select.value)));
  return el("div", { class: "chart-choice" }, el("label", { for: "chart-metric" }, "Show the chart of "), select, slot);
}

/* Reach, views, saves and shares: each one's posts and backtest, or why the model has not got it. */
function metricsAccuracy(m) {
  const metrics = m.metrics;
  if (!metrics) {
    return el("p", { class: "muted small", id: "model-metrics" },
      "Reach, views, saves and shares: this model was built before Likely read insights; train again.");
  }
  const rows = METRICS.map((n) => {
    const x = metrics[n] || {};
    if (!x.available) {
      return el("tr", { "data-metric": n }, el("th", { scope: "row" }, n),
        el("td", { colspan: "3", class: "muted small" }, x.why || "not predicted"));
    }
    const bt = x.backtest;
    return el("tr", { "data-metric": n }, el("th", { scope: "row" }, n), el("td", { class: "num" }, fmt(x.posts)),
      el("td", { class: "num" }, bt && bt.mae_log !== null && bt.mae_log !== undefined ? `×${Math.exp(bt.mae_log).toFixed(2)}` : "–"),
      el("td", { class: "num" }, bt && bt.coverage_80 !== null && bt.coverage_80 !== undefined ? `${fmt(bt.coverage_80 * 100)}%` : "–"));
  });
  return el("div", { class: "accuracy", id: "model-metrics" },
    el("h3", {}, "Beyond likes"),
    el("table", { class: "top-labels" },
      el("thead", {}, el("tr", {}, ...["Metric", "Posts", "Typical error", "In 80% range"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows)),
    el("p", { class: "muted small" }, "Learnt from your posts' insights like likes, and tested the same way on your newest posts. " +
      "Likely's own checks had no real account with these metrics: your figures here are their first measure."));
}

function accuracy(m) {
  const bt = m.backtest && (m.backtest[m.kind] || null);
  if (!bt) {
    return el("p", { class: "muted", id: "model-accuracy" },
      "Accuracy on your history appears once the model has enough posts to test itself on (train on more posts).");
  }
  const base = m.backtest.user_mean;
  const items = [
    el("li", {}, "Off by ", el("strong", {}, `${fmt(bt.mae)} likes`), " on average"),
    el("li", {}, "Ranking agreement (Spearman): ", el("strong", {}, bt.spearman === null || bt.spearman === undefined ? "–" : Number(bt.spearman).toFixed(2))),
  ];
  if (bt.coverage_80 !== undefined && bt.coverage_80 !== null) {
    items.push(el("li", {}, el("strong", {}, `${fmt(bt.coverage_80 * 100)}%`), " of those posts fell inside the predicted range"));
  }
  if (base && m.kind !== "user_mean") {
    items.push(el("li", { class: "muted" }, `Always guessing your average would have been off by ${fmt(base.mae)} likes.`));
  }
  return el("div", { class: "accuracy", id: "model-accuracy" },
    el("h3", {}, "Accuracy on your own history"),
    el("p", {}, `Trained on your older ${fmt(bt.train_posts)} posts and tested on your newest ${fmt(bt.test_posts)}:`),
    el("ul", {}, items));
}
