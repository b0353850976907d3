/* The home page: Instagram connection, training (button that doubles as progress bar),
   the model, analyzing images, history, log out. Everything goes through the JSON API. */
"use strict";

(() => {
  const { api, ApiError, el, fmt, fmt1, when, session, clearSession } = Likely;
  if (!session()) { location.replace("/login"); return; }

  const $ = (id) => document.getElementById(id);
  const LIVE = new Set(["listing", "running", "building"]);
  const POLL_MS = 500;  // twice a second, as the seed did
  const MAX_BYTES = 20 * 1024 * 1024;
  const state = { ig: null, run: null, model: null, polling: null, pollToken: 0, historyNext: null };

  // ------------------------------------------------------------------ page messages
  function notice(text) {
    const p = $("page-notice");
    p.textContent = text || ""; p.hidden = !text;
  }
  function pageError(text) {
    const p = $("page-error");
    p.textContent = text || ""; p.hidden = !text;
  }
  function report(err) {
    if (err instanceof ApiError && err.status === 401) return;  // already on the way to /login
    pageError(err && err.message ? err.message : String(err));
  }

  // ------------------------------------------------------------------ Instagram
  async function loadInstagram() {
    try {
      state.ig = await api("GET", "/api/v1/instagram");
    } catch (err) {
      if (err.status === 401) return;
      state.ig = { connected: true, valid: null, username: null, error: err.message };
    }
    renderInstagram();
    renderTraining();
  }

  function renderInstagram() {
    const ig = state.ig || {};
    const status = $("ig-status");
    $("ig-connect").hidden = !!ig.connected;
    $("ig-reconnect").hidden = !(ig.connected && ig.valid === false);
    $("ig-disconnect").hidden = !ig.connected;
    status.className = "";
    status.replaceChildren();
    if (!ig.connected) {
      status.className = "muted";
      status.textContent = "Not connected. Connect your Instagram account so Likely can learn from your posts.";
    } else if (ig.valid === false) {
      status.className = "warning";
      status.append(
        el("strong", {}, "Your Instagram connection has expired or was revoked"),
        ig.username ? ` (@${ig.username}). ` : ". ",
        "Reconnect to train again; your model and history are kept.");
    } else if (ig.valid === null) {
      status.className = "warning";
      status.textContent = `Connected${ig.username ? " as @" + ig.username : ""}, but Instagram could not be checked just now: ${ig.error || ""}`;
    } else {
      status.className = "ok";
      status.append("Connected as ", el("strong", { id: "ig-username" }, "@" + (ig.username || "?")));
      if (ig.expires_at) status.append(el("span", { class: "muted small" }, ` · access until ${when(ig.expires_at)}`));
    }
  }

  async function connectInstagram() {
    try {
      const auth = await api("GET", "/api/v1/instagram/authorize");
      location.assign(auth.url);
    } catch (err) { report(err); }
  }

  async function disconnectInstagram() {
    try {
      await api("DELETE", "/api/v1/instagram");
      notice("Instagram disconnected: its access token was deleted. Your model and history are kept.");
      await loadInstagram();
      $("ig-connect").focus();
    } catch (err) { report(err); }
  }

  // ------------------------------------------------------------------ training
  function renderTraining() {
    const run = state.run;
    const ig = state.ig || {};
    const btn = $("train"), hint = $("train-hint"), track = $("train-track"), bar = $("train-progress");
    const live = run && LIVE.has(run.state);
    if (live) {
      btn.hidden = false;
      hint.hidden = true;
      btn.classList.add("running");
      btn.setAttribute("aria-label", "Cancel training");
      btn.setAttribute("aria-describedby", "train-count");
      $("train-label").textContent = "Cancel training";
      const total = run.total || 0, done = run.done || 0, failed = run.failed || 0;
      let count;
      if (run.state === "listing" || !total) count = "listing your posts…";
      else if (run.state === "building") count = `${done} / ${total} · building the model…`;
      else count = `${done} / ${total}`;
      if (failed) count += ` · ${failed} failed`;
      $("train-count").textContent = count;
      const pct = total ? Math.min(100, (100 * (done + failed)) / total) : 0;
      btn.style.setProperty("--pct", pct + "%");
      btn.dataset.done = done; btn.dataset.total = total; btn.dataset.failed = failed;
      track.hidden = false;
      bar.setAttribute("aria-valuemax", String(total));
      bar.setAttribute("aria-valuenow", String(done + failed));
      bar.setAttribute("aria-valuetext", count);
      bar.style.width = pct + "%";
      return;
    }
    btn.classList.remove("running");
    btn.removeAttribute("aria-label");
    btn.removeAttribute("aria-describedby");
    btn.style.removeProperty("--pct");
    $("train-label").textContent = "Train model";
    $("train-count").textContent = "";
    track.hidden = true;
    const canTrain = ig.connected && ig.valid !== false;
    btn.hidden = !canTrain;
    hint.hidden = !!canTrain;
    hint.textContent = ig.connected ? "Reconnect Instagram to train a new model." : "Connect Instagram to train a model on your posts.";
  }

  function describeFinished(run) {
    const n = run.total || 0;
    if (run.state === "done") {
      if (!n) return "Training finished: no new posts since the last run, so the model is unchanged.";
      return `Training finished: ${run.done} of ${n} new posts processed` + (run.failed ? `, ${run.failed} could not be read` : "") + ".";
    }
    if (run.state === "cancelled") return `Training cancelled after ${run.done || 0} of ${n} posts. Posts already processed are kept; the next run does the rest.`;
    if (run.state === "failed") return "Training failed: " + (run.reason || "an unknown error") + ".";
    return "";
  }

  function stopPolling() {
    state.pollToken += 1;
    if (state.polling) clearTimeout(state.polling);
    state.polling = null;
  }

  function poll(runId) {
    stopPolling();
    const token = state.pollToken;
    const tick = async () => {
      if (token !== state.pollToken) return;
      try {
        const run = await api("GET", `/api/v1/training-runs/${encodeURIComponent(runId)}`);
        if (token !== state.pollToken) return;
        state.run = run;
        renderTraining();
        if (!LIVE.has(run.state)) {
          $("train-status").textContent = describeFinished(run);
          if (run.state === "done") await loadModel();
          return;
        }
      } catch (err) {
        if (err.status === 401) return;
        $("train-status").textContent = "Lost contact with Likely; retrying…";
      }
      if (token === state.pollToken) state.polling = setTimeout(tick, POLL_MS);
    };
    tick();
  }

  async function loadRun() {
    try {
      state.run = await api("GET", "/api/v1/training-runs/current");
    } catch (err) {
      if (err.status === 404) state.run = null; else { report(err); return; }
    }
    renderTraining();
    if (state.run && LIVE.has(state.run.state)) {
      $("train-status").textContent = "Training is in progress.";
      poll(state.run.run_id);  // picks a run up again after a reload (the seed lost it)
    } else if (state.run) {
      $("train-status").textContent = "Last run: " + describeFinished(state.run).replace(/^Training /, "").replace(/^finished: /, "") +
        (state.run.finished_at ? ` (${when(state.run.finished_at)})` : "");
    }
  }

  async function trainClicked() {
    const btn = $("train");
    if (state.run && LIVE.has(state.run.state)) return cancelTraining();
    btn.disabled = true;
    try {
      const started = await api("POST", "/api/v1/training-runs");
      state.run = { run_id: started.run_id, state: started.state, total: 0, done: 0, failed: 0 };
      $("train-status").textContent = "Training started.";
      renderTraining();
      poll(started.run_id);
    } catch (err) {
      if (err.code === "run_active" && err.body.error.run_id) { poll(err.body.error.run_id); }
      else { $("train-status").textContent = err.message; if (err.code === "instagram_not_connected") loadInstagram(); }
    } finally {
      btn.disabled = false;
      btn.focus();
    }
  }

  async function cancelTraining() {
    const btn = $("train");
    const runId = state.run.run_id;
    btn.disabled = true;
    stopPolling();
    try {
      await api("POST", `/api/v1/training-runs/${encodeURIComponent(runId)}/cancel`);
    } catch (err) {
      if (err.status === 401) return;
      if (err.code !== "run_not_active") $("train-status").textContent = err.message;
    }
    try {
      state.run = await api("GET", `/api/v1/training-runs/${encodeURIComponent(runId)}`);
    } catch (err) { if (err.status === 401) return; }
    btn.disabled = false;
    renderTraining();
    $("train-status").textContent = describeFinished(state.run);
    if (state.run.state === "done") loadModel();
    btn.focus();
  }

  // ------------------------------------------------------------------ the model
  const KIND_NAMES = {
    label_mean: "label averages (the original Likely model)",
    user_mean: "your average",
    recent_median: "your recent median",
    trend: "label effects over your account's trend",
    ridge: "your recent level plus what each label adds",
  };

  async function loadModel() {
    try {
      state.model = await api("GET", "/api/v1/model");
    } catch (err) {
      if (err.status === 404) state.model = null; else if (err.status !== 401) { report(err); return; } else return;
    }
    renderModel();
    renderAnalyze();
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
    body.replaceChildren(el("div", { class: "model-cols" }, el("div", {}, summary, accuracy(m)), table), accuracyChart(m));
  }

  /* The chart of likes through time and of the held-out predictions (chart.js); models built
     before the chart existed have none. */
  function accuracyChart(m) {
    if (m.chart) return LikelyChart.render(m.chart);
    return el("p", { class: "muted", id: "model-chart-none" },
      "This model was built before Likely drew its accuracy: retrain to see how accurate your model is.");
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

  // ------------------------------------------------------------------ analyze
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
    const body = card.querySelector(".result-body");
    body.replaceChildren(
      el("div", { class: "numbers" },
        el("p", { class: "number likes" }, el("span", { class: "value", "data-testid": "likes" }, fmt(p.likes)), " likes ", range(p.likes_range)),
        el("p", { class: "number comments" }, el("span", { class: "value", "data-testid": "comments" }, fmt(p.comments)), " comments ", range(p.comments_range))),
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

  function listOf(resp) {
    if (Array.isArray(resp)) return resp;
    if (!resp || typeof resp !== "object") return null;
    for (const k of ["predictions", "results", "ranking", "items", "data"]) if (Array.isArray(resp[k])) return resp[k];
    return null;
  }

  async function predictOne(file) {
    const form = new FormData();
    form.append("image", file, file.name);
    const resp = await api("POST", "/api/v1/predictions", { form });
    if (resp && resp.likes !== undefined) return resp;
    const list = listOf(resp);
    if (list && list.length) return list[0].prediction || list[0].result || list[0];
    throw new ApiError(500, "bad_answer", "The prediction came back in an unexpected form.");
  }

  async function predictMany(files) {
    const form = new FormData();
    files.forEach((f) => form.append("image", f, f.name));
    const resp = await api("POST", "/api/v1/predictions", { form });
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

  function rank(list) {
    const cards = [...list.querySelectorAll(".result")];
    const ok = cards.filter((c) => c.dataset.likes !== undefined).sort((a, b) => Number(b.dataset.likes) - Number(a.dataset.likes));
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
    const heading = several ? el("h3", { class: "ranking-title" }, `Ranking ${files.length} images by predicted likes…`) : null;
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
      if (several) { rank(list); heading.textContent = "Ranking by predicted likes"; }
      loadHistory();
    } finally {
      button.disabled = false;
    }
  }

  function setupDrop() {
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

  // ------------------------------------------------------------------ history
  async function thumb(img, url) {
    if (!url) return;
    try {
      const u = new URL(url, location.href);
      if (u.origin !== location.origin) { img.src = u.href; return; }
      const resp = await api("GET", u.pathname + u.search, { raw: true });
      img.src = URL.createObjectURL(await resp.blob());
    } catch (err) { img.alt += " (image unavailable)"; }
  }

  function historyItem(e) {
    const p = e.prediction || e.result || e;
    const labels = (p.labels || e.labels || []).filter((l) => l.matched).slice(0, 4).map((l) => l.name);
    const created = e.created_at || e.time || e.at || p.created_at;
    const img = el("img", { class: "thumb", alt: `Analyzed image${e.filename ? " " + e.filename : ""}${created ? ", " + when(created) : ""}` });
    thumb(img, e.image_url || e.url || e.thumbnail_url || e.image);
    return el("li", { class: "history-item" }, img,
      el("div", {},
        el("p", { class: "history-numbers" }, el("strong", {}, `${fmt(p.likes)} likes`), ` · ${fmt(p.comments)} comments`),
        el("p", { class: "muted small" }, [e.filename, when(created)].filter(Boolean).join(" · ")),
        labels.length ? el("p", { class: "small" }, labels.join(", ")) : null));
  }

  async function loadHistory(more = false) {
    let path = "/api/v1/predictions";
    if (more && state.historyNext) path = state.historyNext;
    let resp;
    try {
      resp = await api("GET", path);
    } catch (err) {
      if (err.status === 401) return;
      $("history-empty").textContent = "Your history could not be loaded right now.";
      return;
    }
    const items = listOf(resp) || [];
    const ul = $("history");
    if (!more) ul.replaceChildren();
    items.forEach((e) => ul.append(historyItem(e)));
    $("history-empty").hidden = ul.children.length > 0;
    let next = resp && !Array.isArray(resp) ? (resp.next || resp.next_cursor || resp.cursor || null) : null;
    if (!next && resp && resp.page && resp.per_page && resp.total !== undefined && resp.page * resp.per_page < resp.total) {
      next = `/api/v1/predictions?page=${resp.page + 1}&per_page=${resp.per_page}`;
    }
    if (next && !String(next).startsWith("/") && !String(next).startsWith("http")) {
      next = "/api/v1/predictions?" + new URLSearchParams({ [resp.next_cursor ? "cursor" : "before"]: next });
    } else if (next && String(next).startsWith("http")) {
      const u = new URL(next); next = u.pathname + u.search;
    }
    state.historyNext = next;
    $("history-more").hidden = !next;
  }

  // ------------------------------------------------------------------ start
  async function logOut() {
    try { await api("DELETE", "/api/v1/sessions"); } catch (err) { /* the token is dropped either way */ }
    stopPolling();
    clearSession();
    location.replace("/login?logged_out");
  }

  async function deleteAccount() {
    if (!confirm("Delete your Likely account and everything stored for it? This cannot be undone.")) return;
    try { await api("DELETE", "/api/v1/users/me"); } catch (err) { report(err); return; }
    stopPolling();
    clearSession();
    location.replace("/login?deleted");
  }

  async function start() {
    $("log-out").addEventListener("click", logOut);
    $("delete-account").addEventListener("click", deleteAccount);
    $("ig-connect").addEventListener("click", connectInstagram);
    $("ig-reconnect").addEventListener("click", connectInstagram);
    $("ig-disconnect").addEventListener("click", disconnectInstagram);
    $("train").addEventListener("click", trainClicked);
    $("history-more").addEventListener("click", () => loadHistory(true));
    setupDrop();
    const q = new URLSearchParams(location.search);
    if (q.has("connected")) {
      notice("Instagram connected.");
      history.replaceState(null, "", "/");
    }
    let me;
    try { me = await api("GET", "/api/v1/me"); } catch (err) { report(err); return; }
    $("user-email").textContent = me.email || "";
    $("header-user").hidden = false;
    await Promise.all([loadInstagram(), loadRun(), loadModel(), loadHistory()]);
    $("app").setAttribute("aria-busy", "false");
  }

  start();
})();
