/* The Instagram panel: the connection's state, Connect / Reconnect / Disconnect. */
import { $, api, changed, el, notice, report, state, when } from "./page.js";

export async function loadInstagram() {
  try {
    state.ig = await api("GET", "/api/v1/instagram");
  } catch (err) {
    if (err.status === 401) return;
    state.ig = { connected: true, valid: null, username: null, error: err.message };
  }
  renderInstagram();
  changed("instagram");
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

export function setupInstagram() {
  $("ig-connect").addEventListener("click", connectInstagram);
  $("ig-reconnect").addEventListener("click", connectInstagram);
  $("ig-disconnect").addEventListener("click", disconnectInstagram);
}
