/* What the home page's panels share: the API client, the page's messages, the state they
   read, and a way to say what changed (the model panel need not know who shows the model). */

// api.js stays a classic script (the log-in and callback pages load it as one): its `Likely`
// is a global binding (not a property of window), and the home page's modules take the
// client from it here, and only here.
/* global Likely */
export const { api, ApiError, el, fmt, when, session, clearSession } = Likely;

export const $ = (id) => document.getElementById(id);
/* A factor as the cards write it: "×1.4", "–" where there is none. */
export const times = (f) => (f === null || f === undefined || !Number.isFinite(Number(f))) ? "–" : `×${Number(Number(f).toFixed(2))}`;

export const state = { ig: null, run: null, model: null, polling: null, pollToken: 0, historyNext: null };

const listeners = {};
/* Call fn each time `what` ("instagram", "model") has been loaded again. */
export function on(what, fn) { (listeners[what] ||= []).push(fn); }
export function changed(what) { for (const fn of listeners[what] || []) fn(); }

export function notice(text) {
  const p = $("page-notice");
  p.textContent = text || ""; p.hidden = !text;
}

export function pageError(text) {
  const p = $("page-error");
  p.textContent = text || ""; p.hidden = !text;
}

export function report(err) {
  if (err instanceof ApiError && err.status === 401) return;  // already on the way to /login
  pageError(err && err.message ? err.message : String(err));
}

/* The list in an API answer, whichever name it goes by. */
export function listOf(resp) {
  if (Array.isArray(resp)) return resp;
  if (!resp || typeof resp !== "object") return null;
  for (const k of ["predictions", "results", "ranking", "items", "data"]) if (Array.isArray(resp[k])) return resp[k];
  return null;
}
