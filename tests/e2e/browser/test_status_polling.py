"""The page's polling of a live run costs the least it can: Chromium keeps the status with its
ETag and asks again with If-None-Match, and the gateway answers 304 Not Modified while the run
has not moved, measured in the gateway's own access log; a change still shows on the next poll."""
from __future__ import annotations

import json
import re
import time

from tests.e2e.browser.conftest import sign_up, token_of
from tests.support.runs import count, live_run


def answers(stack, run_id: str, since: int) -> list[int]:
    """The statuses of GET /api/v1/training-runs/{run_id} in the gateway's access log since `since`."""
    out = []
    for line in stack.log("gateway")[since:].splitlines():
        try:
            message = json.loads(line).get("message", "")
        except ValueError:
            continue
        m = re.search(rf'"GET /api/v1/training-runs/{run_id} HTTP/[\d.]+" (\d+)', message)
        if m:
            out.append(int(m.group(1)))
    return out


def test_polling_an_unchanged_run_gets_304_and_a_change_still_shows(page, stack, mongo_db, progress):
    from services.cli.client import LikelyClient
    from shared import runs

    base = stack.gateway_url
    sign_up(page, base)
    user_id = LikelyClient(base, token_of(page)).request("GET", "/api/v1/me")["user_id"]
    run_id = live_run(mongo_db, progress, user_id, total=40, counted=10)  # a run no worker moves
    since = len(stack.log("gateway"))
    page.reload()  # the page finds the live run and polls it twice a second
    button = page.locator("#train")
    page.locator('#train[data-done="8"][data-failed="2"]').wait_for(state="attached")  # 10 counted, 2 failed
    time.sleep(4)
    polls = answers(stack, run_id, since)
    assert polls.count(304) >= 4, polls  # revalidated: the page had it already
    assert polls[0] == 200 and set(polls) == {200, 304}, polls
    print(f"polls of a run that did not move, in ~4 s: {len(polls)}, {polls.count(304)} answered 304 Not Modified")

    count(progress, run_id, 10)  # one more post labelled: the next poll brings it
    page.locator('#train[data-done="8"][data-failed="3"]').wait_for(state="attached")
    assert button.get_attribute("data-total") == "40"
    runs.finish(mongo_db, progress, mongo_db.runs.find_one({"_id": run_id}), "cancelled", reason="test over")
    page.get_by_text(re.compile("Training cancelled")).wait_for()
    assert answers(stack, run_id, since).count(200) >= 3  # the first, the change, the end
