/* Likely: the API client shared by the pages. The bearer token lives in this tab's
   sessionStorage (as the seed kept its credentials); a 401 sends the person to /login. */
"use strict";

const Likely = (() => {
  const KEY = "likely.session";

  function session() {
    try {
      const s = JSON.parse(sessionStorage.getItem(KEY) || "null");
      if (s && s.token) return s;
    } catch (e) { /* ignore */ }
    return null;
  }

  function saveSession(token, expiresAt) {
    sessionStorage.setItem(KEY, JSON.stringify({ token, expires_at: expiresAt || null }));
  }

  function clearSession() { sessionStorage.removeItem(KEY); }

  class ApiError extends Error {
    constructor(status, code, message, body) {
      super(message);
      this.status = status; this.code = code; this.body = body || {};
    }
  }

  function expired(reason) {
    clearSession();
    window.location.replace("/login?" + (reason || "expired"));
  }

  /* fetch the API; JSON in and out; errors as ApiError; 401 ends the session. */
  async function api(method, path, { json, form, raw, auth = true } = {}) {
    const headers = {};
    const s = session();
    if (auth) {
      if (!s) { expired("expired"); throw new ApiError(401, "unauthorized", "Not logged in"); }
      headers["Authorization"] = "Bearer " + s.token;
    }
    let body;
    if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
    else if (form !== undefined) body = form;
    let resp;
    try {
      // A run's status carries an ETag: the browser keeps it and asks again with If-None-Match,
      // answered 304 while the run has not moved. Nothing else of the API is kept.
      const cache = method === "GET" && path.startsWith("/api/v1/training-runs/") ? "no-cache" : "no-store";
      resp = await fetch(path, { method, headers, body, cache });
    } catch (e) {
      throw new ApiError(0, "network", "Likely cannot be reached right now. Check your connection and try again.");
    }
    if (auth && resp.status === 401) {
      expired("expired");
      throw new ApiError(401, "expired", "Your session has expired.");
    }
    if (raw) {
      if (!resp.ok) throw new ApiError(resp.status, "http_error", resp.statusText);
      return resp;
    }
    if (resp.status === 204) return null;
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    if (!resp.ok) {
      const err = (data && data.error) || {};
      throw new ApiError(resp.status, err.code || "http_error",
        err.message || `The server answered ${resp.status}.`, data || {});
    }
    return data;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  const nf = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const nf1 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  const fmt = (x) => (x === null || x === undefined || Number.isNaN(Number(x))) ? "–" : nf.format(Math.round(Number(x)));
  const fmt1 = (x) => (x === null || x === undefined || Number.isNaN(Number(x))) ? "–" : nf1.format(Number(x));
  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  return { session, saveSession, clearSession, api, ApiError, el, fmt, fmt1, when, expired };
})();
