/* The analyze panel: pick or drop images; previews at once, then each one's predicted likes
   and comments with their ranges and labels, and reach, views, saves and shares where the
   model has them; several images come back ranked by what the person chose (metrics.js). */
import { $, ApiError, api, el, fmt, listOf, on, state } from "./page.js";
import { loadHistory } from "./history.js";
import { KIND_NAMES } from "./model.js";
import { addIntent } from "./intent.js";
import { explain } from "./explain.js";
import { metricsPart, rankBy, rankName, scoreOf } from "./metrics.js";

const MAX_BYTES = 20 * 1024 * 1024;

function renderAnalyze() {
  const has = !!state.model;
  $("dropzone").hidden = !has;
  $("analyze-hint").hidden = has;
}

function labelList(labels) {
  const matched = labels.filter((l) => l.matched);
  const unmatched = labels.filter((l) => !l.matched);
  const conf = (l) => (l.confidence === undefined || l.confidence === null) ? "" : ` ${fmt(l.confidence)}%`;
  const parts = [];
  parts.push(el("div", { class: "labels matched" },
    el("h4", {}, `Matched labels (${matched.length})`),
    matched.length ? el("ul", { class: "chips" }, matched.map((l) => el("li", { class: "chip match" },
      el("span", { class: "chip-name" }, l.name), el("span", { class: "chip-meta" }, conf(l)),
      (l.likes !== undefined && l.likes !== null) ? el("span", { class: "chip-meta" }, ` · ${fmt(l.likes)} likes`) : null)))
      : el("p", { class: "muted small" }, "None of this image's labels appear in your posts, so the prediction is your account's usual level.")));
  if (unmatched.length) {
    parts.push(el("div", { class: "labels unmatched" },
      el("h4", {}, `Unmatched labels (${unmatched.length})`),
      el("p", { class: "muted small" }, "Seen in the image but not in your past posts: they do not change the prediction."),
      el("ul", { class: "chips" }, unmatched.map((l) => el("li", { class: "chip" },
        el("span", { class: "chip-name" }, l.name), el("span", { class: "chip-meta" }, conf(l)))))));
  }
  return parts;
}

function range(r) {
  if (!Array.isArray(r) || r.length < 2) return null;
  return el("span", { class: "range" }, `likely ${fmt(r[0])}–${fmt(r[1])}`);
}

function showPrediction(card, p) {
  card.classList.remove("pending");
  card.dataset.likes = p.likes;
  const score = scoreOf(p, rankBy());
  if (score !== null) card.dataset.score = score;
  const body = card.querySelector(".result-body");
  body.replaceChildren(
    el("div", { class: "numbers" },
      el("p", { class: "number likes" }, el("span", { class: "value", "data-testid": "likes" }, fmt(p.likes)), " likes ", range(p.likes_range)),
      el("p", { class: "number comments" }, el("span", { class: "value", "data-testid": "comments" }, fmt(p.comments)), " comments ", range(p.comments_range))),
    ...explain(p),
    ...[metricsPart(p)].filter(Boolean),
    ...labelList(p.labels || []),
    el("p", { class: "muted small" }, `Model version ${p.model_version ?? "?"}` + (p.model_kind ? ` · ${KIND_NAMES[p.model_kind] || p.model_kind}` : "")));
}

function showFailure(card, message) {
  card.classList.remove("pending");
  card.classList.add("failed");
  card.querySelector(".result-body").replaceChildren(el("p", { class: "alert", role: "alert" }, message));
}

function newCard(file) {
  const url = URL.createObjectURL(file);
  const card = el("li", { class: "result pending" },
    el("img", { class: "preview", src: url, alt: `Preview of ${file.name}`,
      onerror: (e) => { e.target.replaceWith(el("div", { class: "preview no-preview", role: "img", "aria-label": `No preview of ${file.name}` }, "No preview")); } }),
    el("div", { class: "result-main" },
      el("h3", { class: "result-title" }, el("span", { class: "rank" }), file.name),
      el("div", { class: "result-body" }, el("p", { class: "muted analyzing" }, "Analyzing…"))));
  return card;
}

async function predictOne(file) {
  const form = new FormData();
  form.append("image", file, file.name);
  addIntent(form);
  const resp = await api("POST", "/api/v1/predictions", { form });
  if (resp && resp.likes !== undefined) return resp;
  const list = listOf(resp);
  if (list && list.length) return list[0].prediction || list[0].result || list[0];
  throw new ApiError(500, "bad_answer", "The prediction came back in an unexpected form.");
}

