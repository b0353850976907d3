"""The request id across the real stack: sent to the gateway as X-Request-ID, returned, and
found in the JSON log lines of the gateway and of every worker that handled the run it
started (the ingestor, the labelers, the builder), carried from message to message."""
from __future__ import annotations

import json
import uuid

from sandbox.photos import jpeg as photo


def json_lines(stack, name: str) -> list[dict]:
    """Every line of a service's log, each of which must be one JSON object."""
    lines = []
    for number, line in enumerate(stack.log(name).splitlines(), 1):
        if line.strip():
            try:
                lines.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"{name}.log line {number} is not JSON: {line[:300]}") from None
    return lines


def test_a_request_id_follows_the_run_through_every_service(stack, make_client):
    client = make_client("dave")
    request_id = f"e2e-{uuid.uuid4().hex}"
    answer = client.http.post(f"{stack.gateway_url}/api/v1/training-runs", timeout=30,
                              headers={"Authorization": f"Bearer {client.token}", "X-Request-ID": request_id})
    assert answer.status_code == 202, answer.text
    assert answer.headers["X-Request-ID"] == request_id
    run_id = answer.json()["run_id"]
    assert client.wait_for_run(run_id, timeout=180)["state"] == "done"

    def lines_of(*names):
        return [line for name in names for line in json_lines(stack, name) if line.get("request_id") == request_id]

    (access,) = [line for line in lines_of("gateway") if line["logger"] == "gunicorn.access"]
    assert "POST /api/v1/training-runs" in access["message"] and access["service"] == "gateway"
    assert access["user_id"]
    user_id = access["user_id"]
    for names in (["ingestor"], [n for n in stack.procs if n.startswith("labeler-")], ["builder"]):
        lines = lines_of(*names)
        assert lines, f"no line of {names} carries the request id"
        for line in lines:
            assert line["run_id"] == run_id and line["user_id"] == user_id and line["message_id"], line
    labeled = [line for line in lines_of(*stack.procs) if line["message"].startswith("handled post.discovered")]
    assert len({line["message_id"] for line in labeled}) >= 1  # one line per post handled
    assert {line["service"] for line in lines_of(*stack.procs)} >= {"gateway", "ingestor", "labeler", "builder"}

    # A prediction: the request id goes to the inferer over RPC.
    predict_id = f"e2e-{uuid.uuid4().hex}"
    answer = client.http.post(f"{stack.gateway_url}/api/v1/predictions", timeout=30,
                              files=[("image", ("cat.jpg", photo("cat"), "image/jpeg"))],
                              headers={"Authorization": f"Bearer {client.token}", "X-Request-ID": predict_id})
    assert answer.status_code == 201, answer.text
    inferer = [n for n in stack.procs if n.startswith("inferer-")]
    handled = [line for name in inferer for line in json_lines(stack, name)
               if line.get("request_id") == predict_id and line["message"].startswith("handled infer.request")]
    assert handled and all(line["user_id"] == user_id for line in handled)


def test_the_gateway_makes_a_request_id_when_the_client_sends_none_or_a_bad_one(stack):
    import requests

    made = requests.get(f"{stack.gateway_url}/healthz", timeout=10).headers["X-Request-ID"]
    again = requests.get(f"{stack.gateway_url}/healthz", timeout=10).headers["X-Request-ID"]
    assert len(made) == 32 and made != again
    bad = "two words\tand a tab"
    replaced = requests.get(f"{stack.gateway_url}/healthz", headers={"X-Request-ID": bad}, timeout=10)
    assert replaced.headers["X-Request-ID"] not in (bad, "") and len(replaced.headers["X-Request-ID"]) == 32
