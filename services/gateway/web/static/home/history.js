/* The history panel: past analyses, newest first, with thumbnails and "Show more"; each one's
   likes, comments, and reach, views, saves, shares where its model had them. */
import { $, api, el, fmt, listOf, state, when } from "./page.js";
import { formatName } from "./intent.js";
import { METRICS } from "./metrics.js";

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
      el("p", { class: "history-numbers" }, el("strong", {}, `${fmt(p.likes)} likes`), ` · ${fmt(p.comments)} comments`,
        ...METRICS.filter((n) => p.metrics && p.metrics[n] && p.metrics[n].available).map((n) => ` · ${fmt(p.metrics[n].value)} ${n}`)),
      el("p", { class: "muted small" }, [e.filename, p.format && `as a ${formatName(p.format.media_type, p.format.product_type) || p.format.media_type}`,
        when(created)].filter(Boolean).join(" · ")),
      labels.length ? el("p", { class: "small" }, labels.join(", ")) : null));
}

export async function loadHistory(more = false) {
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

export function setupHistory() {
  $("history-more").addEventListener("click", () => loadHistory(true));
}
