/* The Instagram OAuth redirect target: hand code and state to the API, then go home. */
"use strict";

(async () => {
  const { api, session } = Likely;
  const q = new URLSearchParams(location.search);
  const status = document.getElementById("cb-status");
  const error = document.getElementById("cb-error");
  const home = document.getElementById("cb-home");
  history.replaceState(null, "", location.pathname);  // the code is single-use: keep it out of history

  function fail(message) {
    document.getElementById("cb-title").textContent = "Instagram was not connected";
    status.textContent = "";
    error.textContent = message; error.hidden = false;
    home.hidden = false; home.focus();
  }
  if (!session()) { Likely.expired("expired"); return; }
  if (q.get("error")) {
    fail(q.get("error") === "access_denied"
      ? "You cancelled the connection on Instagram; nothing was changed."
      : "Instagram did not approve the connection: " + (q.get("error_description") || q.get("error")));
    return;
  }
  if (!q.get("code") || !q.get("state")) { fail("This page was opened without an answer from Instagram."); return; }
  try {
    await api("POST", "/api/v1/instagram", { json: { code: q.get("code"), state: q.get("state") } });
    location.replace("/?connected=1");
  } catch (err) {
    if (err.status === 401) return;
    fail(err.message);
  }
})();
