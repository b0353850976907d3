/* The training panel: one button that starts a run and, while it is live, is its progress
   bar and cancels it; the run is polled twice a second and picked up again after a reload. */
import { $, api, on, state, when } from "./page.js";
import { loadInstagram } from "./instagram.js";
import { loadModel } from "./model.js";

const LIVE = new Set(["listing", "running", "building"]);
const POLL_MS = 500;  // twice a second, as the seed did

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

export function stopPolling() {
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

export async function loadRun() {
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

export function setupTraining() {
  $("train").addEventListener("click", trainClicked);
}

on("instagram", renderTraining);
