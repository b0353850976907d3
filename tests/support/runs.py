"""A live run as the ingestor leaves it, for tests and benchmarks that need one standing still
(no message published: no worker moves it): its posts listed in run_media, `counted` of them
counted by labelers the way they count them (Redis), every 5th as failed."""
from __future__ import annotations

import time


def live_run(db, progress, user_id: str, total: int, counted: int = 0, pause: float = 0.0) -> str:
    from shared import runs

    run = runs.create(db, progress, user_id)
    posts = [{"run_id": run["_id"], "user_id": user_id, "media_id": f"m{i}", "media_url": f"http://127.0.0.1:9/{i}.jpg",
              "caption": "a caption of a usual length " * 3, "likes": i, "comments": 1} for i in range(total)]
    listing = runs.store_media(db, run, posts)
    runs.transition(db, run["_id"], "running", ("listing",), total=total, listing=listing, likes_hidden=0)
    progress.set_running(run["_id"], user_id, total)
    for i in range(counted):
        count(progress, run["_id"], i)
        time.sleep(pause)
    return run["_id"]


def count(progress, run_id: str, i: int) -> str:
    """Count post m{i} of the run as a labeler would (every 5th failed); returns the verdict."""
    return progress.record(run_id, f"m{i}", "failed" if i % 5 == 0 else "done")[0]
