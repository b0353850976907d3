/* The home page's account notices, kept apart from home.js: the "verify your email" banner (with
   a resend button) while the account's address is unverified, and "Link <provider>" buttons that
   attach a log-in provider to this account (`services.gateway.accounts.oidc`). Self-contained: it
   reads the tab's session and calls the API itself. */
"use strict";

(async () => {
  let session = null;
  try { session = JSON.parse(sessionStorage.getItem("likely.session") || "null"); } catch (e) { /* none */ }
  if (!session || !session.token) return;  // the home page itself sends the tab to /login
  const auth = { Authorization: "Bearer " + session.token };
  const main = document.getElementById("main");

  function notice(cls, role, id) {
    const box = document.createElement("div");
    box.className = cls; box.setAttribute("role", role); box.id = id;
    box.style.marginBottom = "1rem";
    main.insertBefore(box, main.firstChild);
    return box;
  }
  function button(text, onClick) {
    const b = document.createElement("button");
    b.type = "button"; b.className = "button small"; b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  const params = new URLSearchParams(location.search);
  if (params.has("linked")) {  // back from linking a provider
    history.replaceState(null, "", location.pathname);
    notice("notice", "status", "linked-notice").textContent = "The log-in provider is now linked to your account.";
  }

  let me, providers = [];
  try {
    const [r1, r2] = await Promise.all([fetch("/api/v1/me", { headers: auth, cache: "no-store" }),
                                        fetch("/auth/oidc/providers", { cache: "no-store" })]);
    if (!r1.ok) return;
    me = await r1.json();
    if (r2.ok) providers = (await r2.json()).providers || [];
  } catch (e) { return; }

  if (!me.email_verified) {
    const box = notice("alert", "alert", "verify-banner");
    const text = document.createElement("span");
    // (the address itself is in the page's header)
    text.textContent = "Verify your email address: open the link Likely sent you. ";
    const resend = button("Send the link again", async () => {
      resend.disabled = true;
      const resp = await fetch("/api/v1/users/me/verification-email", { method: "POST", headers: auth });
      const body = await resp.json().catch(() => ({}));
      text.textContent = resp.ok ? "A new link is on its way. "
        : ((body.error && body.error.message) || "The link could not be sent. Try again later.") + " ";
      resend.disabled = resp.status === 429 || resp.ok;
    });
    box.append(text, resend);
  }

  const linked = new Set((me.identities || []).map((i) => i.provider));
  const linkable = providers.filter((p) => !linked.has(p.name));
  if (linkable.length) {
    const box = notice("muted", "group", "link-providers");
    box.append("Log in faster next time: ");
    for (const p of linkable) {
      box.append(button(`Link ${p.title}`, async (ev) => {
        ev.target.disabled = true;
        const resp = await fetch(`/auth/oidc/${encodeURIComponent(p.name)}/link`, { method: "POST", headers: auth });
        const body = await resp.json().catch(() => ({}));
        if (resp.ok && body.url) { location.assign(body.url); return; }
        ev.target.disabled = false;
        box.append(" " + ((body.error && body.error.message) || "That provider cannot be reached right now."));
      }), " ");
    }
  }
})();
