"""Publisher.publish_many on the real RabbitMQ: one wait for the confirms of a whole batch,
with the guarantees of publish (persistent, routed, request id) and a raise on any refusal."""
import dataclasses
from datetime import datetime, timezone

import pytest
from kombu import Connection, Exchange, Queue

from shared import broker, logs
from shared.broker import topology
from shared.contracts import PostDiscovered
from shared.settings import load


@pytest.fixture
def settings(vhost):
    return dataclasses.replace(load(), amqp_url=vhost)


@pytest.fixture
def publisher(settings):
    pub = broker.Publisher(broker.connect(settings, heartbeat=False), settings)
    yield pub
    pub.close()


def posts(n: int, run_id: str = "r1") -> list[PostDiscovered]:
    return [PostDiscovered(message_id=f"{run_id}:{i}", run_id=run_id, user_id="u1", media_id=str(i),
                           media_url=f"http://127.0.0.1/{i}.jpg", timestamp=datetime.now(timezone.utc), likes=i)
            for i in range(n)]


def drain(settings, queue) -> list:
    with Connection(settings.amqp_url) as conn:
        bound = queue(conn.channel())
        out = []
        while (m := bound.get(no_ack=True)) is not None:
            out.append(m)
        return out


def test_a_batch_of_1000_arrives_whole_persistent_with_its_request_id(settings, publisher):
    with logs.bound(request_id="req-batch-1"):
        publisher.publish_many(posts(1000))
    got = drain(settings, topology.LABELER_POSTS)
    assert sorted(m.properties["message_id"] for m in got) == sorted(f"r1:{i}" for i in range(1000))
    assert {m.delivery_info["routing_key"] for m in got} == {"post"}
    assert {m.properties["delivery_mode"] for m in got} == {2}
    assert {m.properties["type"] for m in got} == {PostDiscovered.TYPE}
    assert {m.headers[logs.REQUEST_ID_HEADER] for m in got} == {"req-batch-1"}
    assert PostDiscovered.model_validate_json(got[7].body).media_id == got[7].properties["message_id"][3:]


def test_a_batch_the_broker_nacks_raises(settings, publisher):
    publisher.publish_many(posts(3, "warm"))  # the topology is declared
    # A second queue on the same route that refuses messages beyond one: the broker nacks those.
    full = Queue("full", topology.POSTS, routing_key="post",
                 queue_arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
    with Connection(settings.amqp_url) as conn:
        full(conn.channel()).declare()
    with pytest.raises(ConnectionError, match="refused"):
        publisher.publish_many(posts(5, "r2"))


def test_a_batch_to_a_missing_exchange_raises_and_the_next_batch_goes_through(settings, publisher):
    publisher.publish_many(posts(2, "warm"))
    with Connection(settings.amqp_url) as conn:
        Exchange(topology.POSTS.name)(conn.channel()).delete()
    with pytest.raises(ConnectionError):  # the broker closes the channel: NOT_FOUND
        publisher.publish_many(posts(10, "r3"))
    with Connection(settings.amqp_url) as conn:
        topology.declare_all(conn.channel())
    drain(settings, topology.LABELER_POSTS)
    publisher.publish_many(posts(10, "r4"))
    assert len(drain(settings, topology.LABELER_POSTS)) == 10


def test_a_connection_lost_in_the_middle_of_a_batch_publishes_the_whole_batch_again(settings, publisher):
    publisher.publish_many(posts(2, "warm"))
    drain(settings, topology.LABELER_POSTS)
    channel = publisher._batches._channel  # kept for the next batch
    written = []

    def publish_then_die(*args, **kwargs):  # the socket dies after 250 messages were written
        channel.__class__.basic_publish(channel, *args, **kwargs)
        written.append(1)
        if len(written) == 250:
            channel.connection.sock.close()

    channel.basic_publish = publish_then_die
    publisher.publish_many(posts(500, "r5"))
    got = [m.properties["message_id"] for m in drain(settings, topology.LABELER_POSTS)]
    assert len(written) == 250 and publisher._batches._channel is not channel  # it did reconnect
    assert set(got) == {f"r5:{i}" for i in range(500)}  # nothing lost; the first 250 may come twice


def test_a_batch_goes_out_in_chunks_and_a_lost_connection_sends_only_its_chunk_again(settings, publisher):
    """2,500 messages in chunks of 1,000: all arrive; the socket dying in the third chunk makes
    the Publisher publish that chunk again, never the two already confirmed."""
    publisher.publish_many(posts(2, "warm"))
    drain(settings, topology.LABELER_POSTS)
    channel = publisher._batches._channel
    written = []

    def publish_then_die(*args, **kwargs):  # the socket dies in the middle of the third chunk
        channel.__class__.basic_publish(channel, *args, **kwargs)
        written.append(1)
        if len(written) == 2_200:
            channel.connection.sock.close()

    channel.basic_publish = publish_then_die
    publisher.publish_many(posts(2_500, "r6"), chunk=1_000)
    got = [m.properties["message_id"] for m in drain(settings, topology.LABELER_POSTS)]
    assert set(got) == {f"r6:{i}" for i in range(2_500)}  # nothing lost
    again = len(got) - 2_500
    assert 0 <= again <= 200, again  # at most the third chunk's messages written before the break
    assert sorted(got[:2_000]) == sorted(f"r6:{i}" for i in range(2_000))  # the confirmed chunks, once, first
