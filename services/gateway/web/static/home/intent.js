/* The post the person intends, beside the upload: its format (Photo / Carousel / Reel, radio
   buttons the page renders from the server's table of formats) and its caption. Added to each
   prediction request; the formats' names are read back from the same buttons. */
import { $, fmt, on, state } from "./page.js";

const choices = () => [...document.querySelectorAll('input[name="post-format"]')];

/* The format's name in words ("reel") for a media_type / product_type pair, or null. */
export function formatName(mediaType, productType) {
  const c = choices().find((i) => i.dataset.mediaType === mediaType && i.dataset.productType === productType);
  return c ? c.value : null;
}

/* Add the chosen format and the caption (if any) to a prediction's form. */
export function addIntent(form) {
  const chosen = choices().find((i) => i.checked);
  if (chosen) {
    form.append("media_type", chosen.dataset.mediaType);
    form.append("product_type", chosen.dataset.productType);
  }
  const caption = $("caption").value;
  if (caption.trim()) form.append("caption", caption);
}

function count() {
  $("caption-count").textContent = fmt($("caption").value.length);
}

export function setupIntent() {
  $("caption").addEventListener("input", count);
  count();
}

on("model", () => { $("post-intent").hidden = !state.model; });
