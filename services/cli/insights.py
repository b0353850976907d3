"""`likely insights [--tz ZONE] [--json]`: when to post and what works, from the account's own
history and model (GET /api/v1/insights), as text: the verdicts in words, the best slots, each
weekday, a weekday × hour grid, the labels, hashtags and formats with their intervals, and
Instagram's online followers where the account grants them."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlencode

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FORMAT_NAMES = {"VIDEO": "video", "CAROUSEL_ALBUM": "carousel", "REELS": "reel"}


def local_zone() -> str:
    """This machine's IANA time zone: $TZ, else where /etc/localtime points, else UTC."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz and "/" in tz or tz == "UTC":
        return tz
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return "UTC"
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "UTC"


def path(tz: str) -> str:
    return "/api/v1/insights?" + urlencode({"tz": tz})


def _interval(e: dict) -> str:
    return f"x{e['factor_low']:.2f}–x{e['factor_high']:.2f}"


def _evidence(e: dict) -> str:
    return "yes" if e["evidence"] else "not enough evidence"


def _mark(cell: dict) -> str:
    """A heatmap cell in text: + or - where the slot did clearly better or worse, · where the
    interval includes no effect, blank where the account never posted."""
    if cell["evidence"]:
        return "+" if cell["effect"] > 0 else "-"
    return "·" if cell["posts"] else " "


def grid(cells: list[dict]) -> list[str]:
    by = {(c["weekday"], c["hour"]): c for c in cells}
    out = ["      " + "".join(f"{h:<3d}" for h in range(24))]
    for d, name in enumerate(DAYS):
        out.append(f"  {name} " + "".join(f" {_mark(by[(d, h)])} " for h in range(24)))
    out.append("  + clearly better, - clearly worse, · not enough evidence, blank: never posted")
    return out


def report(a: dict) -> str:
    t, w, of = a["timing"], a["effects"], a["online_followers"]
    lines = [f"Insights from your posts (model v{a['model_version']}, {a['posts']} posts read for timing), "
             f"times in {a['time_zone']}; {a['level']:.0%} intervals. Correlations in your own history, not causes.",
             "", "When to post", f"  {t['message']}"]
    if t["best"]:
        lines.append(f"  {'slot':<24} {'likes vs typical':>16} {'90% interval':>14} {'posts':>6}  evidence")
        for b in t["best"]:
            lines.append(f"  {b['slot']:<24} {'x' + format(b['factor'], '.2f'):>16} {_interval(b):>14} "
                         f"{b['posts']:>6}  {_evidence(b)}")
    lines.append("  By weekday: " + ", ".join(
        f"{DAYS[e['weekday']]} x{e['factor']:.2f}{'' if e['evidence'] else '?'}" for e in t["weekdays"])
        + "   (? not enough evidence)")
    lines += grid(t["cells"])
    lines += ["", "What works", f"  {w['message']}"]
    if w["items"]:
        lines.append(f"  {'':<28} {'kind':<8} {'likes x':>8} {'90% interval':>14} {'posts':>6}  evidence")
        for e in w["items"][:15]:
            name = FORMAT_NAMES.get(e["name"], e["name"]) if e["kind"] == "format" else e["name"]
            lines.append(f"  {name[:28]:<28} {e['kind']:<8} {'x' + format(e['factor'], '.2f'):>8} {_interval(e):>14} "
                         f"{e['posts']:>6}  {_evidence(e)}")
    lines += ["", "Instagram: followers online", f"  {of['message']}"]
    if of.get("hours"):
        top = sorted(of["hours"], key=lambda e: -e["followers"])[:3]
        lines.append("  busiest hours: " + ", ".join(f"{e['hour']:02d}:00 ({e['followers']:,.0f})" for e in top))
    return "\n".join(lines)
