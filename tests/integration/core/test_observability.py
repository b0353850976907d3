"""A worker process's /metrics and /healthz (shared.worker_metrics) and its JSON log lines
(shared/logs.py), on the real broker: the process runs `broker.run_worker` as every
service's __main__ does, with a handler that succeeds, fails once, or rejects."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from kombu import Connection
from prometheus_client.parser import text_string_to_metric_families

from services.janitor import dead_letters_watcher
from shared import broker, logs
from shared.broker import topology
from shared.contracts import BuildRequested
from tests.conftest import free_port
from tests.support.ports import listen_port

ROOT = Path(__file__).resolve().parents[3]
QUEUE = topology.BUILDER_BUILD.name

# A worker as the services run one: logging set up, then run_worker (which serves the metrics).
# user "ok" publishes a message in turn (it must carry the request id on), "fails-once" fails
# its first try, "rejected" is dead-lettered at once.
WORKER = """
from shared import broker, logs
from shared.broker import topology
from shared.contracts import TrainRequested

logs.setup("test-worker")
publisher = broker.Publisher(broker.connect(heartbeat=False))

def handler(msg, delivery):
    if msg.user_id == "rejected":
        raise broker.Reject("no such user")
    if msg.user_id == "fails-once" and delivery.attempt == 0:
        raise RuntimeError("transient")
    if msg.user_id == "ok":
        publisher.publish(TrainRequested(run_id="next", user_id="ok"))

