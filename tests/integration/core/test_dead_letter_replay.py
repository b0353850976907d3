"""Replaying dead letters (`services.gateway.admin.dead_letters`) on the real broker and MongoDB-wire
server: the janitor's own record of each dead letter (services.janitor.dead_letters), replayed
to its work queue as it was sent, once per death however often it is asked."""
from __future__ import annotations

import uuid

from kombu import Connection

from services.gateway.admin import dead_letters
from services.janitor.dead_letters import handle_dead
from shared import broker
from shared.broker import topology
from shared.contracts import BuildRequested, InferRequest
from shared.settings import load


def drain(amqp_url: str, queue) -> list:
    """The messages waiting in `queue` (taken off it)."""
    got = []
    with Connection(amqp_url) as conn:
        q = queue(conn.channel())
        while (m := q.get(no_ack=True)) is not None:
            got.append(m)
    return got


def test_each_death_is_replayed_once_to_its_work_queue(vhost, mongo_db, progress):
    settings = load().model_copy(update={"amqp_url": vhost})
    pub = broker.Publisher(broker.connect(settings, heartbeat=False), settings)
    mongo_db.dead_letters.delete_many({})
    user = uuid.uuid4().hex
    build = BuildRequested(user_id=user, reason="rebuild")
    headers = {broker.ERROR_HEADER: "the builder gave up (test)"}
    account = dict(db=mongo_db, progress=progress, publish=pub.publish)
    handle_dead("builder.build", build.TYPE, build.body().encode(), headers, **account)
    handle_dead("builder.build", "model.build.v1", b"{not json", headers, **account)
    request = InferRequest(user_id=user, image_key=f"uploads/{user}/x.jpg")
    handle_dead("inferer.requests", request.TYPE, request.body().encode(), headers, **account)
    try:
        listing = dead_letters.listing(mongo_db)
        assert listing["total"] == 3
        assert sorted(d["replayable"] for d in listing["dead_letters"]) == [False, False, True]
        assert dead_letters.counts(mongo_db) == {"total": 3, "waiting": 3}

        first = dead_letters.replay_waiting(mongo_db, pub.publish_raw)
        assert first == {"replayed": [f"builder.build:{build.message_id}"], "skipped": []}
        assert dead_letters.replay_waiting(mongo_db, pub.publish_raw) == {"replayed": [], "skipped": []}
        sent = drain(vhost, topology.BUILDER_BUILD)
        assert [(m.properties["type"], m.properties["message_id"], bytes(m.body, "utf-8") if isinstance(m.body, str)
                 else m.body) for m in sent] == [(build.TYPE, build.message_id, build.body().encode())]
        assert dead_letters.counts(mongo_db) == {"total": 3, "waiting": 2}  # the two that cannot be replayed

        # It dies again: a new death, which may be replayed (once) in its turn.
        handle_dead("builder.build", build.TYPE, build.body().encode(), headers, **account)
        assert dead_letters.replay_waiting(mongo_db, pub.publish_raw)["replayed"] == [
            f"builder.build:{build.message_id}"
        ]
        assert len(drain(vhost, topology.BUILDER_BUILD)) == 1
        doc = mongo_db.dead_letters.find_one({"_id": f"builder.build:{build.message_id}"})
        assert (doc["seen"], doc["replays"], doc["replayed_seen"]) == (2, 2, 2)
    finally:
        pub.close()
        mongo_db.dead_letters.delete_many({})

