"""RPC over the real RabbitMQ: replies matched by correlation id, late replies dropped."""
import dataclasses
import threading
import time

import pytest

from shared import broker
from shared.broker import topology
from shared.broker.rpc import RpcClient, RpcTimeout
from shared.contracts import InferReply, InferRequest
from shared.settings import load


@pytest.fixture
def settings(vhost):
    return dataclasses.replace(load(), amqp_url=vhost)


def responder(settings, delays: dict[str, float]):
    """A stand-in inferer on the real queue: answers each request (after its delay) with its key."""
    conn = broker.connect(settings)
    replies = broker.Publisher(broker.connect(settings, heartbeat=False), settings)

    def handle(msg, delivery):
        time.sleep(delays.get(msg.image_key, 0))
        replies.publish(InferReply(ok=True, result={"key": msg.image_key}), exchange="",
                        routing_key=delivery.reply_to, correlation_id=delivery.correlation_id, delivery_mode=1)

    worker = broker.Worker(conn, topology.INFERER_REQUESTS, handle, settings=settings)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    return worker, thread


def test_replies_come_back_in_request_order(settings):
    worker, thread = responder(settings, {"a": 0.2})
    try:
        client = RpcClient.from_settings(settings)
        reqs = [InferRequest(user_id="u", image_key=k) for k in ("a", "b", "c")]
        assert [r.result["key"] for r in client.call_many(reqs, timeout=10)] == ["a", "b", "c"]
    finally:
        worker.should_stop = True
        thread.join(10)


def test_a_late_reply_is_dropped_not_given_to_the_next_request(settings):
    worker, thread = responder(settings, {"slow": 1.5})
    try:
        client = RpcClient.from_settings(settings)
        with pytest.raises(RpcTimeout):
            client.call_many([InferRequest(user_id="u", image_key="slow")], timeout=0.5)
        time.sleep(1.5)  # the slow answer arrives now, while nobody waits for it
        answer = client.call_many([InferRequest(user_id="u", image_key="fast")], timeout=10)
        assert answer[0].result == {"key": "fast"}
    finally:
        worker.should_stop = True
        thread.join(10)


def test_no_inferer_times_out(settings):
    client = RpcClient.from_settings(settings)
    started = time.monotonic()
    with pytest.raises(RpcTimeout):
        client.call_many([InferRequest(user_id="u", image_key="k")], timeout=1.0)
    assert time.monotonic() - started < 2


def test_a_connection_closed_under_the_client_is_reopened(settings):
    worker, thread = responder(settings, {})
    try:
        client = RpcClient.from_settings(settings)
        assert client.call_many([InferRequest(user_id="u", image_key="a")], timeout=10)[0].ok
        client.connection.connection.transport.sock.close()  # as if the broker had restarted while idle
        assert client.call_many([InferRequest(user_id="u", image_key="b")], timeout=10)[0].result == {"key": "b"}
    finally:
        worker.should_stop = True
        thread.join(10)
