"""`likely predict IMAGE... [--as photo|carousel|reel] [--caption TEXT] [--rank-by METRIC]`:
the table of predictions, best first (by likes, or the metric asked), then for each image what
each format would get, what the caption's hashtags do, and its reach, views, saves and shares
where the model has them (why not where it has not)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from shared.contracts import FORMATS

NAMES = {pair: name for name, pair in FORMATS.items()}
METRICS_NOTE = ("reach, views, saves, shares: learnt from your posts' insights like likes; no real data set of ours "
                "has them, so their accuracy is unmeasured")


def request_parts(images: list[str], as_: str | None, caption: str | None) -> tuple[list, dict]:
    """The multipart files and text fields of the prediction request."""
    files = [("image", (Path(p).name, Path(p).read_bytes(), "application/octet-stream")) for p in images]
    data = {}
    if as_:
        data["media_type"], data["product_type"] = FORMATS[as_]
    if caption is not None:
        data["caption"] = caption
    return files, data


def query(model: str | None, rank_by: str | None) -> str:
    """The request's query string ('' when it names nothing but the defaults)."""
    params = {k: v for k, v in (("model", model), ("rank_by", rank_by)) if v and not (k == "rank_by" and v == "likes")}
    return f"?{urlencode(params)}" if params else ""


def _n(x) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _x(f) -> str:
    return "-" if f is None else f"x{f:.2f}"


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def name_of(f: dict) -> str:
    return NAMES.get((f["media_type"], f["product_type"]), f"{f['media_type']}/{f['product_type']}")


def table(rows: list[dict]) -> list[str]:
    by = rows[0].get("rank_by") or "likes"
    extra = by if by != "likes" else None  # ranked by a metric: its column beside likes
    out = [f"{'#':>2}  {'image':<28} {'likes':>8} {'comments':>9}" + (f" {extra:>9}" if extra else "") + "  labels"]
    for i, p in enumerate(rows, 1):
        labels = ", ".join(lab["name"] + ("" if lab["matched"] else "?") for lab in p["labels"][:6])
        comments = "-" if p.get("comments") is None else f"{p['comments']:.1f}"
        metric = ((p.get("metrics") or {}).get(extra) or {}).get("value") if extra else None
        out.append(f"{i:>2}  {(p.get('filename') or '')[:28]:<28} {p['likes']:>8.1f} {comments:>9}"
                   + (f" {_n(metric):>9}" if extra else "") + f"  {labels}")
    return out


def metrics(p: dict) -> list[str]:
    """Reach, views, saves and shares: each predicted with its 80% range and the label that moves
    it most, or why the model has not got it."""
    ms = p.get("metrics")
    if not ms:
        return []
    out = ["  beside likes:", f"    {'metric':<8} {'predicted':>10} {'80% range':>17}"]
    for name, m in ms.items():
        if not m.get("available"):
            out.append(f"    {name:<8} {'-':>10} {'':>17}  not predicted: {m.get('why') or m.get('reason')}")
            continue
        lo_hi = m.get("range")
        span = f"{_n(lo_hi[0])}-{_n(lo_hi[1])}" if lo_hi else "-"
        effects = [e for e in (m.get("labels") or []) + (m.get("hashtags") or []) if e.get("factor") is not None]
        top = max(effects, key=lambda e: abs((e["factor"] or 1) - 1), default=None)
        note = f"from {_count(m.get('posts', 0), 'post')}" + (f"; {top['name']} {_x(top['factor'])}" if top else "")
        out.append(f"    {name:<8} {_n(m.get('value')):>10} {span:>17}  {note}")
    return out


def formats(p: dict) -> list[str]:
    """The format asked for, and what each format would get (the first, a photo, is the base)."""
    f = p.get("format")
    if not f:
        return []
    rows = p.get("formats") or []
    asked = (f["media_type"], f["product_type"])
    if not rows or asked == (rows[0]["media_type"], rows[0]["product_type"]):
        out = [f"  as a {name_of(f)}" + (": the format the others are compared with" if rows else "")]
    else:
        out = [f"  as a {name_of(f)}: {_x(f.get('likes_factor'))} likes against a {name_of(rows[0])}"]
    if rows:
        most = max(r.get("likes") or -1 for r in rows)
        top = [r for r in rows if r.get("likes") == most]
        out.append(f"    {'format':<10} {'likes':>8} {'80% range':>15} {'comments':>9} {'your posts':>11}")
        for r in rows:
            lo_hi = r.get("likes_range")
            span = f"{_n(lo_hi[0])}-{_n(lo_hi[1])}" if lo_hi else "-"
            marks = (" <- asked" if (r["media_type"], r["product_type"]) == asked else "") + \
                    (" (most likes)" if top == [r] else "")
            out.append(f"    {name_of(r):<10} {_n(r.get('likes')):>8} {span:>15} {_n(r.get('comments')):>9} "
                       f"{r.get('posts', 0):>11}{marks}")
    return out


def caption(p: dict) -> list[str]:
    c = p.get("caption")
    if c is None:
        return []
    if not c.get("given"):
        return ["  no caption given: the prediction is the image's alone"]
    tags = c.get("hashtags") or []
    out = [f"  caption: {_count(c.get('length', 0), 'character')}, {_count(c.get('mentions', 0), 'mention')}, "
           f"{_count(len(tags), 'hashtag')}"]
    for h in tags:
        if h.get("matched"):
            likes = h.get("likes")
            added = "" if likes is None else f" ({likes:+,.0f} likes)"
            out.append(f"    {h['name']:<24} {_x(h.get('likes_factor'))} likes{added}")
        else:
            out.append(f"    {h['name']:<24} not in your past captions: no effect")
    return out


def report(out: dict) -> str:
    rows = out.get("predictions", [out])
    lines = table(rows)
    for i, p in enumerate(rows, 1):
        more = formats(p) + caption(p) + metrics(p)
        if more:
            lines += [f"#{i} {p.get('filename') or ''}", *more]
    lines.append(f"model v{rows[0]['model_version']} ({rows[0]['model_kind']}); '?' = label unknown to the model")
    if any(m.get("available") for p in rows for m in (p.get("metrics") or {}).values()):
        lines.append(METRICS_NOTE)
    return "\n".join(lines)
