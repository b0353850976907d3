"""`likely top` and `likely dead-letters`: the operators' views, drawn with rich from the gateway's
admin API (`services.gateway.admin.routes`)."""
from __future__ import annotations

import time

from rich.console import Console, Group, JustifyMethod
from rich.live import Live
from rich.table import Table
from rich.text import Text


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def runs_table(runs: list[dict]) -> Table:
    table = Table(title=f"Runs in progress ({len(runs)})", title_justify="left", expand=True)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("run", "left"), ("user", "left"), ("state", "left"), ("done/total", "right"),
        ("failed", "right"), ("posts/s", "right"), ("ETA", "right"), ("running", "right"))
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=True)
    for r in runs:
        table.add_row(r["run_id"][:8], r.get("email") or r["user_id"][:8], r["state"],
                      f"{r['done'] + r['failed']}/{r['total']}", str(r["failed"]),
                      "–" if r.get("posts_per_s") is None else f"{r['posts_per_s']:.1f}",
                      _duration(r.get("eta_s")), _duration(r.get("running_s")))
    if not runs:
        table.add_row("(none)", "", "", "", "", "", "", "")
    return table


def queues_table(overview: dict) -> Table | Text:
    if overview.get("queues") is None:
        return Text(overview.get("queues_error") or "queues unknown", style="yellow")
    table = Table(title="Queues", title_justify="left", expand=True)
    for name in ("queue", "ready", "unacked", "consumers", "retrying", "dead"):
        table.add_column(name, justify="left" if name == "queue" else "right", no_wrap=True)
    for q in overview["queues"]:
        table.add_row(q["queue"], str(q["ready"]), str(q["unacked"]), str(q["consumers"]), str(q["retrying"]),
                      Text(str(q["dead"]), style="red" if q["dead"] else ""))
    return table


def render(overview: dict) -> Group:
    dl = overview.get("dead_letters") or {}
    labelers = overview.get("labelers")
    head = Text.assemble(("likely top", "bold"), f"  {overview.get('at', '')}   labelers: ",
                         ("?" if labelers is None else str(labelers), "bold"),
                         "   dead letters: ", (str(dl.get("total", 0)), "bold"),
                         f" ({dl.get('waiting', 0)} not replayed)")
    return Group(head, runs_table(overview.get("runs") or []), queues_table(overview))


def top(fetch, *, once: bool = False, interval: float = 1.0, console: Console | None = None) -> None:
    """Draw the overview from `fetch()` every `interval` seconds until Ctrl-C (or once)."""
    console = console or Console()
    if once:
        console.print(render(fetch()))
        return
    with Live(render(fetch()), console=console, refresh_per_second=4, screen=False) as live:
        try:
            while True:
                time.sleep(interval)
                live.update(render(fetch()))
        except KeyboardInterrupt:
            pass


def dead_letters_table(listing: dict) -> Table:
    rows = listing.get("dead_letters") or []
    table = Table(title=f"Dead letters ({listing.get('total', len(rows))}, newest first)", title_justify="left",
                  expand=True)
    for name in ("id", "queue", "type", "outcome", "died", "replayed", "reason"):
        table.add_column(name, overflow="fold")
    for d in rows:
        replayed = f"{d['replays']}×" if d.get("replays") else ""
        if d.get("replayable"):
            replayed += " (replayable)" if replayed else "no (replayable)"
        table.add_row(d["id"], d.get("queue") or "", d.get("type") or "", d.get("outcome") or "",
                      (d.get("at") or "")[:19], replayed or "no", (d.get("reason") or "")[:120])
    return table
