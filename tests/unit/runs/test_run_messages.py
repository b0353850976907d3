"""A run's messages carry ids derived from the run, made by their constructors alone, so a message
published again (a retry, the reaper's resume) is the same message."""
from __future__ import annotations

from datetime import datetime, timezone

from shared.contracts import BuildRequested, PostDiscovered, TrainRequested


def test_train_and_build_of_a_run():
    train = TrainRequested.for_run("r1", "u1")
    assert (train.message_id, train.run_id, train.user_id) == ("train:r1", "r1", "u1")
    build = BuildRequested.for_run("r1", "u1")
    assert (build.message_id, build.run_id, build.user_id, build.reason) == ("build:r1", "r1", "u1", "run_complete")
    assert BuildRequested.for_run("r1", "u1") == build


def test_a_rebuild_is_new_every_time():
    a, b = BuildRequested.rebuild("u1"), BuildRequested.rebuild("u1")
    assert a.reason == "rebuild" and a.run_id is None and a.message_id != b.message_id


def test_a_post_of_a_run():
    post = {"run_id": "r1", "user_id": "u1", "media_id": "m7", "media_url": "http://x/7.jpg",
            "timestamp": datetime(2024, 1, 1, tzinfo=timezone.utc), "likes": 3}
    msg = PostDiscovered.of_post(post)
    assert msg.message_id == "r1:m7" and msg.likes == 3 and PostDiscovered.of_post(post) == msg