async function predictMany(files) {
  const form = new FormData();
  files.forEach((f) => form.append("image", f, f.name));
  addIntent(form);
  const by = rankBy();
  const resp = await api("POST", "/api/v1/predictions" + (by === "likes" ? "" : `?rank_by=${encodeURIComponent(by)}`), { form });
  const list = listOf(resp);
  if (!list || list.length !== files.length) return null;
  const out = new Array(files.length).fill(null);
  list.forEach((item, i) => {
    let idx = Number.isInteger(item.index) ? item.index : null;
    if (idx === null && item.filename) idx = files.findIndex((f, j) => f.name === item.filename && out[j] === null);
    if (idx === null || idx < 0 || idx >= files.length || out[idx]) idx = i;
    out[idx] = item.error ? { error: item.error.message || String(item.error) } : (item.prediction || item.result || item);
  });
  return out;
}

/* Best first by the chosen figure (a card without it after those with it). */
function rank(list) {
  const cards = [...list.querySelectorAll(".result")];
  const score = (c) => (c.dataset.score === undefined ? -Infinity : Number(c.dataset.score));
  const ok = cards.filter((c) => c.dataset.likes !== undefined).sort((a, b) => score(b) - score(a));
  const bad = cards.filter((c) => c.dataset.likes === undefined);
  ok.forEach((c, i) => { c.querySelector(".rank").textContent = `#${i + 1} `; });
  list.replaceChildren(...ok, ...bad);
}

async function analyze(fileList) {
  const files = [...fileList];
  if (!files.length) return;
  const results = $("results");
  const several = files.length > 1;
  const list = el(several ? "ol" : "ul", { class: "result-list" + (several ? " ranking" : ""), id: "result-list" });
  const by = rankName(rankBy());
  const heading = several ? el("h3", { class: "ranking-title", "data-testid": "ranking-title" }, `Ranking ${files.length} images by predicted ${by}…`) : null;
  results.replaceChildren(...[heading, list].filter(Boolean));
  const pending = [];
  for (const f of files) {
    const card = newCard(f);
    list.append(card);
    if (f.type && !f.type.startsWith("image/")) showFailure(card, `${f.name} is not an image. Choose a JPEG, PNG or WebP photo.`);
    else if (f.size > MAX_BYTES) showFailure(card, `${f.name} is too large (over ${MAX_BYTES / 1024 / 1024} MB).`);
    else if (f.size === 0) showFailure(card, `${f.name} is empty.`);
    else pending.push({ file: f, card });
  }
  if (!pending.length) return;
  const button = $("analyze");
  button.disabled = true;
  try {
    let answers = null;
    if (pending.length > 1) {
      try { answers = await predictMany(pending.map((p) => p.file)); } catch (err) { if (err.status === 401) return; answers = null; }
    }
    if (answers) {
      answers.forEach((a, i) => (a && !a.error ? showPrediction(pending[i].card, a) : showFailure(pending[i].card, (a && a.error) || "No prediction.")));
    } else {
      await Promise.all(pending.map(async ({ file, card }) => {
        try { showPrediction(card, await predictOne(file)); }
        catch (err) {
          if (err.status !== 401) showFailure(card, err.message.includes(file.name) ? err.message : `${file.name}: ${err.message}`);
        }
      }));
    }
    if (several) { rank(list); heading.textContent = `Ranking by predicted ${by}`; }
    loadHistory();
  } finally {
    button.disabled = false;
  }
}

export function setupAnalyze() {
  const zone = $("dropzone"), input = $("file-input");
  $("analyze").addEventListener("click", () => input.click());
  input.addEventListener("change", () => { analyze(input.files); input.value = ""; });
  const card = $("analyze-card");
  for (const ev of ["dragenter", "dragover"]) card.addEventListener(ev, (e) => {
    if (zone.hidden) return;
    e.preventDefault(); zone.classList.add("over");
  });
  card.addEventListener("dragleave", (e) => { if (!card.contains(e.relatedTarget)) zone.classList.remove("over"); });
  card.addEventListener("drop", (e) => {
    if (zone.hidden) return;
    e.preventDefault(); zone.classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files.length) analyze(e.dataTransfer.files);
  });
}

on("model", renderAnalyze);
