/* The home page (a module; its panels are the modules in home/): Instagram connection,
   training (a button that doubles as progress bar), the model, analyzing images, history,
   log out. Everything goes through the JSON API. */
import { $, api, clearSession, notice, report, session } from "./home/page.js";
import { loadInstagram, setupInstagram } from "./home/instagram.js";
import { loadRun, setupTraining, stopPolling } from "./home/training.js";
import { loadModel } from "./home/model.js";
import { setupAnalyze } from "./home/analyze.js";
import { setupIntent } from "./home/intent.js";
import { loadHistory, setupHistory } from "./home/history.js";

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
  setupInstagram();
  setupTraining();
  setupHistory();
  setupIntent();
  setupAnalyze();
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

if (session()) start(); else location.replace("/login");
