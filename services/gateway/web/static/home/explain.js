/* What a prediction says of the post intended: the format asked for ("As a carousel ×1.4
   likes against a photo"), what each other format would get, and the caption's hashtags with their effects. */
import { el, fmt, times } from "./page.js";
import { formatName } from "./intent.js";

const article = (name) => (/^[aeiou]/.test(name) ? "an " : "a ") + name;
const nameOf = (f) => formatName(f.media_type, f.product_type) || `${f.media_type}/${f.product_type}`;
const sameFormat = (a, b) => a && b && a.media_type === b.media_type && a.product_type === b.product_type;

/* "As a reel ×0.97 likes against a photo, ×1.07 comments." The base (the first of the
   answer's formats, a photo) is what the factors compare with. */
function formatLine(p) {
  const f = p.format;
  const base = (p.formats || [])[0];
  const name = nameOf(f);
  if (!base || sameFormat(f, base)) {
    return el("p", { class: "format-line", "data-testid": "format" }, el("strong", {}, `As ${article(name)}`),
      base ? ": the format the others are compared with." : ".");
  }
  const comments = (f.comments_factor !== null && f.comments_factor !== undefined) ? `, ${times(f.comments_factor)} comments` : "";
  return el("p", { class: "format-line", "data-testid": "format" },
    el("strong", {}, `As ${article(name)} ${times(f.likes_factor)}`), ` likes against ${article(nameOf(base))}${comments}.`);
}

/* The row with the most likes, when one has more than every other. */
function bestOf(rows) {
  const top = Math.max(...rows.map((r) => r.likes ?? -Infinity));
  const at = rows.filter((r) => r.likes === top);
  return at.length === 1 ? at[0] : null;
}

let tables = 0;

function formatTable(p) {
  const rows = p.formats || [];
  if (!rows.length) return null;
  const best = bestOf(rows);
  const id = `formats-${++tables}`;
  return el("div", { class: "formats" },
    el("h4", { id }, "Photo, carousel or reel? The same image as each format"),
    el("div", { class: "table-scroll" }, el("table", { class: "formats-table", "aria-labelledby": id, "data-testid": "formats" },
      el("thead", {}, el("tr", {}, ...["Format", "Likes (80% range)", "Comments", "Your posts"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows.map((f) => {
        const asked = sameFormat(f, p.format);
        const name = nameOf(f);
        return el("tr", { class: asked ? "asked" : "", "aria-current": asked ? "true" : null },
          el("th", { scope: "row" }, name[0].toUpperCase() + name.slice(1),
            asked ? el("span", { class: "tag" }, " (asked)") : null,
            f === best ? el("span", { class: "tag best" }, " (most likes)") : null),
          el("td", {}, el("span", { class: "value" }, fmt(f.likes)),
            Array.isArray(f.likes_range) ? el("span", { class: "range" }, `${fmt(f.likes_range[0])}–${fmt(f.likes_range[1])}`) : null),
          el("td", {}, fmt(f.comments)),
          el("td", {}, f.posts ? fmt(f.posts) : "none (a general guess)"));
      })))));
}

function hashtagChip(h) {
  if (!h.matched) {
    return el("li", { class: "chip" }, el("span", { class: "chip-name" }, h.name),
      el("span", { class: "chip-meta" }, " not in your past captions: no effect"));
  }
  const lost = (h.likes !== null && h.likes !== undefined) ? ` · ${h.likes >= 0 ? "+" : "−"}${fmt(Math.abs(h.likes))} likes` : "";
  return el("li", { class: "chip match" }, el("span", { class: "chip-name" }, h.name),
    el("span", { class: "chip-meta" }, ` ${times(h.likes_factor)}${lost}`));
}

function captionPart(c) {
  if (!c || !c.given) {
    return el("p", { class: "caption-none muted small", "data-testid": "caption" },
      "No caption given: the prediction is the image's alone.");
  }
  const tags = c.hashtags || [];
  return el("div", { class: "caption-effects", "data-testid": "caption" },
    el("h4", {}, `Caption: ${tags.length} hashtag${tags.length === 1 ? "" : "s"}`),
    el("p", { class: "muted small" }, `${fmt(c.length)} characters, ${fmt(c.mentions)} mention${c.mentions === 1 ? "" : "s"}.` +
      (tags.length ? " Each hashtag's effect on likes (and the likes it adds):" : " No hashtags: only its length and mentions count.")),
    tags.length ? el("ul", { class: "chips" }, tags.map(hashtagChip)) : null);
}

/* The format and caption parts of a prediction's card; [] for an answer without them
   (a model kind that does not read formats, or a prediction from before formats). */
export function explain(p) {
  const parts = [];
  if (p.format) parts.push(formatLine(p));
  const table = formatTable(p);
  if (table) parts.push(table);
  if (p.caption) parts.push(captionPart(p.caption));
  return parts;
}
