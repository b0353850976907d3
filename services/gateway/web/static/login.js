/* The log-in page: sign up, log in, and the hand-over of an OpenID Connect log-in. */
"use strict";

(async () => {
  const { api, ApiError, saveSession, session, clearSession } = Likely;

  // Nothing in the URL is ever taken as a session: a link to /login#token=… (log-in CSRF) is dropped.
  if (location.hash.length > 1) history.replaceState(null, "", location.pathname + location.search);
  // Back from "Log in with …": the gateway left a one-time code in an HttpOnly cookie of this
  // browser; exchanging it gives the session. A planted link finds no cookie and changes nothing.
  let handoverFailed = false;
  if (new URLSearchParams(location.search).has("handover")) {
    history.replaceState(null, "", location.pathname);
    try {
      const s = await api("POST", "/api/v1/sessions/handover", { auth: false });
      saveSession(s.token, s.expires_at);
      location.replace("/");
      return;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      handoverFailed = true;  // no handover in this browser: the form, with a word on why
    }
  }
  // Already logged in in this tab: straight to the home page (as the seed did).
  if (session()) {
    try {
      const s = session();
      const resp = await fetch("/api/v1/me", { headers: { Authorization: "Bearer " + s.token } });
      if (resp.ok) { location.replace("/"); return; }
    } catch (e) { /* fall through */ }
    clearSession();
  }

  const form = document.getElementById("auth-form");
  const email = document.getElementById("email");
  const password = document.getElementById("password");
  const formError = document.getElementById("form-error");
  const fieldError = { email: document.getElementById("email-error"), password: document.getElementById("password-error") };
  const buttons = form.querySelectorAll("button");
  if (handoverFailed) {
    formError.textContent = "That log-in could not be completed in this browser. Please log in again.";
    formError.hidden = false;
  }

  function clearErrors() {
    formError.hidden = true; formError.textContent = "";
    for (const [name, p] of Object.entries(fieldError)) {
      p.textContent = "";
      document.getElementById(name).removeAttribute("aria-invalid");
    }
  }
  function showError(field, message) {
    if (field && fieldError[field]) {
      fieldError[field].textContent = message;
      const input = document.getElementById(field);
      input.setAttribute("aria-invalid", "true");
      input.focus();
    } else {
      formError.textContent = message; formError.hidden = false;
    }
  }

  function validate(signingUp) {
    const e = email.value.trim();
    if (!e) { showError("email", "Enter your email address."); return false; }
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e)) { showError("email", "This is not an email address."); return false; }
    if (!password.value) { showError("password", "Enter your password."); return false; }
    if (signingUp && password.value.length < 8) {
      showError("password", "The password is too short: use at least 8 characters."); return false;
    }
    return true;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const signingUp = ev.submitter && ev.submitter.id === "sign-up";
    clearErrors();
    if (!validate(signingUp)) return;
    const creds = { email: email.value.trim(), password: password.value };
    buttons.forEach((b) => { b.disabled = true; });
    form.setAttribute("aria-busy", "true");
    try {
      if (signingUp) await api("POST", "/api/v1/users", { json: creds, auth: false });
      const s = await api("POST", "/api/v1/sessions", { json: creds, auth: false });
      saveSession(s.token, s.expires_at);
      location.replace("/");
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const field = err.body && err.body.error && err.body.error.field;
      let message = err.message;
      if (err.code === "email_taken") message = "An account with this email already exists. Log in instead.";
      else if (err.code === "wrong_credentials") message = "Wrong email or password.";
      else if (err.code === "password_too_short") message = "The password is too short: use at least 8 characters.";
      const f = field === "email" || field === "password" ? field : (err.code === "invalid_field" ? "email" : null);
      showError(f, message);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      form.removeAttribute("aria-busy");
    }
  });
})();
