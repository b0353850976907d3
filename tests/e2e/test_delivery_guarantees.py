"""At-least-once delivery, exactly-once counting: duplicates and a SIGKILLed labeler."""
from __future__ import annotations

import dataclasses
import time

from shared import broker, runs
from shared.contracts import PostDiscovered
from shared.settings import load
from tests.e2e.test_training_flow import image_posts


def test_duplicates_and_a_killed_labeler_count_every_post_once_and_build_once(make_client, sandbox, stack, mongo_db,
                                                                               stack_vhost):
    client = make_client("grace")
    posts = image_posts(sandbox, "grace")
    sandbox.fault("grace", [p["id"] for p in posts], mode="slow", seconds=0.3)
    run_id = client.train()["run_id"]
    try:
        deadline = time.monotonic() + 60
        while client.run(run_id)["done"] < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        # labeler-1 holds unacked messages (prefetch) mid-download: kill it without warning
        stack.kill("labeler-1")
        # ...and deliver every post of the run twice more
        settings = dataclasses.replace(load(), amqp_url=stack_vhost)
        publisher = broker.Publisher(broker.connect(settings, heartbeat=False), settings)
        run = mongo_db.runs.find_one({"_id": run_id})
        for _ in range(2):
            for post in runs.media(mongo_db, run):
                publisher.publish(PostDiscovered(**post))
        publisher.close()
        stack.spawn("labeler-1", "services.labeler")
    finally:
        sandbox.clear_faults("grace")
    status = client.wait_for_run(run_id, timeout=180)
    assert status["state"] == "done"
    assert (status["total"], status["done"], status["failed"]) == (len(posts), len(posts), 0)
    assert mongo_db.posts.count_documents({"run_id": run_id}) == len(posts)
    assert mongo_db.models.count_documents({"source": run_id}) == 1
    time.sleep(2)  # late duplicates still in flight must not build again
    user_id = mongo_db.runs.find_one({"_id": run_id})["user_id"]
    assert mongo_db.models.count_documents({"user_id": user_id}) == 1