broker.run_worker(topology.BUILDER_BUILD, handler, name="test-worker")
"""


class WorkerProcess:
    def __init__(self, amqp_url: str, log_path: Path, **env):
        self.port = listen_port()
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER], cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
            env={**os.environ, "LIKELY_AMQP_URL": amqp_url, "LIKELY_METRICS_PORT": str(self.port),
                 "LIKELY_METRICS_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1", **env})

    def get(self, path: str) -> requests.Response:
        """GET once the server answers (the process is still importing at first)."""
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, self.log_path.read_text()[-2000:]
            try:
                return requests.get(self.url + path, timeout=5)
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def samples(self) -> dict[tuple, float]:
        text = self.get("/metrics").text
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text) for s in family.samples}

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line.strip()]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


@pytest.fixture
def worker(vhost, tmp_path):
    started = []

    def start(amqp_url: str = vhost, **env) -> WorkerProcess:
        started.append(WorkerProcess(amqp_url, tmp_path / f"worker-{len(started)}.log", **env))
        return started[-1]

    yield start
    for w in started:
        w.stop()


def publish(amqp_url: str, msg, request_id: str | None = None) -> None:
    publisher = broker.Publisher(Connection(amqp_url, heartbeat=0, transport_options={"confirm_publish": True}))
    try:
        with logs.bound(request_id=request_id):
            publisher.publish(msg)
    finally:
        publisher.close()


def wait_for(condition, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"{what}: not reached in {timeout:.0f} s"
        time.sleep(0.2)
    return value


def counter(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_handled_retried_and_dead_lettered_messages(worker, vhost):
    w = worker(LIKELY_RETRY_DELAYS="0.3")
    assert w.get("/healthz").status_code in (200, 503)  # up; connected a moment later
    wait_for(lambda: w.get("/healthz").status_code == 200, "consumer connected")
    assert w.get("/healthz").json() == {"status": "ok", "consumer": "connected"}
    ok, flaky, rejected = (BuildRequested(user_id=u) for u in ("ok", "fails-once", "rejected"))
    for msg, rid in ((ok, "rid-ok"), (flaky, "rid-flaky"), (rejected, "rid-rejected")):
        publish(vhost, msg, rid)
    with Connection(vhost) as conn:  # and one no handler can read
        conn.Producer().publish(b"{not json", exchange="", routing_key=QUEUE, type=BuildRequested.TYPE)

    def settled():
        s = w.samples()
        return s if counter(s, "likely_messages_handled_total", queue=QUEUE) >= 2 else None

    s = wait_for(settled, "2 messages handled")
    time.sleep(0.5)  # nothing more is on its way: the counts stay exact
    s = w.samples()
    assert counter(s, "likely_messages_handled_total", queue=QUEUE) == 2  # ok, and fails-once on its retry
    assert counter(s, "likely_messages_failed_total", queue=QUEUE) == 2  # fails-once's first try, rejected
    assert counter(s, "likely_messages_retried_total", queue=QUEUE) == 1
    assert counter(s, "likely_messages_dead_lettered_total", queue=QUEUE, reason="rejected") == 1
    assert counter(s, "likely_messages_dead_lettered_total", queue=QUEUE, reason="undecodable") == 1
    assert counter(s, "likely_messages_dead_lettered_total", queue=QUEUE, reason="exhausted") == 0
    assert counter(s, "likely_message_handling_seconds_count", queue=QUEUE) == 4  # every handler run
    assert counter(s, "likely_messages_in_flight", queue=QUEUE) == 0
    assert counter(s, "likely_consumer_connected", queue=QUEUE) == 1

    # Every line is JSON; a message's lines carry its ids, across the retry too.
    lines = w.lines()
    assert {line["service"] for line in lines} == {"test-worker"}
    flaky_lines = [line for line in lines if line.get("message_id") == flaky.message_id]
    assert [line["level"] for line in flaky_lines] == ["WARNING", "INFO"]  # retrying, then handled
    assert all(line["request_id"] == "rid-flaky" and line["user_id"] == "fails-once" for line in flaky_lines)
    (dead,) = [line for line in lines if line.get("message_id") == rejected.message_id]
    assert dead["level"] == "ERROR" and dead["request_id"] == "rid-rejected"
    # What the worker published while handling "ok" carries the request id on.
    with Connection(vhost) as conn:
        onward = topology.INGESTOR_TRAIN(conn.channel()).get(no_ack=True)
    assert onward is not None and onward.headers[logs.REQUEST_ID_HEADER] == "rid-ok"


def test_healthz_is_503_while_the_broker_cannot_be_reached(worker):
    w = worker(amqp_url=f"amqp://guest:guest@127.0.0.1:{free_port()}//")  # nothing listens there
    answer = w.get("/healthz")
    assert answer.status_code == 503 and answer.json()["consumer"] == "disconnected"
    assert counter(w.samples(), "likely_consumer_connected", queue=QUEUE) == 0
    assert w.get("/nothing").status_code == 404


def test_rabbitmq_exports_the_depth_of_work_and_dead_letter_queues(vhost):
    """scripts/infra.sh enables the rabbitmq_prometheus plugin: per-queue depths on :15692."""
    dead = topology.dead_queue_of(topology.BUILDER_BUILD).name
    with Connection(vhost) as conn:
        topology.declare_all(conn.channel())
        producer = conn.Producer()
        for _ in range(3):
            producer.publish(b"{}", exchange="", routing_key=dead)
        producer.publish(b"{}", exchange="", routing_key=QUEUE)
    name = vhost.rsplit("/", 1)[1]

    def depths():
        text = requests.get("http://127.0.0.1:15692/metrics/detailed", timeout=10,
                            params={"vhost": name, "family": "queue_coarse_metrics"}).text
        found = {s.labels["queue"]: s.value for family in text_string_to_metric_families(text)
                 for s in family.samples if s.name == "rabbitmq_detailed_queue_messages"}
        return found if found.get(dead) == 3 and found.get(QUEUE) == 1 else None

    found = wait_for(depths, "the broker's metrics to show the messages")  # refreshed every few seconds
    assert found[f"{topology.INGESTOR_TRAIN.name}.dead"] == 0


def test_the_janitor_counts_the_dead_letters_it_accounts_for(vhost):
    """DeadLetterWatcher (the janitor's loop), in this process: one dead letter whose first
    accounting fails (MongoDB down, say) is put back, then accounted for."""
    import threading

    from prometheus_client import REGISTRY

    def value(name: str) -> float:
        return REGISTRY.get_sample_value(name, {"queue": QUEUE}) or 0.0

    before = {n: value(n) for n in ("likely_dead_letters_accounted_total", "likely_dead_letters_account_errors_total")}
    calls = []

    def account(queue, type_name, body, headers):
        calls.append(queue)
        if len(calls) == 1:
            raise ConnectionError("the database is away")

    with Connection(vhost) as conn:
        topology.declare_all(conn.channel())
        conn.Producer().publish(b"{}", exchange="", routing_key=topology.dead_queue_of(topology.BUILDER_BUILD).name,
                                headers={broker.QUEUE_HEADER: QUEUE})
    conn = Connection(vhost)
    watcher = dead_letters_watcher.DeadLetterWatcher(
        conn, [topology.dead_queue_of(topology.BUILDER_BUILD)], account, pause=0.1
    )
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: value("likely_dead_letters_accounted_total") > before["likely_dead_letters_accounted_total"],
                 "the dead letter accounted for")
        assert watcher.healthy()
        assert REGISTRY.get_sample_value("likely_consumer_connected", {"queue": f"{QUEUE}.dead"}) == 1
    finally:
        watcher.should_stop = True
        thread.join(10)
        conn.release()
    assert calls == [QUEUE, QUEUE]
    assert value("likely_dead_letters_accounted_total") == before["likely_dead_letters_accounted_total"] + 1
    assert value("likely_dead_letters_account_errors_total") == before["likely_dead_letters_account_errors_total"] + 1
